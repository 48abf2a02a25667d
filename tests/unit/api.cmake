file(GLOB _api_tests ${CMAKE_CURRENT_LIST_DIR}/api_*_test.cc)
ringboot_unit_test(api_unit_test ${_api_tests})
target_link_libraries(api_unit_test PRIVATE ringboot_api)
