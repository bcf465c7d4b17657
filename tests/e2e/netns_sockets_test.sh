#!/usr/bin/env bash
# Sockets truth test: in a fresh network namespace, open a known set of sockets (see
# RunScenario in tests/bench/sock_load.cc), run the exporter there with only the
# sockets collector, once per source (netlink; procfs through a tree whose net/ links to
# /proc/net; bpf: sockets.source bpf, TCP counted in the kernel by BPF, the hash walk),
# and check every count, per-port count and queue sum against what `ss` reports and what
# we created, then the sources against the first one.
# Usage: netns_sockets_test.sh BINARY SOURCE_TREE SOCK_LOAD [SOURCE...]
# (default sources: netlink procfs). Exits 77 (skipped) when bpf is asked for and the
# BPF iterator cannot load here (no BTF, no CAP_BPF/CAP_PERFMON, built without BPF).
BIN=$1
SRC=$2
LOAD=$3
SOURCES=("${@:4}")
[ ${#SOURCES[@]} -gt 0 ] || SOURCES=(netlink procfs)
# shellcheck source=tests/e2e/lib.sh
source "$SRC/tests/e2e/lib.sh"

BASE=7000
new_netns netstat_sock

# `ip netns exec` execs the program, so $! is the program itself (a shell function in
# the background would be a subshell that a kill leaves running).
ip netns exec "$NS" "$LOAD" scenario "$BASE" >"$WORK/load.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q ready "$WORK/load.out" && break; sleep 0.05; done
grep -q ready "$WORK/load.out" || fail "sock_load did not get ready: $(cat "$WORK/load.out")"

for s in netlink bpf; do  # procfs runs with the netlink config: the tree decides
  printf 'collectors:\n  sockets:\n    remote_ports: [%d]\n    source: %s\n' "$BASE" "$s" \
    >"$WORK/$s.yml"
done
# The procfs run: a tree holding only net/ -> /proc/net. It reads the same kernel and
# netns, but has no self/ns/net, so the exporter cannot tell it is real and parses it.
mkdir "$WORK/proc"
ln -s /proc/net "$WORK/proc/net"

# Prometheus series the kernel's view implies, from ss (run before the scrape). The
# scrape itself adds one established connection (both ends): to the exporter's port, its
# only listener.
expected_from_ss() {  # expected_from_ss EXPORTER_PORT EXPORTER_PID
  local own
  own=$(in_ns ss -Htlnp | grep "pid=$2," | awk '{ n = split($4, a, ":"); print a[n] }')
  [ "$own" = "$1" ] || fail "the exporter's listeners should be its port $1 alone: $own"
  {
    for fam in 4 6; do
      in_ns ss -tanH -$fam | sed "s/^/tcp ipv$fam /"
      in_ns ss -uanH -$fam | sed "s/^/udp ipv$fam /"
      in_ns ss -wanH -$fam | sed "s/^/raw ipv$fam /"
    done
    in_ns ss -xanH | sed 's/^/unix unix /'
    echo "tcp ipv4 ESTAB 0 0 127.0.0.1:$1 127.0.0.1:1"
    echo "tcp ipv4 ESTAB 0 0 127.0.0.1:1 127.0.0.1:$1"
  } | awk -v remote="$BASE" -f "$SRC/tests/e2e/ss_to_metrics.awk"
}

# The exposition's samples, without comments and with zero values dropped.
scrape() {  # scrape PORT
  in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3" |
    tr -d '\r' | sed '1,/^$/d'
}

run_source() {  # run_source SOURCE
  local source=$1 procfs=/proc config=$WORK/netlink.yml log="$WORK/$1.log" port pid
  [ "$source" = procfs ] && procfs=$WORK/proc
  [ "$source" = bpf ] && config=$WORK/bpf.yml
  EXPORTER_PREFIX=(ip netns exec "$NS")
  start_exporter "$log" --config.file="$config" --collector.disable-defaults \
    --collector.sockets --path.procfs="$procfs"
  port=$PORT
  pid=$EXPORTER_PID
  sleep 0.2  # let the previous run's connections settle into time_wait
  expected_from_ss "$port" "$pid" | sort >"$WORK/$source.expected"
  scrape "$port" >"$WORK/$source.metrics"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  if [ "$source" = bpf ] && grep -q 'sockets: source bpf: .*reading TCP by netlink instead' "$log"; then
    echo "SKIP: the BPF iterator cannot load here: $(grep -o 'source bpf: [^"]*' "$log" | head -1)"
    exit 77
  fi
  grep -q "^netstat_sockets_source_info{source=\"$source\"} 1$" "$WORK/$source.metrics" ||
    fail "$source: source_info missing: $(grep source_info "$WORK/$source.metrics")"
  grep -q "sockets: reading sockets" "$log" || fail "$source: no log line naming the source"
  grep -E '^netstat_(sockets|socket_receive_queue_bytes|socket_send_queue_bytes|port_connections|remote_port_connections)\{' \
    "$WORK/$source.metrics" | awk '$2 != "0"' | sort >"$WORK/$source.actual"
  diff -u "$WORK/$source.expected" "$WORK/$source.actual" >"$WORK/$source.diff" ||
    fail "$source: exporter differs from ss:\n$(cat "$WORK/$source.diff")"
  check_created "$source" "$port" "$WORK/$source.metrics"
  echo "ok: $source ($(wc -l <"$WORK/$source.actual") non-zero series match ss)"
}

# What RunScenario created, independent of ss.
check_created() {  # check_created SOURCE EXPORTER_PORT METRICS
  local m=$3
  want() { expect_eq "$1: $2" "$(metric_value "$2" "$m")" "$3"; }
  # 3 pairs, and the scrape's own connection (both ends)
  want "$1" 'netstat_sockets{protocol="tcp",family="ipv4",state="established"}' 8
  # 7000 and the exporter's port
  want "$1" 'netstat_sockets{protocol="tcp",family="ipv4",state="listen"}' 2
  want "$1" 'netstat_sockets{protocol="tcp",family="ipv4",state="fin_wait2"}' 1
  want "$1" 'netstat_sockets{protocol="tcp",family="ipv4",state="close_wait"}' 1
  want "$1" 'netstat_sockets{protocol="tcp",family="ipv6",state="established"}' 4
  want "$1" 'netstat_sockets{protocol="tcp",family="ipv6",state="listen"}' 1
  want "$1" 'netstat_sockets{protocol="udp",family="ipv4",state="unconnected"}' 1
  want "$1" 'netstat_sockets{protocol="udp",family="ipv4",state="established"}' 1
  want "$1" 'netstat_sockets{protocol="udp",family="ipv6",state="unconnected"}' 1
  want "$1" 'netstat_sockets{protocol="raw",family="ipv4",state="unconnected"}' 1
  want "$1" 'netstat_sockets{protocol="raw",family="ipv6",state="unconnected"}' 1
  want "$1" 'netstat_sockets{protocol="unix",family="unix",state="listen",kind="stream"}' 1
  want "$1" 'netstat_sockets{protocol="unix",family="unix",state="connected",kind="stream"}' 2
  want "$1" 'netstat_sockets{protocol="unix",family="unix",state="unconnected",kind="dgram"}' 1
  want "$1" 'netstat_socket_receive_queue_bytes{protocol="tcp",family="ipv4",state="established"}' 150
  want "$1" "netstat_port_connections{protocol=\"tcp\",port=\"$BASE\",state=\"established\"}" 3
  want "$1" "netstat_port_connections{protocol=\"tcp\",port=\"$BASE\",state=\"fin_wait2\"}" 1
  want "$1" "netstat_port_connections{protocol=\"tcp\",port=\"$BASE\",state=\"time_wait\"}" 1
  want "$1" "netstat_port_connections{protocol=\"tcp\",port=\"$((BASE + 1))\",state=\"established\"}" 2
  want "$1" "netstat_port_connections{protocol=\"tcp\",port=\"$2\",state=\"established\"}" 1
  want "$1" "netstat_remote_port_connections{protocol=\"tcp\",port=\"$BASE\",state=\"established\"}" 3
  want "$1" "netstat_remote_port_connections{protocol=\"tcp\",port=\"$BASE\",state=\"close_wait\"}" 1
  local udp_q
  udp_q=$(metric_value 'netstat_socket_receive_queue_bytes{protocol="udp",family="ipv4",state="unconnected"}' "$m")
  [ "${udp_q:-0}" -ge 200 ] || fail "$1: udp receive queue $udp_q, want >= 200 (one 200-byte datagram)"
}

for s in "${SOURCES[@]}"; do run_source "$s"; done
# Every source, same kernel, same sockets: the same numbers (the exporter's own port
# differs between the runs, so only the scenario's ports are compared; time_wait grows
# with each run's connections).
for s in "${SOURCES[@]}"; do
  grep -vE 'port="[0-9]+"' "$WORK/$s.actual" | grep -v 'time_wait' >"$WORK/$s.cmp"
  grep -E "port=\"($BASE|$((BASE + 1)))\"" "$WORK/$s.actual" | grep -v 'time_wait' >>"$WORK/$s.cmp"
done
for s in "${SOURCES[@]:1}"; do
  diff -u "$WORK/${SOURCES[0]}.cmp" "$WORK/$s.cmp" || fail "${SOURCES[0]} and $s disagree"
done
echo "PASS (${SOURCES[*]})"
