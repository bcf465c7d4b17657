#!/usr/bin/env bash
# process_sockets truth test in a fresh network namespace: helper processes hold known
# sockets (7 CLOSE_WAIT + 3 ESTABLISHED in one; 2 listeners + 5 ESTABLISHED in another;
# UDP and unix sockets; a forked child sharing its parent's listener). Every series of
# theirs must equal `ss -tanp`/`ss -uanp`/`ss -xap` summed by process name (the lowest
# pid of a shared socket), per-process plus unowned must equal netstat_sockets in every
# scrape, max_processes must fold the rest into "other", processes exiting while the
# exporter walks must never be half counted, and mode all must label the namespace.
# The owners come from the BPF owner walk (readers/owners) where it loads, and the same
# series from the /proc/*/fd walk of an exporter forced to it; with $4 = proc, the whole
# test runs on the /proc walk (NETSTAT_EXPORTER_NO_BPF_OWNERS=1, the test knob).
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_psock helper, [$4 bpf|proc]
BIN=$1
SRC=$2
HELPER=$3
OWNERS=${4:-bpf}
source "$SRC/tests/e2e/lib.sh"
[ "$OWNERS" = proc ] && export NETSTAT_EXPORTER_NO_BPF_OWNERS=1

new_netns netstat_psock

# start_helper NAME ARGS...: the helper in the namespace; waits for "ready PID", sets HPID.
start_helper() {
  local name=$1
  shift
  ip netns exec "$NS" "$HELPER" "$@" >"$WORK/$name.out" 2>&1 &
  PIDS+=($!)
  wait_for "$name" ready
  HPID=$(awk '$1 == "ready" { print $2 }' "$WORK/$name.out")
}
wait_for() {  # wait_for NAME WORD: until the helper's output has a line starting WORD
  for _ in $(seq 1 200); do
    grep -q "^$2" "$WORK/$1.out" && return 0
    sleep 0.05
  done
  fail "$1: no '$2': $(cat "$WORK/$1.out")"
}

ip netns exec "$NS" "$HELPER" server psock_server 7001 10 7 7002 2 >"$WORK/server.out" 2>&1 &
PIDS+=($!)
wait_for server listening
start_helper cwait client psock_cwait 7001 10
start_helper client client psock_client 7002 2
wait_for server ready
start_helper mixed mixed psock_mixed
start_helper fork fork psock_fork psock_child 7003
FORK=$HPID

cat >"$WORK/config.yml" <<YAML
collectors:
  process_sockets: {interval: 0s}
YAML
EXPORTER_PREFIX=(ip netns exec "$NS")
start_exporter "$WORK/log" --config.file="$WORK/config.yml" --collector.disable-defaults \
  --collector.sockets --collector.process_sockets --log.level=debug
scrape() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$WORK/$1"; }

# ss_by_process: "process protocol family state count" for the helpers' sockets, each
# socket under the name of the lowest pid holding it.
ss_by_process() {
  {
    for fam in 4 6; do
      in_ns ss -tanpH -$fam | sed "s/^/tcp ipv$fam /"
      in_ns ss -uanpH -$fam | sed "s/^/udp ipv$fam /"
    done
    in_ns ss -xapH | sed 's/^/unix unix /'
  } | awk '
    function state(proto, s) {
      if (proto == "unix") return s == "LISTEN" ? "listen" : s == "ESTAB" ? "connected" : "unconnected"
      if (s == "UNCONN") return proto == "tcp" ? "close" : "unconnected"
      if (s == "ESTAB") return "established"
      if (s == "CLOSE-WAIT") return "close_wait"
      if (s == "LISTEN") return "listen"
      return "other_" s
    }
    {
      proto = $1; fam = $2; st = state(proto, proto == "unix" ? $4 : $3)
      best = ""; low = 0; rest = $0
      while (match(rest, /\("[^"]*",pid=[0-9]+/)) {
        u = substr(rest, RSTART + 2, RLENGTH - 2); rest = substr(rest, RSTART + RLENGTH)
        split(u, p, "\",pid=")
        if (best == "" || p[2] + 0 < low) { best = p[1]; low = p[2] + 0 }
      }
      if (best ~ /^psock_/) n[best " " proto " " fam " " st]++
    }
    END { for (k in n) print k, n[k] }' | sort
}
exported_by_process() {  # exported_by_process FILE
  sed -n 's/^netstat_process_sockets{process="\(psock_[^"]*\)",protocol="\([^"]*\)",family="\([^"]*\)",state="\([^"]*\)"} \(.*\)$/\1 \2 \3 \4 \5/p' "$1" | sort
}
# sums_agree FILE: per (protocol, family, state), per-process + unowned = netstat_sockets.
sums_agree() {
  awk '
    function key(s) { match(s, /protocol="[^"]*",family="[^"]*",state="[^"]*"/); return substr(s, RSTART, RLENGTH) }
    /^netstat_process_sockets\{/ || /^netstat_process_sockets_unowned\{/ { part[key($1)] += $2 }
    /^netstat_sockets\{/ { total[key($1)] += $2 }
    END {
      bad = 0
      for (k in total) if (total[k] != part[k] + 0) { print "  " k ": netstat_sockets " total[k] ", per-process + unowned " part[k] + 0; bad = 1 }
      for (k in part) if (!(k in total)) { print "  " k ": no netstat_sockets"; bad = 1 }
      exit bad
    }' "$1"
}

# 1. Truth against ss.
ss_by_process >"$WORK/ss"
scrape m1
exported_by_process "$WORK/m1" >"$WORK/exported"
diff -u "$WORK/ss" "$WORK/exported" >"$WORK/diff" || fail "process_sockets differs from ss:
$(cat "$WORK/diff")"
row() { grep -qxF "$1" "$WORK/exported" || fail "missing: $1"; }
row "psock_cwait tcp ipv4 close_wait 7"
row "psock_cwait tcp ipv4 established 3"
row "psock_server tcp ipv4 listen 2"
row "psock_server tcp ipv4 established 5"
row "psock_mixed udp ipv4 unconnected 1"
row "psock_mixed udp ipv4 established 1"
row "psock_mixed udp ipv6 unconnected 1"
row "psock_mixed unix unix connected 2"
row "psock_mixed unix unix listen 1"
row "psock_mixed unix unix unconnected 1"
row "psock_fork tcp ipv4 listen 1"  # shared with its child, counted once for the parent
row "psock_child udp ipv4 unconnected 1"
grep -q 'process="psock_child",protocol="tcp"' "$WORK/m1" && fail "the child's shared listener counted twice"
# The server closed 7 accepted connections: orphans in FIN_WAIT2, which no process holds.
expect_eq "orphans" "$(metric_value 'netstat_process_sockets_unowned{protocol="tcp",family="ipv4",state="fin_wait2"}' "$WORK/m1")" 7
sums_agree "$WORK/m1" || fail "m1: per-process + unowned != netstat_sockets"
expect_eq "folded" "$(metric_value netstat_process_sockets_folded_processes "$WORK/m1")" 0
expect_eq "success" "$(metric_value 'netstat_exporter_collector_success{collector="process_sockets"}' "$WORK/m1")" 1
promtool_clean "$WORK/m1" m1

# 1b. Which walk ran, and the same series by the other: a second exporter forced to the
# /proc walk, scraped right after the first (the helpers' sockets do not change).
if [ "$OWNERS" = proc ]; then
  grep -q 'process_sockets: walked (/proc)' "$WORK/log" || fail "not the /proc walk: $(cat "$WORK/log")"
  grep -q 'NETSTAT_EXPORTER_NO_BPF_OWNERS=1 is set' "$WORK/log" || fail "the fallback's reason was not logged"
elif grep -q 'process_sockets: walked (bpf)' "$WORK/log"; then
  FIRST_PID=$EXPORTER_PID FIRST_PORT=$PORT
  EXPORTER_PREFIX=(env NETSTAT_EXPORTER_NO_BPF_OWNERS=1 ip netns exec "$NS")
  start_exporter "$WORK/log_proc" --config.file="$WORK/config.yml" --collector.disable-defaults \
    --collector.sockets --collector.process_sockets --log.level=debug
  EXPORTER_PREFIX=(ip netns exec "$NS")
  scrape m1_proc
  PORT=$FIRST_PORT
  scrape m1_bpf
  grep -q 'process_sockets: walked (/proc)' "$WORK/log_proc" || fail "the forced exporter did not walk /proc"
  exported_by_process "$WORK/m1_bpf" >"$WORK/exported_bpf"
  exported_by_process "$WORK/m1_proc" >"$WORK/exported_proc"
  diff -u "$WORK/exported_proc" "$WORK/exported_bpf" >"$WORK/diff" || fail "the BPF walk and the /proc walk differ:
$(cat "$WORK/diff")"
  diff -u "$WORK/ss" "$WORK/exported_bpf" >"$WORK/diff" || fail "process_sockets (bpf) differs from ss:
$(cat "$WORK/diff")"
  sums_agree "$WORK/m1_proc" || fail "m1_proc: per-process + unowned != netstat_sockets"
  kill "$EXPORTER_PID"
  wait "$EXPORTER_PID" 2>/dev/null || true
  EXPORTER_PID=$FIRST_PID
  echo "owners: the BPF walk and the /proc walk give the same $(wc -l <"$WORK/exported_bpf") series"

  # 1c. TCP counted in the kernel (sockets.source bpf): no TCP socket but the listeners is
  # dumped; the owner walk gives the owned ones by state and the count the rest.
  cat >"$WORK/counted.yml" <<YAML
collectors:
  sockets: {source: bpf}
  process_sockets: {interval: 0s}
YAML
  start_exporter "$WORK/log_counted" --config.file="$WORK/counted.yml" --collector.disable-defaults \
    --collector.sockets --collector.process_sockets --log.level=debug
  scrape m1_counted0  # the first walk runs before the reading, the next ones beside it
  scrape m1_counted
  if grep -q 'counting TCP in the kernel' "$WORK/log_counted"; then
    grep -q 'beside the reading' "$WORK/log_counted" || fail "the owner walk did not run beside the reading"
    sums_agree "$WORK/m1_counted0" || fail "m1_counted0: per-process + unowned != netstat_sockets"
    exported_by_process "$WORK/m1_counted" >"$WORK/exported_counted"
    diff -u "$WORK/ss" "$WORK/exported_counted" >"$WORK/diff" || fail "process_sockets (TCP counted in the kernel) differs from ss:
$(cat "$WORK/diff")"
    expect_eq "orphans, counted" "$(metric_value 'netstat_process_sockets_unowned{protocol="tcp",family="ipv4",state="fin_wait2"}' "$WORK/m1_counted")" 7
    sums_agree "$WORK/m1_counted" || fail "m1_counted: per-process + unowned != netstat_sockets"
    promtool_clean "$WORK/m1_counted" m1_counted
    echo "owners: TCP counted in the kernel gives the same series as ss"
  else
    echo "owners: the kernel's TCP count does not load here: $(grep -i 'bpf' "$WORK/log_counted" | head -1)"
  fi
  kill "$EXPORTER_PID"
  wait "$EXPORTER_PID" 2>/dev/null || true
  EXPORTER_PID=$FIRST_PID PORT=$FIRST_PORT
else
  # Without BPF here (no privilege, no BTF, not built in): the fallback, and why, once.
  grep -q 'owners from /proc/\*/fd, not the BPF walk' "$WORK/log" || fail "neither walk logged: $(cat "$WORK/log")"
  echo "owners: the BPF walk does not load here; /proc walk only"
fi

# 2. The cap: five more processes holding 20..24 sockets each; max_processes 3 keeps those
# with 24, 23 and 22 and folds every other name into "other".
start_helper many many psock_many 5 20
scrape m2
names=$(sed -n 's/^netstat_process_sockets{process="\([^"]*\)".*/\1/p' "$WORK/m2" | sort -u | wc -l)
cat >"$WORK/capped.yml" <<YAML
collectors:
  process_sockets: {interval: 0s, max_processes: 3}
YAML
kill "$EXPORTER_PID"
wait "$EXPORTER_PID" 2>/dev/null || true
start_exporter "$WORK/log2" --config.file="$WORK/capped.yml" --collector.disable-defaults \
  --collector.sockets --collector.process_sockets
scrape m3
kept=$(sed -n 's/^netstat_process_sockets{process="\([^"]*\)".*/\1/p' "$WORK/m3" | sort -u | tr '\n' ' ')
expect_eq "kept names" "$kept" "other psock_many2 psock_many3 psock_many4 "
expect_eq "folded" "$(metric_value netstat_process_sockets_folded_processes "$WORK/m3")" $((names - 3))
expect_eq "psock_many4" "$(metric_value 'netstat_process_sockets{process="psock_many4",protocol="udp",family="ipv4",state="unconnected"}' "$WORK/m3")" 24
sums_agree "$WORK/m3" || fail "m3: per-process + unowned != netstat_sockets"
kill "$EXPORTER_PID"
wait "$EXPORTER_PID" 2>/dev/null || true

# 3. Churn: children open 3 sockets, take the name psock_churn, live 0-20 or 100-300 ms and exit,
# while we scrape. A process is counted whole or not at all: always a multiple of 3.
start_exporter "$WORK/log3" --config.file="$WORK/config.yml" --collector.disable-defaults \
  --collector.sockets --collector.process_sockets
start_helper churn churn psock_churn 3 6
seen=0
for i in $(seq 1 60); do
  grep -q '^done' "$WORK/churn.out" && break
  scrape "c$i"
  expect_eq "churn scrape $i success" "$(metric_value 'netstat_exporter_collector_success{collector="process_sockets"}' "$WORK/c$i")" 1
  n=$(awk '/^netstat_process_sockets\{process="psock_churn",/ { s += $2 } END { print s + 0 }' "$WORK/c$i")
  [ $((n % 3)) = 0 ] || fail "churn scrape $i: psock_churn holds $n sockets, not a multiple of 3:
$(grep 'psock_churn' "$WORK/c$i")"
  [ "$n" -gt 0 ] && seen=$((seen + 1))
  sums_agree "$WORK/c$i" || fail "churn scrape $i: per-process + unowned != netstat_sockets"
done
[ "$seen" -gt 0 ] || fail "no scrape saw a churning child: the churn part tested nothing"
grep -iE 'level=(warn|error)' "$WORK/log3" && fail "the exporter logged a problem during churn"
echo "churn: $seen of $i scrapes saw psock_churn processes, each counted whole"
kill "$EXPORTER_PID"
wait "$EXPORTER_PID" 2>/dev/null || true

# 4. Mode all, from the host: the namespace's series carry netns.
cat >"$WORK/all.yml" <<YAML
namespaces: {mode: all}
collectors:
  process_sockets: {interval: 0s}
YAML
EXPORTER_PREFIX=()
start_exporter "$WORK/log4" --config.file="$WORK/all.yml" --collector.disable-defaults \
  --collector.sockets --collector.process_sockets
fetch /metrics >"$WORK/m4"
[ -n "${E2E_DEBUG:-}" ] && cp "$WORK/m4" "$WORK/log4" /tmp/
expect_eq "mode all" "$(metric_value "netstat_process_sockets{process=\"psock_cwait\",protocol=\"tcp\",family=\"ipv4\",state=\"close_wait\",netns=\"$NS\"}" "$WORK/m4")" 7
expect_eq "mode all unowned" "$(metric_value "netstat_process_sockets_unowned{protocol=\"tcp\",family=\"ipv4\",state=\"fin_wait2\",netns=\"$NS\"}" "$WORK/m4")" 7
grep -q "process=\"psock_cwait\".*state=\"close_wait\"}" "$WORK/m4" && fail "mode all: the namespace's series lack netns"
promtool_clean "$WORK/m4" m4
kill "$EXPORTER_PID"
wait "$EXPORTER_PID" 2>/dev/null || true

# 4b. Mode all with one walk of the host's TCP (sockets.source bpf): the same, per namespace.
cat >"$WORK/all_walk.yml" <<YAML
namespaces: {mode: all}
collectors:
  sockets: {source: bpf}
  process_sockets: {interval: 0s}
YAML
start_exporter "$WORK/log4b" --config.file="$WORK/all_walk.yml" --collector.disable-defaults \
  --collector.sockets --collector.process_sockets --log.level=debug
ss_by_process | grep -v '^psock_churn' >"$WORK/ss4b"  # the churn's children come and go
fetch /metrics >"$WORK/m4b"
expect_eq "mode all, walked" "$(metric_value "netstat_process_sockets{process=\"psock_cwait\",protocol=\"tcp\",family=\"ipv4\",state=\"close_wait\",netns=\"$NS\"}" "$WORK/m4b")" 7
expect_eq "mode all unowned, walked" "$(metric_value "netstat_process_sockets_unowned{protocol=\"tcp\",family=\"ipv4\",state=\"fin_wait2\",netns=\"$NS\"}" "$WORK/m4b")" 7
grep "netns=\"$NS\"" "$WORK/m4b" | grep '^netstat_process_sockets{' | sed 's/,netns="[^"]*"//' >"$WORK/m4b_ns"
exported_by_process "$WORK/m4b_ns" | grep -v '^psock_churn' >"$WORK/exported_walked"
diff -u "$WORK/ss4b" "$WORK/exported_walked" >"$WORK/diff" || fail "mode all walked differs from ss:
$(cat "$WORK/diff")"
if grep -q 'one walk of the host' "$WORK/log4b"; then
  echo "mode all: one walk of the host gives the namespace's series as ss has them"
fi
promtool_clean "$WORK/m4b" m4b
echo "PASS"
