#!/usr/bin/env bash
# Namespaces benchmark: what `namespaces: {mode: all}` costs, and whether it stays flat.
#  1. N named namespaces (default 100), each with one helper process holding 2 TCP
#     listeners (127.0.0.1 and ::1) and 20 un-accepted loopback connections (40
#     sockets), plus the host's own sockets. Three exporters in the host namespace, with
#     the sockets and listeners collectors: mode own; mode all with one BPF walk of the
#     host's TCP (sockets.source auto, the default), with and without CAP_SYS_ADMIN; mode
#     all by netlink per namespace (source netlink, as without BPF) and by /proc (source
#     netlink without CAP_SYS_ADMIN), scraped in rounds so that background load hits all
#     alike. Prints the median scrape times, the ratio to mode own (goal for the walk <= 2x)
#     and the extra cost per namespace = (all - own) / N; next to it the bare sock_diag
#     dumps of one namespace (nl_count), the kernel's share of the netlink cost. Prints
#     series per namespace; goal <= 30.
#  2. CHURN_SCRAPES scrapes (default 1000) of the netlink exporter while every 10 scrapes 5
#     namespaces are deleted and 5 created: open fds and VmRSS at the start, middle and
#     end; goal flat fds and RSS <= 16 MB, and no series of a deleted namespace left in the
#     last scrape. The churned exporter is the default one (the walk when BPF loads).
#     CHURN_SCRAPES=0 skips the churn (for N=1000: `namespaces_bench.sh build 1000 0`).
#  Above PROC_MAX namespaces (default 200) the /proc exporter is left out: at 1,000 one
#  of its scrapes takes longer than the exporter's 60 s response timeout.
# Table on stdout and in BUILD/bench/namespaces_bench.txt.
#   [EHASH=1024] namespaces_bench.sh BUILD_DIR [N] [CHURN_SCRAPES]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
COUNT=${2:-100}
CHURN_SCRAPES=${3:-1000}
BIN=$BUILD/netstat_exporter
HELPER=$BUILD/tests/e2e/netstat_e2e_listener
NLCOUNT=$BUILD/tests/bench/netstat_nl_count
OUT=$BUILD/bench/namespaces_bench.txt
ROUNDS=${ROUNDS:-30}
CONNS=10 # un-accepted connections per listener: 2 listeners, 20 connections, 40 sockets
RSS_GOAL_KB=16384
NS_GOAL_MS=1
SERIES_GOAL=30

PREFIX=netstat_bench_ns_$$
NS=${PREFIX}_0 # lib.sh's own cleanup takes one name; ours below takes them all
source "$(dirname "$0")/lib.sh"
[ -x "$HELPER" ] || fail "$HELPER not built"
export LC_ALL=C

LIVE=()    # namespaces alive, oldest first
DELETED=() # namespaces deleted during the churn
declare -A HELPER_OF
NEXT=0
cleanup_all() {
  for p in "${HELPER_OF[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${HELPER_OF[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  for n in "${LIVE[@]:-}"; do
    [ -n "$n" ] || continue
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns delete "$n" 2>/dev/null || true
  done
  cleanup
}
trap cleanup_all EXIT
trap "exit 1" INT TERM # so that the EXIT trap cleans up

# EHASH=N: the bench's namespaces get a TCP established hash of their own, N buckets
# (net.ipv4.tcp_child_ehash_entries, Linux 6.1+, read when a namespace is made), set only
# while they are made and restored at once. By default they share the host's, whose walk
# is most of what each namespace costs a sock_diag dump (see README, Network namespaces).
EHASH=${EHASH:-}
CHILD_EHASH=$(sysctl -n net.ipv4.tcp_child_ehash_entries 2>/dev/null || echo "")
with_ehash() {
  if [ -n "$EHASH" ] && [ -n "$CHILD_EHASH" ]; then
    sysctl -qw net.ipv4.tcp_child_ehash_entries="$EHASH"
    "$@" || { sysctl -qw net.ipv4.tcp_child_ehash_entries="$CHILD_EHASH"; return 1; }
    sysctl -qw net.ipv4.tcp_child_ehash_entries="$CHILD_EHASH"
  else
    "$@"
  fi
}
# add_namespaces K: K new namespaces, each with its helper; waits until all are ready.
add_namespaces() {
  local new=() n i
  for _ in $(seq 1 "$1"); do
    n=${PREFIX}_$NEXT
    NEXT=$((NEXT + 1))
    with_ehash ip netns add "$n"
    LIVE+=("$n")
    ip -n "$n" link set lo up
    ip netns exec "$n" "$HELPER" tcp,127.0.0.1,8000,64,$CONNS tcp,::1,8001,64,$CONNS \
      >"$WORK/$n.out" 2>&1 &
    HELPER_OF[$n]=$!
    new+=("$n")
  done
  for n in "${new[@]}"; do
    for i in $(seq 1 200); do grep -q '^ready' "$WORK/$n.out" && break; sleep 0.02; done
    grep -q '^ready' "$WORK/$n.out" || fail "helper in $n: $(cat "$WORK/$n.out")"
  done
}
# drop_namespaces K: deletes the K oldest namespaces and ends their helpers.
drop_namespaces() {
  local n
  for _ in $(seq 1 "$1"); do
    n=${LIVE[0]}
    LIVE=("${LIVE[@]:1}")
    ip netns delete "$n"
    kill "${HELPER_OF[$n]}" 2>/dev/null || true
    wait "${HELPER_OF[$n]}" 2>/dev/null || true
    unset "HELPER_OF[$n]"
    DELETED+=("$n")
    rm -f "$WORK/$n.out"
  done
}

# exporter NAME MODE SOURCE [PREFIX...]: starts one in the host namespace; sets URL_<NAME>,
# PID_<NAME>.
exporter() {
  local name=$1 mode=$2 source=$3 log=$WORK/$1.log port="" pid
  shift 3
  # max as high as it goes: namespaces of other work on the host must not crowd ours out.
  printf 'namespaces: {mode: %s, max: 100000}\ncollectors: {sockets: {source: %s}}\n' "$mode" "$source" \
    >"$WORK/$name.yml"
  : >"$log"
  "$@" "$BIN" --web.listen-address=127.0.0.1:0 --config.file="$WORK/$name.yml" \
    --collector.disable-defaults --collector.sockets --collector.listeners 2>"$log" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do
    port=$(grep -o 'port=[0-9]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "$name exporter exited: $(cat "$log")"
    sleep 0.05
  done
  [ -n "$port" ] || fail "$name exporter did not start: $(cat "$log")"
  printf -v "URL_$name" 'http://127.0.0.1:%s/metrics' "$port"
  printf -v "PID_$name" '%s' "$pid"
}
scrape_time() { curl -sS -o /dev/null -w '%{time_total}\n' --max-time 60 "$1"; }
cap_sys_admin() { awk '$1 == "CapEff:" { print int(("0x" $2) / 2 ^ 21) % 2 }' "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
# mine FILE: the series of this bench's namespaces (the host may hold others).
mine() { grep -F "netns=\"${PREFIX}_" "$1" || true; }
covered() { mine "$1" | grep -c '^netstat_namespace_info{' || true; }

# --- 1. Cost per namespace.
echo "creating $COUNT namespaces..." >&2
T0=$(now)
add_namespaces "$COUNT"
SETUP_S=$(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
HOST_TCP=$(ss -Htan | wc -l)
NS_TCP=$(ip netns exec "${LIVE[0]}" ss -Htan | wc -l)

NOADMIN=(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin --)
exporter own own auto
exporter walk all auto
exporter walkp all auto "${NOADMIN[@]}"
exporter nl all netlink
EXPORTERS=(own walk walkp nl)
PROC_MAX=${PROC_MAX:-200}
if [ "$COUNT" -le "$PROC_MAX" ]; then
  exporter proc all netlink "${NOADMIN[@]}"
  EXPORTERS+=(proc)
fi
for e in "${EXPORTERS[@]}"; do
  url=URL_$e
  curl -sS --max-time 60 "${!url}" >"$WORK/$e.prom" # warm-up, and the series counted below
done
[ "$(cap_sys_admin "$PID_nl")" = 1 ] || fail "the netlink exporter lost CAP_SYS_ADMIN"
[ -z "${PID_proc:-}" ] || [ "$(cap_sys_admin "$PID_proc")" = 0 ] ||
  fail "the /proc exporter still has CAP_SYS_ADMIN"
[ "$(cap_sys_admin "$PID_walkp")" = 0 ] || fail "the walkp exporter still has CAP_SYS_ADMIN"
[ "$(covered "$WORK/own.prom")" = 0 ] || fail "mode own reports foreign namespaces"
for e in "${EXPORTERS[@]:1}"; do
  [ "$(covered "$WORK/$e.prom")" = "$COUNT" ] ||
    fail "$e: $(covered "$WORK/$e.prom") of $COUNT namespaces in netstat_namespace_info"
done

rm -f "$WORK"/t.*
for _ in $(seq 1 $ROUNDS); do
  for e in "${EXPORTERS[@]}"; do
    url=URL_$e
    scrape_time "${!url}" >>"$WORK/t.$e"
  done
  # The kernel's part: the same sock_diag dumps, bare, in one namespace (in-process time).
  ip netns exec "${LIVE[0]}" "$NLCOUNT" 1 | awk '{ print $2 / 1000 }' >>"$WORK/t.bare"
done
OWN_S=$(median <"$WORK/t.own") NL_S=$(median <"$WORK/t.nl") PROC_S=""
[ -n "${PID_proc:-}" ] && PROC_S=$(median <"$WORK/t.proc")
WALK_S=$(median <"$WORK/t.walk") WALKP_S=$(median <"$WORK/t.walkp")
# Which way the default exporter read the bench's namespaces (netstat_sockets_source_info).
WALK_WAYS=$(mine "$WORK/walk.prom" | grep '^netstat_sockets_source_info{' |
  sed -E 's/.*source="([^"]*)".*/\1/' | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }')
BARE_S=$(median <"$WORK/t.bare")
# Namespaces of other work on the host are covered too: the cost is shared by all of them.
FOREIGN=$(grep -c '^netstat_namespace_info{' "$WORK/nl.prom" || true)
for e in walk nl; do curl -sS --max-time 60 "$(eval echo "\$URL_$e")" >"$WORK/$e.prom"; done
# Every series of the walk equals netlink's, but for the source it names.
same_series() { mine "$1" | grep -v '^netstat_sockets_source_info{' | sort; }
SAME=$(diff <(same_series "$WORK/walk.prom") <(same_series "$WORK/nl.prom") | grep -c '^[<>]' || true)
series_per_ns() { mine "$1" | wc -l | awk -v n="$COUNT" '{ printf "%.1f", $1 / n }'; }
series_max() { mine "$1" | sed -E 's/.*netns="([^"]*)".*/\1/' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }'; }
NL_SERIES=$(series_per_ns "$WORK/nl.prom") NL_SERIES_MAX=$(series_max "$WORK/nl.prom")
PROC_SERIES="" PROC_SERIES_MAX=""
if [ -n "$PROC_S" ]; then
  PROC_SERIES=$(series_per_ns "$WORK/proc.prom") PROC_SERIES_MAX=$(series_max "$WORK/proc.prom")
fi
mine "$WORK/nl.prom" | grep -F "netns=\"${LIVE[0]}\"" >"$WORK/one_ns.txt" || true
duration() { awk -v c="$2" '$1 == "netstat_exporter_collector_duration_seconds{collector=\"" c "\"}" { print $2 }' "$1"; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
stop "$PID_own"
[ -z "${PID_proc:-}" ] || stop "$PID_proc"
stop "$PID_walkp"
stop "$PID_nl"
URL_churn=$URL_walk PID_churn=$PID_walk

# --- 2. Churn: the netlink exporter stays; namespaces come and go under it.
echo "churn: $CHURN_SCRAPES scrapes, 5 namespaces deleted and 5 created every 10..." >&2
declare -A FDS RSS
T0=$(now)
cp "$WORK/walk.prom" "$WORK/churn.prom"
for i in $(seq 1 "$CHURN_SCRAPES"); do
  curl -sS --max-time 60 -o "$WORK/churn.prom" "$URL_churn"
  if [ "$i" = 1 ] || [ "$i" = $((CHURN_SCRAPES / 2)) ] || [ "$i" = "$CHURN_SCRAPES" ]; then
    FDS[$i]=$(fds "$PID_churn")
    RSS[$i]=$(rss_kb "$PID_churn")
  fi
  if [ $((i % 10)) = 0 ] && [ "$i" != "$CHURN_SCRAPES" ]; then
    drop_namespaces 5
    add_namespaces 5
  fi
done
CHURN_S=$(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
HWM_KB=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$PID_churn/status")
# The last scrape came after the last change: every live namespace, no deleted one.
printf '%s\n' "${DELETED[@]}" | sed 's/.*/netns="&"/' >"$WORK/deleted.txt"
STALE=$(grep -o 'netns="[^"]*"' "$WORK/churn.prom" | sort -u | grep -cxFf "$WORK/deleted.txt" || true)
LIVE_COVERED=$(covered "$WORK/churn.prom")
SUCCESS=$(awk '/^netstat_exporter_collector_success\{/ && $2 != "1"' "$WORK/churn.prom" | wc -l)

ms() { awk -v v="$1" 'BEGIN { printf "%.2f", v * 1000 }'; }
per_ns() { awk -v a="$1" -v o="$2" -v n="$FOREIGN" 'BEGIN { printf "%.3f", (a - o) * 1000 / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1024 }'; }
NL_PER_NS=$(per_ns "$NL_S" "$OWN_S")
WALK_PER_NS=$(per_ns "$WALK_S" "$OWN_S")
WALKP_PER_NS=$(per_ns "$WALKP_S" "$OWN_S")
WALK_GOAL_X=2
PROC_PER_NS=""
[ -z "$PROC_S" ] || PROC_PER_NS=$(per_ns "$PROC_S" "$OWN_S")
MID=$((CHURN_SCRAPES / 2))
mkdir -p "$(dirname "$OUT")"
{
  echo "namespaces benchmark ($(date -u +%FT%TZ), $(nproc) cores, kernel $(uname -r))"
  echo "load: $COUNT namespaces (set up in ${SETUP_S} s), each one helper with 2 TCP listeners and"
  echo "      $((2 * CONNS)) connections ($NS_TCP TCP sockets as ss -tan counts them); host: $HOST_TCP TCP sockets"
  if [ -n "$EHASH" ]; then
    echo "TCP established hash: $EHASH buckets of its own per namespace (EHASH)"
  else
    echo "TCP established hash: shared with the host (EHASH=1024 gives each namespace its own)"
  fi
  echo "scrapes: curl time_total, sockets + listeners collectors, median of $ROUNDS rounds"
  echo "foreign namespaces covered: $FOREIGN ($COUNT made here; ms/namespace divides by all of them)"
  printf '%-34s %10s %8s %14s %12s\n' "exporter" "scrape ms" "x own" "ms/namespace" "series/ns"
  printf '%-34s %10s %8s %14s %12s\n' "mode own" "$(ms "$OWN_S")" "1.00" "" ""
  printf '%-34s %10s %8s %14s %12s\n' "mode all, one walk (default)" "$(ms "$WALK_S")" \
    "$(ratio "$WALK_S" "$OWN_S")" "$WALK_PER_NS" ""
  printf '%-34s %10s %8s %14s %12s\n' "  the same, no CAP_SYS_ADMIN" "$(ms "$WALKP_S")" \
    "$(ratio "$WALKP_S" "$OWN_S")" "$WALKP_PER_NS" ""
  printf '%-34s %10s %8s %14s %12s\n' "mode all, netlink per namespace" "$(ms "$NL_S")" \
    "$(ratio "$NL_S" "$OWN_S")" "$NL_PER_NS" "$NL_SERIES (max $NL_SERIES_MAX)"
  if [ -n "$PROC_S" ]; then
    printf '%-34s %10s %8s %14s %12s\n' "  the same, no CAP_SYS_ADMIN: /proc" "$(ms "$PROC_S")" \
      "$(ratio "$PROC_S" "$OWN_S")" "$PROC_PER_NS" "$PROC_SERIES (max $PROC_SERIES_MAX)"
  else
    echo "  the same, no CAP_SYS_ADMIN: /proc: left out above PROC_MAX=$PROC_MAX namespaces"
  fi
  printf '%-34s %10s %8s %14s\n' "bare dumps of one namespace" "" "" "$(ms "$BARE_S")"
  echo "bare: nl_count (tests/bench), every protocol's sock_diag dump in one of the namespaces,"
  echo "      in-process time: the kernel's share of the netlink cost per namespace"
  echo "the walk read the bench's namespaces as: ${WALK_WAYS:-?} (netstat_sockets_source_info);"
  echo "  series differing from netlink per namespace: $SAME"
  echo "goals: the walk <= ${WALK_GOAL_X}x mode own (and <= 20 ms at 1,000 namespaces);"
  echo "  <= $NS_GOAL_MS ms per namespace by netlink;"
  echo "  <= $SERIES_GOAL series per namespace"
  echo "last collector durations: walk: sockets $(ms "$(duration "$WORK/walk.prom" sockets)") ms," \
    "listeners $(ms "$(duration "$WORK/walk.prom" listeners)") ms; netlink: sockets" \
    "$(ms "$(duration "$WORK/nl.prom" sockets)") ms, listeners $(ms "$(duration "$WORK/nl.prom" listeners)") ms"
  echo
  if [ "$CHURN_SCRAPES" -gt 0 ]; then
    echo "churn: $CHURN_SCRAPES scrapes of the default exporter in ${CHURN_S} s, 5 namespaces deleted + 5 created every 10"
    printf '%-10s %8s %8s\n' "scrape" "fds" "RSS MB"
    for i in 1 "$MID" "$CHURN_SCRAPES"; do printf '%-10s %8s %8s\n' "$i" "${FDS[$i]}" "$(mb "${RSS[$i]}")"; done
    echo "peak RSS (VmHWM) $(mb "$HWM_KB") MB; goal: flat fds, RSS <= $(mb $RSS_GOAL_KB) MB"
    echo "last scrape: $LIVE_COVERED of ${#LIVE[@]} live namespaces covered, $STALE of ${#DELETED[@]}" \
      "deleted still labelled, $SUCCESS collectors failing"
  fi
  echo
  echo "one namespace's series (netlink):"
  sed 's/^/  /' "$WORK/one_ns.txt"
} | tee "$OUT"

awk -v a="$WALK_S" -v o="$OWN_S" -v g=$WALK_GOAL_X 'BEGIN { exit !(a <= g * o) }' ||
  echo "MISS: the walk at $(ratio "$WALK_S" "$OWN_S")x mode own, goal <= ${WALK_GOAL_X}x" >&2
awk -v v="$NL_PER_NS" -v g=$NS_GOAL_MS 'BEGIN { exit !(v <= g) }' ||
  echo "MISS: $NL_PER_NS ms per namespace by netlink, goal <= $NS_GOAL_MS" >&2
if [ "$COUNT" -ge 1000 ]; then
  awk -v a="$WALK_S" 'BEGIN { exit !(a <= 0.020) }' ||
    echo "MISS: the walk takes $(ms "$WALK_S") ms at $COUNT namespaces, goal <= 20" >&2
fi
[ "$SAME" = 0 ] || echo "MISS: $SAME series of the walk differ from netlink's" >&2
awk -v v="$NL_SERIES_MAX" -v g=$SERIES_GOAL 'BEGIN { exit !(v <= g) }' ||
  echo "MISS: up to $NL_SERIES_MAX series per namespace, goal <= $SERIES_GOAL" >&2
[ "$CHURN_SCRAPES" -gt 0 ] || exit 0
# A few fds come and go with HTTP connections; a leak per namespace would be hundreds.
[ "${FDS[$CHURN_SCRAPES]}" -le $((FDS[1] + 3)) ] ||
  echo "MISS: open fds grew under churn: ${FDS[1]} -> ${FDS[$MID]} -> ${FDS[$CHURN_SCRAPES]}" >&2
[ "${RSS[$CHURN_SCRAPES]}" -le $RSS_GOAL_KB ] ||
  echo "MISS: RSS $(mb "${RSS[$CHURN_SCRAPES]}") MB after the churn, goal <= $(mb $RSS_GOAL_KB)" >&2
[ "$STALE" = 0 ] || fail "series of $STALE deleted namespaces in the last scrape"
[ "$LIVE_COVERED" = "${#LIVE[@]}" ] || fail "only $LIVE_COVERED of ${#LIVE[@]} live namespaces in the last scrape"
[ "$SUCCESS" = 0 ] || fail "collectors failing in the last scrape: $(grep collector_success "$WORK/churn.prom")"
