# DHCP with real clients, each test in network namespaces of its own
# (names carry a per-run tag, so they run in parallel). Root required.
foreach(_dhcp_test dhcp_pxe_arch dhcp_server_clients dhcp_proxy_dnsmasq dhcp_perfdhcp dhcp_conflict dhcp6_clients dhcp6_restart)
  add_test(NAME ${_dhcp_test} COMMAND ${CMAKE_CURRENT_LIST_DIR}/${_dhcp_test}.sh $<TARGET_FILE:ringboot>)
  set_tests_properties(${_dhcp_test} PROPERTIES LABELS integration TIMEOUT 300)
endforeach()
