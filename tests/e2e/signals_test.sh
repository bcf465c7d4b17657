#!/usr/bin/env bash
# Signals: SIGTERM with no scrape in flight exits within 0.5 s; 100 SIGHUPs within a
# second while scrapes run lose no scrape and leave the last good config applied; SIGTERM
# in the middle of a slow scrape (a big fake /proc/net tree) lets that scrape finish.
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
FIX=(--path.procfs="$SRC/tests/fixtures/proc" --path.sysfs="$SRC/tests/fixtures/sys")

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# stop_and_time PID: SIGTERM, then STOP_MS = the milliseconds until it exited (not in a
# subshell: only this shell can wait for it); fails on a non-zero exit.
stop_and_time() {
  local start rc=0
  start=$(now_ms)
  kill -TERM "$1"
  wait "$1" || rc=$?
  [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
  STOP_MS=$(($(now_ms) - start))
}

# 1. Shutdown time, three times.
times=()
for i in 1 2 3; do
  start_exporter "$WORK/log_stop$i" "${FIX[@]}"
  fetch /metrics -o /dev/null
  stop_and_time "$EXPORTER_PID"
  times+=("$STOP_MS")
done
echo "SIGTERM to exit, idle: ${times[*]} ms"
for t in "${times[@]}"; do [ "$t" -lt 500 ] || fail "SIGTERM took $t ms (limit 500)"; done

# 2. A SIGHUP storm while scrapes run. Configs are written whole (rename), as an
# operator's tools would; the storm alternates two good ones and ends on a bad one.
CFG="$WORK/config.yml"
put() { printf '%b' "$1" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"; }
only() { # only NAME...: a config enabling just these collectors
  local out='collectors:\n' c
  for c in sockets listeners snmp interfaces routes multicast; do
    if [[ " $* " == *" $c "* ]]; then out+="  $c: {enabled: true}\n"; else out+="  $c: {enabled: false}\n"; fi
  done
  echo "$out"
}
put "$(only snmp)"
start_exporter "$WORK/log_hup" "${FIX[@]}" --config.file="$CFG"
(
  end=$(($(now_ms) + 3000))
  while [ "$(now_ms)" -lt "$end" ]; do
    fetch /metrics -o /dev/null -w '%{http_code}\n' || echo failed
  done
) >"$WORK/storm_codes" &
SCRAPER=$!
for i in $(seq 1 100); do
  if [ "$i" = 100 ]; then put 'collectors: {nope: {}}\n'
  elif ((i % 2)); then put "$(only snmp)"
  else put "$(only snmp routes)"; fi
  kill -HUP "$EXPORTER_PID"
  sleep 0.008
done
wait "$SCRAPER"
kill -0 "$EXPORTER_PID" || fail "exporter died in the SIGHUP storm: $(tail -5 "$WORK/log_hup")"
n=$(wc -l <"$WORK/storm_codes")
bad=$(grep -vc '^200$' "$WORK/storm_codes" || true)
echo "SIGHUP storm: 100 signals, $n scrapes, $bad not answered 200"
[ "$bad" = 0 ] || fail "$bad scrapes lost in the SIGHUP storm"
[ "$n" -ge 10 ] || fail "only $n scrapes ran during the storm"
# After the storm: a good config applies, then a bad one keeps it.
wait_for() { # wait_for PATTERN [FILE]: until a scrape shows PATTERN (5 s at most)
  for _ in $(seq 1 50); do
    fetch /metrics >"$WORK/m" && grep -qE "$1" "$WORK/m" && return 0
    sleep 0.1
  done
  fail "no scrape matched /$1/ within 5 s"
}
put "$(only snmp multicast)"
kill -HUP "$EXPORTER_PID"
wait_for '^netstat_exporter_collector_success\{collector="multicast"\} 1$'
grep -q '^netstat_exporter_config_last_reload_successful 1$' "$WORK/m" || fail "good reload"
put 'collectors: {nope: {}}\n'
kill -HUP "$EXPORTER_PID"
wait_for '^netstat_exporter_config_last_reload_successful 0$'
grep -q '^netstat_exporter_collector_success{collector="multicast"} 1$' "$WORK/m" ||
  fail "the last good config is not the one running"
grep -q 'collector="routes"' "$WORK/m" && fail "a config older than the last good one runs"
stop_and_time "$EXPORTER_PID"

# 3. SIGTERM during a slow scrape: four 200k-line socket files make it take a while.
TREE="$WORK/tree"
cp -r "$SRC/tests/fixtures" "$TREE"
for f in tcp tcp6 udp udp6; do
  awk -v six="${f//[a-z]/}" 'BEGIN {
    print "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    a = six ? "00000000000000000000000001000000" : "0100007F"
    for (i = 0; i < 200000; i++)
      printf "%6d: %s:%04X %s:%04X 01 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 20 4 30 10 -1\n",
        i, a, 1024 + i % 60000, a, 20000 + i % 30000, 100000 + i
  }' >"$TREE/proc/net/$f"
done
start_exporter "$WORK/log_slow" --path.procfs="$TREE/proc" --path.sysfs="$TREE/sys" \
  --collector.disable-defaults --collector.sockets
s=$(now_ms)
fetch /metrics -o /dev/null
full_ms=$(($(now_ms) - s))
fetch /metrics -o "$WORK/slow" -w '%{http_code}\n' >"$WORK/slow_code" &
CURL=$!
sleep "$(awk -v ms="$full_ms" 'BEGIN { print ms / 3000 }')"
stop_and_time "$EXPORTER_PID"
wait "$CURL" || true
echo "SIGTERM a third into a $full_ms ms scrape: exited after $STOP_MS ms"
expect_eq "in-flight scrape" "$(cat "$WORK/slow_code")" 200
grep -q '^netstat_sockets{protocol="tcp",family="ipv4",state="established"} 200000$' \
  "$WORK/slow" || fail "the in-flight scrape was cut: $(tail -c 300 "$WORK/slow")"
grep -q 'stopped' "$WORK/log_slow" || fail "no clean stop: $(tail -3 "$WORK/log_slow")"
echo "signals: all checks passed"
