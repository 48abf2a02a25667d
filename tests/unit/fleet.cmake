file(GLOB _fleet_tests ${CMAKE_CURRENT_LIST_DIR}/fleet_*_test.cc)
ringboot_unit_test(fleet_unit_test ${_fleet_tests})
target_link_libraries(fleet_unit_test PRIVATE ringboot_fleet)
