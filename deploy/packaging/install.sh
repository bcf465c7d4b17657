#!/bin/sh
# Installs a built netstat_exporter as a systemd service (run from the source tree, root).
set -eu
install -m 0755 build/netstat_exporter /usr/local/bin/netstat_exporter
install -d /etc/netstat_exporter
[ -f /etc/netstat_exporter/netstat_exporter.yml ] ||
  install -m 0644 config/netstat_exporter.yml /etc/netstat_exporter/netstat_exporter.yml
install -m 0644 systemd/netstat_exporter.sysusers /usr/lib/sysusers.d/netstat_exporter.conf
systemd-sysusers
install -m 0644 systemd/netstat_exporter.service /etc/systemd/system/netstat_exporter.service
/usr/local/bin/netstat_exporter --config.check --config.file=/etc/netstat_exporter/netstat_exporter.yml
systemctl daemon-reload
systemctl enable --now netstat_exporter
