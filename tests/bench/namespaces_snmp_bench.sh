#!/usr/bin/env bash
# What per-namespace `netstat -s` costs (namespaces mode all, issue 21): N named
# namespaces (default 100) set up as namespaces_bench.sh does (one helper each: 2 TCP
# listeners, 20 un-accepted loopback connections), and four exporters in the host
# namespace scraped in turns, ROUNDS (default 15) times:
#   sl     sockets + listeners, mode all
#   sls    sockets + listeners + snmp, mode all: snmp hears of the namespaces from their
#          shared reading
#   s_all  snmp alone, mode all: its reading (and discovery) is its own
#   s_own  snmp alone, mode own
# Prints median curl times, snmp's cost per namespace, (sls - sl) / N beside the shared
# reading and (s_all - s_own) / N alone (goal <= 0.1 ms), and the series of the most
# costly namespace of sls (goal <= 30 with per-port health series aside, as issue 21
# sets it: tcp_health's, and the live RTT of each port with connections, which are
# counted and shown apart).
#   namespaces_snmp_bench.sh BUILD_DIR [N]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
COUNT=${2:-100}
ROUNDS=${ROUNDS:-15}
BIN=$BUILD/netstat_exporter
HELPER=$BUILD/tests/e2e/netstat_e2e_listener
PREFIX=netstat_bench_snmp_$$
NS=${PREFIX}_0
source "$(dirname "$0")/lib.sh"
[ -x "$HELPER" ] || fail "$HELPER not built"
export LC_ALL=C

NAMES=()
cleanup_all() {
  cleanup
  for n in "${NAMES[@]:-}"; do
    [ -n "$n" ] || continue
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns delete "$n" 2>/dev/null || true
  done
}
trap cleanup_all EXIT
trap "exit 1" INT TERM

for i in $(seq 1 "$COUNT"); do
  n=${PREFIX}_$i
  ip netns add "$n"
  NAMES+=("$n")
  ip -n "$n" link set lo up
  ip netns exec "$n" "$HELPER" tcp,127.0.0.1,8000,64,10 tcp,::1,8001,64,10 >"$WORK/$n.out" 2>&1 &
  PIDS+=($!)
done
for n in "${NAMES[@]}"; do
  for _ in $(seq 1 200); do grep -q '^ready' "$WORK/$n.out" && break; sleep 0.02; done
  grep -q '^ready' "$WORK/$n.out" || fail "helper in $n: $(cat "$WORK/$n.out")"
done

declare -A URL
exporter() { # exporter NAME MODE COLLECTOR...
  local name=$1 mode=$2 log=$WORK/$1.log port=""
  shift 2
  printf 'namespaces: {mode: %s, max: 100000}\n' "$mode" >"$WORK/$name.yml"
  "$BIN" --web.listen-address=127.0.0.1:0 --config.file="$WORK/$name.yml" \
    --collector.disable-defaults "${@/#/--collector.}" 2>"$log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    port=$(grep -o 'port=[0-9]*' "$log" | head -1 | cut -d= -f2 || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || fail "$name did not start: $(cat "$log")"
  URL[$name]=http://127.0.0.1:$port/metrics
}
exporter sl all sockets listeners
exporter sls all sockets listeners snmp
exporter s_all all snmp
exporter s_own own snmp
NAMES_ORDER=(sl sls s_all s_own)
for e in "${NAMES_ORDER[@]}"; do curl -sS --max-time 60 "${URL[$e]}" >"$WORK/$e.prom"; done
for _ in $(seq 1 "$ROUNDS"); do
  for e in "${NAMES_ORDER[@]}"; do
    curl -sS -o /dev/null -w '%{time_total}\n' --max-time 60 "${URL[$e]}" >>"$WORK/$e.times"
  done
done
ms() { median <"$WORK/$1.times" | awk '{ printf "%.2f", $1 * 1000 }'; }
per_ns() { awk -v a="$1" -v b="$2" -v n="$COUNT" 'BEGIN { printf "%.3f", (a - b) / n }'; }
SL=$(ms sl) SLS=$(ms sls) SALL=$(ms s_all) SOWN=$(ms s_own)
mine() { grep -F "netns=\"${PREFIX}_" "$WORK/$1.prom" || true; }
PER_PORT='^netstat_(remote_)?port_rtt_current_'
MAX_SERIES=$(mine sls | grep -vE "$PER_PORT" | sed -E 's/.*netns="([^"]*)".*/\1/' | sort | uniq -c | sort -rn |
  awk 'NR == 1 { print $1 }')
PORT_SERIES=$(mine sls | grep -cE "$PER_PORT" || true)
SNMP_SERIES=$(mine sls | grep -cE '^netstat_(Tcp|TcpExt|Udp)_' || true)
FAILED=$(awk '/^netstat_exporter_collector_success\{/ && $2 != "1"' "$WORK"/*.prom | wc -l)
echo "namespaces_snmp_bench: $COUNT namespaces, median curl ms of $ROUNDS rounds, $(date -u +%H:%M) UTC"
echo "  sockets+listeners $SL, +snmp $SLS: snmp $(per_ns "$SLS" "$SL") ms per namespace (goal <= 0.1)"
echo "  snmp alone: mode own $SOWN, mode all $SALL: $(per_ns "$SALL" "$SOWN") ms per namespace, its discovery included"
echo "  series of one namespace: at most $MAX_SERIES (goal <= 30), snmp $((SNMP_SERIES / COUNT)) of them;" \
  "per-port health series aside: $((PORT_SERIES / COUNT)) live RTT"
echo "  collectors failing: $FAILED"
echo "one namespace's series:"
mine sls | grep -F "netns=\"${PREFIX}_1\"" | sed 's/^/  /'
[ "$FAILED" = 0 ] || fail "a collector failed"
