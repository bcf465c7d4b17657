#!/usr/bin/env bash
# Every rule under deploy/prometheus has a test in rules_test.yml that sees it work:
# each alert fires at least once (an alert_rule_test with exp_labels), each recording rule
# produces a sample (a promql_expr_test whose exp_samples name it), and rules_test.yml loads
# every rule file prometheus.yml loads. promtool itself only runs the tests that exist.
#   rules_coverage_test.sh SRC
set -euo pipefail
DIR=$1/deploy/prometheus
TEST=$DIR/rules_test.yml
failures=0
missing() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The rule_files list of a file: the "  - NAME" lines right after "rule_files:".
rule_files() { awk '/^rule_files:/ { on = 1; next } on && /^  - / { print $2; next } { on = 0 }' "$1"; }

loaded=$(rule_files "$DIR/prometheus.yml")
[ -n "$loaded" ] || missing "prometheus.yml loads no rule files"
for f in $loaded; do
  [ -f "$DIR/$f" ] || missing "prometheus.yml loads $f, which does not exist"
  rule_files "$TEST" | grep -qxF "$f" || missing "rules_test.yml does not load $f"
done

# Alerts that some alert_rule_test expects to fire: the alertname of a test that lists
# exp_labels (an "exp_alerts: []" test only shows that it stays quiet).
fired=$(awk '/alertname:/ { name = $NF } /exp_labels/ && name != "" { print name }' "$TEST" | sort -u)
recorded=$(grep -oE "labels: '[a-zA-Z_:][a-zA-Z0-9_:]*" "$TEST" | sed "s/labels: '//" | sort -u)
alerts=0
records=0
for f in $loaded; do
  for a in $(sed -nE 's/^ *- alert: *([A-Za-z0-9_]+).*/\1/p' "$DIR/$f"); do
    alerts=$((alerts + 1))
    grep -qxF "$a" <<<"$fired" || missing "alert $a ($f) never fires in rules_test.yml"
  done
  for r in $(sed -nE 's/^ *- record: *([A-Za-z0-9_:]+).*/\1/p' "$DIR/$f"); do
    records=$((records + 1))
    grep -qxF "$r" <<<"$recorded" || missing "recording rule $r ($f) has no exp_samples in rules_test.yml"
  done
done
[ "$alerts" -gt 0 ] && [ "$records" -gt 0 ] || missing "found $alerts alerts and $records recording rules"
[ "$failures" = 0 ] || exit 1
echo "rules coverage: $alerts alerts fire and $records recording rules record in rules_test.yml"
