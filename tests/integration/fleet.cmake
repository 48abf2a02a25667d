# Per-machine boot (src/fleet) over HTTP with curl against a running ringboot.
add_test(NAME fleet_ipxe COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_ipxe.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_ipxe PROPERTIES LABELS integration TIMEOUT 120)
# The machine store across kill -9 and restarts (sqlite3 reads it meanwhile).
add_test(NAME fleet_store COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_store.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_store PROPERTIES LABELS integration TIMEOUT 180)
