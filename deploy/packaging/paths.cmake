# The absolute paths the systemd unit names, for the install prefix in effect. Used twice:
# at configure time (build/systemd/netstat_exporter.service, which the tests and
# install.sh use) and again inside `cmake --install` / cpack, whose prefix (/usr for the
# package, or --prefix) may differ from the configured one. GNUInstallDirs decides, so
# prefix /usr gives /etc/netstat_exporter, /usr/local gives /usr/local/etc/netstat_exporter
# and /opt/x gives /etc/opt/x/netstat_exporter.
# Expects CMAKE_INSTALL_PREFIX and the relative CMAKE_INSTALL_{BINDIR,SYSCONFDIR,DOCDIR};
# sets NETSTAT_BINARY, NETSTAT_CONFIG_DIR, NETSTAT_CONFIG_FILE and NETSTAT_DOC_DIR.
macro(netstat_install_paths)
  GNUInstallDirs_get_absolute_install_dir(_netstat_bindir CMAKE_INSTALL_BINDIR BINDIR)
  GNUInstallDirs_get_absolute_install_dir(_netstat_sysconfdir CMAKE_INSTALL_SYSCONFDIR SYSCONFDIR)
  GNUInstallDirs_get_absolute_install_dir(NETSTAT_DOC_DIR CMAKE_INSTALL_DOCDIR DOCDIR)
  set(NETSTAT_BINARY "${_netstat_bindir}/netstat_exporter")
  set(NETSTAT_CONFIG_DIR "${_netstat_sysconfdir}/netstat_exporter")
  set(NETSTAT_CONFIG_FILE "${NETSTAT_CONFIG_DIR}/netstat_exporter.yml")
endmacro()
