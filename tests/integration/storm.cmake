# The boot storm (issue 12): `ringboot-bench storm` with 100 machines at once through DHCP (relayed), TFTP, HTTP
# and the done callback against ringboot with the fleet on, in namespaces. Root required; the big storms are
# bench/storm_compare's.
if(RINGBOOT_BENCH)
  add_test(NAME storm_small COMMAND ${CMAKE_CURRENT_LIST_DIR}/storm_small.sh $<TARGET_FILE:ringboot>
                                    $<TARGET_FILE:ringboot-bench>)
else()
  add_test(NAME storm_small COMMAND ${CMAKE_CURRENT_LIST_DIR}/storm_small.sh $<TARGET_FILE:ringboot> "")
endif()
set_tests_properties(storm_small PROPERTIES LABELS integration TIMEOUT 600)
