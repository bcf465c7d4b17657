#!/usr/bin/env bash
# Sockets benchmark: N loopback TCP connections (2N sockets) held by load processes in a
# fresh netns, N = 1k, 10k, 50k, 100k; at each N, medians of repeated runs of: this
# exporter with only the sockets collector (HTTP scrape, curl time_total), node_exporter
# with tcpstat + sockstat (the same), `ss -s`, `ss -tan`, and a bare netlink dump that
# only counts (in-process time). Peak RSS (VmHWM) of both exporters after their scrapes,
# and the exporter's CPU split (user = decoding and counting, sys = the kernel building
# the dump). Table on stdout and in BUILD/bench/sockets_bench.txt.
#   sockets_bench.sh BUILD_DIR [N...]
# PERF=1: also profile the exporter (perf record) over the scrapes at the largest N and
# print where its time goes.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000 50000 100000)
BIN=$BUILD/netstat_exporter
LOAD=$BUILD/tests/bench/netstat_sock_load
NLCOUNT=$BUILD/tests/bench/netstat_nl_count
NODE=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
OUT=$BUILD/bench/sockets_bench.txt
PER_PROCESS=9000  # connections per load process: 2 fds each, under a 20,000 fd limit
NODE_PORT=19100   # below the ephemeral range set for the netns (32768-65000)

NS=netstat_bench_sock_$$
source "$(dirname "$0")/lib.sh"
runs_for() { if [ "$1" -le 10000 ]; then echo 15; elif [ "$1" -le 50000 ]; then echo 9; else echo 7; fi; }
scrape_time() { in_ns curl -sS -o /dev/null -w '%{time_total}\n' --max-time 120 "$1"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }  # utime stime

ip netns add "$NS"
mkdir "$WORK/proc" && ln -s /proc/net "$WORK/proc/net"  # no self/ns/net: procfs source
ip -n "$NS" link set lo up
in_ns sh -c 'echo 4096 >/proc/sys/net/core/somaxconn; echo "32768 65000" >/proc/sys/net/ipv4/ip_local_port_range'
[ -x "$NODE" ] || echo "note: $NODE not found; node_exporter column left empty" >&2


# start_exporter PROCFS: sets EXP_PID and EXP_URL.
start_exporter() {
  exporter_in_ns "$WORK/exporter.log" --collector.disable-defaults --collector.sockets \
    --path.procfs="$1"
}

# start_node: sets NODE_PID and NODE_URL (both empty without node_exporter).
start_node() {
  NODE_PID="" NODE_URL=""
  [ -x "$NODE" ] || return 0
  ip netns exec "$NS" "$NODE" --web.listen-address=127.0.0.1:$NODE_PORT \
    --collector.disable-defaults --collector.tcpstat --collector.sockstat \
    >"$WORK/node.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  local url=http://127.0.0.1:$NODE_PORT/metrics
  for _ in $(seq 1 100); do in_ns curl -s -o /dev/null "$url" && break; sleep 0.05; done
  if in_ns curl -s -o /dev/null "$url"; then NODE_URL=$url; else echo "node_exporter did not start" >&2; fi
}


# measure RUNS: the contenders in rounds (bare dump, exporter, node_exporter, ss -s,
# ss -tan), so a change in background load hits all of them alike. Sets *_S medians,
# EXP_HWM / NODE_HWM (kB), EXP_USER_MS / EXP_SYS_MS (CPU per scrape) and EXP_DUMP_S.
measure() {
  local runs=$1 hz before after
  start_exporter /proc
  start_node
  rm -f "$WORK"/t.*
  before=$(cpu_ticks "$EXP_PID")
  for _ in $(seq 1 "$runs"); do
    in_ns "$NLCOUNT" 1 | awk '{ print $2 / 1000 }' >>"$WORK/t.bare"
    scrape_time "$EXP_URL" >>"$WORK/t.exp"
    [ -z "$NODE_URL" ] || scrape_time "$NODE_URL" >>"$WORK/t.node"
    time_cmd 1 in_ns ss -s >>"$WORK/t.ss_s"
    time_cmd 1 in_ns ss -tan >>"$WORK/t.ss_tan"
  done
  after=$(cpu_ticks "$EXP_PID")
  BARE_S=$(median <"$WORK/t.bare") EXP_S=$(median <"$WORK/t.exp")
  NODE_S=$([ -s "$WORK/t.node" ] && median <"$WORK/t.node" || true)
  SS_S_S=$(median <"$WORK/t.ss_s") SS_TAN_S=$(median <"$WORK/t.ss_tan")
  hz=$(getconf CLK_TCK)
  read -r EXP_USER_MS EXP_SYS_MS < <(echo "$before $after" |
    awk -v r="$runs" -v hz="$hz" '{ printf "%.1f %.1f\n", ($3 - $1) * 1000 / hz / r, ($4 - $2) * 1000 / hz / r }')
  in_ns curl -sS "$EXP_URL" >"$WORK/last.prom"
  EXP_DUMP_S=$(awk '$1 == "netstat_exporter_collector_duration_seconds{collector=\"sockets\"}" { print $2 }' "$WORK/last.prom")
  if [ "${PERF:-0}" = 1 ] && [ "$PROFILE" = 1 ] && command -v perf >/dev/null; then
    perf record -q -F 1999 -g -p "$EXP_PID" -o "$WORK/perf.data" >/dev/null 2>&1 &
    local perf_pid=$!
    sleep 0.3
    for _ in 1 2 3; do scrape_time "$EXP_URL" >/dev/null; done
    kill -INT "$perf_pid"
    wait "$perf_pid" 2>/dev/null || true
    perf report -i "$WORK/perf.data" --no-children --stdio --sort sym 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -12 >"$WORK/perf.top" || true
  fi
  EXP_HWM=$(hwm_kb "$EXP_PID")
  NODE_HWM=$([ -n "$NODE_PID" ] && hwm_kb "$NODE_PID" || true)
  stop "$EXP_PID"
  [ -z "$NODE_PID" ] || stop "$NODE_PID"
  # The procfs fallback, forced by a tree that only links net/ to /proc/net.
  start_exporter "$WORK/proc"
  PROCFS_S=$(for _ in $(seq 1 "$runs"); do scrape_time "$EXP_URL"; done | median)
  PROCFS_HWM=$(hwm_kb "$EXP_PID")
  stop "$EXP_PID"
}

ms() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.1f", v * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
mb() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.1f", v / 1024 }'; }

ROWS=()
for n in "${SIZES[@]}"; do
  echo "growing to $n connections..." >&2
  grow_to "$n"
  runs=$(runs_for "$n")
  PROFILE=0
  [ "$n" = "${SIZES[-1]}" ] && PROFILE=1
  sockets=$(in_ns ss -Htan | wc -l)
  measure "$runs"
  exported=$(awk '/^netstat_sockets\{protocol="tcp"/ { s += $2 } END { print s }' "$WORK/last.prom")
  ROWS+=("$(printf '%7s %7s %7s %8s %8s %6s %8s %7s %7s %7s %6s %6s %7s %7s %6s %9s' \
    "$n" "$sockets" "$exported" "$(ms "$BARE_S")" "$(ms "$EXP_S")" "$(ratio "$EXP_S" "$BARE_S")" \
    "$(ms "$NODE_S")" "$(ratio "$NODE_S" "$EXP_S")" "$(ms "$SS_S_S")" "$(ms "$SS_TAN_S")" \
    "$(mb "$EXP_HWM")" "$(mb "$NODE_HWM")" "$(ms "$EXP_DUMP_S")" "$(ms "$PROCFS_S")" \
    "$(mb "$PROCFS_HWM")" "$EXP_USER_MS/$EXP_SYS_MS")")
done

mkdir -p "$(dirname "$OUT")"
{
  echo "sockets benchmark ($(date -u +%FT%TZ), $(nproc) cores, kernel $(uname -r))"
  echo "N loopback TCP connections (2N sockets) in a netns, held by $LOADERS load processes;"
  echo "times in ms, medians of 15 (N <= 10k), 9 (50k) or 7 (100k) runs"
  printf '%7s %7s %7s %8s %8s %6s %8s %7s %7s %7s %6s %6s %7s %7s %6s %9s\n' \
    N tcp_sk export bare nl_exp x_bare node x_fast "ss -s" "ss -tan" exp_MB node_MB \
    collect procfs pf_MB usr/sys
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "tcp_sk: sockets ss -tan lists; export: sum of netstat_sockets{protocol=\"tcp\"} (adds"
  echo "the exporter's listener, its scrape connection and the time_wait of earlier scrapes);"
  echo "bare: nl_count, the same sock_diag dumps in-process, counting only; nl_exp / node:"
  echo "HTTP scrape (curl time_total) of this exporter (netlink) and node_exporter (tcpstat +"
  echo "sockstat); x_bare = nl_exp / bare; x_fast = node / nl_exp; ss: wall time including"
  echo "process start; *_MB: VmHWM after the scrapes; collect: the exporter's own"
  echo "collector_duration_seconds; procfs / pf_MB: this exporter on its /proc/net fallback;"
  echo "usr/sys: exporter (netlink) CPU ms per scrape."
  if [ -s "$WORK/perf.top" ]; then
    echo
    echo "where the exporter's time goes at N=${SIZES[-1]} (perf record, self time; [k] = kernel):"
    cat "$WORK/perf.top"
  fi
} | tee "$OUT"
