#!/usr/bin/env bash
# Listener events (BPF) across SIGHUP reloads, in a fresh network namespace, as root:
#  1. 1,000 listen()/close() cycles on one port, 5 ms apart, with 5 SIGHUPs spread
#     through them that change the expected rules and max_series: the port's
#     netstat_listener_opened_total ends at exactly 1,000, no counter of the collector
#     ever decreases between scrapes, the accepted count of a listening port is kept and
#     the exporter holds the same program throughout. A rule added by a reload stops new events from
#     counting as unexpected and keeps those already counted; a lower max_series drops
#     new series only.
#  2. a namespaces.mode change loads the program again, and the log says why, once;
#  3. 100 SIGHUPs while listen()/close() cycles and scrapes run concurrently: the
#     exporter never crashes, every scrape answers 200, and SIGTERM stops it cleanly.
# Exits 77 (skipped) when the build has no BPF or this kernel cannot load it.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_listen_events helper
BIN=$1
SRC=$2
HELPER=$3
source "$SRC/tests/e2e/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
new_netns netstat_lerl

CFG="$WORK/config.yml"
# put MAX_SERIES RULE...: the config, written whole (rename) as an operator's tools would;
# MODE (own unless set) is namespaces.mode.
put() {
  local max=$1
  shift
  {
    echo "namespaces: {mode: ${MODE:-own}}"
    echo "collectors:"
    echo "  listeners:"
    echo "    expected:"
    for r in "$@"; do echo "      - $r"; done
    echo "  listener_events: {max_series: $max}"
  } >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
}
SSH='{protocol: tcp, port: 22}'
OURS='{protocol: tcp, port: 4712}'
put 100 "$SSH"
EXPORTER_PREFIX=(ip netns exec "$NS")
start_exporter "$WORK/log" --config.file="$CFG" --collector.disable-defaults \
  --collector.listeners --collector.listener_events
scrape() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/$1"; }
value() { metric_value "$1" "$WORK/$2"; }

scrape m0
if [ "$(value netstat_listener_events_available m0)" != 1 ]; then
  if grep -q 'listener_events: not available' "$WORK/log"; then
    echo "SKIP: $(grep -o 'not available: .*' "$WORK/log")"
    exit 77
  fi
  fail "listener events not available: $(cat "$WORK/log")"
fi

# The ids of the BPF programs the exporter holds (only listener_events loads one here).
prog_ids() { grep -h '^prog_id' /proc/"$EXPORTER_PID"/fdinfo/* 2>/dev/null | sort -u | xargs; }
PROG=$(prog_ids)
[ -n "$PROG" ] || fail "the exporter holds no BPF program"

RELOADS=0
reload() { # SIGHUP, then wait until the log says that reload is done (10 s at most)
  RELOADS=$((RELOADS + 1))
  kill -HUP "$EXPORTER_PID"
  for _ in $(seq 1 200); do
    [ "$(grep -c 'configuration reloaded' "$WORK/log")" -ge "$RELOADS" ] && return 0
    sleep 0.05
  done
  fail "reload $RELOADS not done within 10 s: $(tail -3 "$WORK/log")"
}
wait_line() { # wait_line LINE FILE: until FILE has LINE (20 s at most)
  for _ in $(seq 1 400); do
    grep -qx "$1" "$2" && return 0
    sleep 0.05
  done
  fail "no '$1' in $2 within 20 s: $(tail -2 "$2")"
}

P=netstat_e2e_listen_events
S="netstat_listener_opened_total{protocol=\"tcp\",family=\"ipv6\",address=\"::1\",port=\"4712\",process=\"$P\",user=\"root\"}"
U=${S/netstat_listener_opened_total/netstat_listener_unexpected_opened_total}
ACC='netstat_port_accepted_connections_total{protocol="tcp",port="4713"}'
DROPPED=netstat_listener_events_series_dropped_total
TRACKED=("$S" "$U" "$ACC" netstat_listener_events_lost_total "$DROPPED")
declare -A LAST
never_decreases() { # never_decreases SCRAPE: no tracked counter went down since the last one
  local k v
  for k in "${TRACKED[@]}"; do
    v=$(value "$k" "$1")
    v=${v:-0}
    [ "${LAST[$k]:-0}" -le "$v" ] || fail "$1: $k went down from ${LAST[$k]} to $v"
    LAST[$k]=$v
  done
}

# 1. A listening port with 25 accepted connections, then the cycles and the reloads.
in_ns "$HELPER" accept 127.0.0.1 4713 25 >"$WORK/accept.out" &
PIDS+=($!)
wait_line "ready [0-9]*" "$WORK/accept.out"
scrape m1
expect_eq "accepted before the reloads" "$(value "$ACC" m1)" 25
never_decreases m1
in_ns "$HELPER" paced ::1 4712 1000 5 >"$WORK/paced.out" &
CYCLES=$!
PIDS+=("$CYCLES")
for i in 1 2 3 4 5; do
  wait_line "at $((i * 150))" "$WORK/paced.out"
  # Odd reloads expect port 4712 and lower max_series; even ones take that back.
  if ((i % 2)); then put 50 "$SSH" "$OURS"; else put 100 "$SSH"; fi
  reload
  grep -q '^done' "$WORK/paced.out" && fail "the cycles ended before SIGHUP $i"
  scrape r$i
  never_decreases r$i
done
wait "$CYCLES" || fail "cycles helper: $(cat "$WORK/paced.out")"
expect_eq "cycles helper" "$(tail -1 "$WORK/paced.out")" "done 1000"
scrape m2
never_decreases m2
expect_eq "1,000 cycles across 5 reloads" "$(value "$S" m2)" 1000
expect_eq "lost" "$(value netstat_listener_events_lost_total m2)" 0
expect_eq "dropped" "$(value "$DROPPED" m2)" 0
expect_eq "accepted after the reloads" "$(value "$ACC" m2)" 25
unexpected=$(value "$U" m2)
# Cycles 1-150 ran before any rule named 4712, the last 250 after reload 5 added it.
((unexpected >= 150 && unexpected <= 750)) || fail "unexpected: $unexpected, want 150-750"
expect_eq "the same program through 5 reloads" "$(prog_ids)" "$PROG"
grep -q 'loading it again' "$WORK/log" && fail "a reload loaded the program again"

# max_series 1 (4 series exist): a new label set is dropped, the old ones keep counting.
put 1 "$SSH" "$OURS"
reload
in_ns "$HELPER" cycles ::1 4712 10 >/dev/null
in_ns "$HELPER" cycles ::1 4714 10 >/dev/null
scrape m3
never_decreases m3
expect_eq "an existing series beyond max_series" "$(value "$S" m3)" 1010
expect_eq "unexpected, with 4712 expected" "$(value "$U" m3)" "$unexpected"
grep -q '^netstat_listener_opened_total{.*port="4714"' "$WORK/m3" && fail "4714 beyond max_series"
expect_eq "dropped: the 10 of 4714" "$(value "$DROPPED" m3)" 10
promtool_clean "$WORK/m3" "listener events after reloads"

# 2. namespaces.mode is the program's namespace filter, fixed at load: a new program.
MODE=all put 100 "$SSH"
reload
MODE=own put 100 "$SSH"
reload
expect_eq "mode change log lines" \
  "$(grep -c 'level=info msg="listener_events: namespaces.mode changed' "$WORK/log")" 2
scrape m4
expect_eq "available after the new program" "$(value netstat_listener_events_available m4)" 1
expect_eq "counts restart with a new program" "$(value "$S" m4)" ""
[ "$(prog_ids)" != "$PROG" ] || fail "a mode change kept the program ($PROG)"

# 3. A storm: 100 SIGHUPs (every 25th switching namespaces.mode, the others the rules),
# listen()/close() cycles and scrapes all at once.
in_ns "$HELPER" paced 127.0.0.1 4716 100000 1 >/dev/null &
CYCLES=$!
PIDS+=("$CYCLES")
(
  while [ ! -e "$WORK/stop" ]; do
    in_ns curl -sS --max-time 10 -o /dev/null -w '%{http_code}\n' \
      "http://127.0.0.1:$PORT/metrics" || echo failed
  done
) >"$WORK/codes" &
SCRAPER=$!
for i in $(seq 1 100); do
  if ((i % 25 == 0)); then
    MODE=all put 100 "$SSH"
  elif ((i % 2)); then
    put 50 "$SSH" "$OURS"
  else
    put 100 "$SSH"
  fi
  kill -HUP "$EXPORTER_PID"
  sleep 0.02
done
sleep 0.5
touch "$WORK/stop"
wait "$SCRAPER"
kill "$CYCLES"
kill -0 "$EXPORTER_PID" || fail "exporter died in the SIGHUP storm: $(tail -5 "$WORK/log")"
n=$(wc -l <"$WORK/codes")
bad=$(grep -vc '^200$' "$WORK/codes" || true)
echo "SIGHUP storm: 100 signals, $n scrapes, $bad not answered 200"
[ "$bad" = 0 ] || fail "$bad scrapes not answered 200 in the SIGHUP storm"
[ "$n" -ge 10 ] || fail "only $n scrapes ran during the storm"
scrape m5
expect_eq "available after the storm" "$(value netstat_listener_events_available m5)" 1
rc=0
kill -TERM "$EXPORTER_PID"
wait "$EXPORTER_PID" || rc=$?
expect_eq "exit code after SIGTERM" "$rc" 0
if grep -E 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error' "$WORK/log"; then
  fail "a sanitizer reported an error"
fi
echo "PASS"
