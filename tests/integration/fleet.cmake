# Per-machine boot (src/fleet) over HTTP with curl against a running ringboot.
add_test(NAME fleet_ipxe COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_ipxe.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_ipxe PROPERTIES LABELS integration TIMEOUT 120)
