# Runs inside `cmake --install` and cpack (install(SCRIPT)), where CMAKE_INSTALL_PREFIX is
# the prefix being installed to. Writes the unit for that prefix and installs it, then
# the example config, unless a config is already there: a reinstall from source never
# overwrites an edited config (the package marks it a conffile instead).
# Set before: NETSTAT_SOURCE_DIR, NETSTAT_BINARY_DIR, the relative CMAKE_INSTALL_* dirs.
set(CMAKE_INSTALL_LIBDIR lib)  # unused; set so that GNUInstallDirs has no arch to guess
include(GNUInstallDirs)
include("${NETSTAT_SOURCE_DIR}/deploy/packaging/paths.cmake")
netstat_install_paths()

configure_file("${NETSTAT_SOURCE_DIR}/systemd/netstat_exporter.service.in"
               "${NETSTAT_BINARY_DIR}/install/netstat_exporter.service" @ONLY)
file(INSTALL "${NETSTAT_BINARY_DIR}/install/netstat_exporter.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" FILE_PERMISSIONS
     OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

if(EXISTS "$ENV{DESTDIR}${NETSTAT_CONFIG_FILE}")
  message(STATUS "Keeping: $ENV{DESTDIR}${NETSTAT_CONFIG_FILE}")
else()
  file(INSTALL "${NETSTAT_SOURCE_DIR}/config/netstat_exporter.yml"
       DESTINATION "${NETSTAT_CONFIG_DIR}" FILE_PERMISSIONS
       OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
