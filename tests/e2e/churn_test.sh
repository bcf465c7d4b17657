#!/usr/bin/env bash
# Churn: in a fresh network namespace, hundreds of short-lived processes listen on TCP
# and UDP over 127.0.0.1 and ::1 and exit after a few ms, while /metrics is scraped
# back to back for ~20 s. Every scrape must answer 200 within 10 s and pass promtool;
# the exporter must live through it, log a bounded number of lines (not one per
# vanished process), and every listener series must be whole: a loopback address, a
# port 1-65535, and a process that is the full name or empty, never the 15-byte comm.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_churner helper
BIN=$1
SRC=$2
CHURNER=$3
source "$SRC/tests/e2e/lib.sh"
SECONDS_TO_RUN=${CHURN_SECONDS:-20}
MAX_CHILDREN=${CHURN_MAX_CHILDREN:-1500}

new_netns netstat_churn

cat >"$WORK/config.yml" <<YAML
paths: {services: $SRC/tests/fixtures/etc/services}
collectors:
  listeners: {labels: [process, user, pid]}
YAML
# The exporter itself runs inside the namespace: netlink and /proc/PID/fd see its sockets.
EXPORTER_PREFIX=(ip netns exec "$NS")
start_exporter "$WORK/log" --config.file="$WORK/config.yml"
LOG_AT_START=$(wc -l <"$WORK/log")

ip netns exec "$NS" "$CHURNER" "$SECONDS_TO_RUN" "$MAX_CHILDREN" >"$WORK/churner.out" 2>&1 &
CHURN_PID=$!
PIDS+=("$CHURN_PID")

check_scrape() {  # check_scrape N: asserts on $WORK/m
  local n=$1 bad
  promtool_clean "$WORK/m" "scrape $n"
  bad=$(grep '^netstat_listener_info{' "$WORK/m" | grep -vE \
    '^netstat_listener_info\{protocol="(tcp|udp)",family="ipv(4|6)",address="(127\.0\.0\.1|::1)",port="([1-9][0-9]{0,4})",interface="",service="[a-z0-9-]*",process="(|netstat_e2e_churner|netstat_exporter)",user="root",pid="[0-9]*"\} 1$' ||
    true)
  [ -z "$bad" ] || fail "scrape $n: malformed listener series: $bad"
  if grep '^netstat_listener_info{' "$WORK/m" | grep -oE 'port="[0-9]+"' | tr -dc '0-9\n' |
    awk '$1 > 65535 { found = 1 } END { exit !found }'; then
    fail "scrape $n: a port above 65535"
  fi
  grep '^netstat_exporter_collector_success' "$WORK/m" | grep -v ' 1$' &&
    fail "scrape $n: a collector failed: $(tail -5 "$WORK/log")"
  return 0
}

SCRAPES=0
MAX_LISTENERS=0
CHURNER_SERIES=0
END=$((SECONDS + SECONDS_TO_RUN))
while [ "$SECONDS" -lt "$END" ] && [ "$SCRAPES" -lt 2000 ]; do
  code=$(ip netns exec "$NS" curl -sS --max-time 10 -o "$WORK/m" -w '%{http_code}' \
    "http://127.0.0.1:$PORT/metrics" 2>"$WORK/curl_err") ||
    fail "scrape $((SCRAPES + 1)): no answer within 10 s: $(cat "$WORK/curl_err")"
  SCRAPES=$((SCRAPES + 1))
  expect_eq "scrape $SCRAPES: status" "$code" 200
  kill -0 "$EXPORTER_PID" 2>/dev/null || fail "the exporter died: $(tail -5 "$WORK/log")"
  check_scrape "$SCRAPES"
  n=$(grep -c '^netstat_listener_info{' "$WORK/m" || true)
  [ "$n" -gt "$MAX_LISTENERS" ] && MAX_LISTENERS=$n
  CHURNER_SERIES=$((CHURNER_SERIES + $(grep -c 'process="netstat_e2e_churner"' "$WORK/m" || true)))
done
wait "$CHURN_PID" || fail "churner failed: $(cat "$WORK/churner.out")"
FORKED=$(awk '$1 == "forked" { print $2 }' "$WORK/churner.out")
kill -0 "$EXPORTER_PID" 2>/dev/null || fail "the exporter died: $(tail -5 "$WORK/log")"

[ "${FORKED:-0}" -ge 200 ] || fail "only ${FORKED:-0} processes forked; the test proves little"
[ "$SCRAPES" -ge 20 ] || fail "only $SCRAPES scrapes in ${SECONDS_TO_RUN} s"
[ "$CHURNER_SERIES" -gt 0 ] || fail "no scrape saw a churning listener with its owner"
LOG_LINES=$(wc -l <"$WORK/log")
NEW_LINES=$((LOG_LINES - LOG_AT_START))
if [ "$NEW_LINES" -gt 5 ] || grep -qE 'level=(warning|error|critical)' "$WORK/log"; then
  cat "$WORK/log"
  fail "$NEW_LINES log lines during the churn (warn/error or one per process)"
fi
tail -n "$NEW_LINES" "$WORK/log"
echo "churn: $FORKED processes forked, $SCRAPES scrapes all 200 and promtool-clean," \
  "up to $MAX_LISTENERS listeners a scrape, $CHURNER_SERIES owned churner series," \
  "$NEW_LINES log lines during the churn"
