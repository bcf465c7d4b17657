#!/usr/bin/env bash
# Golden end-to-end test: the binary against the fixture tree (tests/fixtures/{proc,sys}),
# /metrics compared with tests/e2e/golden.prom after removing what changes between runs
# (the exporter's own process and timing metrics, build info), then `promtool check metrics` on the whole output.
# Regenerate after an intended change: UPDATE_GOLDEN=1 ctest -R e2e_golden
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"

GOLDEN="$SRC/tests/e2e/golden.prom"
# Built-in defaults, except the services file, which the fixture tree brings.
printf 'paths: {services: "%s"}\n' "$SRC/tests/fixtures/etc/services" >"$WORK/golden.yml"
start_exporter "$WORK/log" --path.procfs="$SRC/tests/fixtures/proc" \
  --path.sysfs="$SRC/tests/fixtures/sys" --config.file="$WORK/golden.yml"
fetch /metrics >"$WORK/metrics"

grep -vE '^(# (HELP|TYPE) )?(process_|netstat_exporter_build_info|netstat_exporter_collector_duration_seconds|netstat_exporter_config_last_reload_success_timestamp_seconds)' \
  "$WORK/metrics" >"$WORK/filtered"

if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
  cp "$WORK/filtered" "$GOLDEN"
  echo "golden file updated: $GOLDEN"
fi
if ! diff -u "$GOLDEN" "$WORK/filtered" >"$WORK/diff"; then
  head -80 "$WORK/diff"
  fail "/metrics differs from $GOLDEN (UPDATE_GOLDEN=1 regenerates it)"
fi

# Every collector must have succeeded on the fixture tree.
if grep '^netstat_exporter_collector_success' "$WORK/metrics" | grep -v ' 1$'; then
  fail "a collector failed on the fixture tree: $(cat "$WORK/log")"
fi

promtool_clean "$WORK/metrics" "/metrics"
echo "golden: $(grep -vc '^#' "$WORK/filtered") samples match; promtool clean"
