# The boot storm (issue 12): `ringboot-bench storm` with 100 machines at once through DHCP (relayed), TFTP, HTTP
# and the done callback against ringboot with the fleet on, in namespaces; storm_small_l2 the same with 50
# machines on ringboot's L2 (DHCP broadcast, no relay), storm_small_proxy 50 with ringboot a proxyDHCP beside an
# address server (dnsmasq, addresses only) on that L2. Root required; the big storms are bench/storm_compare's.
if(RINGBOOT_BENCH)
  set(STORM_BENCH $<TARGET_FILE:ringboot-bench>)
else()
  set(STORM_BENCH "")
endif()
add_test(NAME storm_small COMMAND ${CMAKE_CURRENT_LIST_DIR}/storm_small.sh $<TARGET_FILE:ringboot> "${STORM_BENCH}")
add_test(NAME storm_small_l2 COMMAND ${CMAKE_CURRENT_LIST_DIR}/storm_small.sh $<TARGET_FILE:ringboot> "${STORM_BENCH}"
                                     50 l2)
add_test(NAME storm_small_proxy COMMAND ${CMAKE_CURRENT_LIST_DIR}/storm_small.sh $<TARGET_FILE:ringboot>
                                        "${STORM_BENCH}" 50 proxy)
set_tests_properties(storm_small storm_small_l2 storm_small_proxy PROPERTIES LABELS integration TIMEOUT 600)
