# Turns `ss -H` lines, prefixed with "PROTOCOL FAMILY", into the non-zero series the
# sockets collector should publish (label order as the exporter writes them).
# Input: "tcp ipv4 ESTAB 0 0 127.0.0.1:7000 127.0.0.1:5555"; for unix: "unix unix u_str
# ESTAB 0 0 * 123 * 124". Variable `remote`: the configured remote port.
function state(proto, s) {
  if (s == "ESTAB") return "established"
  if (s == "UNCONN") return proto == "tcp" ? "close" : "unconnected"
  if (s == "LISTEN") return "listen"
  if (s == "SYN-SENT") return "syn_sent"
  if (s == "SYN-RECV") return "syn_recv"
  if (s == "FIN-WAIT-1") return "fin_wait1"
  if (s == "FIN-WAIT-2") return "fin_wait2"
  if (s == "TIME-WAIT") return "time_wait"
  if (s == "CLOSE-WAIT") return "close_wait"
  if (s == "LAST-ACK") return "last_ack"
  if (s == "CLOSING") return "closing"
  return "unknown_" s
}
function port(endpoint,  n, parts) {
  n = split(endpoint, parts, ":")
  return parts[n]
}
$1 == "unix" {
  kind = $3 == "u_str" ? "stream" : $3 == "u_dgr" ? "dgram" : "seqpacket"
  st = $4 == "LISTEN" ? "listen" : $4 == "ESTAB" ? "connected" : "unconnected"
  sockets["netstat_sockets{protocol=\"unix\",family=\"unix\",state=\"" st "\",kind=\"" kind "\"}"]++
  next
}
{
  proto = $1; fam = $2; st = state(proto, $3)
  labels = "{protocol=\"" proto "\",family=\"" fam "\",state=\"" st "\"}"
  sockets["netstat_sockets" labels]++
  if (proto == "tcp" && st == "listen") { listening[port($6)] = 1; next }
  rq["netstat_socket_receive_queue_bytes" labels] += $4
  sq["netstat_socket_send_queue_bytes" labels] += $5
  if (proto == "tcp") {
    conns[NR] = port($6) " " st
    if (port($7) == remote)
      remote_conns["netstat_remote_port_connections{protocol=\"tcp\",port=\"" remote "\",state=\"" st "\"}"]++
  }
}
END {
  for (k in sockets) print k, sockets[k]
  for (k in rq) if (rq[k] != 0) print k, rq[k]
  for (k in sq) if (sq[k] != 0) print k, sq[k]
  for (i in conns) {
    split(conns[i], c, " ")
    if (c[1] in listening)
      per_port["netstat_port_connections{protocol=\"tcp\",port=\"" c[1] "\",state=\"" c[2] "\"}"]++
  }
  for (k in per_port) print k, per_port[k]
  for (k in remote_conns) print k, remote_conns[k]
}
