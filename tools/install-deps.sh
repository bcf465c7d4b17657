#!/bin/sh
# Installs, with apt-get, whatever the build, the tests and the benchmark need and is missing.
# Quiet and quick when everything is already there.
#
# It never stops, disables, restarts or kills anything that runs on the machine: the tests
# start their own Prometheus and node_exporter on free ports, so a running one is no
# obstacle. Debian's packages start their own services when first installed; while we
# install, a temporary policy-rc.d (only when the machine has none of its own) asks them
# not to start or restart any service, so a new package starts nothing and a running
# service is left as it is.
set -eu
PKGS="g++ cmake make pkg-config git ca-certificates
prometheus-cpp-dev zlib1g-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
libgtest-dev libmnl-dev libcrypt-dev libssl-dev libevent-dev
iproute2 net-tools procps curl openssl prometheus prometheus-node-exporter clang-format
systemd strace clang libclang-rt-14-dev jq libbpf-dev bpftool
help2man dpkg-dev lintian groff-base man-db"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages:$missing; run as root (or: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  # invoke-rc.d reads exit code 101 as "action not allowed": nothing is started or stopped.
  printf '#!/bin/sh\n# netstat_exporter install-deps: temporary, removed when it ends\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
  trap 'exit 130' INT TERM
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
exit 0
