#!/usr/bin/env bash
# tcp_health overhead on a bulk transfer with 1% loss: one loopback connection moving
# bytes as fast as one process can, with and without the tcp_health programs attached,
# in alternating 250 ms slices (netstat_bench_tcp_health_bulk, as tcp_health_bench.sh does
# for connections). The loss is real: lossy_lo.bpf.c at tc ingress of lo in a fresh
# namespace (netstat_e2e_lossy) drops every 100th data segment the sender sends, so it
# retransmits, and the kernel frees each dropped packet with a reason: the retransmit
# and kfree_skb programs run on the path, not only the per-connection ones.
# Target: bytes per CPU second with >= 98% of without. A lossy transfer's bytes per CPU
# second move by 10-30% from one slice to the next (how recovery goes), hence shorter
# slices and more pairs than for connections, and the programs' own run time (the
# kernel's statistics, on while the toggle runs) beside it: that figure hardly moves.
# The namespace, and the tc filter with it, goes away on exit.
# Table on stdout and in BUILD/bench/tcp_health_bulk_bench.txt.
#   tcp_health_bulk_bench.sh BUILD_DIR [SECONDS]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
SECONDS_EACH=${2:-10}
TOGGLE=$BUILD/tests/bench/netstat_bench_tcp_health_bulk
LOSSY=$BUILD/tests/e2e/netstat_e2e_lossy
OUT=$BUILD/bench/tcp_health_bulk_bench.txt
NS=netstat_bench_thb_$$
PORT=5201
source "$(dirname "$0")/lib.sh"
[ -x "$TOGGLE" ] || fail "$TOGGLE missing (a build without BPF has nothing to measure)"
[ -x "$LOSSY" ] || fail "$LOSSY missing (build the netstat_e2e_lossy target)"
ip netns add "$NS"
ip -n "$NS" link set lo up

# Not in_ns: ip netns exec becomes the filter, so this PID gets the SIGTERM that makes it
# print its count.
ip netns exec "$NS" "$LOSSY" "$PORT" 100 0 >"$WORK/lossy" 2>&1 &
LOSSY_PID=$!
PIDS+=("$LOSSY_PID")
for _ in $(seq 1 100); do grep -q ready "$WORK/lossy" && break; sleep 0.05; done
grep -q ready "$WORK/lossy" || fail "loss filter: $(cat "$WORK/lossy")"

in_ns timeout $((SECONDS_EACH * 2 + 60)) "$TOGGLE" "$PORT" "$SECONDS_EACH" 250 >"$WORK/toggle" ||
  fail "toggle: $(cat "$WORK/toggle")"
stop "$LOSSY_PID"
dropped=$(awk '$1 == "dropped" { print $2 }' "$WORK/lossy")
field() { awk -v k="$1" -v f="$2" '$1 == k { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' "$WORK/toggle"; }
mkdir -p "$(dirname "$OUT")"
{
  echo "tcp_health overhead, bulk transfer ($(date -u +%FT%TZ), $(nproc) cores, kernel $(uname -r))"
  echo "one loopback connection, 1% of the sender's data segments dropped at lo's ingress"
  echo "(${dropped:-?} dropped), ${SECONDS_EACH} s with and without the programs, alternating 250 ms slices"
  printf '%-28s %12s %12s\n' "" "without" "with"
  printf '%-28s %12s %12s\n' "MB per second" "$(field without per_second)" "$(field with per_second)"
  printf '%-28s %12s %12s\n' "MB per CPU second" "$(field without per_cpu_second)" "$(field with per_cpu_second)"
  echo "ratio with/without: wall $(field ratio median_pair_wall), CPU $(field ratio median_pair_cpu)" \
    "(median of slice pairs; target >= 0.980)"
  runs=$(field programs runs)
  [ -z "$runs" ] || awk -v r="$runs" -v ns="$(field programs ns)" -v cpu="$(field with cpu)" 'BEGIN {
    printf "programs: %d runs, %.1f ms, %.2f%% of the CPU time with them\n", r, ns / 1e6, ns / 1e7 / cpu }'
} | tee "$OUT"
awk -v r="$(field ratio median_pair_cpu)" 'BEGIN { exit !(r >= 0.98) }' ||
  echo "MISS: tcp_health costs more than 2% of bulk throughput (CPU ratio $(field ratio median_pair_cpu))" >&2
