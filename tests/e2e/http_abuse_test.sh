#!/usr/bin/env bash
# The HTTP front under hostile clients (all on 127.0.0.1):
# - 512 connections that send half a request and wait: a normal scrape still answers in
#   under 1 s, and the idle ones are closed after the header timeout (5 s; at most 10);
# - a request with a 1 MB head is refused (431, or a close) and the server goes on;
# - 800 scrapes from 32 concurrent clients: no error, and they share collections;
# - a flood of wrong passwords, for an unknown and a known user: authorised scrapes
#   still answer in under 100 ms;
# - request heads refused or answered as RFC 9112 asks (whitespace before a colon,
#   control bytes, a NUL in the path, absolute-form, HEAD, 405 with Allow, no Host,
#   gzip;q=0), each answered at once, so that 20 of them in flight cost a scrape nothing;
# - the exporter owns exactly one listening socket per address, and a local user
#   (nobody) holding half-sent requests on each of them does not slow scrapes;
# - 10,000 clients that send a whole request and never read the answer (a 4 KiB window,
#   half asking for gzip, re-opened when closed): scrapes under 1 s (median of 5), RSS at
#   most 64 MB, each reader closed by its 60 s deadline; and at a connection limit that
#   they overfill, they make room for scrapes.
#   $1 exporter binary, $2 source tree, $3 the slow_clients helper
BIN=$1
SRC=$2
SLOW=$3
source "$SRC/tests/e2e/lib.sh"
FIX=(--path.procfs="$SRC/tests/fixtures/proc" --path.sysfs="$SRC/tests/fixtures/sys")

# below LIMIT VALUES...: every value is below LIMIT.
below() {
  local limit=$1
  shift
  awk -v l="$limit" 'BEGIN { for (i = 1; i < ARGC; i++) if (ARGV[i] + 0 >= l) exit 1 }' "$@"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

start_exporter "$WORK/log" "${FIX[@]}"

# 1. Half requests.
"$SLOW" "$PORT" half 512 >"$WORK/half" 2>&1 &
SLOW_PID=$!
PIDS+=("$SLOW_PID")
for _ in $(seq 1 200); do grep -q ready "$WORK/half" && break; sleep 0.05; done
grep -q ready "$WORK/half" || fail "slow clients did not connect: $(cat "$WORK/half")"
times=()
for i in 1 2 3 4 5; do
  times+=("$(fetch /metrics -o "$WORK/m$i" -w '%{time_total}')")
  grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/m$i" || fail "scrape $i beside 512 idle clients"
done
echo "scrapes beside 512 half-sent requests: ${times[*]} s"
below 1 "${times[@]}" || fail "a scrape took 1 s or more beside 512 idle connections: ${times[*]}"
wait "$SLOW_PID"
closed=$(cat "$WORK/half")
echo "$closed"
[[ "$closed" =~ closed\ 512\ of\ 512,\ last\ after\ ([0-9.]+)\ s ]] ||
  fail "idle connections were not all closed: $closed"
below 10 "${BASH_REMATCH[1]}" || fail "idle connections closed after ${BASH_REMATCH[1]} s"

# 2. A 1 MB request head.
big=$("$SLOW" "$PORT" big 1)
echo "1 MB head: $big"
case "$big" in
  "HTTP/1.1 431 Request Header Fields Too Large" | closed) ;;
  *) fail "1 MB head answered: $big" ;;
esac
expect_eq "healthy after the big head" "$(fetch /-/healthy)" "Healthy."

# 3. 800 scrapes from 32 clients at once.
runs() {
  fetch /metrics | awk '$1 == "netstat_exporter_collector_runs_total{collector=\"snmp\"}" { print $2 }'
}
before=$(runs)
# One block per transfer ("next" between them: options in a curl config are otherwise
# global); --parallel-immediate opens 32 connections instead of queueing on one.
transfers() {  # transfers N USER_FORMAT: curl config for N scrapes
  for i in $(seq 1 "$1"); do
    [ "$i" = 1 ] || echo next
    printf 'url = "http://127.0.0.1:%s/metrics"\noutput = "/dev/null"\n' "$PORT"
    printf 'write-out = "%%{http_code}\\n"\nmax-time = 20\n'
    # shellcheck disable=SC2059
    [ -z "$2" ] || printf "user = \"$2\"\n" "$i"
  done
}
transfers 800 "" >"$WORK/urls"
curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 32 -K "$WORK/urls" >"$WORK/codes" || true
after=$(runs)
ok=$(grep -c '^200$' "$WORK/codes" || true)
collections=$((after - before - 1)) # the second runs() ran once itself
echo "800 scrapes from 32 clients: $ok answered 200, $collections collections"
expect_eq "scrapes answered 200" "$ok" 800
[ "$collections" -lt 800 ] || fail "no collection was shared: $collections for 800 scrapes"

# 4. Wrong passwords flood in while Prometheus scrapes with the right one.
# bcrypt of "secret" at cost 10 (about 60 ms a check).
hash='$2b$10$FwzcGwAgzaACs8xaiGfqLeJEFY8gwkoM.OODk7Y.fmDvyG9RtHxSi'
printf 'web:\n  basic_auth_users:\n    prometheus: "%s"\n' "$hash" >"$WORK/auth.yml"
start_exporter "$WORK/log_auth" "${FIX[@]}" --collector.disable-defaults --collector.snmp \
  --config.file="$WORK/auth.yml"
expect_eq "first login" "$(fetch /metrics -u prometheus:secret -o /dev/null -w '%{http_code}')" 200
{
  transfers 300 "prometheus:guess%s"
  echo next
  transfers 300 "intruder:guess%s"
} >"$WORK/flood"
curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 16 -K "$WORK/flood" >"$WORK/flood_codes" &
FLOOD_PID=$!
PIDS+=("$FLOOD_PID")
sleep 0.3
auth_times=()
for _ in $(seq 1 20); do
  code_time=$(fetch /metrics -u prometheus:secret -o /dev/null -w '%{http_code} %{time_total}')
  [ "${code_time% *}" = 200 ] || fail "authorised scrape during the flood: ${code_time% *}"
  auth_times+=("${code_time#* }")
done
wait "$FLOOD_PID" || true
flood_ok=$(grep -c '^200$' "$WORK/flood_codes" || true)
flood_n=$(wc -l <"$WORK/flood_codes")
expect_eq "wrong passwords let in" "$flood_ok" 0
med=$(printf '%s\n' "${auth_times[@]}" | median)
max=$(printf '%s\n' "${auth_times[@]}" | sort -n | tail -1)
echo "authorised scrapes during a flood of $flood_n wrong logins: median $med s, max $max s" \
  "($(sort "$WORK/flood_codes" | uniq -c | tr -s ' \n' ' '))"
below 0.1 "$med" || fail "authorised scrapes slowed by the flood: ${auth_times[*]}"

source "$SRC/tests/e2e/http_abuse_more.sh"
echo "http_abuse: all checks passed"
