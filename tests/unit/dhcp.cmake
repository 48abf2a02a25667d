file(GLOB _dhcp_tests ${CMAKE_CURRENT_LIST_DIR}/dhcp_*_test.cc)
ringboot_unit_test(dhcp_unit_test ${_dhcp_tests})
# The pure engine only: the ICMP echo bytes are dhcp/icmp_echo, not src/io.
target_link_libraries(dhcp_unit_test PRIVATE ringboot_dhcp ringboot_test_support)
