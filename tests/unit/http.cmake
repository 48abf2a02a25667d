file(GLOB _http_tests ${CMAKE_CURRENT_LIST_DIR}/http_*_test.cc)
ringboot_unit_test(http_unit_test ${_http_tests})
target_link_libraries(http_unit_test PRIVATE ringboot_http)
