# Install rules and the Debian package (cpack -G DEB; scripts/package builds it).
#
# With CMAKE_INSTALL_PREFIX=/usr (the package) this installs
#   /usr/sbin/ringboot
#   /etc/ringboot/ringboot.toml            deploy/ringboot.toml, a conffile
#   /lib/systemd/system/ringboot.service   deploy/ringboot.service
# The maintainer scripts in deploy/debian create the ringboot system user and
# /var/lib/ringboot (0750, ringboot:ringboot). Another prefix moves the binary
# and the config under it, the unit to PREFIX/lib/systemd/system (on systemd's
# search path for /usr/local), and the installed unit names those paths.
include(GNUInstallDirs)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(RINGBOOT_UNIT_DIR /lib/systemd/system)
else()
  set(RINGBOOT_UNIT_DIR lib/systemd/system)
endif()
set(RINGBOOT_CONFIG_FILE ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ringboot/ringboot.toml)

# deploy/ringboot.service is written for the package's paths; the installed
# copy names this prefix's binary and config (identical for /usr).
set(unit_source ${PROJECT_SOURCE_DIR}/deploy/ringboot.service)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${unit_source})
file(READ ${unit_source} unit)
set(exec_start "ExecStart=/usr/sbin/ringboot --config /etc/ringboot/ringboot.toml\n")
string(FIND "${unit}" "\n${exec_start}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "deploy/ringboot.service has no line ${exec_start}: update cmake/Packaging.cmake with it")
endif()
string(REPLACE "\n${exec_start}" "\nExecStart=${CMAKE_INSTALL_FULL_SBINDIR}/ringboot --config ${RINGBOOT_CONFIG_FILE}\n"
       unit "${unit}")
file(WRITE ${PROJECT_BINARY_DIR}/deploy/ringboot.service "${unit}")

install(TARGETS ringboot RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES deploy/ringboot.toml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ringboot)
install(FILES ${PROJECT_BINARY_DIR}/deploy/ringboot.service DESTINATION ${RINGBOOT_UNIT_DIR})

# The Debian package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ringboot)
set(CPACK_PACKAGE_VENDOR "ringboot")
set(CPACK_PACKAGE_CONTACT "ringboot maintainers <maintainers@users.noreply.b-seed-f3adc9e2.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "network boot server (DHCP, TFTP, HTTP) on io_uring")
set(CPACK_PACKAGE_DESCRIPTION "One binary serves the whole PXE chain: a DHCP tagger (proxyDHCP beside
an existing DHCP server, or a full DHCP server) hands each machine its boot
file by architecture, TFTP delivers iPXE to the firmware and HTTP the iPXE
script, kernel and initrd. Prometheus metrics on /metrics.
.
The service is installed but neither enabled nor started: edit
/etc/ringboot/ringboot.toml, then systemctl enable --now ringboot.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://github.com/ringboot/ringboot)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")  # postinst; shlibdeps adds the libraries
# conffiles lists the installed config, so it follows the prefix too.
file(WRITE ${PROJECT_BINARY_DIR}/deploy/debian/conffiles "${RINGBOOT_CONFIG_FILE}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/deploy/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
