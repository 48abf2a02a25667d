add_executable(tftp_bench ${CMAKE_CURRENT_LIST_DIR}/tftp_bench.cc)
target_compile_options(tftp_bench PRIVATE ${RINGBOOT_WARNINGS})
target_link_libraries(tftp_bench PRIVATE ringboot_tftp benchmark::benchmark benchmark::benchmark_main)
