# The seeded network simulation (tests/sim): the pure engines under loss,
# duplication, reordering and delay. A failure prints its seed and the
# command that replays it; RINGBOOT_SIM_SEEDS=N runs more seeds (soak).
file(GLOB _sim_sources ${CMAKE_CURRENT_LIST_DIR}/../sim/*.cc)
ringboot_unit_test(sim_test ${_sim_sources})
target_link_libraries(sim_test PRIVATE ringboot_tftp ringboot_dhcp ringboot_http ringboot_test_support)
target_compile_definitions(sim_test PRIVATE RINGBOOT_SIM_BINARY="$<TARGET_FILE:sim_test>")
