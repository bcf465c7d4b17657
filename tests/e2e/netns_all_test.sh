#!/usr/bin/env bash
# `namespaces: {mode: all}` truth test. The exporter runs in the host namespace; the test
# makes namespaces of every kind the exporter must find and checks each one's series
# against `ss` run inside it (the kernel is the truth):
#   A  named (ip netns add), IPv4 listener with 3 un-accepted connections
#   B  named, IPv6 listener on the same port as A, 2 connections
#   C  unnamed, held only by a process (unshare -n): labelled net:[INODE]
#   D  unnamed, held by a process and bind-mounted like Docker does, under a 64-hex name
#      in $WORK/docker-netns: labelled by that name
#   E  named, no process, only time_wait sockets left: netlink reads it, /proc cannot
#   F  named, deleted between two scrapes while G is made: F's series go, G's come
#   H  named, two processes; the first (its lowest pid) exits between scrapes, and H must
#      still be read whole through the second
# Then: netlink (CAP_SYS_ADMIN) and /proc (setpriv without it) give the same series,
# expected rules match `netns` as a whole-value regex, `max` caps the namespaces covered
# (in a fresh exporter and after a SIGHUP), and the own namespace's series look as in mode
# own. Other tests make namespaces in parallel: only namespaces made here are asserted
# on, never totals.
# NETNS_ALL_SOURCE (sockets.source, default auto): with auto, every namespace's TCP comes
# from one BPF walk of the host where it loads, and the test checks that it did.
#   $1 exporter binary, $2 source tree, $3 the netstat_e2e_listener helper,
#   $4 netstat_sock_load
BIN=$1
SRC=$2
HELPER=$3
LOAD=$4
source "$SRC/tests/e2e/lib.sh"
export LC_ALL=C # one sort order for the label sorting below

NA=netstat_all_a_$$ NB=netstat_all_b_$$ NE=netstat_all_e_$$ NF=netstat_all_f_$$
NH=netstat_all_h_$$
DOCKER=$WORK/docker-netns
ND=$(printf 'netstat-all-%s' $$ | sha256sum | cut -c1-64) # a Docker sandbox id's shape
NAMED=()
MOUNTS=()
cleanup_all() {
  for m in "${MOUNTS[@]:-}"; do [ -n "$m" ] && umount "$m" 2>/dev/null || true; done
  cleanup # lib.sh: stops what PIDS holds (every helper), removes $WORK
  for n in "${NAMED[@]:-}"; do
    [ -n "$n" ] || continue
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns delete "$n" 2>/dev/null || true
  done
}
trap cleanup_all EXIT

named_ns() { # named_ns NAME: ip netns add, loopback up
  ip netns add "$1"
  NAMED+=("$1")
  ip -n "$1" link set lo up
}

ns_inode() { stat -L -c %i "$1"; } # ns_inode NSFS_FILE

named_ns "$NA"
start_helper a ip netns exec "$NA" "$HELPER" tcp,127.0.0.1,8080,16,3
PA=$HPID
named_ns "$NB"
start_helper b ip netns exec "$NB" "$HELPER" tcp,::1,8080,16,2
PB=$HPID
start_helper c unshare -n sh -c "ip link set lo up && exec $HELPER tcp,127.0.0.1,9100,8,2"
PC=$HPID
start_helper d unshare -n sh -c "ip link set lo up && exec $HELPER tcp,::,9200,8,1"
PD=$HPID
mkdir "$DOCKER"
touch "$DOCKER/$ND"
mount --bind "/proc/$PD/ns/net" "$DOCKER/$ND"
MOUNTS+=("$DOCKER/$ND")
named_ns "$NF"
start_helper f ip netns exec "$NF" "$HELPER" tcp,127.0.0.1,9300,8,1
PF=$HPID
# H: two processes; the first, its lowest pid, exits between scrapes (section 4), and
# the namespace must still be read whole, through the other.
named_ns "$NH"
start_helper h1 ip netns exec "$NH" "$HELPER" tcp,127.0.0.1,9500,8,1
PH1=$HPID
ip netns exec "$NH" "$LOAD" scenario 7100 >"$WORK/h2.out" 2>&1 &
PH2=$!
PIDS+=("$PH2")
for _ in $(seq 1 100); do grep -q ready "$WORK/h2.out" && break; sleep 0.05; done
grep -q ready "$WORK/h2.out" || fail "sock_load in $NH did not get ready: $(cat "$WORK/h2.out")"
[ "$PH1" -lt "$PH2" ] || fail "pids wrapped: $PH1, then $PH2; run again"
# E last: its time_wait sockets live 60 s, the rest of the test takes far less.
named_ns "$NE"
ip netns exec "$NE" "$LOAD" scenario 7000 >"$WORK/e.out" 2>&1 &
PE=$!
PIDS+=("$PE") # sock_load prints "ready" without a pid; ip netns exec execs it
for _ in $(seq 1 100); do grep -q ready "$WORK/e.out" && break; sleep 0.05; done
grep -q ready "$WORK/e.out" || fail "sock_load did not get ready: $(cat "$WORK/e.out")"
kill "$PE"
wait "$PE" 2>/dev/null || true
for _ in $(seq 1 100); do
  [ -z "$(ip netns exec "$NE" ss -Htan | grep -vE '^TIME-WAIT')" ] && break
  sleep 0.05
done
[ -z "$(ip netns pids "$NE")" ] || fail "$NE still has processes"
[ -n "$(ip netns exec "$NE" ss -Htan state time-wait)" ] || fail "$NE: no time_wait socket left"

LA=$NA LB=$NB LE=$NE LF=$NF LD=$ND LH=$NH
LC="net:[$(readlink "/proc/$PC/ns/net" | tr -dc 0-9)]"
IA=$(ns_inode "/run/netns/$NA") IB=$(ns_inode "/run/netns/$NB") IE=$(ns_inode "/run/netns/$NE")
IH=$(ns_inode "/run/netns/$NH")
IF=$(ns_inode "/run/netns/$NF") IC=$(ns_inode "/proc/$PC/ns/net") ID=$(ns_inode "$DOCKER/$ND")
expect_eq "D's bind mount is D's namespace" "$ID" "$(ns_inode "/proc/$PD/ns/net")"
expect_eq "seven distinct namespaces, none the host's" \
  "$(printf '%s\n' "$IA" "$IB" "$IC" "$ID" "$IE" "$IF" "$IH" "$(ns_inode /proc/self/ns/net)" | sort -u | wc -l)" 8

# The truth per namespace: how to run ss in it.
ns_run() { # ns_run LABEL CMD...
  local l=$1
  shift
  case $l in
  "$LC") nsenter --net="/proc/$PC/ns/net" "$@" ;;
  "$LD") nsenter --net="$DOCKER/$ND" "$@" ;;
  *) ip netns exec "$l" "$@" ;;
  esac
}
for l in "$LA" "$LB" "$LC" "$LD" "$LE" "$LF" "$LH"; do
  echo "ss in $l $(ns_run "$l" readlink /proc/self/ns/net): $(ns_run "$l" ss -Htan | awk '{ n[$1]++ } END { for (s in n) printf "%s=%d ", s, n[s] }')"
done

cp "$SRC/tests/fixtures/etc/services" "$WORK/services"
# write_config FILE MODE MAX
SOURCE=${NETNS_ALL_SOURCE:-auto}
write_config() {
  cat >"$1" <<YAML
paths: {services: $WORK/services}
namespaces:
  mode: $2
  max: $3
  bind_mount_dirs: [/run/netns, $DOCKER]
collectors:
  sockets: {source: $SOURCE}
  listeners:
    labels: [process, user]
    expected:
      - {netns: ""}
      - {port: 8080, netns: "$NA"}
      - {port: 8080, netns: "netstat_all_b"}
      - {port: 9100, netns: 'net:\[[0-9]+\]'}
      - {port: 9300, netns: ".+"}
YAML
}
# The cap as high as it goes: other work on the host may hold hundreds of namespaces, and
# ours, being the newest, would be the ones dropped.
write_config "$WORK/all.yml" all 100000
write_config "$WORK/own.yml" own 100000
write_config "$WORK/max1.yml" all 1

# norm FILE: the samples, comments dropped, each series' labels sorted by name, so that
# expectations do not depend on the order the exporter writes them in.
norm() {
  awk '/^#/ || NF < 2 { next }
    { v = $NF; s = substr($0, 1, length($0) - length(v) - 1); i = index(s, "{")
      if (i == 0) { print s, v; next }
      name = substr(s, 1, i - 1); n = split(substr(s, i + 1, length(s) - i - 1), p, "\",")
      for (j = 1; j < n; j++) p[j] = p[j] "\""
      for (j = 2; j <= n; j++) { x = p[j]; for (k = j - 1; k >= 1 && p[k] > x; k--) p[k + 1] = p[k]; p[k + 1] = x }
      out = p[1]; for (j = 2; j <= n; j++) out = out "," p[j]
      print name "{" out "}", v }' "${1:--}"
}
# ser NAME KEY=VALUE...: one series as norm writes it.
ser() {
  local name=$1
  shift
  printf '%s\n' "$@" | sort | awk -v n="$name" '{ i = index($0, "="); s = s (NR > 1 ? "," : "") substr($0, 1, i - 1) "=\"" substr($0, i + 1) "\"" }
    END { print n "{" s "}" }'
}
# of_ns FILE LABEL: the normalized series of one namespace.
of_ns() { grep -F "netns=\"$2\"" "$1" || true; }
pick() { grep "$@" || true; } # grep in a pipeline that may rightly find nothing
has() { # has FILE SERIES VALUE
  [ "$(metric_value "$2" "$1")" = "$3" ] ||
    fail "$(basename "$1"): want '$2 $3'; that namespace has:
$(of_ns "$1" "$(sed -E 's/.*netns="([^"]*)".*/\1/' <<<"$2")" | pick -v " 0$")
namespaces in that scrape:
$(pick "^netstat_namespace" "$1")"
}
lacks() { ! grep -qF "$2" "$1" || fail "$(basename "$1"): unexpected series $2"; }
scrape() { fetch /metrics >"$WORK/$1.prom" && norm "$WORK/$1.prom" >"$WORK/$1"; }
cap_bit() { # cap_bit PID FIELD BIT: 1 when capability BIT is in FIELD (CapEff, CapBnd)
  awk -v f="$2:" -v b="$3" '$1 == f { print int(("0x" $2) / 2 ^ b) % 2 }' "/proc/$1/status"
}
CAP_SYS_ADMIN=21

# --- 1. Netlink: as root, mode all keeps CAP_SYS_ADMIN.
start_exporter "$WORK/nl.log" --config.file="$WORK/all.yml" --log.level=debug \
  --collector.disable-defaults --collector.sockets --collector.listeners
NL_PID=$EXPORTER_PID
NL_PORT=$PORT
scrape nl1
expect_eq "netlink exporter: CAP_SYS_ADMIN effective" "$(cap_bit "$NL_PID" CapEff $CAP_SYS_ADMIN)" 1
promtool_clean "$WORK/nl1.prom" "mode all scrape"

P=netstat_e2e_listener
info() { ser netstat_listener_info protocol=tcp interface= "$@" process=$P user=root; }
unexpected() { ser netstat_listener_unexpected protocol=tcp interface= "$@" process=$P user=root; }
svc8080=http-alt
check_listeners() { # check_listeners FILE
  has "$1" "$(info family=ipv4 address=127.0.0.1 port=8080 service=$svc8080 netns="$LA")" 1
  has "$1" "$(info family=ipv6 address=::1 port=8080 service=$svc8080 netns="$LB")" 1
  has "$1" "$(info family=ipv4 address=127.0.0.1 port=9100 service= netns="$LC")" 1
  has "$1" "$(info family=ipv6 address=:: port=9200 service= netns="$LD")" 1
  has "$1" "$(info family=ipv4 address=127.0.0.1 port=9300 service= netns="$LF")" 1
  q() { ser "netstat_listener_queue_$1" protocol=tcp interface= "${@:2}"; }
  has "$1" "$(q length family=ipv4 address=127.0.0.1 port=8080 netns="$LA")" 3
  has "$1" "$(q length family=ipv6 address=::1 port=8080 netns="$LB")" 2
  has "$1" "$(q length family=ipv4 address=127.0.0.1 port=9100 netns="$LC")" 2
  has "$1" "$(q length family=ipv6 address=:: port=9200 netns="$LD")" 1
  # Rules: A's port 8080 named exactly; "netstat_all_b" is only a prefix of B's name, so B's
  # 8080 is unexpected; C by the net:[INODE] pattern; D no rule; F by ".+"; own by "".
  lacks "$1" "$(unexpected family=ipv4 address=127.0.0.1 port=8080 service=$svc8080 netns="$LA")"
  has "$1" "$(unexpected family=ipv6 address=::1 port=8080 service=$svc8080 netns="$LB")" 1
  lacks "$1" "$(unexpected family=ipv4 address=127.0.0.1 port=9100 service= netns="$LC")"
  has "$1" "$(unexpected family=ipv6 address=:: port=9200 service= netns="$LD")" 1
  lacks "$1" "$(unexpected family=ipv4 address=127.0.0.1 port=9300 service= netns="$LF")"
  bad=$(grep '^netstat_listener_unexpected{' "$1" | grep -v 'netns=' || true)
  [ -z "$bad" ] || fail "$(basename "$1"): own-namespace listeners unexpected despite {netns: \"\"}: $bad"
  # No listener of E: sock_load's listeners died with it.
  bad=$(of_ns "$1" "$LE" | grep '^netstat_listener' || true)
  [ -z "$bad" ] || fail "$(basename "$1"): listeners in $LE: $bad"
}
check_listeners "$WORK/nl1"
has "$WORK/nl1" "$(ser netstat_listener_queue_limit protocol=tcp interface= family=ipv4 address=127.0.0.1 port=8080 netns="$LA")" 16
has "$WORK/nl1" "$(ser netstat_listener_queue_limit protocol=tcp interface= family=ipv6 address=::1 port=8080 netns="$LB")" 16

# namespace_info: inode and lowest pid; container_id and pod_uid present (empty on a plain
# host; this machine's own cgroup may carry an id, so their values are not asserted).
check_info() { # check_info FILE LABEL INODE PID
  local line
  line=$(grep -E "^netstat_namespace_info\{.*netns=\"$(sed 's/[][]/\\&/g' <<<"$2")\"" "$1" || true)
  [ "$(wc -l <<<"$line")" = 1 ] && [ -n "$line" ] || fail "$(basename "$1"): namespace_info for $2: '$line'"
  for want in "inode=\"$3\"" "pid=\"$4\"" 'container_id="' 'pod_uid="'; do
    grep -qF "$want" <<<"$line" || fail "$(basename "$1"): namespace_info for $2 lacks $want: $line"
  done
  [ "${line##* }" = 1 ] || fail "$(basename "$1"): namespace_info value: $line"
}
check_infos() { # check_infos FILE
  check_info "$1" "$LA" "$IA" "$PA"
  check_info "$1" "$LB" "$IB" "$PB"
  check_info "$1" "$LC" "$IC" "$PC"
  check_info "$1" "$LD" "$ID" "$PD"
  check_info "$1" "$LE" "$IE" ""
  check_info "$1" "$LF" "$IF" "$PF"
  check_info "$1" "$LH" "$IH" "$PH1"
  # C by inode only: no bind mount names it.
  ! grep -q "netns=\"net:\[$ID\]\"" "$1" || fail "$(basename "$1"): D labelled by inode, not by its bind mount"
  ! grep -qE '^netstat_sockstat_[^{]*\{[^}]*netns=' "$1" || fail "$(basename "$1"): sockstat series with netns"
  grep -qE '^netstat_sockstat_' "$1" || fail "$(basename "$1"): the own namespace's sockstat series are gone"
  grep -qE '^netstat_namespaces_dropped 0$' "$1" || fail "$(basename "$1"): $(grep namespaces_dropped "$1")"
}
check_infos "$WORK/nl1"

# Sockets against ss, per namespace: every non-zero series (netns label taken off) equals
# what ss_to_metrics.awk makes of ss's lines; established counts spelled out as well.
from_ss() { # from_ss LABEL
  {
    for fam in 4 6; do
      ns_run "$1" ss -tanH -$fam | sed "s/^/tcp ipv$fam /"
      ns_run "$1" ss -uanH -$fam | sed "s/^/udp ipv$fam /"
      ns_run "$1" ss -wanH -$fam | sed "s/^/raw ipv$fam /"
    done
    ns_run "$1" ss -xanH | sed 's/^/unix unix /'
  } | awk -f "$SRC/tests/e2e/ss_to_metrics.awk" | norm | sort
}
SOCKET_FAMILIES='^netstat_(sockets|socket_receive_queue_bytes|socket_send_queue_bytes|port_connections)\{'
check_sockets() { # check_sockets FILE LABEL
  local f=$1 l=$2 tag est_ss est_exp
  tag="$(basename "$f") $l"
  from_ss "$l" >"$WORK/ss.expected"
  of_ns "$f" "$l" | pick -E "$SOCKET_FAMILIES" | sed -E 's/,netns="[^"]*"//; s/\{netns="[^"]*",?/{/' |
    awk '$2 != "0"' | sort >"$WORK/ss.actual"
  diff -u "$WORK/ss.expected" "$WORK/ss.actual" >"$WORK/ss.diff" ||
    fail "$tag: exporter differs from ss (- ss, + exporter):
$(cat "$WORK/ss.diff")"
  bad=$(of_ns "$f" "$l" | grep -E '^netstat_port_connections\{.* 0$' || true)
  [ -z "$bad" ] || fail "$tag: zero port_connections series: $bad"
  est_ss=$(ns_run "$l" ss -Htan state established | wc -l)
  est_exp=$(of_ns "$f" "$l" | pick -E '^netstat_sockets\{.*protocol="tcp".*state="established"' |
    awk '{ s += $2 } END { print s + 0 }')
  expect_eq "$tag: established TCP sockets (ss -Htan state established)" "$est_exp" "$est_ss"
}
for l in "$LA" "$LB" "$LC" "$LD" "$LE" "$LF" "$LH"; do check_sockets "$WORK/nl1" "$l"; done
for pair in "$LA 6" "$LB 4" "$LC 4" "$LD 2"; do # 2 sockets per un-accepted connection
  set -- $pair
  expect_eq "established in $1" "$(of_ns "$WORK/nl1" "$1" |
    pick -E '^netstat_sockets\{.*protocol="tcp".*state="established"' | awk '{ s += $2 } END { print s + 0 }')" "$2"
done
grep -qF "netstat_sockets{family=\"ipv4\",netns=\"$LE\",protocol=\"tcp\",state=\"time_wait\"}" "$WORK/nl1" ||
  fail "netlink: $LE (no process) not read: $(of_ns "$WORK/nl1" "$LE")"

# The own namespace: no netns label, as in mode own; the exporter's own listener is there.
grep -qE "^netstat_listener_info\{address=\"127.0.0.1\",family=\"ipv4\",interface=\"\",port=\"$NL_PORT\",process=\"netstat_exporter\",protocol=\"tcp\",service=\"[^\"]*\",user=\"root\"\} 1$" \
  "$WORK/nl1" || fail "nl1: the exporter's own listener, without netns: $(grep "port=\"$NL_PORT\"" "$WORK/nl1")"
bad=$(awk '/^netstat_exporter_collector_success\{/ && $2 != "1"' "$WORK/nl1")
[ -z "$bad" ] || fail "nl1: a collector failed: $bad"

# Which way each namespace's TCP was read: one walk of the host (bpf) when it loaded.
WALKED=$(grep -c '^netstat_sockets_source_info{netns=.*source="bpf"' "$WORK/nl1" || true)
if [ "$SOURCE" = netlink ]; then
  expect_eq "source netlink: namespaces counted by BPF" "$WALKED" 0
elif grep -q 'one walk of the host.s TCP for every namespace' "$WORK/nl.log"; then
  src=$(grep -F "netstat_sockets_source_info{netns=\"$LA\"" "$WORK/nl1" || true)
  expect_eq "auto: $LA read by the walk" "$src" "netstat_sockets_source_info{netns=\"$LA\",source=\"bpf\"} 1"
else
  echo "note: the host walk did not load here: $(grep -i 'walk of the host' "$WORK/nl.log" | head -1)"
fi

echo "ok: netlink (sockets.source $SOURCE, $WALKED namespaces counted by one walk)"
grep -F "$NA" "$WORK/nl.log" >"$WORK/nl.log.a" || true
grep -qi netlink "$WORK/nl.log.a" ||
  fail "netlink: the log does not say $NA is read by netlink: $(cat "$WORK/nl.log")"

# --- 2. /proc: the same exporter without CAP_SYS_ADMIN reads /proc/PID/net of each
# namespace's lowest pid; E, which has no process, shows only its info series.
EXPORTER_PREFIX=(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin --)
start_exporter "$WORK/proc.log" --config.file="$WORK/all.yml" --log.level=debug \
  --collector.disable-defaults --collector.sockets --collector.listeners
EXPORTER_PREFIX=()
PR_PID=$EXPORTER_PID
PR_PORT=$PORT
scrape pr1
expect_eq "/proc exporter: CAP_SYS_ADMIN effective" "$(cap_bit "$PR_PID" CapEff $CAP_SYS_ADMIN)" 0
expect_eq "/proc exporter: CAP_SYS_ADMIN bounding" "$(cap_bit "$PR_PID" CapBnd $CAP_SYS_ADMIN)" 0
promtool_clean "$WORK/pr1.prom" "mode all scrape by /proc"
check_listeners "$WORK/pr1"
check_infos "$WORK/pr1"
for l in "$LA" "$LB" "$LC" "$LD" "$LF" "$LH"; do check_sockets "$WORK/pr1" "$l"; done
expect_eq "/proc: $LE (no process) has only its info" \
  "$(of_ns "$WORK/pr1" "$LE" | grep -vc '^netstat_namespace_info{')" 0
grep -F "$NA" "$WORK/proc.log" >"$WORK/proc.log.a" || true
grep -qF "/proc/$PA/" "$WORK/proc.log.a" ||
  fail "/proc: the log does not say $NA is read through /proc: $(cat "$WORK/proc.log")"
bad=$(awk '/^netstat_exporter_collector_success\{/ && $2 != "1"' "$WORK/pr1")
[ -z "$bad" ] || fail "pr1: a collector failed: $bad"

# Both ways, same kernel: the same series for every namespace with a process (queue
# limits only come by netlink; scraped again so that both see the same moment).
scrape nl1b
for s in nl1b pr1; do
  for l in "$LA" "$LB" "$LC" "$LD" "$LF"; do of_ns "$WORK/$s" "$l"; done |
    pick -v "^netstat_listener_queue_limit{" | sort >"$WORK/$s.cmp"
done
diff -u "$WORK/nl1b.cmp" "$WORK/pr1.cmp" >"$WORK/ways.diff" ||
  fail "netlink (-) and /proc (+) differ:
$(cat "$WORK/ways.diff")"
echo "ok: /proc ($(wc -l <"$WORK/pr1.cmp") series equal to netlink's)"

# --- 3. Mode own: no foreign namespace, no CAP_SYS_ADMIN kept, and the own namespace's
# series have the same shape (names and label names) as in mode all.
start_exporter "$WORK/own.log" --config.file="$WORK/own.yml" \
  --collector.disable-defaults --collector.sockets --collector.listeners
OWN_PID=$EXPORTER_PID
scrape own1
! grep -q 'netns=' "$WORK/own1" || fail "mode own: netns labels: $(grep -m3 netns= "$WORK/own1")"
! grep -q '^netstat_namespace_info' "$WORK/own1" || fail "mode own: namespace_info"
expect_eq "mode own: CAP_SYS_ADMIN effective" "$(cap_bit "$OWN_PID" CapEff $CAP_SYS_ADMIN)" 0
shape() { # shape FILE: each unlabelled family once, with its label names
  pick -v "netns=" "$1" | pick -v "^netstat_namespace" |
    sed -E 's/="[^"]*"//g; s/ [^ ]*$//' | sort -u
}
diff -u <(shape "$WORK/own1") <(shape "$WORK/nl1") >"$WORK/shape.diff" ||
  fail "the own namespace's series differ between mode own (-) and mode all (+):
$(cat "$WORK/shape.diff")"

# --- 4. F deleted and G made between two scrapes: F's series go, G's come, the collectors
# still succeed.
for s in nl pr; do
  grep -qF "netns=\"$LF\"" "$WORK/${s}1" || fail "${s}1: no series of $LF before the deletion"
done
ip netns delete "$NF"
kill "$PF"
wait "$PF" 2>/dev/null || true
NG=netstat_all_g_$$
named_ns "$NG"
start_helper g ip netns exec "$NG" "$HELPER" tcp,::1,9400,8,0
PG=$HPID
kill "$PH1" # H's lowest pid: its listener and connection go, sock_load's sockets stay
wait "$PH1" 2>/dev/null || true
for _ in $(seq 1 100); do
  [ -z "$(ip netns exec "$NH" ss -Htan "sport = :9500 or dport = :9500")" ] && break
  sleep 0.05
done
for s in nl pr; do
  [ "$s" = nl ] && PORT=$NL_PORT || PORT=$PR_PORT
  scrape "${s}2"
  ! grep -qE "netns=\"($LF|net:\[$IF\])\"" "$WORK/${s}2" ||
    fail "${s}2: series of the deleted $LF: $(grep -E "netns=\"($LF|net:\[$IF\])\"" "$WORK/${s}2")"
  for c in sockets listeners; do
    has "$WORK/${s}2" "netstat_exporter_collector_success{collector=\"$c\"}" 1
  done
  check_info "$WORK/${s}2" "$LA" "$IA" "$PA"
  check_info "$WORK/${s}2" "$NG" "$(ns_inode "/run/netns/$NG")" "$PG"
  check_info "$WORK/${s}2" "$LH" "$IH" "$PH2"
  check_sockets "$WORK/${s}2" "$LH"
  has "$WORK/${s}2" "$(info family=ipv6 address=::1 port=9400 service= netns="$NG")" 1
done
echo "ok: deleted and new namespace"

# --- 5. max: 1 covers one foreign namespace and counts the others as dropped: at least
# the six more of the seven made here that are left (A B C D E G H). Once in a fresh
# exporter, once in the netlink one after a SIGHUP with max: 1.
check_max1() { # check_max1 FILE
  local dropped covered
  dropped=$(metric_value netstat_namespaces_dropped "$1")
  [ -n "$dropped" ] && [ "$dropped" -ge 6 ] ||
    fail "$(basename "$1"): netstat_namespaces_dropped '$dropped', want >= 6"
  covered=$(pick "^netstat_namespace_info{" "$1" | sed -E 's/.*netns="([^"]*)".*/\1/' | sort -u)
  expect_eq "$(basename "$1"): namespaces in namespace_info" "$(pick -c . <<<"$covered")" 1
  expect_eq "$(basename "$1"): netns labels beyond the one covered" \
    "$(pick -o "netns=\"[^\"]*\"" "$1" | sort -u | pick -vxF "netns=\"$covered\"" | wc -l)" 0
}
start_exporter "$WORK/max1.log" --config.file="$WORK/max1.yml" \
  --collector.disable-defaults --collector.sockets --collector.listeners
scrape max1
check_max1 "$WORK/max1"
promtool_clean "$WORK/max1.prom" "max 1 scrape"
cp "$WORK/max1.yml" "$WORK/all.yml"
kill -HUP "$NL_PID"
for _ in $(seq 1 100); do grep -q 'configuration reloaded\|reload failed' "$WORK/nl.log" && break; sleep 0.05; done
PORT=$NL_PORT
scrape nl3
has "$WORK/nl3" netstat_exporter_config_last_reload_successful 1
check_max1 "$WORK/nl3"
echo "PASS netns_all_test"
