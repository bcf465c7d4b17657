#!/usr/bin/env bash
# Request sockets (a SYN received, the handshake not finished) are reported by inet_diag
# as syn_recv, and sockets.source bpf must count them the same way: in a fresh netns, a
# listener gets three hand-made SYNs from an address behind a veth whose other end is in
# a second, silent netns, so the SYN-ACKs are never answered; ss, source netlink and
# source bpf must all see three syn_recv sockets on that port.
# Usage: netns_sockets_requests_test.sh BINARY SOURCE_TREE SOCK_LOAD
# Exits 77 (skipped) when BPF cannot load here.
BIN=$1
SRC=$2
LOAD=$3
# shellcheck source=tests/e2e/lib.sh
source "$SRC/tests/e2e/lib.sh"

PORT_UNDER_TEST=7100
new_netns netstat_synrecv
PEER=${NS}_peer
ip netns add "$PEER"
trap 'cleanup_netns; ip netns delete "$PEER" 2>/dev/null || true' EXIT
ip -n "$NS" link add v0 type veth peer name v1 netns "$PEER"
ip -n "$NS" addr add 10.0.0.1/24 dev v0
ip -n "$NS" link set v0 up
ip -n "$PEER" link set v1 up # no address: the SYN-ACKs to 10.0.0.2 end there
in_ns sh -c 'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done'

ip netns exec "$NS" "$LOAD" synrecv "$PORT_UNDER_TEST" 10.0.0.2 10.0.0.1 3 >"$WORK/load.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q ready "$WORK/load.out" && break; sleep 0.05; done
grep -q ready "$WORK/load.out" || fail "sock_load did not get ready: $(cat "$WORK/load.out")"
SS=$(in_ns ss -Htan state syn-recv | wc -l)
expect_eq "ss: syn-recv sockets" "$SS" 3

for source in netlink bpf; do
  printf 'collectors:\n  sockets: {source: %s}\n' "$source" >"$WORK/$source.yml"
  ip netns exec "$NS" "$BIN" --once --config.file="$WORK/$source.yml" --collector.disable-defaults \
    --collector.sockets >"$WORK/$source.prom" 2>"$WORK/$source.log" ||
    fail "$source: exporter failed: $(cat "$WORK/$source.log")"
  if [ "$source" = bpf ] && grep -q 'source bpf: .*reading TCP by netlink instead' "$WORK/bpf.log"; then
    echo "SKIP: BPF cannot load here: $(grep -o 'source bpf: [^"]*' "$WORK/bpf.log" | head -1)"
    exit 77
  fi
  m=$WORK/$source.prom
  expect_eq "$source: source_info" \
    "$(metric_value "netstat_sockets_source_info{source=\"$source\"}" "$m")" 1
  expect_eq "$source: syn_recv" \
    "$(metric_value 'netstat_sockets{protocol="tcp",family="ipv4",state="syn_recv"}' "$m")" 3
  expect_eq "$source: new_syn_recv" \
    "$(metric_value 'netstat_sockets{protocol="tcp",family="ipv4",state="new_syn_recv"}' "$m")" 0
  expect_eq "$source: port syn_recv" "$(metric_value \
    "netstat_port_connections{protocol=\"tcp\",port=\"$PORT_UNDER_TEST\",state=\"syn_recv\"}" "$m")" 3
  echo "ok: $source counts 3 request sockets as syn_recv"
done
echo "PASS"
