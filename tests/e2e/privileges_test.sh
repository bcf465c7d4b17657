#!/usr/bin/env bash
# Least privilege, shown, in a fresh network namespace with listeners of root and nobody:
#  1. as an unprivileged uid holding only the systemd unit's capabilities, every listener's
#     process and user resolve; with no capabilities root's do not;
#  2. started as root, every thread keeps only CAP_DAC_READ_SEARCH + CAP_SYS_PTRACE
#     (effective, permitted, bounding; nothing inheritable or ambient) and has
#     no_new_privs and the exec filter; a SIGHUP reload of a root-owned 0600 config still
#     works and owners still resolve;
#  3. without the listeners collector, root keeps no capability at all.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_listener helper
BIN=$1
SRC=$2
HELPER=$3
source "$SRC/tests/e2e/lib.sh"

new_netns netstat_priv

# The unit's capabilities (systemd/netstat_exporter.service) as setpriv and /proc spell them.
UNIT_CAPS=+dac_read_search,+sys_ptrace
UNIT_MASK=0000000000080004 # bit 2 CAP_DAC_READ_SEARCH, bit 19 CAP_SYS_PTRACE
UID_X=64123                # an unprivileged uid with no name: its own listener shows "64123"

# start_bg NAME CMD...: runs CMD in the namespace; waits for "ready PID" (helpers) or
# "port=N" (exporters) in its output; sets BG_PID to what it printed.
start_bg() {
  local name=$1 pattern
  shift
  : >"$WORK/$name.out"
  in_ns "$@" >"$WORK/$name.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    pattern=$(grep -oE '^ready [0-9]+|port=[0-9]+' "$WORK/$name.out" | head -1 || true)
    [ -n "$pattern" ] && BG_PID=${pattern##*[ =]} && return 0
    sleep 0.05
  done
  fail "$name did not start: $(cat "$WORK/$name.out")"
}

start_bg root_helper "$HELPER" tcp,127.0.0.1,22,5,0 udp,::,5353
ROOT_HELPER=$BG_PID
start_bg nobody_helper setpriv --reuid=nobody --regid=nogroup --clear-groups "$HELPER" \
  tcp,::1,8080,5,0 udp,0.0.0.0,9999
NOBODY_HELPER=$BG_PID

chmod 0755 "$WORK"
# A copy of the services file that the unprivileged exporter can read wherever the
# source tree is (under /root it could not).
cp "$SRC/tests/fixtures/etc/services" "$WORK/services"
chmod 0644 "$WORK/services"
printf 'paths: {services: %s}\ncollectors:\n  listeners: {labels: [process, user, pid]}\n' \
  "$WORK/services" >"$WORK/config.yml"
chmod 0644 "$WORK/config.yml"

# exporter NAME [PRIVS...] -- ARGS...: starts the exporter in the namespace behind PRIVS
# (a setpriv command line, or nothing for root); sets PORT and EXPORTER (its pid).
exporter() {
  local name=$1 privs=()
  shift
  while [ "$1" != -- ]; do privs+=("$1") && shift; done
  shift
  start_bg "$name" "${privs[@]}" "$BIN" --web.listen-address=127.0.0.1:0 --log.level=debug \
    --collector.disable-defaults "$@"
  PORT=$BG_PID
  EXPORTER=$(in_ns ss -Htlnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  [ -n "$EXPORTER" ] || fail "$name: no pid for port $PORT"
}
stop() { # stop PID: SIGTERM, then wait until its listener is gone
  kill "$1"
  for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
  fail "pid $1 did not stop"
}
scrape() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/$1"; }
info() { # info PROTO FAMILY ADDR PORT SERVICE PROCESS USER PID
  printf 'netstat_listener_info{protocol="%s",family="%s",address="%s",port="%s",interface="",service="%s",process="%s",user="%s",pid="%s"}' "$@"
}
has() { # has FILE SERIES VALUE
  [ "$(metric_value "$2" "$WORK/$1")" = "$3" ] ||
    fail "$1: want '$2 $3'; have: $(grep -E '^netstat_(listener|exporter_config)' "$WORK/$1")"
}
# every_owner_resolves FILE: no listener with an empty process or user, none unresolved.
every_owner_resolves() {
  local n
  n=$(grep -c '^netstat_listener_info{' "$WORK/$1")
  [ "$n" -ge 5 ] || fail "$1: only $n listeners"
  grep -E '^netstat_listener_info\{.*(process|user)=""' "$WORK/$1" &&
    fail "$1: listeners with an unresolved owner"
  has "$1" netstat_listener_owner_unresolved 0
}
# thread_sets PID: "CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp" of every thread,
# one line per distinct value (so one line when all threads agree). Seccomp 2: the filter
# that denies exec (daemon/exec_filter.cc) is on.
thread_sets() {
  for s in /proc/"$1"/task/*/status; do
    awk '/^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):/ { printf "%s%s", sep, $2; sep=" " }
         END { print "" }' "$s"
  done | sort -u
}

# 1a. The unit's capabilities, unprivileged uid: every owner resolves, root's and nobody's.
exporter unitcaps setpriv --reuid=$UID_X --regid=$UID_X --clear-groups \
  --inh-caps=-all,$UNIT_CAPS --ambient-caps=-all,$UNIT_CAPS --bounding-set=-all,$UNIT_CAPS \
  -- --config.file="$WORK/config.yml" --collector.listeners
scrape u1
P=netstat_e2e_listener
has u1 "$(info tcp ipv4 127.0.0.1 22 ssh $P root "$ROOT_HELPER")" 1
has u1 "$(info udp ipv6 :: 5353 mdns $P root "$ROOT_HELPER")" 1
has u1 "$(info tcp ipv6 ::1 8080 http-alt $P nobody "$NOBODY_HELPER")" 1
has u1 "$(info udp ipv4 0.0.0.0 9999 "" $P nobody "$NOBODY_HELPER")" 1
has u1 "$(info tcp ipv4 127.0.0.1 "$PORT" "" netstat_exporter $UID_X "$EXPORTER")" 1
every_owner_resolves u1
expect_eq "unit caps: thread sets" "$(thread_sets "$EXPORTER")" \
  "$UNIT_MASK $UNIT_MASK $UNIT_MASK $UNIT_MASK $UNIT_MASK 1 2"
stop "$EXPORTER"

# 1b. The same uid without capabilities: root's listeners lose their owner, nobody's too
# (another user); the exporter's own resolves; the log names the capabilities once.
exporter nocaps setpriv --reuid=$UID_X --regid=$UID_X --clear-groups \
  --inh-caps=-all --ambient-caps=-all --bounding-set=-all \
  -- --config.file="$WORK/config.yml" --collector.listeners
scrape n1
has n1 "$(info tcp ipv4 127.0.0.1 22 ssh "" root "")" 1
has n1 "$(info tcp ipv6 ::1 8080 http-alt "" nobody "")" 1
has n1 "$(info tcp ipv4 127.0.0.1 "$PORT" "" netstat_exporter $UID_X "$EXPORTER")" 1
has n1 netstat_listener_owner_unresolved 4
expect_eq "capability warnings" "$(grep -c 'CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE' \
  "$WORK/nocaps.out")" 1
grep -q 'capabilities kept=none' "$WORK/nocaps.out" || fail "no-caps run: $(cat "$WORK/nocaps.out")"
grep -q 'capabilities not' "$WORK/nocaps.out" && fail "no-caps run warned: $(cat "$WORK/nocaps.out")"
stop "$EXPORTER"

# 2. Root: after start-up every thread holds only the two bits, and owners still resolve.
cp "$WORK/config.yml" "$WORK/root.yml"
chmod 0600 "$WORK/root.yml"
exporter root -- --config.file="$WORK/root.yml" --collector.listeners --collector.sockets
scrape r1
every_owner_resolves r1
has r1 "$(info tcp ipv4 127.0.0.1 22 ssh $P root "$ROOT_HELPER")" 1
has r1 "$(info tcp ipv6 ::1 8080 http-alt $P nobody "$NOBODY_HELPER")" 1
[ "$(find /proc/"$EXPORTER"/task -mindepth 1 -maxdepth 1 | wc -l)" -gt 4 ] || fail "expected the HTTP worker threads"
expect_eq "root: thread sets" "$(thread_sets "$EXPORTER")" \
  "0000000000000000 $UNIT_MASK $UNIT_MASK $UNIT_MASK 0000000000000000 1 2"
grep -q 'capabilities kept=cap_dac_read_search,cap_sys_ptrace .*bounding_set=reduced to kept' \
  "$WORK/root.out" || fail "no debug line on what was kept: $(cat "$WORK/root.out")"
# A reload re-reads the root-owned 0600 file without CAP_DAC_OVERRIDE (root owns it).
sed -i 's/labels: \[process, user, pid\]/labels: [process, user]/' "$WORK/root.yml"
kill -HUP "$EXPORTER"
for _ in $(seq 1 100); do
  grep -q 'configuration reloaded\|reload failed' "$WORK/root.out" && break
  sleep 0.05
done
scrape r2
has r2 netstat_exporter_config_last_reload_successful 1
has r2 'netstat_listener_info{protocol="tcp",family="ipv4",address="127.0.0.1",port="22",interface="",service="ssh",process="netstat_e2e_listener",user="root"}' 1
every_owner_resolves r2
expect_eq "root after reload: thread sets" "$(thread_sets "$EXPORTER")" \
  "0000000000000000 $UNIT_MASK $UNIT_MASK $UNIT_MASK 0000000000000000 1 2"
stop "$EXPORTER"

# 3. Root without the listeners collector: nothing is needed, nothing is kept.
exporter nolisteners -- --collector.sockets --collector.snmp
scrape s1
grep -q '^netstat_sockets{' "$WORK/s1" || fail "sockets collector gave nothing"
expect_eq "no listeners: thread sets" "$(thread_sets "$EXPORTER")" \
  "0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1 2"
echo "PASS privileges_test"
