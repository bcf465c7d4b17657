# The .deb: `make package`, or `cpack -G DEB` in a configured and built tree. Included from
# the top-level CMakeLists.txt (CPack writes its config in the top build directory), before
# deploy/packaging, which uses NETSTAT_DEB_PACKAGE and NETSTAT_MAINTAINER.
# Files go under /usr, so the config is /etc/netstat_exporter/netstat_exporter.yml
# (GNUInstallDirs' rule for /usr, paths.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/paths.cmake)
set(NETSTAT_DEB_PACKAGE netstat-exporter)  # Debian names allow no "_"
set(NETSTAT_MAINTAINER
    "netstat_exporter maintainers <maintainers@users.noreply.r-seed-db99f304.example>"
    CACHE STRING "Maintainer field of the .deb and its changelog")
# The config's path in the package, whatever this tree's prefix: the package's conffile.
block(SCOPE_FOR VARIABLES PROPAGATE NETSTAT_DEB_CONFFILE)
  set(CMAKE_INSTALL_PREFIX /usr)
  netstat_install_paths()
  set(NETSTAT_DEB_CONFFILE ${NETSTAT_CONFIG_FILE})
endblock()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${NETSTAT_DEB_PACKAGE})
set(CPACK_PACKAGE_VENDOR "netstat_exporter")
set(CPACK_PACKAGE_CONTACT "${NETSTAT_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Prometheus exporter for sockets, listeners, interfaces and protocol statistics")
# Lines under 80 characters (Debian policy; lintian).
set(CPACK_PACKAGE_DESCRIPTION
    "netstat_exporter exports what netstat and ss show as Prometheus metrics:
socket counts and queues by protocol and state, listening sockets with their
processes and users, interface counters, the kernel's protocol statistics
(/proc/net/snmp, netstat, snmp6), routes and multicast groups. The package
runs it as a dedicated system user with two capabilities under a hardened
systemd unit, and ships a timer example for node_exporter's textfile
collector.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)  # the prefix CPack installs with when it uses DESTDIR
# DESTDIR, not a staging prefix: the install step then sees the real prefix /usr and
# writes the unit and /etc paths for it (install_config.cmake).
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
# The default component and the Debian-only files (copyright, changelog), in one package.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified deb)

set(CPACK_DEBIAN_PACKAGE_NAME ${CPACK_PACKAGE_NAME})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${NETSTAT_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps, from dpkg-dev
set(CPACK_DEBIAN_PACKAGE_SUGGESTS prometheus-node-exporter)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
file(WRITE ${CMAKE_BINARY_DIR}/deb-control/conffiles "${NETSTAT_DEB_CONFFILE}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/packaging/debian/prerm
    ${CMAKE_SOURCE_DIR}/deploy/packaging/debian/postrm
    ${CMAKE_BINARY_DIR}/deb-control/conffiles)
include(CPack)
