add_executable(store_bench ${CMAKE_CURRENT_LIST_DIR}/store_bench.cc)
target_compile_options(store_bench PRIVATE ${RINGBOOT_WARNINGS})
target_link_libraries(store_bench PRIVATE ringboot_store benchmark::benchmark benchmark::benchmark_main)
