#!/usr/bin/env bash
# Listener events (BPF) in a fresh network namespace, as root:
#  1. a listener that lives 200 ms and exits between two scrapes is counted exactly once
#     with its address, port, untruncated process name and user, as unexpected, and the
#     listeners collector never saw it;
#  2. 1,000 listen()/close() cycles count exactly 1,000, none lost;
#  3. 25 connections accepted on a listening port count 25 in
#     netstat_port_accepted_connections_total;
#  4. `namespaces: {mode: own}`: listen() in another namespace (the host's) counts nothing;
#  5. `namespaces: {mode: all}` (an exporter on the host): the namespace's listen() counts
#     with netns set to the namespace's name;
#  6. without CAP_BPF (as nobody): available 0, success 1, one log line naming what is
#     missing, the other collectors untouched.
# Exits 77 (skipped) when the build has no BPF or this kernel cannot load it.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_listen_events helper
BIN=$1
SRC=$2
HELPER=$3
source "$SRC/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
new_netns netstat_lev

cat >"$WORK/config.yml" <<YAML
collectors:
  listeners:
    expected:
      - {protocol: tcp, port: 22}
  listener_events: {max_series: 100}
YAML
EXPORTER_PREFIX=(ip netns exec "$NS")
start_exporter "$WORK/log" --config.file="$WORK/config.yml" --collector.disable-defaults \
  --collector.listeners --collector.listener_events
scrape() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/$1"; }

scrape m0
if [ "$(metric_value netstat_listener_events_available "$WORK/m0")" != 1 ]; then
  if grep -q 'listener_events: not available' "$WORK/log"; then
    echo "SKIP: $(grep -o 'not available: .*' "$WORK/log")"
    exit 77
  fi
  fail "listener events not available: $(cat "$WORK/log")"
fi
expect_eq "success" \
  "$(metric_value 'netstat_exporter_collector_success{collector="listener_events"}' "$WORK/m0")" 1

P=netstat_e2e_listen_events
opened() {  # opened FAMILY ADDR PORT PROCESS USER
  printf 'netstat_listener_opened_total{protocol="tcp",family="%s",address="%s",port="%s",process="%s",user="%s"}' "$@"
}
value() { metric_value "$1" "$WORK/$2"; }

# 1. 200 ms as nobody on 127.0.0.1:4711, between scrapes m1 and m2.
scrape m1
in_ns setpriv --reuid=nobody --regid=nogroup --clear-groups "$HELPER" short 127.0.0.1 4711 200
scrape m2
S=$(opened ipv4 127.0.0.1 4711 "$P" nobody)
expect_eq "short-lived before" "$(value "$S" m1)" ""
expect_eq "short-lived opened" "$(value "$S" m2)" 1
U=${S/netstat_listener_opened_total/netstat_listener_unexpected_opened_total}
expect_eq "short-lived unexpected" "$(value "$U" m2)" 1
for m in m1 m2; do
  grep -q '^netstat_listener_info{.*port="4711"' "$WORK/$m" && fail "$m: listeners saw port 4711"
done
expect_eq "one series for 4711" "$(grep -c '^netstat_listener_opened_total{.*port="4711"' "$WORK/m2")" 1

# 2. 1,000 listen()/close() cycles as root on [::1]:4712.
out=$(in_ns "$HELPER" cycles ::1 4712 1000)
expect_eq "cycles helper" "$out" "done 1000"
scrape m3
[ "$(value "$(opened ipv6 ::1 4712 "$P" root)" m3)" = 1000 ] ||
  fail "1000 cycles: $(grep '^netstat_listener_opened_total{.*port="4712"' "$WORK/m3")"
expect_eq "lost" "$(value netstat_listener_events_lost_total m3)" 0
expect_eq "series dropped" "$(value netstat_listener_events_series_dropped_total m3)" 0
expect_eq "short-lived still counted" "$(value "$S" m3)" 1

# 3. Accepted connections on a port that keeps its listener.
in_ns "$HELPER" accept 127.0.0.1 4713 25 >"$WORK/accept.out" &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q ready "$WORK/accept.out" && break; sleep 0.05; done
grep -q ready "$WORK/accept.out" || fail "accept helper: $(cat "$WORK/accept.out")"
scrape m4
expect_eq "accepted on 4713" \
  "$(value 'netstat_port_accepted_connections_total{protocol="tcp",port="4713"}' m4)" 25
grep -q '^netstat_listener_info{.*port="4713"' "$WORK/m4" || fail "listeners lacks 4713"
# The ports of the short-lived listeners have none now: not published.
grep -q '^netstat_port_accepted_connections_total{.*port="471[12]"' "$WORK/m4" &&
  fail "accepted counts for ports without a listener"

# 4. mode own: the host namespace's listen() calls are not this exporter's.
"$HELPER" cycles 127.0.0.1 4714 10 >/dev/null
scrape m5
grep -q 'port="4714"' "$WORK/m5" && fail "mode own counted a listen() of another namespace"

# 5. mode all, from the host: the test namespace's listen() carries its name. Other tests
# running at the same time listen() too: max_series leaves room for all of them.
printf 'namespaces: {mode: all}\ncollectors:\n  listener_events: {max_series: 1000000}\n' \
  >"$WORK/all.yml"
EXPORTER_PREFIX=()
start_exporter "$WORK/log_all" --config.file="$WORK/all.yml" --collector.disable-defaults \
  --collector.listener_events
fetch /metrics >"$WORK/a1"
in_ns "$HELPER" short 127.0.0.1 4715 200
fetch /metrics >"$WORK/a2"
A=$(opened ipv4 127.0.0.1 4715 "$P" root | sed "s/}\$/,netns=\"$NS\"}/")
expect_eq "mode all: the namespace's listen()" "$(value "$A" a2)" 1
promtool_clean "$WORK/a2" "listener events exposition, mode all"

promtool_clean "$WORK/m5" "listener events exposition"

# 6. No privilege: an expected state, not a failure.
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$BIN" --once \
  --collector.disable-defaults --collector.listener_events --collector.snmp \
  >"$WORK/nopriv" 2>"$WORK/nopriv.log" || fail "--once as nobody: $(cat "$WORK/nopriv.log")"
expect_eq "nobody: available" "$(value netstat_listener_events_available nopriv)" 0
for c in listener_events snmp; do
  expect_eq "nobody: $c success" \
    "$(value "netstat_exporter_collector_success{collector=\"$c\"}" nopriv)" 1
done
expect_eq "nobody: log lines" "$(grep -c 'listener_events: not available: no CAP_BPF' \
  "$WORK/nopriv.log")" 1
echo "PASS"
