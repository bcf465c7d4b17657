#!/usr/bin/env bash
# A real Prometheus server scrapes the exporter, with deploy/prometheus/rules.yml and
# alerts.yml loaded: the scrape must be healthy, the metrics queryable, and the
# UnexpectedListener alert must fire for a listener no `expected` rule covers (Prometheus's
# own port 9090 here), and not for the exporter's own listeners, which are never unexpected.
# Then a real accept queue overflow: a listener with backlog 1 that never accepts, its
# queue filled, and a burst of connects whose SYNs the kernel drops;
# netstat_TcpExt_ListenOverflows_total must rise in a scrape, and ListenQueueOverflowing
# (through the recording rule) and ListenerQueueNearlyFull must fire.
# Runs in a network namespace of its own, on its loopback.
#
# The rules are the shipped ones, except that every `for:` becomes 1s in the test's copy of
# alerts.yml (the sed below): this test shows that the expressions catch the real thing;
# the durations are rules_test.yml's to test (promtool test rules).
#   prometheus_test.sh BIN SRC LISTENER_HELPER
BIN=$1
SRC=$2
HELPER=$3
source "$SRC/tests/e2e/lib.sh"
new_netns netstat_prom
OVERFLOW_PORT=7777

cat >"$WORK/exporter.yml" <<YAML
collectors:
  listeners:
    expected:
      - {protocol: tcp, port: 22, process: sshd}
YAML
# Backlog 1: the accept queue holds 2 (the kernel allows one more than the backlog); the
# helper fills it with 2 connections it never accepts.
ip netns exec "$NS" "$HELPER" "tcp,127.0.0.1,$OVERFLOW_PORT,1,2" >"$WORK/helper.out" &
PIDS+=($!)
# Started with `ip netns exec` itself (not through a function) so that $! is the process.
ip netns exec "$NS" "$BIN" --web.listen-address=127.0.0.1:10099 --config.file="$WORK/exporter.yml" \
  2>"$WORK/exporter.log" &
PIDS+=($!)

cp "$SRC/deploy/prometheus/rules.yml" "$WORK/rules.yml"
sed -E 's/^( +for:) .*/\1 1s/' "$SRC/deploy/prometheus/alerts.yml" >"$WORK/alerts.yml"
grep -E '^ +for:' "$WORK/alerts.yml" | grep -qv 'for: 1s$' &&
  fail "the test's copy of alerts.yml still has a long for:"
start_prometheus 127.0.0.1:10099 rules.yml alerts.yml

# Bounded waits: at most 50 s in all for Prometheus to start, scrape and evaluate.
deadline=$((SECONDS + 50))
ok=""
while [ $SECONDS -lt $deadline ]; do
  query 'up{job="netstat"}' >"$WORK/up.json" 2>/dev/null || true
  if grep -q '"value":\[[0-9.]*,"1"\]' "$WORK/up.json"; then ok=1; break; fi
  sleep 0.5
done
[ -n "$ok" ] || fail "Prometheus never saw the exporter up: $(tail -5 "$WORK/prometheus.log")"

query 'netstat_exporter_collector_success' >"$WORK/success.json"
for c in sockets listeners snmp interfaces routes multicast; do
  grep -q "\"collector\":\"$c\"" "$WORK/success.json" || fail "no collector_success for $c"
done
grep -q '"0"\]' "$WORK/success.json" && fail "a collector fails under Prometheus: $(cat "$WORK/success.json")"

ok=""
while [ $SECONDS -lt $deadline ]; do
  in_ns curl -sS --max-time 5 http://127.0.0.1:9090/api/v1/alerts >"$WORK/alerts.json" || true
  if grep -q '"alertname":"UnexpectedListener"' "$WORK/alerts.json" &&
    grep -q '"port":"9090"' "$WORK/alerts.json" &&
    grep -q '"process":"prometheus"' "$WORK/alerts.json" &&
    grep -q '"state":"firing"' "$WORK/alerts.json"; then
    ok=1
    break
  fi
  sleep 0.5
done
[ -n "$ok" ] || fail "UnexpectedListener did not fire for Prometheus's port: $(cat "$WORK/alerts.json")"
grep -q '"process":"netstat_exporter"' "$WORK/alerts.json" &&
  fail "UnexpectedListener fired for the exporter's own listener: $(cat "$WORK/alerts.json")"

# The overflow. Each connect's SYN finds the accept queue full and is dropped
# (ListenOverflows +1); `timeout` ends each client before it retransmits for long. One bash
# in the namespace runs the 40 clients at once and waits for its own children only.
grep -q '^ready' "$WORK/helper.out" || fail "the listener helper is not ready: $(cat "$WORK/helper.out")"
overflows() {
  in_ns curl -sS --max-time 5 http://127.0.0.1:10099/metrics >"$WORK/metrics"
  metric_value netstat_TcpExt_ListenOverflows_total "$WORK/metrics"
}
before=$(overflows)
[ -n "$before" ] || fail "no netstat_TcpExt_ListenOverflows_total in a scrape"
in_ns timeout 10 bash -c "for i in \$(seq 40); do
    timeout 0.5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$OVERFLOW_PORT' 2>/dev/null &
  done
  wait" || true
after=$(overflows)
awk -v a="$after" -v b="$before" 'BEGIN { exit !(a > b) }' ||
  fail "40 connects to a full accept queue: ListenOverflows $before -> $after"

# wait_firing PROMQL WHAT: waits, within the deadline, until the ALERTS query has a result.
wait_firing() {
  while [ $SECONDS -lt $deadline ]; do
    query "$1" >"$WORK/alert.json" 2>/dev/null || true
    grep -q '"result":\[{' "$WORK/alert.json" && return 0
    sleep 0.5
  done
  in_ns curl -sS --max-time 5 http://127.0.0.1:9090/api/v1/alerts >"$WORK/alerts.json" || true
  fail "$2 did not fire: $(cat "$WORK/alerts.json")"
}
wait_firing 'ALERTS{alertname="ListenQueueOverflowing",alertstate="firing"}' ListenQueueOverflowing
wait_firing "ALERTS{alertname=\"ListenerQueueNearlyFull\",alertstate=\"firing\",port=\"$OVERFLOW_PORT\"}" \
  "ListenerQueueNearlyFull for port $OVERFLOW_PORT"
echo "prometheus: scrape up, all collectors succeed, UnexpectedListener fires;" \
  "ListenOverflows $before -> $after; ListenQueueOverflowing and ListenerQueueNearlyFull fire"
