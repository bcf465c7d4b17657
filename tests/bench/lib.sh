# Shared by the benchmarks: a fresh netns named NS (set NS before sourcing), a work dir,
# cleanup of everything started, and median timing. Needs root.
NS=${NS:?set NS before sourcing lib.sh}
WORK=$(mktemp -d /tmp/netstat_bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  ip netns delete "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# time_cmd RUNS CMD...: median wall seconds of CMD, output discarded.
time_cmd() {
  local runs=$1
  shift
  for _ in $(seq 1 "$runs"); do
    local t0 t1
    t0=$(now)
    "$@" >/dev/null 2>&1
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
  done | median
}

# grow_to N: starts `$LOAD pairs` processes of at most PER_PROCESS connections each in NS
# until N connections are held (the scripts set LOAD and PER_PROCESS).
LOADERS=0
CONNECTIONS=0
grow_to() {
  while [ "$CONNECTIONS" -lt "$1" ]; do
    local n=$(($1 - CONNECTIONS))
    [ "$n" -gt "$PER_PROCESS" ] && n=$PER_PROCESS
    ip netns exec "$NS" "$LOAD" pairs $((20000 + LOADERS)) "$n" >"$WORK/load.$LOADERS" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 1200); do grep -q ready "$WORK/load.$LOADERS" && break; sleep 0.05; done
    grep -q ready "$WORK/load.$LOADERS" || fail "load $LOADERS: $(cat "$WORK/load.$LOADERS")"
    LOADERS=$((LOADERS + 1))
    CONNECTIONS=$((CONNECTIONS + n))
  done
  sleep 0.5 # the last handshakes settle
}

# exporter_in_ns LOG ARGS...: starts $BIN in NS on 127.0.0.1:0 with ARGS, logging to LOG;
# sets EXP_PID and EXP_URL once it listens, and scrapes once to warm it up.
exporter_in_ns() {
  local log=$1 port=""
  shift
  : >"$log"
  ip netns exec "$NS" "$BIN" --web.listen-address=127.0.0.1:0 "$@" 2>"$log" &
  EXP_PID=$!
  PIDS+=("$EXP_PID")
  for _ in $(seq 1 100); do
    port=$(grep -o 'port=[0-9]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || fail "exporter ($*) did not start: $(cat "$log")"
  EXP_URL=http://127.0.0.1:$port/metrics
  in_ns curl -sS -o /dev/null --max-time 120 "$EXP_URL" # warm-up
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
