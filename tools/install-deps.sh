#!/bin/sh
# Installs, with apt-get, whatever the build, the tests and the benchmark need and is missing.
# Quiet and quick when everything is already there.
set -eu
PKGS="g++ cmake make pkg-config git ca-certificates
prometheus-cpp-dev libcivetweb-dev zlib1g-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
libgtest-dev libmnl-dev libcrypt-dev libssl-dev
iproute2 net-tools procps curl openssl prometheus prometheus-node-exporter clang-format
clang libclang-rt-14-dev"

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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The Debian packages may start their services on install; the tests start their own.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
fi
pkill -f '^/usr/bin/prometheus( |$)' 2>/dev/null || true
pkill -f '^/usr/bin/prometheus-node-exporter( |$)' 2>/dev/null || true
exit 0
