#!/usr/bin/env bash
# Per-namespace `netstat -s` (namespaces mode all): a real accept queue overflow in a
# namespace made here must show as that namespace's
# netstat_TcpExt_ListenOverflows_total{netns="..."}, equal to what `nstat` reads inside
# it, while the host's own counter (no netns label) does not move. A listener with
# backlog 1 that never accepts, its queue filled, then a bounded burst of loopback connects
# from inside the namespace whose SYNs the kernel drops (ListenOverflows +1 each).
# Three exporters: with the socket collectors (snmp hears of the namespaces from their
# shared reading), with snmp alone (its reading is its own), and with snmp alone on the
# /proc/PID/net path (NETSTAT_EXPORTER_NO_BPF_MIB=1); the first two read the counters by
# BPF where it loads (required where root and the kernel's BTF are), and all must agree.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_listener helper
BIN=$1
SRC=$2
HELPER=$3
source "$SRC/tests/e2e/lib.sh"
export LC_ALL=C
new_netns netstat_snmp
PORT_OVERFLOW=7777
S='netstat_TcpExt_ListenOverflows_total'

# Backlog 1: the accept queue holds 2, which the helper fills and never accepts.
start_ns_helper listener "$HELPER" "tcp,127.0.0.1,$PORT_OVERFLOW,1,2"
printf 'namespaces: {mode: all}\n' >"$WORK/all.yml"
start_exporter "$WORK/shared.log" --config.file="$WORK/all.yml" --collector.disable-defaults \
  --collector.sockets --collector.listeners --collector.snmp
SHARED=$PORT
start_exporter "$WORK/alone.log" --config.file="$WORK/all.yml" --collector.disable-defaults \
  --collector.snmp
ALONE=$PORT
EXPORTER_PREFIX=(env NETSTAT_EXPORTER_NO_BPF_MIB=1)
start_exporter "$WORK/proc.log" --config.file="$WORK/all.yml" --collector.disable-defaults \
  --collector.snmp
PROC=$PORT
EXPORTER_PREFIX=()

scrape() { # scrape PORT FILE
  curl -sS --max-time 10 "http://127.0.0.1:$1/metrics" >"$2" || fail "scrape of :$1 failed"
}
nstat_overflows() { in_ns nstat -asz TcpExtListenOverflows | awk '$1 == "TcpExtListenOverflows" { print $2 }'; }

scrape "$SHARED" "$WORK/before"
# A first scrape reads /proc and learns the wanted fields; from the second, BPF.
scrape "$ALONE" "$WORK/alone_before"
scrape "$PROC" "$WORK/proc_before"
for f in shared alone; do
  if grep -q 'counters from one BPF run' "$WORK/$f.log"; then
    echo "netns_snmp: $f reads the namespaces' counters by BPF"
  elif [ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
    fail "$f: the BPF reader of namespace counters must load here: $(grep snmp: "$WORK/$f.log")"
  else
    echo "netns_snmp: $f: $(grep 'snmp: other' "$WORK/$f.log")"
  fi
done
grep -q 'counters from /proc/PID/net: NETSTAT_EXPORTER_NO_BPF_MIB=1' "$WORK/proc.log" ||
  fail "the /proc exporter did not say why: $(cat "$WORK/proc.log")"
host_before=$(metric_value "$S" "$WORK/before")
pod_before=$(metric_value "$S{netns=\"$NS\"}" "$WORK/before")
[ -n "$host_before" ] || fail "no host $S"
expect_eq "the new namespace's overflows before the flood" "$pod_before" 0

# The flood: 40 clients at once from inside the namespace, each ended after 0.5 s, the
# whole burst after 10 s at most.
in_ns timeout 10 bash -c "for i in \$(seq 40); do
    timeout 0.5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT_OVERFLOW' 2>/dev/null &
  done
  wait" || true

# The kernel's own count brackets the scrape (a late SYN retransmit may still add one).
low=$(nstat_overflows)
scrape "$SHARED" "$WORK/shared"
scrape "$ALONE" "$WORK/alone"
scrape "$PROC" "$WORK/proc"
high=$(nstat_overflows)
proc=$(awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ListenOverflows") k = i; h = 1 } else print $k }' \
  "/proc/$HPID/net/netstat")
for f in shared alone proc; do
  pod=$(metric_value "$S{netns=\"$NS\"}" "$WORK/$f")
  [ -n "$pod" ] || fail "$f: no $S{netns=\"$NS\"}"
  awk -v p="$pod" 'BEGIN { exit !(p > 0) }' || fail "$f: 40 connects to a full queue left $S at $pod"
  awk -v p="$pod" -v l="$low" -v h="$high" 'BEGIN { exit !(p >= l && p <= h) }' ||
    fail "$f: $S{netns=\"$NS\"} is $pod, nstat inside says $low..$high"
  grep -q '^netstat_exporter_collector_success{collector="snmp"} 1$' "$WORK/$f" ||
    fail "$f: the snmp collector fails: $(grep collector_success "$WORK/$f")"
  promtool_clean "$WORK/$f" "$f"
done
awk -v p="$proc" -v l="$low" -v h="$high" 'BEGIN { exit !(p >= l && p <= h) }' ||
  fail "/proc/$HPID/net/netstat says $proc, nstat $low..$high"
host_after=$(metric_value "$S" "$WORK/shared")
expect_eq "the host's own $S during the namespace's flood" "$host_after" "$host_before"

# What a namespace costs in series: the pod set and the socket collectors' series.
series=$(grep -c "netns=\"$NS\"" "$WORK/shared")
snmp_series=$(grep -E "^netstat_(Tcp|TcpExt|Udp)_[A-Za-z]+_total\{netns=\"$NS\"\}" "$WORK/shared" | wc -l)
expect_eq "snmp series of the namespace" "$snmp_series" 13
# Both paths give the same series of the namespace (values may move between the scrapes).
names() { grep -E "^netstat_(Tcp|TcpExt|Udp)_.*\{netns=\"$NS\"\}" "$1" | cut -d' ' -f1 | sort; }
[ "$(names "$WORK/alone")" = "$(names "$WORK/proc")" ] ||
  fail "the BPF and /proc paths differ: $(diff <(names "$WORK/alone") <(names "$WORK/proc"))"
grep -qE "^netstat_Tcp_ActiveOpens_total\{netns=" "$WORK/shared" &&
  fail "a field outside the namespaces' default set has a netns series"
echo "netns_snmp: $S{netns=\"$NS\"} $pod_before -> $pod (nstat $low..$high, /proc $proc)," \
  "host $host_before -> $host_after; the namespace has $series series ($snmp_series snmp)"
