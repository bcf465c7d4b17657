# Shared helpers for the end-to-end tests: start the real binary, fetch, assert, clean up.
# Source it after setting BIN (the binary) and SRC (the source tree).
set -euo pipefail

WORK=$(mktemp -d /tmp/netstat_e2e.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# start_exporter LOGFILE ARGS...: starts the binary on 127.0.0.1:0, sets EXPORTER_PID and
# PORT from the line it logs. Extra ARGS go to the binary.
start_exporter() {
  local log=$1
  shift
  "$BIN" --web.listen-address=127.0.0.1:0 "$@" 2>"$log" &
  EXPORTER_PID=$!
  PIDS+=("$EXPORTER_PID")
  for _ in $(seq 1 100); do
    PORT=$(grep -o 'port=[0-9]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$PORT" ] && return 0
    kill -0 "$EXPORTER_PID" 2>/dev/null || fail "exporter exited at start: $(cat "$log")"
    sleep 0.05
  done
  fail "exporter did not log its port within 5 s: $(cat "$log")"
}

fetch() {  # fetch PATH [curl args...]
  local path=$1
  shift
  curl -sS --max-time 10 "$@" "http://127.0.0.1:$PORT$path"
}

# metric_value NAME_WITH_LABELS FILE: the value of one exact series, or empty.
metric_value() {
  awk -v k="$1" '$1 == k { print $2 }' "$2"
}

expect_eq() {  # expect_eq WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
