ringboot_unit_test(app_unit_test ${CMAKE_CURRENT_LIST_DIR}/app_config_test.cc ${CMAKE_CURRENT_LIST_DIR}/app_dhcp_config_test.cc
                   ${CMAKE_CURRENT_LIST_DIR}/app_dhcp6_config_test.cc
                   ${CMAKE_CURRENT_LIST_DIR}/app_metrics_test.cc ${CMAKE_CURRENT_LIST_DIR}/app_fleet_config_test.cc
                   ${CMAKE_CURRENT_LIST_DIR}/app_fleet_service_test.cc ${CMAKE_CURRENT_LIST_DIR}/app_store_writer_test.cc
                   ${CMAKE_CURRENT_LIST_DIR}/app_api_config_test.cc)
target_link_libraries(app_unit_test PRIVATE ringboot_app ringboot_test_support)
