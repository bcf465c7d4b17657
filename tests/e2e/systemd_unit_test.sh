#!/usr/bin/env bash
# The systemd unit: `systemd-analyze security --offline` exposure at most 2.0,
# `systemd-analyze verify` clean (on a copy whose ExecStart names the built binary), and
# every system call the real binary makes, run as the unit runs it (an unprivileged uid
# with only the unit's capabilities) through a scrape of every collector, a SIGHUP reload
# and SIGTERM, is allowed by the unit's SystemCallFilter; it runs no program and opens
# no file for writing. With a drop-in (systemd/all-namespaces.conf), the same with
# `namespaces: {mode: all}` over a namespace the test makes: setns is used and allowed.
#   $1 exporter binary, $2 source tree, $3 the unit file, [$4 a drop-in]
BIN=$1
SRC=$2
UNIT=$3
DROPIN=${4:-}
source "$SRC/tests/e2e/lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (package systemd)"
command -v strace >/dev/null || fail "strace missing"
MAX_EXPOSURE=2.0
SECURITY_UNIT=$UNIT
if [ -n "$DROPIN" ]; then
  MAX_EXPOSURE=2.5
  mkdir -p "$WORK/sec/$(basename "$UNIT").d"
  cp "$UNIT" "$WORK/sec/"
  cp "$DROPIN" "$WORK/sec/$(basename "$UNIT").d/"
  SECURITY_UNIT="$WORK/sec/$(basename "$UNIT")"
fi

# 1. Exposure.
systemd-analyze security --offline=true "$SECURITY_UNIT" >"$WORK/security" 2>&1 ||
  fail "systemd-analyze security: $(cat "$WORK/security")"
EXPOSURE=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$WORK/security")
[ -n "$EXPOSURE" ] || fail "no exposure level in: $(tail -3 "$WORK/security")"
awk -v e="$EXPOSURE" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' ||
  fail "exposure $EXPOSURE > $MAX_EXPOSURE: $(grep '✗' "$WORK/security")"
if [ -n "$DROPIN" ]; then # what setns into a network namespace needs, and no more
  for open in 'CapabilityBoundingSet=~CAP_SYS_ADMIN' 'RestrictNamespaces=~net '; do
    grep -q "✗ $open" "$WORK/security" || fail "the drop-in does not open $open"
  done
  grep -q '✓ RestrictNamespaces=~user ' "$WORK/security" || fail "the drop-in opens user namespaces"
fi

# 2. verify: no output at all. The copy keeps the unit's name and ExecStart's arguments.
mkdir "$WORK/unit"
COPY="$WORK/unit/$(basename "$UNIT")"
sed -E "s#^ExecStart=[^ ]*netstat_exporter#ExecStart=$BIN#" "$UNIT" >"$COPY"
grep -q "^ExecStart=$BIN " "$COPY" || fail "no ExecStart naming netstat_exporter in $UNIT"
systemd-analyze verify "$COPY" >"$WORK/verify" 2>&1 || fail "verify: $(cat "$WORK/verify")"
[ ! -s "$WORK/verify" ] || fail "verify is not clean: $(cat "$WORK/verify")"

# 3. System calls. expand GROUP_OR_CALL...: the calls, one a line, groups expanded.
expand() {
  local t
  for t in "$@"; do
    if [[ $t == @* ]]; then
      # shellcheck disable=SC2046
      expand $(systemd-analyze syscall-filter "$t" | sed -n '2,$ { /^ *#/d; s/^ *//p }')
    else
      echo "$t"
    fi
  done
}
# The unit's filter, line by line as systemd merges them: the first SystemCallFilter= (an
# allow list here) starts the set, a later "~" line removes calls, a plain one adds them.
grep -q '^SystemCallFilter=[^~]' <(grep '^SystemCallFilter=' "$UNIT" | head -1) ||
  fail "the unit's first SystemCallFilter= is no allow list"
expand execve exit exit_group getrlimit rt_sigreturn sigreturn >"$WORK/allowed"
while IFS= read -r line; do
  # shellcheck disable=SC2086
  if [[ $line == "~"* ]]; then
    expand ${line#\~} | sort -u >"$WORK/deny"
    sort -u "$WORK/allowed" | comm -23 - "$WORK/deny" >"$WORK/next"
  else
    { cat "$WORK/allowed"; expand $line; } | sort -u >"$WORK/next"
  fi
  mv "$WORK/next" "$WORK/allowed"
done < <(cat "$UNIT" ${DROPIN:+"$DROPIN"} | sed -n 's/^SystemCallFilter=//p')
sort -u -o "$WORK/allowed" "$WORK/allowed"

CAPS=+dac_read_search,+sys_ptrace
chmod 0755 "$WORK"
printf 'collectors:\n  listeners: {labels: [process, user]}\n' >"$WORK/config.yml"
if [ -n "$DROPIN" ]; then
  CAPS=$CAPS,+sys_admin
  printf 'namespaces: {mode: all, bind_mount_dirs: [/run/netns]}\n' >>"$WORK/config.yml"
  new_netns sdunit
fi
chmod 0644 "$WORK/config.yml"
mkdir "$WORK/strace" && chown 64123 "$WORK/strace"
EXPORTER_PREFIX=(setpriv --reuid=64123 --regid=64123 --clear-groups --inh-caps=-all,$CAPS
  --ambient-caps=-all,$CAPS --bounding-set=-all,$CAPS
  strace -f -qq -o "$WORK/strace/trace")
start_exporter "$WORK/log" --config.file="$WORK/config.yml"
TRACER=$EXPORTER_PID # setpriv execs strace, which forks the exporter
EXPORTER=$(pgrep -P "$TRACER" -x netstat_exporte)
fetch /metrics >"$WORK/m1"
fetch /metrics -H 'Accept-Encoding: gzip' -o /dev/null
fetch / -o /dev/null
kill -HUP "$EXPORTER"
for _ in $(seq 1 100); do grep -q 'configuration reloaded' "$WORK/log" && break; sleep 0.05; done
fetch /metrics >"$WORK/m2"
kill "$EXPORTER"
wait "$TRACER" || true
grep -q '^netstat_listener_info{' "$WORK/m2" || fail "no listeners after reload"
grep -q '^netstat_exporter_config_last_reload_successful 1$' "$WORK/m2" || fail "reload failed"
for c in sockets listeners snmp interfaces routes multicast; do
  grep -q "^netstat_exporter_collector_success{collector=\"$c\"} 1$" "$WORK/m2" ||
    fail "collector $c failed under the unit's privileges"
done
# Calls from the first execve of the binary on ("12 name(" or "12 <... name resumed>").
awk -v bin="$BIN" 'index($0, "execve(\"" bin "\"") { on = 1 } on' "$WORK/strace/trace" |
  sed -nE 's/^[0-9]+ +(<\.\.\. )?([a-z0-9_]+)[( ].*/\2/p' | sort -u >"$WORK/used"
[ "$(wc -l <"$WORK/used")" -gt 20 ] || fail "trace too short: $(head "$WORK/strace/trace")"
if [ -n "$DROPIN" ]; then
  grep -q "^netstat_namespace_info{netns=\"$NS\"" "$WORK/m2" || fail "namespace $NS not read"
  grep -qx setns "$WORK/used" || fail "setns never called: the namespace was not read by netlink"
  grep -q "netns=$NS .* read by netlink" "$WORK/log" || fail "not by netlink: $(grep namespaces: "$WORK/log")"
fi
DENIED=$(comm -23 "$WORK/used" "$WORK/allowed" | tr '\n' ' ')
[ -z "$DENIED" ] || fail "the unit's SystemCallFilter would deny: $DENIED"
# It runs no program and opens no file for writing (it logs to stderr only).
OTHER=$(grep -E '^[0-9]+ +execve\(' "$WORK/strace/trace" | grep -vF "execve(\"$BIN\"" || true)
[ -z "$OTHER" ] || fail "the exporter ran a program: $OTHER"
OTHER=$(grep -E '^[0-9]+ +(open|openat|openat2|creat)\(.*(O_WRONLY|O_RDWR|O_CREAT)' "$WORK/strace/trace" || true)
[ -z "$OTHER" ] || fail "the exporter opened a file for writing: $OTHER"
echo "PASS systemd_unit_test ($(wc -l <"$WORK/used") system calls, exposure $EXPOSURE)"
