# Per-machine boot (src/fleet) over HTTP with curl against a running ringboot.
add_test(NAME fleet_ipxe COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_ipxe.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_ipxe PROPERTIES LABELS integration TIMEOUT 120)
# The machine store across kill -9 and restarts (sqlite3 reads it meanwhile).
add_test(NAME fleet_store COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_store.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_store PROPERTIES LABELS integration TIMEOUT 180)
# The example rollout (deploy/examples): the preseed's late_command reports done through the callback route.
add_test(NAME fleet_examples COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_examples.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_examples PROPERTIES LABELS integration TIMEOUT 120)
# The admin API, the installer callbacks and `ringboot machines` with curl, busybox wget and tftp-hpa.
add_test(NAME fleet_api COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_api.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_api PROPERTIES LABELS integration TIMEOUT 180)
# The live event stream (GET /api/v1/events): 100 subscribers while 1,000 simulated machines boot, a stalled one
# dropped, subscribers_max, Last-Event-ID, SIGTERM with subscribers (python3 stdlib sockets).
add_test(NAME api_events COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/api_events.py $<TARGET_FILE:ringboot>)
set_tests_properties(api_events PROPERTIES LABELS integration TIMEOUT 600)
# The page's login session with curl (/ui/login, the cookie, logout) and `ringboot machines watch`.
add_test(NAME api_session COMMAND ${CMAKE_CURRENT_LIST_DIR}/api_session.sh $<TARGET_FILE:ringboot>)
set_tests_properties(api_session PROPERTIES LABELS integration TIMEOUT 180)
# Rollouts through the API with curl: counts per stage, failures, the stage histograms, the CLI, a restart.
add_test(NAME fleet_rollout COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_rollout.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_rollout PROPERTIES LABELS integration TIMEOUT 120)
# GRUB's config names (grub.cfg-01-<mac>, by address, grub.cfg) with curl and tftp-hpa.
add_test(NAME fleet_grub COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_grub.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_grub PROPERTIES LABELS integration TIMEOUT 120)
# The fleet over IPv6 on loopback: /ipxe, HTTP and TFTP fetches from ::1 on the machine's timeline (the API over
# IPv6 with curl -6, tftp-hpa -6), a machine holding an address of each family, both kept by the store.
add_test(NAME fleet_ipv6 COMMAND ${CMAKE_CURRENT_LIST_DIR}/fleet_ipv6.sh $<TARGET_FILE:ringboot>)
set_tests_properties(fleet_ipv6 PROPERTIES LABELS integration TIMEOUT 120)
