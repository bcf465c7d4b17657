#!/usr/bin/env bash
# The Grafana dashboard against a real Prometheus: every target of every panel, with the
# dashboard's variables set as Grafana would set them, must return data.
#   1. Structure (jq): unique panel ids, a gridPos on every panel, ${datasource} on every
#      panel, target and query variable, no instance written into any query.
#   2. A namespace $NS holds the exporter (namespaces: {mode: all}), Prometheus scraping it
#      every second and known listeners with pending connections; a second namespace
#      $FOREIGN holds more; one without a bind mount (unshare) is labelled net:[INODE].
#      Expected rules leave one listener of $NS and of $FOREIGN unexpected.
#   3. The instance and netns variables are computed from their own queries (the netns one
#      through its query_result() and regex, as Grafana does), then every target is run
#      through /api/v1/query for each netns choice (host, $FOREIGN, all) and must be
#      non-empty. Targets that may be empty by design are in ALLOWED_EMPTY below.
#   $1 exporter binary, $2 source tree, $3 netstat_e2e_listener, [$4 dashboard JSON]
BIN=$(realpath "$1") # absolute: nsenter --mount starts in /
SRC=$2
HELPER=$(realpath "$3")
DASH=${4:-$SRC/deploy/grafana/netstat_exporter.json}
source "$SRC/tests/e2e/lib.sh"
command -v jq >/dev/null || fail "jq is missing (tools/install-deps.sh installs it)"
jq -e . "$DASH" >/dev/null || fail "$DASH is not valid JSON"

# Panel/refId pairs that may return nothing, with the reason. Few: this test makes every
# other condition happen (unexpected listeners in both namespaces, pending connections,
# traffic, refused connects).
declare -A ALLOWED_EMPTY=(
  # A foreign namespace's queue series exist only while they hold bytes (its connections
  # here are idle); the host's are always there.
  [5/A]="no bytes queued in the namespace"
  [5/B]="no bytes queued in the namespace"
)

## 1. Structure
structure_check() {  # structure_check WHAT JQ_EXPRESSION: the expression must be true
  jq -e "$2" "$DASH" >/dev/null || fail "dashboard structure: $1"
}
PANELS='[.panels[], (.panels[] | .panels[]?)]'
structure_check "schemaVersion 38 or later (Grafana 10+)" '.schemaVersion >= 38'
structure_check "panel ids unique" "$PANELS | map(.id) | (length == (unique | length)) and all(type == \"number\")"
structure_check "a gridPos on every panel, inside the 24 columns" \
  "$PANELS | all(.gridPos | (.x, .y, .w, .h | type == \"number\") and .w > 0 and .h > 0 and .x + .w <= 24)"
structure_check "no two panels overlap" "$PANELS | [.[].gridPos] | [combinations(2)] |
  all(.[0] as \$a | .[1] as \$b | \$a == \$b or \$a.x + \$a.w <= \$b.x or \$b.x + \$b.w <= \$a.x or
      \$a.y + \$a.h <= \$b.y or \$b.y + \$b.h <= \$a.y)"
structure_check "datasource \${datasource} on every panel" \
  "$PANELS | all(.datasource == {\"type\": \"prometheus\", \"uid\": \"\${datasource}\"})"
structure_check "datasource \${datasource} on every target" \
  "[$PANELS[] | .targets[]?] | length > 0 and all(.datasource.uid == \"\${datasource}\")"
structure_check "every non-row panel has targets" \
  "$PANELS | map(select(.type != \"row\")) | all(.targets | length > 0)"
structure_check "variable datasource: type datasource, prometheus" \
  '.templating.list | any(.name == "datasource" and .type == "datasource" and .query == "prometheus")'
structure_check "variables instance and netns query \${datasource}" \
  '[.templating.list[] | select(.name == "instance" or .name == "netns")] |
   length == 2 and all(.type == "query" and .datasource.uid == "${datasource}")'
structure_check "instance from netstat_exporter_build_info" \
  '.templating.list[] | select(.name == "instance") |
   (.query.query // .query) == "label_values(netstat_exporter_build_info, instance)"'
structure_check "every target selects \$instance" "[$PANELS[] | .targets[]?.expr] | all(test(\"\\\\\$instance\"))"
structure_check "no literal instance: every instance matcher is \$instance" \
  '[.. | strings | scan("instance\\s*[=!]~?\\s*\"[^\"]*\"")] | all(test("\"\\$instance\"$"))'
structure_check "no address or port written into the dashboard" \
  '[.. | strings | select(test("127\\.0\\.0\\.1|localhost|:[0-9]{4,5}\\b"))] | length == 0'

## 2. Namespaces, listeners, the exporter and Prometheus
new_netns netstat_dash
FOREIGN=netstat_dashf_$$
ip netns add "$FOREIGN"
ip -n "$FOREIGN" link set lo up
# mode: all reads every namespace of the machine, and a busy machine (parallel tests, a
# benchmark's hundreds) would push ours past namespaces.max and each scrape past 1 s. So
# the exporter and the helpers live in a PID namespace of their own (a private /proc), and
# the only bind-mount directory it reads holds $FOREIGN alone.
mkdir "$WORK/netns"
touch "$WORK/netns/$FOREIGN"
mount --bind "/run/netns/$FOREIGN" "$WORK/netns/$FOREIGN"
unshare --pid --kill-child --mount-proc sleep 600 &
HOLDER=$!
cleanup_dash() {
  # SIGKILL to the PID namespace's init ends everything in it; unshare then exits.
  [ -z "${INIT:-}" ] || kill -9 "$INIT" 2>/dev/null || true
  kill "$HOLDER" 2>/dev/null || true
  umount "$WORK/netns/$FOREIGN" 2>/dev/null || true
  cleanup_netns
  for p in $(ip netns pids "$FOREIGN" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  ip netns delete "$FOREIGN" 2>/dev/null || true
}
trap cleanup_dash EXIT
INIT=""
for _ in $(seq 1 200); do
  INIT=$(pgrep -P "$HOLDER" -x sleep || true)
  [ -n "$INIT" ] && [ "$(readlink "/proc/$INIT/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] && break
  INIT=""
  sleep 0.05
done
[ -n "$INIT" ] || fail "no PID namespace"
# --root --wd: the target's root, which is not / when the tests run in a chroot.
in_pidns() { nsenter --target "$INIT" --pid --mount --root --wd -- "$@"; }

start_helper() {  # start_helper NAME COMMAND...: a helper in the PID namespace, once ready
  local name=$1
  shift
  in_pidns "$@" >"$WORK/$name.out" 2>&1 &
  for _ in $(seq 1 200); do
    grep -q '^ready ' "$WORK/$name.out" && return 0
    sleep 0.05
  done
  fail "$name did not get ready: $(cat "$WORK/$name.out")"
}
# Pending (unaccepted) connections fill the accept queues and the per-port connections.
start_helper own ip netns exec "$NS" "$HELPER" tcp,127.0.0.1,22,8,1 tcp,::1,8080,4,2 udp,127.0.0.1,53
start_helper foreign ip netns exec "$FOREIGN" "$HELPER" tcp,127.0.0.1,22,8,0 tcp,127.0.0.1,8443,4,3
# A namespace without a bind mount (only a process holds it) is labelled net:[INODE].
start_helper nameless unshare --net "$HELPER" udp,0.0.0.0,5000
NAMELESS_PID=$(awk '$1 == "ready" { print $2 }' "$WORK/nameless.out") # in the PID namespace
NAMELESS="net:[$(in_pidns stat -L -c %i "/proc/$NAMELESS_PID/ns/net")]"

cat >"$WORK/exporter.yml" <<YAML
namespaces: {mode: all, bind_mount_dirs: [$WORK/netns]}
collectors:
  sockets: {remote_ports: [8080, 8443]} # the helpers' clients: live RTT to a remote port
  listeners:
    expected:
      - {port: 22}
      - {process: netstat_exporter}
      - {port: 9090} # Prometheus, outside the PID namespace: no owner
YAML
EXPORTER_PREFIX=(nsenter --target "$INIT" --pid --mount --root --wd -- ip netns exec "$NS")
start_exporter "$WORK/exporter.log" --config.file="$WORK/exporter.yml"

# tcp_health keys a port on its first event, and a histogram appears with its first
# observation: in each namespace, before the scrapes begin, a refused connect (a reset
# sent for the closed port, a failed connect) and a connection that opens and closes on
# both ends (a listener with one pending connection of its own, ended at once: the close
# takes both sockets with it).
for ns in "$NS" "$FOREIGN"; do
  in_pidns ip netns exec "$ns" curl -s --max-time 2 http://127.0.0.1:9/ >/dev/null 2>&1 || true
  start_helper "closing_$ns" ip netns exec "$ns" "$HELPER" tcp,127.0.0.1,8444,4,1
  in_pidns kill "$(awk '$1 == "ready" { print $2 }' "$WORK/closing_$ns.out")"
done
start_prometheus "127.0.0.1:$PORT"

# Rate windows are [30s] here; 5 scrapes at 1 s give every rate() enough samples.
deadline=$((SECONDS + 40))
ready=""
while [ $SECONDS -lt $deadline ]; do
  if query "count_over_time(up{job=\"netstat\"}[30s]) >= 5 and on() up{job=\"netstat\"} == 1" 2>/dev/null |
    jq -e '.data.result | length == 1' >/dev/null; then
    ready=1
    break
  fi
  sleep 0.5
done
[ -n "$ready" ] || fail "Prometheus did not get 5 good scrapes in 40 s: $(tail -3 "$WORK/prometheus.log")"

## 3. Variables as Grafana sets them, then every target
variable_query() { jq -r --arg n "$1" '.templating.list[] | select(.name == $n) | .query.query // .query' "$DASH"; }
# Grafana puts a single-value variable into a Prometheus query with \ and ' escaped only.
grafana_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\\\\\'/g"; }

# instance: label_values(netstat_exporter_build_info, instance)
[ "$(variable_query instance)" = "label_values(netstat_exporter_build_info, instance)" ] ||
  fail "instance variable: unexpected query $(variable_query instance)"
INSTANCE=$(query 'count by (instance) (netstat_exporter_build_info)' | jq -r '.data.result[].metric.instance')
expect_eq "instance variable values" "$INSTANCE" "127.0.0.1:$PORT"

# netns: query_result(EXPR) rendered as Grafana does ({name="value",...} value time),
# then the variable's regex: the named group value is the option's value, text its text.
netns_q=$(variable_query netns)
case $netns_q in query_result\(*\)) ;; *) fail "netns variable: not a query_result(): $netns_q" ;; esac
netns_q=${netns_q#query_result(}
netns_q=${netns_q%)}
netns_q=${netns_q//\$instance/$(grafana_escape "$INSTANCE")}
query "$netns_q" >"$WORK/netns.json"
jq -r --arg r "$(jq -r '.templating.list[] | select(.name == "netns") | .regex' "$DASH")" '
  ($r | capture("^/(?<re>.*)/(?<flags>[a-z]*)$")) as $rx |
  .data.result[] |
  "{" + (.metric | to_entries | map("\(.key)=\"\(.value)\"") | join(",")) + "} " + .value[1] |
  [match($rx.re; $rx.flags).captures[] | select(.string != null and .string != "")] as $c |
  ($c | map(select(.name == "value")) | first.string) as $v |
  ($c | map(select(.name == "text")) | first.string) as $t |
  select($v != null or $t != null) |
  "\($v // $t)\t\($t // $v)"' "$WORK/netns.json" >"$WORK/netns.options" ||
  fail "netns variable: cannot apply its regex to $(cat "$WORK/netns.json")"
option_value() {  # option_value TEXT: the value of the netns option shown as TEXT
  awk -F'\t' -v t="$1" '$2 == t { print $1 }' "$WORK/netns.options"
}
HOST_VALUE=$(option_value "host (no netns label)")
FOREIGN_VALUE=$(option_value "$FOREIGN")
ALL_VALUE=$(option_value "all namespaces")
[ -n "$HOST_VALUE" ] && [ -n "$FOREIGN_VALUE" ] && [ -n "$ALL_VALUE" ] ||
  fail "netns variable: want options host, $FOREIGN and all; have:
$(cat "$WORK/netns.options")"
# Each value, used as netns=~VALUE, must select exactly what its text says.
selects() {  # selects VALUE PROMQL_MATCHER: the netns values that netns=~VALUE selects
  query "count by (netns) (netstat_sockets{instance=\"$INSTANCE\",netns=~\"$(grafana_escape "$1")\"})" |
    jq -r '[.data.result[].metric.netns // ""] | sort | join(",")'
}
expect_eq "netns host option selects" "$(selects "$HOST_VALUE")" ""
expect_eq "netns $FOREIGN option selects" "$(selects "$FOREIGN_VALUE")" "$FOREIGN"
[ "$(selects "$ALL_VALUE" | tr ',' '\n' | grep -c .)" -ge 2 ] || fail "netns all option selects only one"
# A namespace without a bind mount is net:[INODE]: brackets in a regex, so its value must
# come escaped.
NAMELESS_VALUE=$(option_value "$NAMELESS")
[ -n "$NAMELESS_VALUE" ] || fail "netns variable: no option for $NAMELESS"
expect_eq "netns $NAMELESS option selects" "$(selects "$NAMELESS_VALUE")" "$NAMELESS"

# Every target of every panel, for each netns choice when it uses $netns.
jq -r "$PANELS[] | select(.targets) | .id as \$id | .title as \$title |
  .targets[] | [\$id, .refId, \$title, .expr] | @tsv" "$DASH" >"$WORK/targets.tsv"
failures=""
checked=0
run_target() {  # run_target ID REF TITLE EXPR NETNS_TEXT NETNS_VALUE
  local expr=$4
  expr=${expr//\$__rate_interval/30s}
  expr=${expr//\$\{instance\}/$(grafana_escape "$INSTANCE")}
  expr=${expr//\$instance/$(grafana_escape "$INSTANCE")}
  expr=${expr//\$\{netns\}/$(grafana_escape "$6")}
  expr=${expr//\$netns/$(grafana_escape "$6")}
  if grep -qE '\$(\{|[A-Za-z_])' <<<"$expr"; then
    failures+="panel $1/$2 \"$3\": a variable this test does not know: $expr"$'\n'
    return
  fi
  checked=$((checked + 1))
  query "$expr" >"$WORK/answer.json" || true
  if ! jq -e '.status == "success"' "$WORK/answer.json" >/dev/null 2>&1; then
    failures+="panel $1/$2 \"$3\" (netns $5): $(head -c 300 "$WORK/answer.json"): $expr"$'\n'
  elif ! jq -e '.data.result | length > 0' "$WORK/answer.json" >/dev/null; then
    if [ -n "${ALLOWED_EMPTY[$1/$2]:-}" ]; then
      echo "allowed empty: panel $1/$2 \"$3\" (netns $5): ${ALLOWED_EMPTY[$1/$2]}"
    else
      failures+="panel $1/$2 \"$3\" (netns $5): no data: $expr"$'\n'
    fi
  fi
}
while IFS=$'\t' read -r id ref title expr; do
  expr=${expr//\\\\/\\} # @tsv writes a backslash as two
  if [[ $expr == *'$netns'* || $expr == *'${netns}'* ]]; then
    run_target "$id" "$ref" "$title" "$expr" host "$HOST_VALUE"
    run_target "$id" "$ref" "$title" "$expr" "$FOREIGN" "$FOREIGN_VALUE"
    run_target "$id" "$ref" "$title" "$expr" all "$ALL_VALUE"
  else
    run_target "$id" "$ref" "$title" "$expr" "-" ""
  fi
done <"$WORK/targets.tsv"
[ -z "$failures" ] || fail "dashboard targets without data:
$failures"
[ "$checked" -ge 20 ] || fail "only $checked queries run; the dashboard lost its panels?"
echo "dashboard: structure good, $checked queries over $(wc -l <"$WORK/targets.tsv") targets all return data"
