file(GLOB _dhcp_tests ${CMAKE_CURRENT_LIST_DIR}/dhcp_*_test.cc)
ringboot_unit_test(dhcp_unit_test ${_dhcp_tests})
target_link_libraries(dhcp_unit_test PRIVATE ringboot_dhcp)
# dhcp_conflict_test checks the ICMP echo bytes the DHCP glue sends (src/io/icmp).
target_link_libraries(dhcp_unit_test PRIVATE ringboot_io)
