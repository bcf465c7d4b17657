#!/usr/bin/env bash
# The command line: --help, --version, --config.check, and one clear line with exit code 2
# for every bad flag or config; a port in use fails start-up with a clear message.
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"

# run_expect CODE PATTERN ARGS...: exit code and one stderr line matching PATTERN.
run_expect() {
  local code=$1 pattern=$2
  shift 2
  local rc=0
  "$BIN" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" = "$code" ] || fail "$*: exit $rc, want $code; stderr: $(cat "$WORK/err")"
  if [ "$code" = 2 ]; then
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "$*: want one line on stderr, got: $(cat "$WORK/err")"
    grep -qE -- "$pattern" "$WORK/err" || fail "$*: stderr '$(cat "$WORK/err")' lacks /$pattern/"
  else
    grep -qE -- "$pattern" "$WORK/out" || fail "$*: stdout lacks /$pattern/: $(head -5 "$WORK/out")"
  fi
}

run_expect 0 '--web.listen-address' --help
for c in snmp; do grep -q "^  $c " "$WORK/out" || fail "--help does not list collector $c"; done
run_expect 0 '^netstat_exporter, version [0-9.]+ \(revision: [0-9a-f]+|unknown\)' --version
grep -q 'compiler: ' "$WORK/out" || fail "--version does not name the compiler"

run_expect 2 'unknown flag --bogus' --bogus
run_expect 2 'unknown collector "nope"' --collector.nope
run_expect 2 'invalid value for --web.listen-address' --web.listen-address=nowhere
run_expect 2 'invalid value for --log.level' --log.level=loud
run_expect 2 'flag --path.procfs needs a value' --path.procfs
run_expect 2 'unexpected argument "stray"' stray
run_expect 2 '/nonexistent.yml: cannot read the config file' --config.file=/nonexistent.yml

printf 'collectors:\n  snmp:\n    enabled: true\n    exclude: "[unclosed"\n' >"$WORK/bad_regex.yml"
run_expect 2 "bad_regex.yml:4:14: collectors.snmp.exclude: invalid regular expression" \
  --config.file="$WORK/bad_regex.yml"
printf 'collectors:\n  snmp: {interval: soon}\n' >"$WORK/bad_duration.yml"
run_expect 2 "bad_duration.yml:2:20: collectors.snmp.interval: invalid duration" \
  --config.file="$WORK/bad_duration.yml"
printf 'web:\n  listen_addres: ":1"\n' >"$WORK/typo.yml"
run_expect 2 "typo.yml:2:3: web.listen_addres: unknown key" --config.file="$WORK/typo.yml"
# A repeated key, at the top and deeper: yaml-cpp would keep one and drop the other.
printf 'collectors:\n  snmp: {enabled: false}\ncollectors:\n  routes: {}\n' >"$WORK/dup.yml"
run_expect 2 "dup.yml:3:1: collectors: duplicate key$" --config.file="$WORK/dup.yml"
run_expect 2 "dup.yml:3:1: collectors: duplicate key$" --config.check --config.file="$WORK/dup.yml"
printf 'collectors:\n  listeners:\n    expected:\n      - {port: 22, port: 23}\n' >"$WORK/dup2.yml"
run_expect 2 "dup2.yml:4:20: collectors.listeners.expected\\[0\\].port: duplicate key$" \
  --config.check --config.file="$WORK/dup2.yml"
printf 'collectors: [snmp\n' >"$WORK/syntax.yml"
run_expect 2 "syntax.yml:[0-9]+:[0-9]+: " --config.file="$WORK/syntax.yml"
run_expect 2 "typo.yml:2:3: web.listen_addres: unknown key" --config.check \
  --config.file="$WORK/typo.yml"

printf 'collectors:\n  snmp: {enabled: true, interval: 30s}\n' >"$WORK/good.yml"
run_expect 0 'is valid; collectors: snmp$' --config.check --config.file="$WORK/good.yml" \
  --collector.disable-defaults
run_expect 0 'built-in defaults' --config.check
# The shipped configs are valid: the example, and the DaemonSet's ConfigMap.
run_expect 0 'is valid' --config.check --config.file="$SRC/config/netstat_exporter.yml"
sed -n '/netstat_exporter.yml: |/,$ { /netstat_exporter.yml: |/d; s/^    //p }' \
  "$SRC/deploy/kubernetes/daemonset.yaml" >"$WORK/configmap.yml"
grep -q 'mode: all' "$WORK/configmap.yml" || fail "no ConfigMap config in the DaemonSet"
run_expect 0 'is valid' --config.check --config.file="$WORK/configmap.yml"

# A port in use: the second exporter must fail at once with a clear message.
start_exporter "$WORK/log1" --collector.disable-defaults --collector.snmp
rc=0
timeout 10 "$BIN" --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults \
  2>"$WORK/bind_err" || rc=$?
[ "$rc" = 1 ] || fail "port in use: exit $rc, want 1"
grep -q "cannot listen on 127.0.0.1:$PORT" "$WORK/bind_err" || fail "bind error: $(cat "$WORK/bind_err")"
echo "cli: all checks passed"
