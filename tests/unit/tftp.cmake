file(GLOB _tftp_tests ${CMAKE_CURRENT_LIST_DIR}/tftp_*_test.cc)
ringboot_unit_test(tftp_unit_test ${_tftp_tests})
target_link_libraries(tftp_unit_test PRIVATE ringboot_tftp)
