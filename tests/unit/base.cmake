ringboot_unit_test(base_unit_test ${CMAKE_CURRENT_LIST_DIR}/base_test.cc ${CMAKE_CURRENT_LIST_DIR}/base_endpoint_test.cc ${CMAKE_CURRENT_LIST_DIR}/base_metrics_test.cc
                   ${CMAKE_CURRENT_LIST_DIR}/base_rate_limit_test.cc ${CMAKE_CURRENT_LIST_DIR}/base_log_test.cc
                   ${CMAKE_CURRENT_LIST_DIR}/base_assert_test.cc ${CMAKE_CURRENT_LIST_DIR}/base_mac_test.cc
                   ${CMAKE_CURRENT_LIST_DIR}/base_flat_map_test.cc)
target_link_libraries(base_unit_test PRIVATE ringboot_base)
