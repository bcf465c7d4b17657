#!/usr/bin/env bash
# A real Prometheus server scrapes the exporter, with deploy/prometheus/alerts.yml loaded:
# the scrape must be healthy, the metrics queryable, and the UnexpectedListener alert must
# fire for a listener no `expected` rule covers (Prometheus's own port 9090 here), and not
# for the exporter's own listeners, which are never unexpected.
# Runs in a network namespace of its own, on its loopback.
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
new_netns netstat_prom

cat >"$WORK/exporter.yml" <<YAML
collectors:
  listeners:
    expected:
      - {protocol: tcp, port: 22, process: sshd}
YAML
# Started with `ip netns exec` itself (not through a function) so that $! is the process.
ip netns exec "$NS" "$BIN" --web.listen-address=127.0.0.1:10099 --config.file="$WORK/exporter.yml" \
  2>"$WORK/exporter.log" &
PIDS+=($!)

cp "$SRC/deploy/prometheus/alerts.yml" "$WORK/alerts.yml"
cat >"$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [alerts.yml]
scrape_configs:
  - job_name: netstat
    static_configs: [{targets: ["127.0.0.1:10099"]}]
YAML
ip netns exec "$NS" prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address=127.0.0.1:9090 >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)

query() {  # query PROMQL: the JSON answer of an instant query
  in_ns curl -sS --max-time 5 -G "http://127.0.0.1:9090/api/v1/query" --data-urlencode "query=$1"
}

# Bounded waits: at most 60 s in all for Prometheus to start, scrape and evaluate.
deadline=$((SECONDS + 60))
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
echo "prometheus: scrape up, all collectors succeed, UnexpectedListener fires"
