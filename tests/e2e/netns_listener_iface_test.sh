#!/usr/bin/env bash
# Listeners that differ only in their bound device, and SO_REUSEPORT groups, in a fresh
# network namespace with two devices v0 and v1 (a veth pair) beside lo:
#   - three 0.0.0.0:8082 listeners bound (SO_BINDTODEVICE) to lo, v0 and v1, backlog 1,
#     the lo one overflowed by two unaccepted connections (ss: Recv-Q 2, Send-Q 1);
#   - fe80::1%v0 and fe80::1%v1 listeners (the scope is the bound device);
#   - UDP sockets on 0.0.0.0:8086 bound to v0 and v1;
#   - a SO_REUSEPORT group of three with backlogs 8, 16, 32 and six connections, and one
#     of 200 sockets with backlog 1.
# The exporter must give one series per device with its interface label, every queue as
# the fullest socket of its group shows it in `ss -ltn` (never a sum), apply expected
# rules on interface, and, capped by max_listeners, cap netstat_port_connections the
# same way with dropped gauges that stay put across scrapes.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_listener helper
BIN=$1
SRC=$2
HELPER=$3
source "$SRC/tests/e2e/lib.sh"

new_netns netstat_lif
in_ns ip link add v0 type veth peer name v1  # no dummy module on every kernel
for dev in v0 v1; do
  in_ns ip link set "$dev" up
  in_ns ip -6 addr add fe80::1/64 dev "$dev" nodad
done

start_ns_helper devices "$HELPER" \
  tcp,0.0.0.0,8082,1,2,dev=lo tcp,0.0.0.0,8082,1,0,dev=v0 tcp,0.0.0.0,8082,1,0,dev=v1 \
  'tcp,fe80::1%v0,8085,4,0' 'tcp,fe80::1%v1,8085,4,0' \
  udp,0.0.0.0,8086,dev=v0 udp,0.0.0.0,8086,dev=v1 \
  tcp,127.0.0.1,8083,8,0,reuseport=1 tcp,127.0.0.1,8083,16,0,reuseport=1 \
  tcp,127.0.0.1,8083,32,6,reuseport=1 tcp,127.0.0.1,8084,1,0,reuseport=200

cp "$SRC/tests/fixtures/etc/services" "$WORK/services"
cat >"$WORK/config.yml" <<YAML
paths: {services: $WORK/services}
collectors:
  listeners:
    labels: [process, user]
    expected:
      - {port: 8082, interface: lo}
      - {port: 8085, interface: v0}
      - {interface: ""}
YAML
EXPORTER_PREFIX=(ip netns exec "$NS")
start_exporter "$WORK/log" --config.file="$WORK/config.yml" --collector.disable-defaults \
  --collector.listeners --collector.sockets
FIRST_PORT=$PORT
scrape() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/$1"; }
scrape m1
show() { grep -E "^netstat_(listener|port_conn)" "$WORK/$1"; }

# What `ss -ltn` and `ss -lun` show, one line per socket: proto family address port
# interface length limit ("0.0.0.0%lo:8082", "[fe80::1]%v0:8085"; "-": no interface).
ss_sockets() {
  { in_ns ss -Hltn | awk '{ print "tcp", $2, $3, $4 }'
    in_ns ss -Hlun | awk '{ print "udp", 0, 0, $4 }'; } |
    awk '{
      local = $4; port = local; sub(/.*:/, "", port); sub(/:[0-9]+$/, "", local)
      iface = "-"
      if (match(local, /%[^%]*$/)) { iface = substr(local, RSTART + 1); local = substr(local, 1, RSTART - 1) }
      family = "ipv4"
      if (local ~ /^\[/) { family = "ipv6"; gsub(/[][]/, "", local) }
      print $1, family, local, port, iface, $2, $3
    }'
}
ss_sockets >"$WORK/ss"
grep -q '^tcp ipv4 0.0.0.0 8082 lo 2 1$' "$WORK/ss" ||
  fail "ss does not show the overflowed lo listener as Recv-Q 2 Send-Q 1: $(cat "$WORK/ss")"

# One series per (proto, family, address, port, interface): ss's sockets grouped.
labels() {  # labels FAMILY FILE: proto family address port interface ("-": none) value
  grep "^$1{" "$WORK/$2" |
    sed -E 's/^[^{]*\{protocol="([^"]*)",family="([^"]*)",address="([^"]*)",port="([^"]*)",interface="([^"]*)".* ([0-9.e+]+)$/\1|\2|\3|\4|\5|\6/' |
    awk -F'|' '{ if ($5 == "") $5 = "-"; print $1, $2, $3, $4, $5, $6 }' | sort
}
awk '{ print $1, $2, $3, $4, $5, 1 }' "$WORK/ss" | sort -u >"$WORK/want_info"
labels netstat_listener_info m1 >"$WORK/have_info"
diff "$WORK/want_info" "$WORK/have_info" >"$WORK/diff" ||
  fail "listeners differ from ss (< ss, > exporter): $(cat "$WORK/diff")"
expect_eq "8082 listeners" "$(grep -c '^tcp ipv4 0.0.0.0 8082 ' "$WORK/have_info")" 3
expect_eq "fe80::1 listeners" "$(grep -c '^tcp ipv6 fe80::1 8085 v[01] ' "$WORK/have_info")" 2

# Queues: per group the fullest socket (highest length/limit, then least room left),
# its length and its own limit; every socket alone is its own group.
awk '$1 == "tcp" {
  k = $2 " " $3 " " $4 " " $5; len = $6; lim = $7
  if (!(k in L) || len * Lim[k] > L[k] * lim ||
      (len * Lim[k] == L[k] * lim && (lim - len < Lim[k] - L[k] ||
       (lim - len == Lim[k] - L[k] && len > L[k])))) { L[k] = len; Lim[k] = lim }
} END { for (k in L) print "tcp", k, L[k], Lim[k] }' "$WORK/ss" | sort >"$WORK/want_queues"
key_value() { labels "$1" m1 | awk '{ print $1"|"$2"|"$3"|"$4"|"$5, $6 }' | sort; }
join -j1 <(key_value netstat_listener_queue_length) <(key_value netstat_listener_queue_limit) |
  tr '|' ' ' | sort >"$WORK/have_queues"
diff "$WORK/want_queues" "$WORK/have_queues" >"$WORK/diff" ||
  fail "queues differ from ss (< ss, > exporter): $(cat "$WORK/diff")"
q() { printf 'netstat_listener_queue_%s{protocol="tcp",family="%s",address="%s",port="%s",interface="%s"}' "$@"; }
expect_eq "lo 8082 queue length" "$(metric_value "$(q length ipv4 0.0.0.0 8082 lo)" "$WORK/m1")" 2
expect_eq "lo 8082 queue limit" "$(metric_value "$(q limit ipv4 0.0.0.0 8082 lo)" "$WORK/m1")" 1
expect_eq "v0 8082 queue length" "$(metric_value "$(q length ipv4 0.0.0.0 8082 v0)" "$WORK/m1")" 0
# 200 SO_REUSEPORT sockets of backlog 1 have a limit of 1, not 200.
expect_eq "reuseport x200 limit" "$(metric_value "$(q limit ipv4 127.0.0.1 8084 "")" "$WORK/m1")" 1
expect_eq "reuseport x200 sockets in ss" "$(grep -c '^tcp ipv4 127.0.0.1 8084 ' "$WORK/ss")" 200
expect_eq "8083 group sockets in ss" "$(grep -c '^tcp ipv4 127.0.0.1 8083 ' "$WORK/ss")" 3
# What ListenerQueueNearlyFull computes: the overflowed socket is over 0.8.
ratio=$(awk -v l="$(metric_value "$(q length ipv4 0.0.0.0 8082 lo)" "$WORK/m1")" \
  -v m="$(metric_value "$(q limit ipv4 0.0.0.0 8082 lo)" "$WORK/m1")" 'BEGIN { print (l / m > 0.8) }')
expect_eq "lo 8082 fill over 0.8" "$ratio" 1

# Expected rules on interface: lo's 8082 and v0's 8085 and every unbound listener are
# expected; the rest is not.
labels netstat_listener_unexpected m1 | awk '{ print $1, $4, $5 }' >"$WORK/unexpected"
expect_eq "unexpected listeners" "$(tr '\n' ';' <"$WORK/unexpected")" \
  "tcp 8082 v0;tcp 8082 v1;tcp 8085 v1;udp 8086 v0;udp 8086 v1;"

# From the host with namespaces: {mode: all}: the devices are named in the namespace the
# sockets live in (its lo is 1, v0 and v1 are numbers the host may give its own devices).
cat >"$WORK/all.yml" <<YAML
namespaces: {mode: all, bind_mount_dirs: [/run/netns]}
paths: {services: $WORK/services}
YAML
EXPORTER_PREFIX=()
start_exporter "$WORK/log_all" --config.file="$WORK/all.yml" --collector.disable-defaults \
  --collector.listeners
curl -sS --max-time 20 "http://127.0.0.1:$PORT/metrics" | grep -F "netns=\"$NS\"" |
  sed "s/,netns=\"$NS\"//" >"$WORK/host"
labels netstat_listener_info host >"$WORK/host_info"
diff <(grep -v ' 127.0.0.1 ' "$WORK/want_info") <(grep -v ' 127.0.0.1 ' "$WORK/host_info") \
  >"$WORK/diff" || fail "mode all: listeners of $NS differ from ss there: $(cat "$WORK/diff")"
expect_eq "mode all: lo 8082 queue" \
  "$(metric_value "$(q length ipv4 0.0.0.0 8082 lo)" "$WORK/host") $(metric_value "$(q limit ipv4 0.0.0.0 8082 lo)" "$WORK/host")" "2 1"
EXPORTER_PREFIX=(ip netns exec "$NS")

# The cap: max_listeners 3 keeps the three 8082 listeners (sorted by port, then
# interface) and the lowest three listening ports' connections. The dropped figures are
# this scrape's, so they stay put over scrapes.
sed 's/    labels: \[process, user\]/    labels: [process, user]\n    max_listeners: 3/' \
  "$WORK/config.yml" >"$WORK/capped.yml"
start_exporter "$WORK/log_capped" --config.file="$WORK/capped.yml" --collector.disable-defaults \
  --collector.listeners --collector.sockets
for i in 1 2 3; do scrape "c$i"; done
ss_sockets >"$WORK/ss2"
listeners=$(awk '{ print $1, $2, $3, $4, $5 }' "$WORK/ss2" | sort -u | wc -l)
ports=$(awk '$1 == "tcp" { print $4 }' "$WORK/ss2" | sort -u | wc -l)
for i in 1 2 3; do
  expect_eq "c$i listeners dropped" "$(metric_value netstat_listeners_dropped "$WORK/c$i")" \
    "$((listeners - 3))"
  expect_eq "c$i ports dropped" \
    "$(metric_value netstat_port_connections_dropped_ports "$WORK/c$i")" "$((ports - 3))"
done
labels netstat_listener_info c3 | awk '{ print $4, $5 }' >"$WORK/capped_info"
expect_eq "capped listeners" "$(tr '\n' ';' <"$WORK/capped_info")" "8082 lo;8082 v0;8082 v1;"
grep -oE '^netstat_port_connections\{[^}]*port="[0-9]+"' "$WORK/c3" | grep -oE '[0-9]+"$' |
  tr -d '"' | sort -un >"$WORK/capped_ports"
expect_eq "capped ports" "$(tr '\n' ' ' <"$WORK/capped_ports")" "8082 8083 8084 "
conns() { in_ns ss -Htn state established "( sport = :$1 )" | wc -l; }
pc() { metric_value "netstat_port_connections{protocol=\"tcp\",port=\"$1\",state=\"established\"}" "$WORK/$2"; }
expect_eq "8082 connections" "$(pc 8082 c3)" "$(conns 8082)"
expect_eq "8083 connections" "$(pc 8083 c3)" "$(conns 8083)"
expect_eq "8083 connections" "$(pc 8083 c3)" 6
# The uncapped exporter still follows every port, its own included.
PORT=$FIRST_PORT
scrape m2
[ -n "$(pc "$FIRST_PORT" m2)" ] || fail "uncapped: no port_connections for $FIRST_PORT: $(show m2)"
expect_eq "uncapped ports dropped" "$(metric_value netstat_port_connections_dropped_ports "$WORK/m2")" 0
expect_eq "uncapped listeners dropped" "$(metric_value netstat_listeners_dropped "$WORK/m2")" 0
echo "PASS netns_listener_iface_test"
