#!/usr/bin/env bash
# Listeners benchmark: ~40k sockets and ~100k other fds held by processes we spawn in a
# fresh netns, then: the exporter's first scrape (fresh process, cold owner cache), its
# steady-state scrape (median), `ss -tlnp`, `netstat -tlnp`, and a bare /proc/*/fd readlink
# walk. Targets: steady >= 10x faster than ss -tlnp; first <= 1.2x the bare walk; every
# listener `ss -tln` lists is exported with its owner. The owners come from the BPF owner
# walk (readers/owners) where it loads; the first scrape is also timed with an exporter
# forced to the /proc walk (NETSTAT_EXPORTER_NO_BPF_OWNERS=1), and the bare BPF walk.
# Table on stdout and in BUILD/bench/listeners_bench.txt.
#   listeners_bench.sh BUILD_DIR [PROCESSES]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
PROCS=${2:-10}
BIN=$BUILD/netstat_exporter
FDS=$BUILD/tests/bench/netstat_bench_fds
WALK=$BUILD/tests/bench/netstat_bench_fdwalk
OWNERW=$BUILD/tests/bench/netstat_bench_owner_walk
OUT=$BUILD/bench/listeners_bench.txt
# Per process: 80 TCP + 20 UDP listeners, 2000 connections (4000 sockets), 10000 others.
TCP_L=80 UDP_L=20 CONNS=2000 OTHER=10000
STEADY_RUNS=20
FIRST_RUNS=5

NS=netstat_bench_lst_$$
source "$(dirname "$0")/lib.sh"

ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns sh -c 'echo 4096 >/proc/sys/net/core/somaxconn; echo "10000 65000" >/proc/sys/net/ipv4/ip_local_port_range'

echo "spawning $PROCS processes ($((TCP_L + UDP_L)) listeners, $((2 * CONNS)) connection" \
  "sockets, $OTHER other fds each)..." >&2
for i in $(seq 0 $((PROCS - 1))); do
  ip netns exec "$NS" "$FDS" $((2000 + i * 100)) $TCP_L $UDP_L $CONNS $OTHER >"$WORK/fds.$i" 2>&1 &
  PIDS+=($!)
done
for i in $(seq 0 $((PROCS - 1))); do
  for _ in $(seq 1 600); do grep -q ready "$WORK/fds.$i" && break; sleep 0.1; done
  grep -q ready "$WORK/fds.$i" || fail "spawner $i: $(cat "$WORK/fds.$i")"
done
SOCKETS=$(in_ns ss -Htan | wc -l)
LISTEN_TCP=$(in_ns ss -Htln | wc -l)
LISTEN_UDP=$(in_ns ss -Huln | wc -l)

cat >"$WORK/config.yml" <<YAML
collectors:
  listeners: {labels: [process, user, pid], max_listeners: 100000}
YAML
start_exporter() {  # start_exporter [ENV=VALUE...]
  : >"$WORK/log"  # empty before the start: a stale port line would be read otherwise
  env "$@" ip netns exec "$NS" "$BIN" --web.listen-address=127.0.0.1:0 --config.file="$WORK/config.yml" \
    --collector.disable-defaults --collector.listeners --log.level=debug 2>"$WORK/log" &
  EXPORTER=$!
  for _ in $(seq 1 100); do
    PORT=$(grep -o 'port=[0-9]*' "$WORK/log" | head -1 | cut -d= -f2 || true)
    [ -n "$PORT" ] && return 0
    sleep 0.05
  done
  fail "exporter did not start: $(cat "$WORK/log")"
}
stop_exporter() { kill "$EXPORTER"; wait "$EXPORTER" 2>/dev/null || true; }
scrape() { in_ns curl -sS --max-time 60 "http://127.0.0.1:$PORT/metrics" >"$1"; }
duration() { awk '$1 == "netstat_exporter_collector_duration_seconds{collector=\"listeners\"}" { print $2 }' "$1"; }

"$WALK" >/dev/null  # warm the dentry cache once, for every contender alike
read -r _ HOST_PIDS HOST_FDS HOST_SOCKS < <("$WALK")
# Walk and first scrape take turns, so both see the same background load.
WALKS=()
FIRST=()
FIRST_PROC=()
BPF_WALKS=()
for _ in $(seq 1 $FIRST_RUNS); do
  WALKS+=("$("$WALK" | cut -d' ' -f1)")
  start_exporter
  scrape "$WORK/first.prom"
  FIRST+=("$(duration "$WORK/first.prom")")
  stop_exporter
  OWNERS_USED=$(sed -n 's/.*walked=true (\([^;,]*\).*/\1/p' "$WORK/log" | head -1)
  start_exporter NETSTAT_EXPORTER_NO_BPF_OWNERS=1
  scrape "$WORK/first_proc.prom"
  FIRST_PROC+=("$(duration "$WORK/first_proc.prom")")
  stop_exporter
  BPF_WALKS+=("$("$OWNERW" 1 | cut -d' ' -f1)")
done
WALK_S=$(printf '%s\n' "${WALKS[@]}" | median)
FIRST_S=$(printf '%s\n' "${FIRST[@]}" | median)
FIRST_PROC_S=$(printf '%s\n' "${FIRST_PROC[@]}" | median)
BPF_WALK_S=$(printf '%s\n' "${BPF_WALKS[@]}" | grep -v '^-' | median || true)

start_exporter
scrape "$WORK/warmup.prom"
STEADY_S=$(for i in $(seq 1 $STEADY_RUNS); do
  scrape "$WORK/steady.$i.prom"
  duration "$WORK/steady.$i.prom"
done | median)
cp "$WORK/steady.$STEADY_RUNS.prom" "$WORK/last.prom"
stop_exporter

SS_S=$(time_cmd 3 in_ns ss -tlnp)
NETSTAT_S=$(time_cmd 3 in_ns netstat -tlnp)

# Every listener ss lists must be exported, with the owner ss -p names.
in_ns ss -Htlnp | awk '{ n = split($4, a, ":"); port = a[n]; addr = substr($4, 1, length($4) - length(port) - 1);
  gsub(/[\[\]]/, "", addr); match($0, /pid=[0-9]+/); print "tcp " addr " " port " " substr($0, RSTART + 4, RLENGTH - 4) }' |
  sort >"$WORK/ss.txt"
grep '^netstat_listener_info{protocol="tcp"' "$WORK/last.prom" |
  sed -E 's/.*address="([^"]*)",port="([^"]*)".*process="([^"]*)".*pid="([^"]*)".*/tcp \1 \2 \4 \3/' |
  awk '$5 != "" { print $1, $2, $3, $4 }' | sort >"$WORK/exported.txt"
MISSING=$(comm -23 "$WORK/ss.txt" "$WORK/exported.txt" | wc -l)
UNRESOLVED=$(awk '$1 == "netstat_listener_owner_unresolved" { print $2 }' "$WORK/last.prom")
EXPORTED_TCP=$(grep -c '^netstat_listener_info{protocol="tcp"' "$WORK/last.prom")
EXPORTED_UDP=$(grep -c '^netstat_listener_info{protocol="udp"' "$WORK/last.prom")

ms() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.1f", v * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
mkdir -p "$(dirname "$OUT")"
{
  echo "listeners benchmark ($(date -u +%FT%TZ), $(nproc) cores, kernel $(uname -r))"
  echo "load: $PROCS processes in netns; $SOCKETS TCP sockets, $LISTEN_TCP TCP + $LISTEN_UDP UDP listeners;"
  echo "      host-wide /proc walk: $HOST_PIDS processes, $HOST_FDS fds ($HOST_SOCKS sockets)"
  printf '%-44s %10s %10s\n' "measure" "ms" "ratio"
  printf '%-44s %10s %10s\n' "bare /proc/*/fd readlink walk (median of $FIRST_RUNS)" "$(ms "$WALK_S")" "1.00"
  printf '%-44s %10s %10s\n' "exporter first scrape (median of $FIRST_RUNS starts)" "$(ms "$FIRST_S")" "$(ratio "$FIRST_S" "$WALK_S")x walk"
  printf '%-44s %10s %10s\n' "  owners walked by" "${OWNERS_USED:--}" ""
  printf '%-44s %10s %10s\n' "first scrape, /proc walk forced (median of $FIRST_RUNS)" "$(ms "$FIRST_PROC_S")" "$(ratio "$FIRST_PROC_S" "$WALK_S")x walk"
  printf '%-44s %10s %10s\n' "bare BPF owner walk (median of $FIRST_RUNS)" "$(ms "$BPF_WALK_S")" "$(ratio "$BPF_WALK_S" "$WALK_S")x walk"
  printf '%-44s %10s %10s\n' "exporter steady scrape (median of $STEADY_RUNS)" "$(ms "$STEADY_S")" "$(ratio "$SS_S" "$STEADY_S")x faster than ss"
  printf '%-44s %10s %10s\n' "ss -tlnp (median of 3)" "$(ms "$SS_S")" ""
  printf '%-44s %10s %10s\n' "netstat -tlnp (median of 3)" "$(ms "$NETSTAT_S")" "$(ratio "$NETSTAT_S" "$STEADY_S")x steady"
  echo "exported: $EXPORTED_TCP TCP + $EXPORTED_UDP UDP listeners, owner unresolved: $UNRESOLVED;" \
    "ss -tlnp listeners missing or with another owner: $MISSING"
  echo "exporter times are netstat_exporter_collector_duration_seconds{collector=\"listeners\"}"
} | tee "$OUT"

[ "$MISSING" = 0 ] || fail "listeners ss lists but the exporter does not (with that owner): $(comm -23 "$WORK/ss.txt" "$WORK/exported.txt" | head)"
awk -v s="$STEADY_S" -v ss="$SS_S" 'BEGIN { exit !(ss >= 10 * s) }' || echo "MISS: steady-state is not 10x faster than ss -tlnp" >&2
awk -v f="$FIRST_S" -v w="$WALK_S" 'BEGIN { exit !(f <= 1.2 * w) }' || echo "MISS: first scrape is over 1.2x the bare walk" >&2
