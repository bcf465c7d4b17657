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
trap "exit 1" INT TERM # so that the EXIT trap cleans up

# new_netns PREFIX: a fresh network namespace $NS with loopback up; when the test exits,
# everything left in it (all started by the test) is killed and it is deleted.
new_netns() {
  NS="$1_$$"
  ip netns add "$NS"
  trap cleanup_netns EXIT
  ip -n "$NS" link set lo up
}
cleanup_netns() {
  cleanup # stops what the test started (SIGTERM, then waits), removes $WORK
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  ip netns delete "$NS" 2>/dev/null || true
}
in_ns() { ip netns exec "$NS" "$@"; }

# start_helper NAME CMD...: runs CMD in the background (a command that execs the helper,
# so $! is the helper's pid), waits (at most 10 s) for its "ready PID" line; sets HPID.
# start_ns_helper NAME ARGS...: the same inside $NS.
start_helper() {
  local name=$1
  shift
  : >"$WORK/$name.out"
  "$@" >"$WORK/$name.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    HPID=$(awk '$1 == "ready" { print $2 }' "$WORK/$name.out")
    [ -n "$HPID" ] && return 0
    sleep 0.05
  done
  fail "$name did not get ready: $(cat "$WORK/$name.out")"
}
start_ns_helper() {
  local name=$1
  shift
  start_helper "$name" ip netns exec "$NS" "$@"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# start_exporter LOGFILE ARGS...: starts the binary on 127.0.0.1:0, through the command
# words in the array EXPORTER_PREFIX when a test sets one (ip netns exec, setpriv, each of
# which execs, so the pid is the exporter's); sets EXPORTER_PID and PORT from the line it
# logs. Extra ARGS go to the binary.
EXPORTER_PREFIX=()
start_exporter() {
  local log=$1
  shift
  "${EXPORTER_PREFIX[@]}" "$BIN" --web.listen-address=127.0.0.1:0 "$@" 2>"$log" &
  EXPORTER_PID=$!
  PIDS+=("$EXPORTER_PID")
  for _ in $(seq 1 200); do
    PORT=$(grep -o 'port=[0-9]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$PORT" ] && return 0
    kill -0 "$EXPORTER_PID" 2>/dev/null || fail "exporter exited at start: $(cat "$log")"
    sleep 0.05
  done
  fail "exporter did not log its port within 10 s: $(cat "$log")"
}

# promtool_clean FILE WHAT: `promtool check metrics` parses FILE and finds nothing but the
# camelCase of the kernel's snmp names, which SPEC keeps (netstat_Tcp_ActiveOpens_total,
# as node_exporter does).
promtool_clean() {
  local rc=0
  promtool check metrics <"$1" >"$WORK/lint" 2>&1 || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$WORK/lint"; fail "$2: promtool cannot parse it (rc=$rc)"; }
  if grep -vE "^netstat_[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+ metric names should be written in 'snake_case' not 'camelCase'$" \
    "$WORK/lint" | grep -q .; then
    cat "$WORK/lint"
    fail "$2: promtool check metrics found problems"
  fi
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

# start_prometheus TARGET [RULE_FILE...]: a real Prometheus in $NS on 127.0.0.1:9090 that
# scrapes TARGET (host:port) as job "netstat" and evaluates RULE_FILEs (paths relative to
# $WORK), both every second. Its log is $WORK/prometheus.log.
start_prometheus() {
  local target=$1 rules=""
  shift
  if [ $# -gt 0 ]; then rules="rule_files: [$(printf '%s, ' "$@" | sed 's/, $//')]"; fi
  cat >"$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
$rules
scrape_configs:
  - job_name: netstat
    static_configs: [{targets: ["$target"]}]
YAML
  ip netns exec "$NS" prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address=127.0.0.1:9090 >"$WORK/prometheus.log" 2>&1 &
  PIDS+=($!)
}
query() {  # query PROMQL: the JSON answer of an instant query to start_prometheus's server
  in_ns curl -sS --max-time 5 -G "http://127.0.0.1:9090/api/v1/query" --data-urlencode "query=$1"
}
