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
  listener_events_bench.sh; do
  [ -x "$HERE/$bench" ] || continue
  echo "== $bench" >&2
  "$HERE/$bench" "$BUILD" || status=1
done
# namespaces mode all: cost per namespace, and fds and RSS while namespaces come and go.
echo "== namespaces_bench.sh" >&2
"$HERE/namespaces_bench.sh" "$BUILD" || status=1
exit $status
