#!/bin/sh
# Installs a built netstat_exporter as a systemd service (run from the source tree, root).
# The files come from `cmake --install build` (the build's prefix, /usr/local by default:
# binary in bin/, unit in lib/systemd/system/, config in etc/netstat_exporter/ unless one is
# there already); the paths below are read from the unit it installed, so they agree.
# On Debian, `make package` and `apt install ./build/netstat-exporter_*.deb` do all this.
set -eu
cmake --install build
unit=build/systemd/netstat_exporter.service
bin=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
conf=$(sed -n 's/^ExecStart=.*--config.file=\([^ ]*\).*/\1/p' "$unit")
systemd-sysusers
"$bin" --config.check --config.file="$conf"
systemctl daemon-reload
systemctl enable --now netstat_exporter
