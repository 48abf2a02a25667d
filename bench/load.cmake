# ringboot-bench: the TFTP load generator (bench/ringboot_bench.cc); bench/compare drives it.
find_package(Threads REQUIRED)
add_executable(ringboot-bench ${CMAKE_CURRENT_LIST_DIR}/ringboot_bench.cc ${CMAKE_CURRENT_LIST_DIR}/storm.cc)
target_compile_options(ringboot-bench PRIVATE ${RINGBOOT_WARNINGS})
target_link_libraries(ringboot-bench PRIVATE CLI11::CLI11 fmt::fmt nlohmann_json::nlohmann_json Threads::Threads)
