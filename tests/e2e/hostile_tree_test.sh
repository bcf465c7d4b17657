#!/usr/bin/env bash
# Garbage and hostile trees: a copy of the fixture tree in which one file at a time is
# cut short at several points, replaced by binary garbage, emptied, given half its
# fields, a FIFO or a symlink loop, then /proc/net/tcp at 100 MB (garbage, and valid
# lines). One exporter serves the whole run. After each change one scrape must answer
# within 10 s, pass `promtool check metrics`, report success 0 for the collectors that
# read that file and 1 for the others, and the exporter must still be alive; after the
# file is restored every collector must succeed again.
# Files that only name things (/proc/PID/*, passwd, services) must never fail a
# collector: the listeners then show an empty or the kernel's short name, never junk.
BIN=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
trap "exit 1" INT TERM  # so the EXIT trap cleans up

TREE=$WORK/tree
PRISTINE=$WORK/pristine
mkdir -p "$TREE" "$PRISTINE"
cp -a "$SRC/tests/fixtures/proc" "$SRC/tests/fixtures/sys" "$SRC/tests/fixtures/etc" "$PRISTINE/"
cp -a "$PRISTINE/." "$TREE/"
printf 'paths: {services: "%s"}\n' "$TREE/etc/services" >"$WORK/config.yml"
ALL="sockets listeners snmp interfaces routes multicast"

start_exporter "$WORK/log" --path.procfs="$TREE/proc" --path.sysfs="$TREE/sys" \
  --config.file="$WORK/config.yml"

SCRAPES=0
# scrape WHAT: one scrape into $WORK/metrics, answered within 10 s and clean for promtool.
scrape() {
  local what=$1 t0 t1
  t0=$(date +%s%N)
  curl -sS --max-time 10 -o "$WORK/metrics" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics" \
    >"$WORK/code" 2>"$WORK/curl_err" || fail "$what: no answer within 10 s: $(cat "$WORK/curl_err")"
  t1=$(date +%s%N)
  SCRAPE_MS=$(((t1 - t0) / 1000000))
  SCRAPES=$((SCRAPES + 1))
  expect_eq "$what: HTTP status" "$(cat "$WORK/code")" 200
  kill -0 "$EXPORTER_PID" 2>/dev/null || fail "$what: the exporter died: $(tail -5 "$WORK/log")"
  promtool_clean "$WORK/metrics" "$what"
}

# expect_success WHAT FAILING...: the named collectors report 0, the others 1; a name
# with a trailing '?' may report either.
expect_success() {
  local what=$1 c want got
  shift
  got=" $(awk -F'"' '/^netstat_exporter_collector_success\{/ { split($3, v, " "); printf "%s=%s ", $2, v[2] }' \
    "$WORK/metrics")"
  for c in $ALL; do
    want=1
    case " $* " in *" $c "*) want=0 ;; *" $c? "*) continue ;; esac
    case $got in *" $c=$want "*) ;; *) fail "$what: collector $c success is not $want:$got" ;; esac
  done
}

# The owner labels may degrade to "" (or the kernel's 15-byte comm, or a numeric uid)
# but never carry a fragment or garbage.
check_owner_labels() {
  local bad
  bad=$(grep '^netstat_listener_info{' "$WORK/metrics" | grep -vE \
    'service="(|ssh|domain|http|ntp|mdns)",process="(|sshd|systemd-resolved|systemd-resolve)",user="(root|systemd-resolve|[0-9]+)"}' ||
    true)
  [ -z "$bad" ] || fail "$1: bad listener labels: $bad"
}

restore() {  # restore RELATIVE
  rm -rf "${TREE:?}/$1"
  cp -a "$PRISTINE/$1" "$TREE/$1"
}

# cut_mid_line FILE FRACTION: cuts FILE inside a line (never right after a '\n', which
# would leave a shorter but whole file) near FRACTION (percent) of its size.
cut_mid_line() {
  local f=$1 size at
  size=$(stat -c %s "$f")
  at=$((size * $2 / 100))
  [ "$at" -ge 1 ] || at=1
  while [ "$at" -lt "$size" ] && [ "$(tail -c +"$at" "$f" | head -c 1 | od -An -c | tr -d ' ')" = '\n' ]; do
    at=$((at + 1))
  done
  truncate -s "$at" "$f"
}

# apply VARIANT RELATIVE: damages one file of the tree.
apply() {
  local f=$TREE/$2
  case $1 in
    cut10) cut_mid_line "$f" 10 ;;
    cut50) cut_mid_line "$f" 50 ;;
    cut_last) truncate -s -1 "$f" ;;  # only the final newline is missing
    binary) { head -c 3000 /dev/urandom; echo; } >"$f" ;;
    empty) : >"$f" ;;
    fields) awk 'NR % 2 == 0 { NF = int(NF / 2) } { print }' "$PRISTINE/$2" >"$f" ;;
    fifo) rm -rf "$f" && mkfifo "$f" ;;
    loop) rm -rf "$f" && ln -s "$(basename "$f")" "$f" ;;
  esac
}

VARIANTS="cut10 cut50 cut_last binary empty fields fifo loop"
VARIANT_RUNS=0
# hostile RELATIVE COLLECTORS [EMPTY_OK [LATE_CUT]]: every variant of one file.
# COLLECTORS are the ones that must fail ("-" for none); with EMPTY_OK ("empty_ok") an
# empty file is valid (igmp6, ipv6_route list nothing when there is nothing). LATE_CUT
# replaces COLLECTORS when the file is cut in its second half: the listeners read only
# the listening sockets at the head of /proc/net/tcp and may never reach the cut.
hostile() {
  local rel=$1 failing=$2 empty_ok=${3:-} late_cut=${4:-$2} v expect
  [ "$failing" = - ] && failing=""
  for v in $VARIANTS; do
    apply "$v" "$rel"
    expect=$failing
    [ "$v" = empty ] && [ "$empty_ok" = empty_ok ] && expect=""
    case $v in cut50 | cut_last) expect=$late_cut ;; esac
    # A lone header line is left whole: an empty table, and a valid one.
    [ "$v" = fields ] && [ -f "$PRISTINE/$rel" ] && [ "$(wc -l <"$PRISTINE/$rel")" -le 1 ] && expect=""
    scrape "$rel/$v"
    expect_success "$rel/$v" $expect
    check_owner_labels "$rel/$v"
    VARIANT_RUNS=$((VARIANT_RUNS + 1))
    restore "$rel"
  done
}

# After a group of files: every collector must succeed again.
recovered() {
  scrape "$1 restored"
  expect_success "$1 restored"
}

scrape baseline
expect_success baseline

for f in tcp tcp6; do hostile "proc/net/$f" "sockets listeners" - "sockets listeners?"; done
for f in udp udp6; do hostile "proc/net/$f" "sockets listeners"; done
recovered "tcp, udp"
for f in udplite udplite6 raw raw6 unix sockstat sockstat6; do hostile "proc/net/$f" sockets; done
recovered "other socket tables"
for f in snmp netstat snmp6; do hostile "proc/net/$f" snmp; done
recovered snmp
hostile proc/net/dev interfaces
hostile proc/net/route routes
hostile proc/net/ipv6_route routes empty_ok
hostile proc/net/igmp multicast
hostile proc/net/igmp6 multicast empty_ok
recovered "dev, routes, igmp"
# sysfs: one value per file, so "half the fields" is an empty line; for address that is
# valid (a device without a MAC), for the others it reads as "not known".
VARIANTS="cut_last binary empty fifo loop"
for a in address operstate flags mtu speed; do hostile "sys/class/net/eth0/$a" interfaces; done
hostile sys/class/net/eth0/carrier -  # not read
VARIANTS="fifo loop"
hostile sys/class/net/lo interfaces  # the interface directory itself
recovered sysfs
VARIANTS="cut50 binary empty fields fifo loop"
for f in 2345/stat 2345/cmdline 1234/stat 1234/cmdline 1/root/etc/passwd; do hostile "proc/$f" -; done
hostile etc/services -
VARIANTS="fifo loop"
hostile proc/2345/fd/12 -
hostile proc/2345/fd -
recovered "process files"

# 100 MB of /proc/net/tcp. Garbage stops at its first line; a table of valid lines
# (~700k sockets) is read whole and must still answer well inside the timeout.
head -c 100000000 /dev/urandom >"$TREE/proc/net/tcp"
scrape "100 MB of garbage"
expect_success "100 MB of garbage" sockets listeners
GARBAGE_MS=$SCRAPE_MS
{
  head -1 "$PRISTINE/proc/net/tcp"
  awk -v l="$(grep '^ *9: ' "$PRISTINE/proc/net/tcp")" 'BEGIN { for (i = 0; i < 700000; i++) print l }'
} >"$TREE/proc/net/tcp"
scrape "100 MB of sockets"
expect_success "100 MB of sockets"
VALID_MS=$SCRAPE_MS
SIZE_MB=$(($(stat -c %s "$TREE/proc/net/tcp") / 1000000))
restore proc/net/tcp
scrape "tcp restored"
expect_success "tcp restored"

# The log says why once per change of state, not once per scrape.
LOG_LINES=$(wc -l <"$WORK/log")
[ "$LOG_LINES" -le $((VARIANT_RUNS * 2 + 20)) ] || fail "$LOG_LINES log lines for $SCRAPES scrapes"
echo "hostile: $VARIANT_RUNS damaged trees, $SCRAPES scrapes, all answered and promtool-clean;" \
  "100 MB garbage tcp in ${GARBAGE_MS} ms, ${SIZE_MB} MB valid tcp in ${VALID_MS} ms; $LOG_LINES log lines"
