#!/usr/bin/env bash
# Listeners truth test in a fresh network namespace: our own processes listen on known
# TCP/UDP ports over 127.0.0.1, ::1 and ::, with known backlogs and un-accepted
# connections; the exporter must report each with its owner, service, queue length and
# limit, split them by the expected rules, and follow owner changes between scrapes.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_listener helper
BIN=$1
SRC=$2
HELPER=$3
source "$SRC/tests/e2e/lib.sh"

new_netns netstat_lst


# The test brings its own services file: a minimal Debian has no /etc/services (netbase),
# and the copy in $WORK stays readable for the exporter that runs as nobody below.
cp "$SRC/tests/fixtures/etc/services" "$WORK/services"
cat >"$WORK/config.yml" <<YAML
paths: {services: $WORK/services}
collectors:
  listeners:
    labels: [process, user, pid]
    expected:
      - {protocol: tcp, port: 22, process: netstat_e2e_listener}
      - {protocol: udp, family: ipv6}
      - {address: 127.0.0.1, port_range: "9000-9100"}
      - {process: netstat_exporter}
      - {user: nobody}
YAML

start_ns_helper main "$HELPER" tcp,127.0.0.1,22,5,3 tcp,::1,8080,10,2 tcp,::,443,7,0 \
  udp,127.0.0.1,53 udp,::,5353 udp,::1,123 udpc,127.0.0.1,6000 tcp,127.0.0.1,18081,4,0
MAIN=$HPID
start_ns_helper prefork "$HELPER" --fork=3 tcp,127.0.0.1,9000,16,1
PREFORK=$HPID
start_ns_helper nobody setpriv --reuid=nobody --regid=nogroup --clear-groups "$HELPER" \
  udp,0.0.0.0,9999
NOBODY=$HPID
start_ns_helper moving "$HELPER" tcp,127.0.0.1,7000,3,0
MOVING=$HPID

# start_ns_exporter LOG CONFIG [PREFIX...]: the listeners collector alone in the namespace,
# run through PREFIX (e.g. setpriv); sets PORT and NS_EXPORTER (the pid).
start_ns_exporter() {
  local log=$1 config=$2
  shift 2
  EXPORTER_PREFIX=(ip netns exec "$NS" "$@")
  start_exporter "$log" --config.file="$config" --collector.disable-defaults --collector.listeners
  NS_EXPORTER=$EXPORTER_PID
}
start_ns_exporter "$WORK/log" "$WORK/config.yml"
EXPORTER=$(in_ns ss -Htlnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
scrape() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/$1"; }

scrape m1
info() {  # info PROTO FAMILY ADDR PORT SERVICE PROCESS USER PID
  printf 'netstat_listener_info{protocol="%s",family="%s",address="%s",port="%s",interface="",service="%s",process="%s",user="%s",pid="%s"}' "$@"
}
unexpected() { info "$@" | sed 's/^netstat_listener_info/netstat_listener_unexpected/'; }
has() {  # has FILE SERIES VALUE
  [ "$(metric_value "$2" "$WORK/$1")" = "$3" ] || fail "$1: want '$2 $3'; have:
$(grep -E '^netstat_listener' "$WORK/$1")"
}
lacks() { grep -qF "$2" "$WORK/$1" && fail "$1: unexpected series $2" || true; }

P=netstat_e2e_listener
has m1 "$(info tcp ipv4 127.0.0.1 22 ssh $P root "$MAIN")" 1
has m1 "$(info tcp ipv6 ::1 8080 http-alt $P root "$MAIN")" 1
has m1 "$(info tcp ipv6 :: 443 https $P root "$MAIN")" 1
has m1 "$(info udp ipv4 127.0.0.1 53 domain $P root "$MAIN")" 1
has m1 "$(info udp ipv6 :: 5353 mdns $P root "$MAIN")" 1
has m1 "$(info udp ipv6 ::1 123 ntp $P root "$MAIN")" 1
has m1 "$(info tcp ipv4 127.0.0.1 18081 "" $P root "$MAIN")" 1
has m1 "$(info tcp ipv4 127.0.0.1 9000 "" $P root "$PREFORK")" 1
has m1 "$(info udp ipv4 0.0.0.0 9999 "" $P nobody "$NOBODY")" 1
has m1 "$(info tcp ipv4 127.0.0.1 "$PORT" "" netstat_exporter root "$EXPORTER")" 1
lacks m1 'port="6000"'
# The exporter owns one listener, its port: no private hop behind it.
expect_eq "the exporter's listeners" \
  "$(grep -c "^netstat_listener_info{.*process=\"netstat_exporter\".*pid=\"$EXPORTER\"" "$WORK/m1")" 1
# The connected UDP socket is no listener; the three pre-fork workers add no series.
expect_eq "listener count" "$(grep -c '^netstat_listener_info{' "$WORK/m1")" 11
q() { printf 'netstat_listener_queue_%s{protocol="tcp",family="%s",address="%s",port="%s",interface=""}' "$@"; }
has m1 "$(q length ipv4 127.0.0.1 22)" 3
has m1 "$(q limit ipv4 127.0.0.1 22)" 5
has m1 "$(q length ipv6 ::1 8080)" 2
has m1 "$(q limit ipv6 ::1 8080)" 10
has m1 "$(q length ipv6 :: 443)" 0
has m1 "$(q limit ipv6 :: 443)" 7
has m1 "$(q length ipv4 127.0.0.1 9000)" 1
has m1 "$(q limit ipv4 127.0.0.1 9000)" 16
lacks m1 'netstat_listener_queue_length{protocol="udp"'
has m1 netstat_listener_owner_unresolved 0
has m1 netstat_listeners_dropped 0
# Expected: 22 (rule 1), udp ipv6 (rule 2), 9000 (rule 3), the exporter (4), nobody (5).
has m1 "$(unexpected tcp ipv6 ::1 8080 http-alt $P root "$MAIN")" 1
has m1 "$(unexpected tcp ipv6 :: 443 https $P root "$MAIN")" 1
has m1 "$(unexpected udp ipv4 127.0.0.1 53 domain $P root "$MAIN")" 1
has m1 "$(unexpected tcp ipv4 127.0.0.1 18081 "" $P root "$MAIN")" 1
has m1 "$(unexpected tcp ipv4 127.0.0.1 7000 "" $P root "$MOVING")" 1
expect_eq "unexpected count" "$(grep -c '^netstat_listener_unexpected{' "$WORK/m1")" 5

# Cache correctness 1: the owner hands the same socket to a child and exits; the
# cached (pid, fd) no longer verifies, so the next scrape finds the child.
kill -USR1 "$MOVING"
CHILD=
for _ in $(seq 1 200); do
  CHILD=$(awk '$1 == "handoff" { print $2 }' "$WORK/moving.out")
  [ -n "$CHILD" ] && break
  sleep 0.05
done
[ -n "$CHILD" ] || fail "no handoff: $(cat "$WORK/moving.out")"
for _ in $(seq 1 200); do kill -0 "$MOVING" 2>/dev/null || break; sleep 0.05; done
scrape m2
has m2 "$(info tcp ipv4 127.0.0.1 7000 "" $P root "$CHILD")" 1
lacks m2 "pid=\"$MOVING\""

# Cache correctness 2: the process exits, another one takes the same port.
kill "$CHILD"
for _ in $(seq 1 200); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.05; done
start_ns_helper moving2 "$HELPER" tcp,127.0.0.1,7000,3,0
MOVING2=$HPID
scrape m3
has m3 "$(info tcp ipv4 127.0.0.1 7000 "" $P root "$MOVING2")" 1
lacks m3 "pid=\"$CHILD\""

# A pre-fork parent exits (its workers die with it): the listener is gone next time.
kill "$PREFORK"
for _ in $(seq 1 200); do in_ns ss -Htln 'sport = :9000' | grep -q . || break; sleep 0.05; done
scrape m4
lacks m4 'port="9000"'
expect_eq "listener count after exits" "$(grep -c '^netstat_listener_info{' "$WORK/m4")" 10
# Without the rights to read other users' /proc/PID/fd: a second exporter runs as nobody.
# Every listener is still there; only nobody's own (its helper, itself) have a process,
# the rest count as unresolved, and the log names the capabilities once.
chmod a+rx "$WORK"
chmod a+r "$WORK/config.yml"
start_ns_exporter "$WORK/log_nobody" "$WORK/config.yml" \
  setpriv --reuid=nobody --regid=nogroup --clear-groups
NOBODY_EXPORTER=$NS_EXPORTER
scrape m5
scrape m6
has m6 "$(info udp ipv4 0.0.0.0 9999 "" $P nobody "$NOBODY")" 1
has m6 "$(info tcp ipv4 127.0.0.1 "$PORT" "" netstat_exporter nobody "$NOBODY_EXPORTER")" 1
has m6 "$(info tcp ipv4 127.0.0.1 22 ssh "" root "")" 1
# Of 11 listeners, 9 are root's: the first exporter's, 22, 8080, 443, 53, 5353, 123,
# 18081, 7000.
has m6 netstat_listener_owner_unresolved 9
expect_eq "capability warnings" "$(grep -c 'CAP_DAC_READ_SEARCH' "$WORK/log_nobody")" 1

# Without a services file every listener is still there, with an empty service label,
# and the log says why once, not on every scrape. This config has no rule for the
# exporter: its own two listeners are expected all the same, the other exporters' not.
sed -e "s|services: $WORK/services|services: $WORK/no-such-services|" \
  -e '/process: netstat_exporter}/d' "$WORK/config.yml" >"$WORK/config_noservices.yml"
start_ns_exporter "$WORK/log_noservices" "$WORK/config_noservices.yml"
scrape m7
scrape m7
has m7 "$(info tcp ipv4 127.0.0.1 22 "" $P root "$MAIN")" 1
expect_eq "own listeners unexpected" \
  "$(grep -c "^netstat_listener_unexpected{.*pid=\"$NS_EXPORTER\"" "$WORK/m7")" 0
expect_eq "the first exporter's listeners unexpected" \
  "$(grep -c "^netstat_listener_unexpected{.*pid=\"$EXPORTER\"" "$WORK/m7")" 1
expect_eq "services warnings" "$(grep -c 'cannot read the services file' "$WORK/log_noservices")" 1
grep -q "no-such-services: No such file or directory" "$WORK/log_noservices" ||
  fail "the services warning does not name the file: $(cat "$WORK/log_noservices")"
echo "PASS netns_listeners_test"
