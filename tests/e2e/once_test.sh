#!/usr/bin/env bash
# --once[=FILE]: one collection on the fixture tree, no port bound. The output passes
# `promtool check metrics`, has the family set of a /metrics scrape of the same config and,
# filtered as golden_test.sh filters, equals tests/e2e/golden.prom. --once=FILE replaces
# the file by rename only (a reader never sees a partial file; no temporary is left); an
# unwritable directory gives exit 1 and one line naming the file; a failing collector exit 1;
# `interval:` collectors run once without waiting. The textfile timer example in
# deploy/textfile/ passes `systemd-analyze verify`.
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
command -v strace >/dev/null || fail "strace missing"

FIX=$SRC/tests/fixtures
printf 'paths: {services: "%s"}\n' "$FIX/etc/services" >"$WORK/config.yml"
ARGS=(--path.procfs="$FIX/proc" --path.sysfs="$FIX/sys" --config.file="$WORK/config.yml")

# once OUT ERR ARGS...: runs the binary with ARGS, sets RC.
once() {
  local out=$1 err=$2
  shift 2
  RC=0
  "$BIN" "$@" >"$out" 2>"$err" || RC=$?
}
families() { sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$1" | sort; }

# 1. stdout: clean, the golden content, and no socket ever listened on.
# LeakSanitizer cannot run under ptrace: the sanitizer build checks leaks elsewhere.
NO_LSAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
ASAN_OPTIONS=$NO_LSAN strace -f -qq -e trace=listen,bind,connect -o "$WORK/trace" "$BIN" --once "${ARGS[@]}" \
  >"$WORK/once.prom" 2>"$WORK/once.err" || fail "--once: exit $?: $(cat "$WORK/once.err")"
promtool_clean "$WORK/once.prom" "--once"
if grep -E 'listen\(|bind\(.*AF_INET' "$WORK/trace"; then fail "--once listened on a socket"; fi
grep -vE '^(# (HELP|TYPE) )?(process_|netstat_exporter_build_info|netstat_exporter_collector_duration_seconds|netstat_exporter_config_last_reload_success_timestamp_seconds)' \
  "$WORK/once.prom" >"$WORK/filtered"
diff -u "$SRC/tests/e2e/golden.prom" "$WORK/filtered" >"$WORK/diff" ||
  fail "--once differs from golden.prom: $(head -40 "$WORK/diff")"
for f in netstat_exporter_build_info process_cpu_seconds_total process_resident_memory_bytes \
  process_open_fds netstat_exporter_config_last_reload_successful; do
  grep -q "^# TYPE $f " "$WORK/once.prom" || fail "--once lacks $f"
done

# 2. The same families as /metrics.
start_exporter "$WORK/log" "${ARGS[@]}"
fetch /metrics >"$WORK/scrape.prom"
families "$WORK/scrape.prom" >"$WORK/fam_scrape"
families "$WORK/once.prom" >"$WORK/fam_once"
diff -u "$WORK/fam_scrape" "$WORK/fam_once" >"$WORK/diff" ||
  fail "families of --once and /metrics differ: $(cat "$WORK/diff")"

# 3. --once=FILE over an existing file while a reader reads it without pause: every read
# is the old file or a whole new one (its last family, process_max_fds, at the end).
OUT=$WORK/tf/netstat.prom
mkdir "$WORK/tf"
echo "old 1" >"$OUT"
(
  reads=0
  while [ ! -e "$WORK/stop" ]; do
    c=$(cat "$OUT")
    reads=$((reads + 1))
    [ "$c" = "old 1" ] || [[ $c == "# HELP"*$'\n'"process_max_fds "* ]] || printf '%s\n--\n' "$c" >>"$WORK/partial"
  done
  echo "$reads" >"$WORK/reads"
) &
READER=$!
PIDS+=("$READER")
for i in $(seq 1 15); do
  if [ "$i" = 1 ]; then
    ASAN_OPTIONS=$NO_LSAN strace -f -qq -e trace=openat,rename,renameat,renameat2 -o "$WORK/trace" \
      "$BIN" --once="$OUT" "${ARGS[@]}" 2>"$WORK/err" || fail "--once=FILE: exit $?: $(cat "$WORK/err")"
  else
    "$BIN" --once="$OUT" "${ARGS[@]}" 2>"$WORK/err" || fail "--once=FILE: exit $?: $(cat "$WORK/err")"
  fi
done
touch "$WORK/stop"
wait "$READER"
[ ! -e "$WORK/partial" ] || fail "a reader saw a partial file: $(head -c 600 "$WORK/partial")"
[ "$(cat "$WORK/reads")" -gt 15 ] || fail "the reader read only $(cat "$WORK/reads") times"
! grep -vE '^ts=[^ ]+ level=(info|debug) ' "$WORK/err" || fail "--once=FILE complained on stderr"
expect_eq "files left in the directory" "$(ls -A "$WORK/tf")" netstat.prom
promtool_clean "$OUT" "--once=FILE"
families "$OUT" | diff -q - "$WORK/fam_once" >/dev/null || fail "--once=FILE has other families than --once"
# The file itself is never opened for writing; a temporary beside it is renamed over it.
if grep -E "openat\(.*\"$OUT\".*O_(WRONLY|RDWR)" "$WORK/trace"; then fail "FILE opened for writing"; fi
grep -qE "openat\(.*\"$WORK/tf/\.netstat\.prom\.tmp\.[0-9]+\", O_WRONLY\|O_CREAT\|O_EXCL" "$WORK/trace" ||
  fail "no temporary file created beside FILE: $(grep tf/ "$WORK/trace")"
grep -qE "rename(at2?)?\(.*\.netstat\.prom\.tmp\.[0-9]+\", .*\"$OUT\"" "$WORK/trace" ||
  fail "the temporary was not renamed over FILE: $(grep -E 'rename' "$WORK/trace")"
[ "$(stat -c %a "$OUT")" = 644 ] || [ "$(umask)" != 0022 ] || fail "FILE mode $(stat -c %a "$OUT"), want 644"

# 4. Write failures: exit 1, one line naming the file, the old file untouched.
once "$WORK/o" "$WORK/e" --once="$WORK/missing/dir/netstat.prom" "${ARGS[@]}"
expect_eq "--once into a missing directory: exit" "$RC" 1
# one_error WHAT: exactly one line of $WORK/e is the error (the log may add info lines).
one_error() {
  expect_eq "$1: error lines" "$(grep -c '^netstat_exporter: ' "$WORK/e")" 1
  ! grep -vE '^(netstat_exporter: |ts=[^ ]+ level=info )' "$WORK/e" || fail "$1: more on stderr"
}
one_error "--once into a missing directory"
grep -q "netstat_exporter: cannot write $WORK/missing/dir/netstat.prom: .*No such file or directory" \
  "$WORK/e" || fail "unclear error: $(cat "$WORK/e")"
mkdir "$WORK/ro" && echo "old 1" >"$WORK/ro/netstat.prom"
# nobody reads a copy of the fixtures: the source tree may sit where only root can read
# (/root in a fresh chroot).
cp -r "$FIX" "$WORK/fixtures" && chmod -R a+rX "$WORK/fixtures"
printf 'paths: {services: "%s"}\n' "$WORK/fixtures/etc/services" >"$WORK/nobody.yml"
chmod 0755 "$WORK" "$WORK/ro" && chmod 0644 "$WORK/config.yml" "$WORK/nobody.yml"
RC=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --once="$WORK/ro/netstat.prom" \
  --path.procfs="$WORK/fixtures/proc" --path.sysfs="$WORK/fixtures/sys" \
  --config.file="$WORK/nobody.yml" >"$WORK/o" 2>"$WORK/e" || RC=$?
expect_eq "--once into an unwritable directory: exit" "$RC" 1
one_error "--once into an unwritable directory"
grep -q "netstat_exporter: cannot write $WORK/ro/netstat.prom: creating .*Permission denied" "$WORK/e" ||
  fail "unclear error: $(cat "$WORK/e")"
expect_eq "the old file after a failed write" "$(cat "$WORK/ro/netstat.prom")" "old 1"
expect_eq "files left after a failed write" "$(ls -A "$WORK/ro")" netstat.prom
once /dev/full "$WORK/e" --once "${ARGS[@]}"
expect_eq "--once to a full stdout: exit" "$RC" 1
grep -q "cannot write the metrics to stdout" "$WORK/e" || fail "unclear error: $(cat "$WORK/e")"

# 5. Usage errors: exit 2, one line.
for bad in "--once=" "--once $WORK/x.prom"; do
  # shellcheck disable=SC2086
  once "$WORK/o" "$WORK/e" $bad "${ARGS[@]}"
  expect_eq "$bad: exit" "$RC" 2
  expect_eq "$bad: stderr lines" "$(wc -l <"$WORK/e")" 1
done

# 6. A collector fails (interfaces without /proc/net/dev): exit 1, the others still written.
cp -a "$FIX/proc" "$WORK/proc"
rm "$WORK/proc/net/dev"
once "$WORK/o" "$WORK/e" --once="$WORK/tf/broken.prom" --path.procfs="$WORK/proc" \
  --path.sysfs="$FIX/sys" --config.file="$WORK/config.yml"
expect_eq "--once with a failing collector: exit" "$RC" 1
grep -q '^netstat_exporter_collector_success{collector="interfaces"} 0$' "$WORK/tf/broken.prom" ||
  fail "interfaces did not report failure: $(grep collector_success "$WORK/tf/broken.prom")"
grep -q '^netstat_exporter_collector_success{collector="sockets"} 1$' "$WORK/tf/broken.prom" ||
  fail "sockets did not succeed"

# 7. Background collectors run once, at once.
printf 'paths: {services: "%s"}\ncollectors:\n  snmp: {interval: 1h}\n  listeners: {interval: 1h}\n' \
  "$FIX/etc/services" >"$WORK/interval.yml"
T0=$(date +%s%N)
once "$WORK/o" "$WORK/e" --once --path.procfs="$FIX/proc" --path.sysfs="$FIX/sys" \
  --config.file="$WORK/interval.yml"
MS=$((($(date +%s%N) - T0) / 1000000))
expect_eq "--once with interval collectors: exit" "$RC" 0
[ "$MS" -lt 5000 ] || fail "--once with interval collectors took $MS ms"
for c in snmp listeners; do
  grep -q "^netstat_exporter_collector_runs_total{collector=\"$c\"} 1$" "$WORK/o" ||
    fail "interval collector $c did not run exactly once: $(grep runs_total "$WORK/o")"
done
grep -q '^netstat_Tcp_ActiveOpens_total ' "$WORK/o" || fail "no snmp metrics from the interval run"
grep -q '^netstat_listener_info{' "$WORK/o" || fail "no listeners from the interval run"

# 8. The textfile example units: verify is clean (on copies that run the built binary).
mkdir "$WORK/units"
for u in netstat_exporter-textfile.service netstat_exporter-textfile.timer; do
  sed -E "s#^ExecStart=[^ ]*netstat_exporter #ExecStart=$BIN #" "$SRC/deploy/textfile/$u" >"$WORK/units/$u"
done
grep -q "^ExecStart=$BIN .*--once=/var/lib/prometheus/node-exporter/netstat.prom" \
  "$WORK/units/netstat_exporter-textfile.service" || fail "the textfile unit does not run --once=FILE"
systemd-analyze verify "$WORK/units/netstat_exporter-textfile.timer" \
  "$WORK/units/netstat_exporter-textfile.service" >"$WORK/verify" 2>&1 ||
  fail "verify: $(cat "$WORK/verify")"
[ ! -s "$WORK/verify" ] || fail "verify is not clean: $(cat "$WORK/verify")"

echo "PASS once_test ($(grep -vc '^#' "$WORK/once.prom") samples, $(wc -l <"$WORK/fam_once") families, $(cat "$WORK/reads") reads during 15 rewrites)"
