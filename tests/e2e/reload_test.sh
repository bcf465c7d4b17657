#!/usr/bin/env bash
# SIGHUP reloads the config: a good file takes effect, a bad one keeps the running config
# and sets netstat_exporter_config_last_reload_successful 0. Concurrent scrapes all answer.
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
CFG="$WORK/config.yml"

printf 'collectors:\n  snmp: {enabled: true, include: "^Tcp_"}\n' >"$CFG"
start_exporter "$WORK/log" --path.procfs="$SRC/tests/fixtures/proc" \
  --path.sysfs="$SRC/tests/fixtures/sys" --collector.disable-defaults --config.file="$CFG"
fetch /metrics >"$WORK/m1"
grep -q '^netstat_Tcp_ActiveOpens_total ' "$WORK/m1" || fail "include ^Tcp_ not applied"
grep -q '^netstat_Udp_' "$WORK/m1" && fail "Udp fields should be filtered out"

# wait_for PATTERN: until a scrape shows PATTERN (bounded: 5 s).
wait_for() {
  for _ in $(seq 1 50); do
    fetch /metrics >"$WORK/m" && grep -qE "$1" "$WORK/m" && return 0
    sleep 0.1
  done
  fail "no scrape matched /$1/ within 5 s"
}

# A good reload: now Udp only.
printf 'collectors:\n  snmp: {enabled: true, include: "^Udp_"}\n' >"$CFG"
kill -HUP "$EXPORTER_PID"
wait_for '^netstat_Udp_InDatagrams_total '
grep -q '^netstat_Tcp_' "$WORK/m" && fail "old include still applied after reload"
grep -q '^netstat_exporter_config_last_reload_successful 1$' "$WORK/m" || fail "reload gauge 1"

# A bad reload keeps the Udp config running and says so.
printf 'collectors:\n  snmp: {enabled: maybe}\n' >"$CFG"
kill -HUP "$EXPORTER_PID"
wait_for '^netstat_exporter_config_last_reload_successful 0$'
grep -q '^netstat_Udp_InDatagrams_total ' "$WORK/m" || fail "running config lost on bad reload"
grep -q 'reload failed, keeping the running configuration: .*config.yml:2:19: collectors.snmp.enabled' \
  "$WORK/log" || fail "reload error not logged: $(tail -3 "$WORK/log")"

# Recovery, and an interval collector: HELP says it runs in the background.
printf 'collectors:\n  snmp: {enabled: true, include: "^Ip_", interval: 1s}\n' >"$CFG"
kill -HUP "$EXPORTER_PID"
wait_for '^netstat_exporter_config_last_reload_successful 1$'
wait_for '^# HELP netstat_Ip_Forwarding .*every 1s in the background'

# Eight concurrent scrapes all answer 200 with the full body.
for i in $(seq 1 8); do
  fetch /metrics -o "$WORK/c$i" -w '%{http_code}\n' >"$WORK/code$i" &
done
wait $(jobs -p | grep -v "^$EXPORTER_PID$") 2>/dev/null || true
for i in $(seq 1 8); do
  expect_eq "concurrent scrape $i" "$(cat "$WORK/code$i")" 200
  grep -q '^netstat_Ip_Forwarding 2$' "$WORK/c$i" || fail "concurrent scrape $i body"
done
kill -0 "$EXPORTER_PID" || fail "exporter died"
echo "reload: all checks passed"
