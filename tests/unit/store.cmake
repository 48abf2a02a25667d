file(GLOB _store_tests ${CMAKE_CURRENT_LIST_DIR}/store_*_test.cc)
ringboot_unit_test(store_unit_test ${_store_tests})
target_link_libraries(store_unit_test PRIVATE ringboot_store PkgConfig::SQLITE3)
