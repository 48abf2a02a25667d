file(GLOB _dhcp6_tests ${CMAKE_CURRENT_LIST_DIR}/dhcp6_*_test.cc)
ringboot_unit_test(dhcp6_unit_test ${_dhcp6_tests})
target_link_libraries(dhcp6_unit_test PRIVATE ringboot_dhcp6 ringboot_test_support)
