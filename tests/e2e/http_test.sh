#!/usr/bin/env bash
# HTTP endpoints: landing page, health, gzip, 404, a custom telemetry path, logfmt/JSON
# logs, basic auth with a bcrypt hash, and clean shutdown on SIGTERM.
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
FIX="--path.procfs=$SRC/tests/fixtures/proc --path.sysfs=$SRC/tests/fixtures/sys"

# shellcheck disable=SC2086
start_exporter "$WORK/log" $FIX --collector.disable-defaults --collector.snmp
fetch / >"$WORK/landing"
grep -q '<h1>netstat_exporter</h1>' "$WORK/landing" || fail "landing page: $(cat "$WORK/landing")"
grep -q '<a href="/metrics">' "$WORK/landing" || fail "landing page has no metrics link"
grep -q '<li>snmp</li>' "$WORK/landing" || fail "landing page does not list enabled collectors"
expect_eq healthy "$(fetch /-/healthy)" "Healthy."
expect_eq ready "$(fetch /-/ready)" "Ready."
expect_eq "404 status" "$(fetch /nope -o /dev/null -w '%{http_code}')" 404

fetch /metrics -H 'Accept-Encoding: gzip' -D "$WORK/headers" -o "$WORK/metrics.gz"
grep -qi '^Content-Encoding: gzip' "$WORK/headers" || fail "no gzip when asked"
gzip -dc "$WORK/metrics.gz" >"$WORK/metrics.unzipped"
grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/metrics.unzipped" ||
  fail "gzip body does not hold the snmp metrics"
fetch /metrics -D "$WORK/headers_plain" -o "$WORK/metrics"
grep -qi '^Content-Encoding: gzip' "$WORK/headers_plain" && fail "gzip without being asked"
grep -q '^# TYPE netstat_Tcp_ActiveOpens_total counter$' "$WORK/metrics" || fail "counter type"
grep -q '^netstat_exporter_collector_success{collector="snmp"} 1$' "$WORK/metrics" ||
  fail "collector_success"
grep -q '^netstat_exporter_config_last_reload_successful 1$' "$WORK/metrics" || fail "reload gauge"
grep -q '^netstat_exporter_build_info{.*version=' "$WORK/metrics" || fail "build_info"
for m in process_cpu_seconds_total process_resident_memory_bytes process_virtual_memory_bytes \
  process_open_fds process_max_fds process_start_time_seconds; do
  grep -q "^$m " "$WORK/metrics" || fail "missing $m"
done
# process_* comes from the real /proc/self even though --path.procfs is the fixture tree.
rss=$(metric_value process_resident_memory_bytes "$WORK/metrics")
awk -v r="$rss" 'BEGIN { exit !(r > 1000000) }' || fail "process_resident_memory_bytes=$rss"
# The open fds as the kernel lists them (the size of /proc/PID/fd on 6.2+, a listing
# before): the scrape's own connection may come and go between the two counts.
fds=$(metric_value process_open_fds "$WORK/metrics")
listed=$(ls "/proc/$EXPORTER_PID/fd" | wc -l)
awk -v m="$fds" -v l="$listed" 'BEGIN { exit !(m >= l - 2 && m <= l + 2) }' ||
  fail "process_open_fds=$fds, /proc/$EXPORTER_PID/fd lists $listed"

# Clean shutdown: SIGTERM ends the process with exit 0 and a log line.
kill -TERM "$EXPORTER_PID"
rc=0
wait "$EXPORTER_PID" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc"
grep -q 'level=info msg="signal SIGTERM: shutting down"' "$WORK/log" || fail "logfmt shutdown line"

# A custom telemetry path and JSON logs.
# shellcheck disable=SC2086
start_exporter "$WORK/log2" $FIX --collector.disable-defaults --collector.snmp \
  --web.telemetry-path=/custom --log.format=json
fetch /custom >"$WORK/custom"
grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/custom" || fail "custom telemetry path"
expect_eq "old path" "$(fetch /metrics -o /dev/null -w '%{http_code}')" 404
head -1 "$WORK/log2" >"$WORK/log2_first"
grep -qE '^\{"ts":"[^"]+","level":"info","msg":"listening .*"\}$' "$WORK/log2_first" ||
  fail "json log line: $(head -1 "$WORK/log2")"

# Basic auth: the hash of "secret" made with libcrypt's bcrypt ($2b$, cost 5).
hash='$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a'
printf 'web:\n  basic_auth_users:\n    prometheus: "%s"\n' "$hash" >"$WORK/auth.yml"
# shellcheck disable=SC2086
start_exporter "$WORK/log3" $FIX --collector.disable-defaults --collector.snmp \
  --config.file="$WORK/auth.yml"
expect_eq "no credentials" "$(fetch /metrics -o /dev/null -w '%{http_code}')" 401
expect_eq "wrong password" "$(fetch /metrics -u prometheus:wrong -o /dev/null -w '%{http_code}')" 401
expect_eq "wrong user" "$(fetch /metrics -u root:secret -o /dev/null -w '%{http_code}')" 401
expect_eq "landing without credentials" "$(fetch / -o /dev/null -w '%{http_code}')" 401
expect_eq "good credentials" "$(fetch /metrics -u prometheus:secret -o /dev/null -w '%{http_code}')" 200
expect_eq "cached credentials" "$(fetch /metrics -u prometheus:secret -o /dev/null -w '%{http_code}')" 200
expect_eq "wrong after good" "$(fetch /metrics -u prometheus:nope -o /dev/null -w '%{http_code}')" 401

# IPv6 listen addresses and ":PORT" (every address, v4 and v6) work.
# shellcheck disable=SC2086
start_exporter "$WORK/log4" $FIX --collector.disable-defaults --collector.snmp \
  --web.listen-address='[::1]:0'
expect_eq "ipv6 healthy" "$(curl -sS --max-time 10 "http://[::1]:$PORT/-/healthy")" "Healthy."
curl -sS --max-time 10 "http://[::1]:$PORT/metrics" >"$WORK/m6"
grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/m6" || fail "metrics over IPv6"
# shellcheck disable=SC2086
start_exporter "$WORK/log5" $FIX --collector.disable-defaults --collector.snmp \
  --web.listen-address=':0'
expect_eq "any v4" "$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/-/healthy")" "Healthy."
expect_eq "any v6" "$(curl -sS --max-time 10 "http://[::1]:$PORT/-/healthy")" "Healthy."
# One listening socket per address, and no other: 0.0.0.0 and [::].
expect_eq "the exporter's listening sockets (:PORT)" \
  "$(ss -Hltnp | grep "pid=$EXPORTER_PID," | awk '{ print $4 }' | sort | tr '\n' ' ')" \
  "0.0.0.0:$PORT [::]:$PORT "

# TLS from the web: section, with a throw-away self-signed certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.crt" \
  -days 1 -subj /CN=localhost >/dev/null 2>&1
printf 'web:\n  tls: {cert_file: "%s", key_file: "%s"}\n' "$WORK/tls.crt" "$WORK/tls.key" \
  >"$WORK/tls.yml"
# shellcheck disable=SC2086
start_exporter "$WORK/log6" $FIX --collector.disable-defaults --collector.snmp \
  --config.file="$WORK/tls.yml"
curl -sS --max-time 10 --cacert "$WORK/tls.crt" -H 'Accept-Encoding: gzip' \
  "https://localhost:$PORT/metrics" -o "$WORK/tls.gz"
gzip -dc "$WORK/tls.gz" >"$WORK/tls.metrics"
grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/tls.metrics" || fail "metrics over TLS"
expect_eq "plain HTTP to a TLS port" \
  "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/healthy")" 000
printf 'web:\n  tls: {cert_file: "%s", key_file: "%s"}\n' "$WORK/tls.crt" "$WORK/nope.key" \
  >"$WORK/tls_bad.yml"
rc=0
"$BIN" --web.listen-address=127.0.0.1:0 --config.file="$WORK/tls_bad.yml" 2>"$WORK/tls_err" || rc=$?
[ "$rc" = 1 ] || fail "missing TLS key: exit $rc"
grep -q "nope.key" "$WORK/tls_err" || fail "TLS error does not name the file: $(cat "$WORK/tls_err")"
echo "http: all checks passed"
