#!/usr/bin/env bash
# Live RTT per port (netstat_port_rtt_current_{sum,max}_seconds and the remote_port
# twins) against `ss -ti` for the same sockets, on each path the socket reading can take:
#   netlink  mode own, sock_diag with INET_DIAG_INFO (tcp_info's tcpi_rtt)
#   bpf      mode own, TCP counted in the kernel (the hash walk reads srtt_us)
#   all      mode all from the host: the namespace read by the walk of the whole host
#            (or by netlink per namespace where BPF cannot load), with its netns label
# In a fresh namespace: a listener on 127.0.0.1:8080 with 3 connections, one on ::1:8443
# with 2; 8080 is also a remote port in the config, so its client ends count there. The
# connections are idle, so their smoothed RTTs stand still between ss and the scrape.
# Last, tcp_health's RTT at close against ss -ti just before the close.
#   port_rtt_test.sh BIN SRC LISTENER_HELPER
BIN=$1 SRC=$2 HELPER=$3
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool missing (package prometheus)"

new_netns netstat_e2e_rtt
start_ns_helper listener "$HELPER" tcp,127.0.0.1,8080,16,3 tcp,::1,8443,16,2
sleep 0.2 # the handshakes' last ACKs

# ss_rtt FILTER: "count sum max" of the rtt (ms, as ss prints tcpi_rtt / 1000) of the
# established sockets ss -ti shows for FILTER inside the namespace.
ss_rtt() {
  in_ns ss -tinH state established "$1" |
    grep -o ' rtt:[0-9.]*' | cut -d: -f2 |
    awk '{ n++; s += $1; if ($1 > m) m = $1 } END { printf "%d %.3f %.3f\n", n, s, m }'
}
# check FILE SIDE PORT FILTER LABELS: the gauges of FILE for PORT equal ss's figures, to
# the microsecond ss prints (one per socket in a sum).
check() {
  local file=$1 side=$2 port=$3 filter=$4 extra=$5 n sum max got_sum got_max
  read -r n sum max <<<"$(ss_rtt "$filter")"
  [ "$n" -gt 0 ] || fail "ss shows no established socket for $filter"
  local labels="protocol=\"tcp\",port=\"$port\"$extra"
  got_sum=$(metric_value "netstat_${side}_rtt_current_sum_seconds{$labels}" "$file")
  got_max=$(metric_value "netstat_${side}_rtt_current_max_seconds{$labels}" "$file")
  [ -n "$got_sum" ] && [ -n "$got_max" ] ||
    fail "$file: no RTT series for $side $port ($labels): $(grep rtt_current "$file" || true)"
  awk -v g="$got_sum" -v w="$sum" -v n="$n" -v gm="$got_max" -v wm="$max" -v what="$file $side $port" '
    BEGIN {
      d = g * 1000 - w; if (d < 0) d = -d
      e = gm * 1000 - wm; if (e < 0) e = -e
      if (d > 0.001 * n + 1e-9 || e > 0.001 + 1e-9) {
        printf "FAIL: %s: sum %.6f ms max %.6f ms, ss says sum %s max %s (%d sockets)\n", what, g * 1000, gm * 1000, w, wm, n > "/dev/stderr"
        exit 1
      }
    }' || exit 1
  echo "ok: $file $side $port: $n sockets, sum $sum ms, max $max ms"
}

cat >"$WORK/config.yml" <<YAML
namespaces: {mode: own}
collectors:
  sockets: {remote_ports: [8080], source: SOURCE}
YAML
run() { # run NAME SOURCE MODE: one exporter's scrape into $WORK/NAME.prom
  local name=$1 source=$2 mode=$3
  sed -e "s/SOURCE/$source/" -e "s/mode: own/mode: $mode/" "$WORK/config.yml" >"$WORK/$name.yml"
  if [ "$mode" = own ]; then EXPORTER_PREFIX=(ip netns exec "$NS"); else EXPORTER_PREFIX=(); fi
  start_exporter "$WORK/$name.log" --config.file="$WORK/$name.yml" --collector.disable-defaults \
    --collector.sockets
  "${EXPORTER_PREFIX[@]}" curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/$name.prom"
  kill "$EXPORTER_PID"
  wait "$EXPORTER_PID" 2>/dev/null || true
  promtool_clean "$WORK/$name.prom" "$name scrape"
}

run netlink netlink own
grep -q '^netstat_sockets_source_info{source="netlink"} 1' "$WORK/netlink.prom" ||
  fail "netlink run: $(grep source_info "$WORK/netlink.prom")"
check "$WORK/netlink.prom" port 8080 '( sport = :8080 )' ""
check "$WORK/netlink.prom" port 8443 '( sport = :8443 )' ""
check "$WORK/netlink.prom" remote_port 8080 '( dport = :8080 )' ""
# A port with no connection has no RTT series (the listener of 8443 has no client port).
! grep -q 'rtt_current_sum_seconds{protocol="tcp",port="8443"' <(grep remote_port "$WORK/netlink.prom") ||
  fail "remote port 8443 is not configured, yet has RTT series"

run bpf bpf own
if grep -q '^netstat_sockets_source_info{source="bpf"} 1' "$WORK/bpf.prom"; then
  check "$WORK/bpf.prom" port 8080 '( sport = :8080 )' ""
  check "$WORK/bpf.prom" port 8443 '( sport = :8443 )' ""
  check "$WORK/bpf.prom" remote_port 8080 '( dport = :8080 )' ""
else
  echo "note: BPF counting did not load; the bpf run read netlink: $(grep -m1 'sockets:' "$WORK/bpf.log")"
fi

run all auto all
NSL=",netns=\"$NS\""
check "$WORK/all.prom" port 8080 '( sport = :8080 )' "$NSL"
check "$WORK/all.prom" port 8443 '( sport = :8443 )' "$NSL"
check "$WORK/all.prom" remote_port 8080 '( dport = :8080 )' "$NSL"
# tcp_health's RTT at close (netstat_port_rtt_seconds) against ss -ti just before the
# close: a listener on 9300 with 3 pending connections, in the namespace of an exporter
# with tcp_health; the helper is then killed, which resets the accepted ends. Those sent
# nothing but their SYN-ACK, so nothing moves their smoothed RTT between ss and the close.
EXPORTER_PREFIX=(ip netns exec "$NS")
start_exporter "$WORK/th.log" --collector.disable-defaults --collector.tcp_health
scrape_th() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics"; }
scrape_th >"$WORK/th0.prom"
if grep -q '^netstat_tcp_health_available 1' "$WORK/th0.prom"; then
  start_ns_helper closing "$HELPER" tcp,127.0.0.1,9300,16,3
  sleep 0.2
  read -r n sum max <<<"$(ss_rtt '( sport = :9300 )')"
  expect_eq "accepted ends on 9300" "$n" 3
  in_ns kill "$HPID"
  for _ in $(seq 1 100); do
    scrape_th >"$WORK/th.prom"
    c=$(metric_value 'netstat_port_rtt_seconds_count{protocol="tcp",port="9300"}' "$WORK/th.prom")
    [ "${c:-0}" = 3 ] && break
    sleep 0.1
  done
  expect_eq "RTTs at close on 9300" "${c:-}" 3
  got=$(metric_value 'netstat_port_rtt_seconds_sum{protocol="tcp",port="9300"}' "$WORK/th.prom")
  awk -v g="$got" -v w="$sum" 'BEGIN { d = g * 1000 - w; if (d < 0) d = -d; exit !(d < 0.0005) }' ||
    fail "RTT at close on 9300: sum $got s, ss said $sum ms just before"
  echo "ok: RTT at close on 9300: 3 connections, sum $sum ms as ss said"
else
  echo "note: tcp_health cannot load here; its RTT at close was not compared"
fi
echo "PASS"
