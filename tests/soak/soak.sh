#!/usr/bin/env bash
# make soak: the exporter for SOAK_SECONDS (default 1800) on the live kernel with every
# collector and `namespaces: {mode: all}`, scraped every second, while
#   - network namespaces come and go (one made every 10 s with a listener in it, the
#     oldest deleted past 6),
#   - short-lived processes listen and exit (netstat_e2e_churner, 16 at a time),
#   - a SIGHUP arrives every minute (the config alternates between two files).
# RSS, open fds and threads are sampled each minute and printed as a table. It fails when
# a scrape fails, the exporter dies, or the last sample is not flat against the one after
# the first minute (RSS within 25% + 4 MB, fds within 16, threads equal).
#   tests/soak/soak.sh BUILD_DIR [SECONDS]
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SECONDS_TOTAL=${2:-${SOAK_SECONDS:-1800}}
BIN=$BUILD/netstat_exporter
CHURN=$BUILD/tests/e2e/netstat_e2e_churner
LISTENER=$BUILD/tests/e2e/netstat_e2e_listener
WORK=$(mktemp -d /tmp/netstat_soak.XXXXXX)
NSES=()
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  for ns in "${NSES[@]:-}"; do
    [ -n "$ns" ] || continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "soak: FAIL: $*" >&2
  exit 1
}
for f in "$BIN" "$CHURN" "$LISTENER"; do [ -x "$f" ] || fail "$f is not built (make build)"; done

printf 'namespaces: {mode: all}\ncollectors:\n  process_sockets: {interval: 10s}\n' >"$WORK/a.yml"
printf 'namespaces: {mode: all}\ncollectors:\n  process_sockets: {interval: 15s}\n  routes: {all: true}\n' >"$WORK/b.yml"
cp "$WORK/a.yml" "$WORK/config.yml"
"$BIN" --web.listen-address=127.0.0.1:0 --config.file="$WORK/config.yml" 2>"$WORK/log" &
EXPORTER=$!
PIDS+=("$EXPORTER")
PORT=""
for _ in $(seq 1 200); do
  PORT=$(grep -o 'port=[0-9]*' "$WORK/log" | head -1 | cut -d= -f2 || true)
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || fail "the exporter did not start: $(cat "$WORK/log")"

add_ns() {  # a namespace with loopback up and a listener in it
  local ns=soak_$$_$1
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" "$LISTENER" tcp,127.0.0.1,8080,16,0 udp,::1,5353 >/dev/null &
  PIDS+=("$!")
  NSES+=("$ns")
}
del_oldest_ns() {
  local ns=${NSES[0]}
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  ip netns delete "$ns" 2>/dev/null || true
  NSES=("${NSES[@]:1}")
}
sample() {  # MINUTE: one table row
  local st=/proc/$EXPORTER/status
  printf '%6s %10s %10s %6s %8s %8s\n' "$1" "$(awk '/^VmRSS/ { print $2 }' "$st")" \
    "$(awk '/^VmHWM/ { print $2 }' "$st")" "$(ls "/proc/$EXPORTER/fd" | wc -l)" \
    "$(awk '/^Threads/ { print $2 }' "$st")" "$SCRAPES"
}

SCRAPES=0
printf '%6s %10s %10s %6s %8s %8s\n' minute rss_kB peak_kB fds threads scrapes | tee "$WORK/table"
sample 0 | tee -a "$WORK/table"
start=$(date +%s)
n=0
churner=""
while :; do
  now=$(date +%s)
  elapsed=$((now - start))
  [ "$elapsed" -ge "$SECONDS_TOTAL" ] && break
  kill -0 "$EXPORTER" 2>/dev/null || fail "the exporter died: $(tail -5 "$WORK/log")"
  code=$(curl -s --max-time 10 -o "$WORK/m" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics" || true)
  [ "$code" = 200 ] || fail "scrape at ${elapsed}s answered $code"
  SCRAPES=$((SCRAPES + 1))
  if [ -z "$churner" ] || ! kill -0 "$churner" 2>/dev/null; then
    "$CHURN" 60 100000 >/dev/null &
    churner=$!
    PIDS+=("$churner")
  fi
  if [ $((n % 10)) = 0 ]; then
    add_ns "$n"
    [ "${#NSES[@]}" -gt 6 ] && del_oldest_ns
  fi
  if [ $((n % 60)) = 59 ]; then
    if cmp -s "$WORK/config.yml" "$WORK/a.yml"; then cp "$WORK/b.yml" "$WORK/config.yml"; else cp "$WORK/a.yml" "$WORK/config.yml"; fi
    kill -HUP "$EXPORTER"
    sleep 1
    sample $(((n + 1) / 60)) | tee -a "$WORK/table"
  fi
  n=$((n + 1))
  sleep 1
done
kill -0 "$EXPORTER" 2>/dev/null || fail "the exporter died: $(tail -5 "$WORK/log")"
reloads=$(grep -c 'configuration reloaded' "$WORK/log" || true)
echo "soak: ${elapsed}s, $SCRAPES scrapes, $reloads reloads, $(grep -c 'level=error' "$WORK/log" || true) error lines"
# Flat: the last row against the row after the first minute (start-up and first
# allocations done).
read -r _ rss1 _ fd1 th1 _ < <(sed -n 3p "$WORK/table")
read -r _ rss2 _ fd2 th2 _ < <(tail -1 "$WORK/table")
[ -n "${rss1:-}" ] || fail "too short for a verdict (needs two minutes)"
awk -v a="$rss1" -v b="$rss2" 'BEGIN { exit !(b <= a * 1.25 + 4096) }' || fail "RSS grew: $rss1 -> $rss2 kB"
[ $((fd2 - fd1)) -le 16 ] || fail "fds grew: $fd1 -> $fd2"
[ "$th1" = "$th2" ] || fail "threads changed: $th1 -> $th2"
echo "soak: flat (RSS $rss1 -> $rss2 kB, fds $fd1 -> $fd2, threads $th1 -> $th2)"
