#!/usr/bin/env bash
# `make bench`: every benchmark under tests/bench against the build in $1 (default
# build). Each writes its table to BUILD/bench/*.txt as well as stdout. Needs root
# (network namespaces).
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
# Profile the largest sockets run too when perf is there (PERF=0 to skip).
export PERF=${PERF:-1}
status=0
for bench in sockets_bench.sh sockets_bpf_bench.sh listeners_bench.sh process_sockets_bench.sh \
  listener_events_bench.sh tcp_health_bench.sh tcp_health_bulk_bench.sh; do
  [ -x "$HERE/$bench" ] || continue
  echo "== $bench" >&2
  "$HERE/$bench" "$BUILD" || status=1
done
# namespaces mode all: cost per namespace, and fds and RSS while namespaces come and go.
echo "== namespaces_bench.sh" >&2
"$HERE/namespaces_bench.sh" "$BUILD" || status=1
# Per-namespace netstat -s (snmp in mode all): ms and series per namespace.
echo "== namespaces_snmp_bench.sh" >&2
"$HERE/namespaces_snmp_bench.sh" "$BUILD" || status=1
# The same at 1,000 namespaces (goal: the walk <= 20 ms), without the churn and in fewer
# rounds: the per-namespace ways take seconds a scrape there.
echo "== namespaces_bench.sh 1000" >&2
cp "$BUILD/bench/namespaces_bench.txt" "$BUILD/bench/namespaces_bench_100.txt" 2>/dev/null || true
ROUNDS=7 "$HERE/namespaces_bench.sh" "$BUILD" 1000 0 || status=1
cp "$BUILD/bench/namespaces_bench.txt" "$BUILD/bench/namespaces_bench_1000.txt" 2>/dev/null || true
exit $status
