#!/usr/bin/env bash
# tcp_health against the kernel, in a fresh namespace (the exporter runs inside it, mode
# own): a tc filter at lo's ingress (lossy_lo.bpf.c) drops every 10th data segment the
# server on port 9101 sends and every odd SYN to 9103; 9102 is clean; nothing listens on
# 9104. Then:
#  - the lossy server port retransmits, the clean one does not;
#  - connects to 9103 all wait for a SYN sent again (> 0.1 s), connects to 9102 take at
#    most 10 ms;
#  - the refused connect to 9104 is one refused connect and one reset received there, and
#    its SYN one drop with the reason no_socket;
#  - lifetime and bytes per port, and the sums of retransmits and resets sent equal the
#    namespace's own Tcp RetransSegs and OutRsts (/proc/net/snmp), which count the same
#    events the tracepoints see; the SYNs sent again equal TcpExt TCPSynRetrans.
# Skipped (77) where the BPF programs cannot load.
#   tcp_health_test.sh BIN SRC LOSSY TRAFFIC
BIN=$1 SRC=$2 LOSSY=$3 TRAFFIC=$4
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool missing (package prometheus)"

new_netns netstat_e2e_th
cat >"$WORK/config.yml" <<YAML
collectors:
  sockets: {remote_ports: [9101, 9102, 9103, 9104]}
YAML
EXPORTER_PREFIX=(ip netns exec "$NS")
start_exporter "$WORK/log" --config.file="$WORK/config.yml" --collector.disable-defaults \
  --collector.tcp_health
scrape() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics"; }
scrape >"$WORK/m0"
if grep -q '^netstat_tcp_health_available 0' "$WORK/m0"; then
  echo "SKIP: tcp_health cannot load here: $(grep -o 'tcp_health: not available: [^"]*' "$WORK/log")"
  exit 77
fi
grep -q '^netstat_tcp_health_available 1' "$WORK/m0" || fail "no availability: $(head "$WORK/m0")"

start_ns_helper lossy "$LOSSY" 9101 10 9103
start_ns_helper server "$TRAFFIC" server 9101 1000000 9102 1000000 9103 1000
in_ns timeout 60 "$TRAFFIC" client 9101 5 >"$WORK/c1" || fail "client 9101: $(cat "$WORK/c1")"
in_ns timeout 60 "$TRAFFIC" client 9102 5 >"$WORK/c2" || fail "client 9102: $(cat "$WORK/c2")"
in_ns timeout 60 "$TRAFFIC" client 9103 3 >"$WORK/c3" || fail "client 9103: $(cat "$WORK/c3")"
in_ns timeout 10 "$TRAFFIC" refused 9104 >"$WORK/c4" || fail "refused 9104: $(cat "$WORK/c4")"
grep -q '^ok 9101 5 5000000$' "$WORK/c1" || fail "9101 transfer: $(cat "$WORK/c1")"
sleep 0.5 # the last closing handshakes (FIN, ACK) after the clients return
in_ns cat /proc/net/snmp >"$WORK/snmp"
in_ns cat /proc/net/netstat >"$WORK/netstat"
scrape >"$WORK/m1"
promtool_clean "$WORK/m1" "tcp_health scrape"

v() { metric_value "$1" "$WORK/m1"; }
# sum NAME_PREFIX: the sum of every series whose name starts with it.
sum() { awk -v p="$1" 'index($1, p) == 1 { s += $2 } END { printf "%d", s }' "$WORK/m1"; }
snmp_tcp() {  # the namespace's Tcp FIELD
  awk -v f="$1" '$1 == "Tcp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
                 $1 == "Tcp:" && h { print $c[f] }' "$WORK/snmp"
}

LOSSY_RETRANS=$(v 'netstat_port_retransmits_total{protocol="tcp",port="9101"}')
[ -n "$LOSSY_RETRANS" ] && [ "$LOSSY_RETRANS" -gt 0 ] || fail "lossy port 9101: retransmits '$LOSSY_RETRANS'"
expect_eq "clean port retransmits" "$(v 'netstat_port_retransmits_total{protocol="tcp",port="9102"}')" 0
expect_eq "lossy port closed connections" \
  "$(v 'netstat_port_connection_duration_seconds_count{protocol="tcp",port="9101"}')" 5
expect_eq "clean port closed connections" \
  "$(v 'netstat_port_connection_duration_seconds_count{protocol="tcp",port="9102"}')" 5
# As ss -ti's bytes_received: the peer's FIN takes one byte of sequence space.
expect_eq "clean client bytes received" \
  "$(v 'netstat_remote_port_received_bytes_total{protocol="tcp",port="9102"}')" 5000005
SENT=$(v 'netstat_port_sent_bytes_total{protocol="tcp",port="9102"}')
[ "${SENT:-0}" -ge 5000000 ] || fail "clean server bytes sent and acked: '$SENT', want >= 5000000"

expect_eq "clean connects" "$(v 'netstat_remote_port_connect_seconds_count{protocol="tcp",port="9102"}')" 5
expect_eq "clean connects within 10 ms" \
  "$(v 'netstat_remote_port_connect_seconds_bucket{protocol="tcp",port="9102",le="0.01"}')" 5
expect_eq "connects whose SYN was lost" \
  "$(v 'netstat_remote_port_connect_seconds_count{protocol="tcp",port="9103"}')" 3
expect_eq "connects whose SYN was lost, within 0.1 s" \
  "$(v 'netstat_remote_port_connect_seconds_bucket{protocol="tcp",port="9103",le="0.1"}')" 0
expect_eq "SYNs sent again" "$(v 'netstat_remote_port_retransmits_total{protocol="tcp",port="9103"}')" 3
# TcpExt TCPSynRetrans counts SYNs and SYN-ACKs sent again; no SYN-ACK is lost here, so
# it is the 3 SYNs, each one connect that waited for it (above 0.5 s).
SYN_RETRANS=$(awk '$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
                   $1 == "TcpExt:" && h { print $c["TCPSynRetrans"] }' "$WORK/netstat")
expect_eq "SYNs sent again against TcpExt TCPSynRetrans" "$SYN_RETRANS" 3
expect_eq "connects that waited for a SYN sent again" \
  "$(( $(v 'netstat_remote_port_connect_seconds_count{protocol="tcp",port="9103"}') -
      $(v 'netstat_remote_port_connect_seconds_bucket{protocol="tcp",port="9103",le="0.5"}') ))" \
  "$SYN_RETRANS"

expect_eq "refused connects" \
  "$(v 'netstat_remote_port_failed_connects_total{protocol="tcp",port="9104",reason="refused"}')" 1
expect_eq "resets received by the refused client" \
  "$(v 'netstat_remote_port_resets_received_total{protocol="tcp",port="9104"}')" 1

# The refused SYN itself: dropped by the kernel for want of a socket, on port "other".
expect_eq "SYNs dropped for no socket" \
  "$(v 'netstat_port_drops_total{protocol="tcp",port="other",reason="no_socket"}')" 1

RETRANS=$(( $(sum netstat_port_retransmits_total) + $(sum netstat_remote_port_retransmits_total) ))
RSTS=$(( $(sum netstat_port_resets_sent_total) + $(sum netstat_remote_port_resets_sent_total) ))
expect_eq "retransmits against Tcp RetransSegs" "$RETRANS" "$(snmp_tcp RetransSegs)"
expect_eq "resets sent against Tcp OutRsts" "$RSTS" "$(snmp_tcp OutRsts)"
expect_eq "dropped series" "$(v netstat_tcp_health_dropped_series)" 0
echo "ok: lossy port $LOSSY_RETRANS retransmits, clean 0; $RETRANS retransmits and $RSTS resets" \
  "as /proc/net/snmp counts them; SYN loss seen in connect times"
