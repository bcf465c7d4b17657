#!/usr/bin/env bash
# Interfaces, routes and multicast truth test in fresh network namespaces: a veth pair
# (documentation prefixes), default routes, extra routes and joined groups; what the
# exporter reports must equal what `ip link`, `ip route` and `ip maddr` show. Routes are
# read twice, over rtnetlink (live /proc) and from /proc/net/*route (another procfs
# path), and both must agree.
#   $1 exporter binary, $2 source tree
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"

NS=netstat_net_$$
PEER=netstat_netpeer_$$
ip netns add "$NS"
ip netns add "$PEER"
cleanup_netns() {
  for ns in "$NS" "$PEER"; do
    # Everything in these namespaces was started by this test.
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
  cleanup
}
trap cleanup_netns EXIT

# The exporter runs inside $NS: start_exporter calls $BIN, so point it at a wrapper
# (ip netns exec execs the binary, so the pid stays the exporter's).
REAL_BIN=$BIN
BIN=$WORK/exporter_in_ns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$REAL_BIN" >"$BIN"
chmod +x "$BIN"
# ... and so must curl.
fetch() {
  local path=$1
  shift
  ip netns exec "$NS" curl -sS --max-time 10 "$@" "http://127.0.0.1:$PORT$path"
}
FLAGS=(--collector.disable-defaults --collector.interfaces --collector.routes
       --collector.multicast)

# --- the namespace under test ---
ip -n "$NS" link set lo up
ip link add veth0 netns "$NS" type veth peer name veth1 netns "$PEER"
ip link add veth2 netns "$NS" type veth peer name veth3 netns "$PEER"  # stays down
ip -n "$NS" link set veth0 mtu 1400 up
ip -n "$PEER" link set veth1 up
ip -n "$NS" addr add 192.0.2.10/24 dev veth0
ip -n "$NS" addr add 2001:db8::10/64 dev veth0 nodad
ip -n "$PEER" addr add 192.0.2.1/24 dev veth1
ip -n "$PEER" addr add 2001:db8::1/64 dev veth1 nodad
ip -n "$NS" route add default via 192.0.2.1
ip -n "$NS" -6 route add default via 2001:db8::1
ip -n "$NS" route add 198.51.100.0/24 via 192.0.2.254
ip -n "$NS" route add blackhole 198.51.100.128/25
ip -n "$NS" -6 route add 2001:db8:1::/48 via 2001:db8::1
ip -n "$NS" addr add 239.1.2.3/32 dev veth0 autojoin
ip -n "$NS" -6 addr add ff05::1:3/128 dev veth0 autojoin
# A route in another table must not be counted.
ip -n "$NS" route add 198.51.100.0/26 via 192.0.2.1 table 100
ip -n "$NS" -6 route add 2001:db8:2::/48 via 2001:db8::1 table 100

# scrape NAME ARGS...: one exporter run, /metrics saved to $WORK/NAME.prom.
scrape() {
  local name=$1
  shift
  start_exporter "$WORK/$name.log" "${FLAGS[@]}" "$@"
  fetch /metrics >"$WORK/$name.prom"
  kill "$EXPORTER_PID"
  wait "$EXPORTER_PID" 2>/dev/null || true
  grep -q "netstat_exporter_collector_success" "$WORK/$name.prom" || fail "$name: no metrics"
  for c in interfaces routes multicast; do
    expect_eq "$name: $c success" \
      "$(metric_value "netstat_exporter_collector_success{collector=\"$c\"}" "$WORK/$name.prom")" 1
  done
}

# expect_same WHAT GOT_FILE WANT_FILE
expect_same() {
  diff -u "$3" "$2" >"$WORK/diff" || fail "$1 differs (- want, + got):
$(cat "$WORK/diff")"
}

# --- interfaces: counters within [before, after] of sysfs statistics ---
STATS="rx_bytes rx_packets rx_errors rx_dropped rx_fifo_errors rx_frame_errors rx_compressed
multicast tx_bytes tx_packets tx_errors tx_dropped tx_fifo_errors collisions tx_carrier_errors
tx_compressed"
METRICS="receive_bytes receive_packets receive_errors receive_dropped receive_fifo_errors
receive_frame_errors receive_compressed receive_multicast transmit_bytes transmit_packets
transmit_errors transmit_dropped transmit_fifo_errors transmit_collisions
transmit_carrier_errors transmit_compressed"
snapshot() {
  ip netns exec "$NS" sh -c 'for d in lo veth0 veth2; do for s in '"$(echo $STATS)"'; do
    echo "$d $s $(cat /sys/class/net/$d/statistics/$s)"; done; done' >"$1"
}
snapshot "$WORK/before"
scrape live
snapshot "$WORK/after"
P=$WORK/live.prom
for dev in lo veth0 veth2; do
  set -- $METRICS
  for s in $STATS; do
    got=$(metric_value "netstat_interface_${1}_total{interface=\"$dev\"}" "$P")
    lo_=$(awk -v d=$dev -v s=$s '$1 == d && $2 == s { print $3 }' "$WORK/before")
    hi_=$(awk -v d=$dev -v s=$s '$1 == d && $2 == s { print $3 }' "$WORK/after")
    [ -n "$got" ] || fail "no $1 for $dev"
    awk -v g="$got" -v l="$lo_" -v h="$hi_" 'BEGIN { exit !(g + 0 >= l + 0 && g + 0 <= h + 0) }' ||
      fail "$dev $1: got $got, sysfs $s went $lo_ -> $hi_"
    shift
  done
  line=$(ip -n "$NS" -o link show dev "$dev")
  state=$(awk '{ for (i = 1; i < NF; i++) if ($i == "state") print tolower($(i + 1)) }' <<<"$line")
  mtu=$(awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }' <<<"$line")
  mac=$(awk '{ for (i = 1; i < NF; i++) if ($i ~ /^link\//) print $(i + 1) }' <<<"$line")
  up=0
  [ "$state" = up ] && up=1
  [ "$state" = unknown ] && [[ "$line" =~ [\<,]UP[,\>] ]] && up=1
  expect_eq "$dev up" "$(metric_value "netstat_interface_up{interface=\"$dev\"}" "$P")" "$up"
  expect_eq "$dev mtu" "$(metric_value "netstat_interface_mtu_bytes{interface=\"$dev\"}" "$P")" "$mtu"
  expect_eq "$dev info" "$(metric_value \
    "netstat_interface_info{interface=\"$dev\",address=\"$mac\",operstate=\"$state\"}" "$P")" 1
done
expect_eq "lo up (unknown + IFF_UP)" "$(metric_value 'netstat_interface_up{interface="lo"}' "$P")" 1
expect_eq "veth2 down" "$(metric_value 'netstat_interface_up{interface="veth2"}' "$P")" 0
speed=$(ip netns exec "$NS" cat /sys/class/net/veth0/speed)
expect_eq "veth0 speed" "$(metric_value 'netstat_interface_speed_bytes{interface="veth0"}' "$P")" \
  "$((speed * 125000))"
! grep -q 'netstat_interface_speed_bytes{interface="lo"}' "$P" || fail "lo has a speed"
! grep -q 'netstat_interface_speed_bytes{interface="veth2"}' "$P" || fail "veth2 has a speed"

# --- routes: the main table as `ip route` shows it, as family|destination|gateway|dev ---
ROUTE_AWK='{
  i = 1
  if ($1 ~ /^(unicast|blackhole|unreachable|prohibit|throw)$/) i = 2
  dst = $i
  if (dst == "default") dst = (fam == "ipv4" ? "0.0.0.0/0" : "::/0")
  else if (dst !~ /\//) dst = dst (fam == "ipv4" ? "/32" : "/128")
  gw = ""; dev = ""
  for (j = i + 1; j < NF; j++) { if ($j == "via") gw = $(j + 1); if ($j == "dev") dev = $(j + 1) }
  print fam "|" dst "|" gw "|" dev
}'
{
  ip -n "$NS" -4 route show table main | awk -v fam=ipv4 "$ROUTE_AWK"
  ip -n "$NS" -6 route show table main | awk -v fam=ipv6 "$ROUTE_AWK"
} | sort >"$WORK/routes.want"
[ "$(wc -l <"$WORK/routes.want")" -ge 9 ] || fail "setup: too few routes: $(cat "$WORK/routes.want")"
awk -F'|' '{ print $1 "|" $4 }' "$WORK/routes.want" | sort | uniq -c |
  awk '{ print $2 "|" $1 }' | sort >"$WORK/counts.want"
grep -E '\|(0\.0\.0\.0|::)/0\|' "$WORK/routes.want" >"$WORK/defaults.want"

route_info() {  # route_info PROM: netstat_route_info as family|destination|gateway|dev
  sed -nE 's/^netstat_route_info\{family="([^"]*)",destination="([^"]*)",gateway="([^"]*)",interface="([^"]*)"\} 1$/\1|\2|\3|\4/p' \
    "$1" | sort
}
route_counts() {
  sed -nE 's/^netstat_routes\{family="([^"]*)",interface="([^"]*)"\} ([0-9]+)$/\1|\2|\3/p' "$1" |
    sort
}
route_counts "$P" >"$WORK/counts.live"
expect_same "netstat_routes (rtnetlink)" "$WORK/counts.live" "$WORK/counts.want"
route_info "$P" >"$WORK/defaults.live"
expect_same "default netstat_route_info (rtnetlink)" "$WORK/defaults.live" "$WORK/defaults.want"

# --- multicast: per family and interface, as `ip maddr` counts inet / inet6 lines ---
ip -n "$NS" maddr show | awk '
  /^[0-9]+:/ { dev = $2; sub(/@.*/, "", dev) }
  $1 == "inet" { n["ipv4|" dev]++ }
  $1 == "inet6" { n["ipv6|" dev]++ }
  END { for (k in n) print k "|" n[k] }' | sort >"$WORK/mcast.want"
sed -nE 's/^netstat_multicast_groups\{family="([^"]*)",interface="([^"]*)"\} ([0-9]+)$/\1|\2|\3/p' \
  "$P" | sort >"$WORK/mcast.live"
expect_same "netstat_multicast_groups" "$WORK/mcast.live" "$WORK/mcast.want"
! grep -q '^netstat_multicast_group_info' "$P" || fail "group_info without group_labels"

# --- config file: every route, group labels, an interface exclude ---
cat >"$WORK/config.yml" <<YAML
collectors:
  interfaces: {enabled: true, exclude: "^veth2\$"}
  routes: {enabled: true, all: true}
  multicast: {enabled: true, group_labels: true}
YAML
scrape all --config.file="$WORK/config.yml"
route_info "$WORK/all.prom" >"$WORK/routes.live"
expect_same "netstat_route_info with routes.all (rtnetlink)" "$WORK/routes.live" \
  "$WORK/routes.want"
expect_eq "no routes dropped" "$(metric_value netstat_route_info_dropped "$WORK/all.prom")" 0
for g in 'ipv4",interface="veth0",group="239.1.2.3' 'ipv6",interface="veth0",group="ff05::1:3'; do
  expect_eq "group $g" "$(metric_value "netstat_multicast_group_info{family=\"$g\"}" \
    "$WORK/all.prom")" 1
done
expect_eq "group_info series" "$(grep -c '^netstat_multicast_group_info{' "$WORK/all.prom")" \
  "$(awk -F'|' '{ s += $3 } END { print s }' "$WORK/mcast.want")"
! grep -q '^netstat_interface_.*interface="veth2"' "$WORK/all.prom" || fail "veth2 not excluded"
grep -q 'netstat_interface_up{interface="veth0"} 1' "$WORK/all.prom" || fail "veth0 missing"

# --- the same through /proc/net/route + ipv6_route (a procfs path that is not /proc) ---
# /proc/net/ipv6_route has no table column, so another table's IPv6 route would show
# up there (documented in proc_route_parser.h); /proc/net/route does keep to main.
ip -n "$NS" -6 route del 2001:db8:2::/48 via 2001:db8::1 table 100
ln -s /proc "$WORK/proc"
scrape files --config.file="$WORK/config.yml" --path.procfs="$WORK/proc"
route_info "$WORK/files.prom" >"$WORK/routes.files"
expect_same "netstat_route_info from /proc/net files" "$WORK/routes.files" "$WORK/routes.want"
route_counts "$WORK/files.prom" >"$WORK/counts.files"
expect_same "netstat_routes from /proc/net files" "$WORK/counts.files" "$WORK/counts.want"

# --- routes.max caps netstat_route_info, default routes first ---
cat >"$WORK/capped.yml" <<YAML
collectors:
  routes: {enabled: true, all: true, max: 3}
YAML
scrape capped --config.file="$WORK/capped.yml"
route_info "$WORK/capped.prom" >"$WORK/routes.capped"
expect_eq "capped series" "$(wc -l <"$WORK/routes.capped")" 3
grep -qF 'ipv4|0.0.0.0/0|192.0.2.1|veth0' "$WORK/routes.capped" || fail "cap hid a default"
grep -qF 'ipv6|::/0|2001:db8::1|veth0' "$WORK/routes.capped" || fail "cap hid a default"
expect_eq "dropped" "$(metric_value netstat_route_info_dropped "$WORK/capped.prom")" \
  "$(($(wc -l <"$WORK/routes.want") - 3))"

echo "PASS: interfaces, routes ($(wc -l <"$WORK/routes.want") main-table routes) and multicast"
