# The second half of http_abuse_test.sh (sourced by it, with its helpers): request heads,
# the one listener, a local user, slow readers.

# raw REQUEST: what the exporter answers to REQUEST (printf format) sent as it is.
raw() {
  # shellcheck disable=SC2059
  printf "$1" | timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; cat <&3" | tr -d '\r'
}
status_of() { raw "$1" | head -1; }
five_scrapes() {  # five_scrapes WHAT: five timed scrapes, their median below 1 s
  local t=()
  for i in 1 2 3 4 5; do
    t+=("$(fetch /metrics -o "$WORK/s$i" -w '%{time_total}')")
    grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/s$i" || fail "scrape $i beside $1"
  done
  local med
  med=$(printf '%s\n' "${t[@]}" | median)
  echo "scrapes beside $1: ${t[*]} s (median $med)"
  below 1 "$med" || fail "scrapes beside $1: median $med s"
}

# 5. Request heads. Every snmp field, so that the answer stays as large as the slow
# readers below were sized for (the default field set is a tenth of it).
printf 'collectors: {snmp: {include: ".*"}}\n' >"$WORK/every_field.yml"
start_exporter "$WORK/log_heads" "${FIX[@]}" --collector.disable-defaults --collector.snmp \
  --config.file="$WORK/every_field.yml"
expect_eq "space before colon" \
  "$(status_of 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length : 100000\r\n\r\n')" \
  "HTTP/1.1 400 Bad Request"
expect_eq "space before colon (Transfer-Encoding)" \
  "$(status_of 'GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n')" \
  "HTTP/1.1 400 Bad Request"
expect_eq "control byte in a name" \
  "$(status_of 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-A\001: b\r\n\r\n')" "HTTP/1.1 400 Bad Request"
expect_eq "NUL in the path" "$(status_of 'GET /metrics%%00.html HTTP/1.1\r\nHost: x\r\n\r\n')" \
  "HTTP/1.1 400 Bad Request"
expect_eq "no Host on HTTP/1.1" "$(status_of 'GET /metrics HTTP/1.1\r\n\r\n')" \
  "HTTP/1.1 400 Bad Request"
raw "GET http://127.0.0.1:$PORT/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" >"$WORK/absolute"
expect_eq "absolute-form" "$(head -1 "$WORK/absolute")" "HTTP/1.1 200 OK"
grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/absolute" || fail "absolute-form: no metrics"
raw 'HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >"$WORK/head"
expect_eq "HEAD" "$(head -1 "$WORK/head")" "HTTP/1.1 200 OK"
grep -qE '^Content-Length: [1-9][0-9]*$' "$WORK/head" || fail "HEAD: no Content-Length"
[ "$(sed '1,/^$/d' "$WORK/head" | wc -c)" = 0 ] || fail "HEAD answered with a body"
raw 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab' >"$WORK/post"
expect_eq "POST" "$(head -1 "$WORK/post")" "HTTP/1.1 405 Method Not Allowed"
grep -qx 'Allow: GET, HEAD' "$WORK/post" || fail "405 without Allow: $(cat "$WORK/post")"
raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0, identity\r\n\r\n' >"$WORK/q0"
grep -qi '^Content-Encoding' "$WORK/q0" && fail "gzip;q=0 answered with gzip"
grep -q '^netstat_Tcp_ActiveOpens_total 13$' "$WORK/q0" || fail "gzip;q=0: no plain metrics"
# 20 such requests in flight hold nothing: each is refused as it arrives.
SPACED=()
for _ in $(seq 1 20); do
  status_of 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length : 100000\r\n\r\n' >/dev/null &
  SPACED+=("$!")
done
five_scrapes "20 requests with a space before a colon"
for p in "${SPACED[@]}"; do wait "$p" || true; done

# 6. One listener per address, and a local user on each of them.
own=$(ss -Hltnp | grep -c "pid=$EXPORTER_PID,")
expect_eq "the exporter's listening sockets (127.0.0.1:0)" "$own" 1
ports=$(ss -Hltnp | grep "pid=$EXPORTER_PID," | awk '{ n = split($4, a, ":"); print a[n] }')
HAMMERS=()
for p in $ports; do
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLOW" "$p" hammer 64 8 >"$WORK/ham_$p" &
  HAMMERS+=("$!")
  PIDS+=("$!")
done
sleep 1
five_scrapes "a local user (nobody) holding 64 half-sent requests on each exporter port"
for p in "${HAMMERS[@]}"; do wait "$p" || true; done
cat "$WORK"/ham_*

# 7. 10,000 slow readers over 4 processes (each under the 20,000 fd limit), for a little
# longer than the 60 s answer deadline.
READERS=()
for i in 1 2 3 4; do
  "$SLOW" "$PORT" read 2500 66 >"$WORK/reader$i" &
  PIDS+=("$!")
  READERS+=("$!")
done
for _ in $(seq 1 300); do
  [ "$(cat "$WORK"/reader* | grep -c ready)" = 4 ] && break
  sleep 0.1
done
[ "$(cat "$WORK"/reader* | grep -c ready)" = 4 ] || fail "slow readers did not connect"
sleep 2
five_scrapes "10,000 slow readers"
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$EXPORTER_PID/status")
echo "exporter peak RSS beside 10,000 slow readers: $hwm kB"
# The bound is the release build's: AddressSanitizer's shadow memory and quarantine add
# some 200 MB (make test-asan sets ASAN_OPTIONS).
if [ -z "${ASAN_OPTIONS:-}" ]; then
  below 65537 "$hwm" || fail "peak RSS $hwm kB above 64 MB"
fi
for r in "${READERS[@]}"; do wait "$r" || true; done
for i in 1 2 3 4; do
  line=$(tail -1 "$WORK/reader$i")
  echo "slow readers $i: $line"
  [[ "$line" =~ closed\ ([0-9]+),\ longest\ ([0-9.]+)\ s ]] || fail "readers $i: $line"
  [ "${BASH_REMATCH[1]}" -ge 2500 ] || fail "readers $i: not every reader was closed: $line"
  below 65 "${BASH_REMATCH[2]}" || fail "readers $i: kept past the deadline: $line"
done

# 8. At a connection limit the slow readers overfill (1,536 with 2,048 fds), they make room:
# 1,600 that re-open 20 ms after each close. (Clients that re-open at once churn through
# any limit, and a scrape then takes its chance among them; the limit is the defence.)
EXPORTER_PREFIX=(prlimit --nofile=2048:2048)
start_exporter "$WORK/log_small" "${FIX[@]}" --collector.disable-defaults --collector.snmp \
  --config.file="$WORK/every_field.yml"
EXPORTER_PREFIX=()
"$SLOW" "$PORT" read 1600 12 20 >"$WORK/reader_small" &
PIDS+=("$!")
for _ in $(seq 1 100); do grep -q ready "$WORK/reader_small" && break; sleep 0.1; done
sleep 1
five_scrapes "1,600 slow readers at a 1,536-connection limit"
grep -q 'connections open; closing the oldest idle or unread one' "$WORK/log_small" ||
  fail "the connection limit was not reached"
