#!/bin/bash
# Builds the libFuzzer targets with clang++ (incrementally, in their own build dir),
# replays every saved regression input, then fuzzes each target for a while and prints
# one line of stats per target. Exits non-zero on any crash, leak, timeout or sanitizer
# report. `make fuzz` runs it for minutes per target, `make test` for seconds.
#
#   run.sh [--seconds N] [--parallel P] [--jobs J] [--build-dir DIR] [TARGET...]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
fixtures=$root/tests/fixtures
seconds=5
parallel=1
jobs=2
build=$root/build/fuzz
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
all_targets="snmp net_dev proc_net sockstat proc_route igmp proctable services sock_diag
rtnetlink_route config http_request cgroup"
targets=${*:-$all_targets}

# Seed files per target, from the committed fixtures; the netlink ones are generated.
seeds() {
  local net=$fixtures/proc/net
  case $1 in
    snmp) echo "$net/snmp $net/netstat $net/snmp6 $(find "$fixtures/snmp" -type f -name 'snmp*')" ;;
    net_dev) echo "$net/dev" ;;
    proc_net) echo $net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6,unix} ;;
    sockstat) echo "$net/sockstat $net/sockstat6" ;;
    proc_route) echo "$net/route $net/ipv6_route" ;;
    igmp) echo "$net/igmp $net/igmp6" ;;
    proctable) echo "$fixtures"/proc/[0-9]*/{stat,cmdline} "$fixtures/proc/1/root/etc/passwd" ;;
    services) echo "$fixtures/etc/services" ;;
    config) echo "$root/config/netstat_exporter.yml" ;;
    http_request) echo "$root/tests/fuzz/seeds/http_request"/* ;;
    cgroup) echo "$fixtures/cgroup"/* ;;
    *) echo "$build/seeds/$1"/* ;;
  esac
}

command -v clang++ >/dev/null || { echo "run.sh: clang++ missing (make deps)" >&2; exit 1; }
cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j "$jobs" >"$build/build.log" 2>&1 || { cat "$build/build.log"; exit 1; }
"$build/fuzz_seeds" "$build/seeds"

# One target: replay its regressions (files as arguments run once each), then fuzz.
# Writes the libFuzzer log and an exit code file under $build/logs.
fuzz_one() {
  local t=$1 bin=$build/${1}_fuzz log=$build/logs/$1.log
  local regressions=$root/tests/fuzz/regressions/$t
  local opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$build/artifacts/$t/")
  [ -f "$root/tests/fuzz/$t.dict" ] && opts+=(-dict="$root/tests/fuzz/$t.dict")
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
  local rc=0
  : >"$log"
  echo "0 0" >"$build/logs/$t.cpu"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    "$bin" "${opts[@]}" "$regressions"/* >>"$log" 2>&1 || rc=$?
  fi
  if [ $rc = 0 ]; then
    local seed_list
    seed_list=$(seeds "$t" | tr -s ' \n' ',')
    # CPU seconds (user + sys) of the fuzzing itself: on a shared machine wall time
    # overstates how much fuzzing was done.
    local TIMEFORMAT='%U %S'
    { time "$bin" "${opts[@]}" -max_total_time="$seconds" -seed_inputs="${seed_list%,}" \
      "$build/corpus/$t" >>"$log" 2>&1; } 2>"$build/logs/$t.cpu" || rc=$?
  fi
  echo $rc >"$build/logs/$t.rc"
}

mkdir -p "$build/logs"
start=$(date +%s)
running=0
for t in $targets; do
  [ -x "$build/${t}_fuzz" ] || { echo "run.sh: no target $t" >&2; exit 2; }
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

# Stats from libFuzzer's final "#N DONE cov: .. ft: .. corp: .." line and -print_final_stats.
failed=0
printf '%-16s %6s %6s %10s %8s %7s %7s %8s  %s\n' target secs cpu execs exec/s cov ft corpus \
  result
cpu_total=0
for t in $targets; do
  log=$build/logs/$t.log
  rc=$(cat "$build/logs/$t.rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
  rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<<"$done_line")
  cpu=$(awk '{printf "%d", $1 + $2}' "$build/logs/$t.cpu")
  cpu_total=$((cpu_total + cpu))
  result=ok
  if [ "$rc" != 0 ]; then
    failed=1
    result="FAILED (exit $rc): $(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|ALARM|deadly signal' "$log" || echo see log)"
  fi
  printf '%-16s %6s %6s %10s %8s %7s %7s %8s  %s\n' "$t" "${secs:--}" "$cpu" "${execs:--}" "${rate:--}" \
    "${cov:--}" "${ft:--}" "${corp:--}" "$result"
done
echo "fuzz: $(($(date +%s) - start))s wall, ${cpu_total}s CPU fuzzing; logs and crash inputs under $build/{logs,artifacts}"
if [ $failed != 0 ]; then
  for t in $targets; do
    [ "$(cat "$build/logs/$t.rc")" = 0 ] || { echo "=== $t"; tail -40 "$build/logs/$t.log"; }
  done
  exit 1
fi
