# fleet_bench: the fleet layer's per-request costs (bench/fleet_bench.cc), with the allocator ringboot runs with.
add_executable(fleet_bench ${CMAKE_CURRENT_LIST_DIR}/fleet_bench.cc)
target_compile_options(fleet_bench PRIVATE ${RINGBOOT_WARNINGS})
target_link_libraries(fleet_bench PRIVATE ringboot_app benchmark::benchmark benchmark::benchmark_main)
if(RINGBOOT_MIMALLOC)
  target_link_libraries(fleet_bench PRIVATE mimalloc)
endif()
