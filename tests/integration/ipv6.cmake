# TFTP and HTTP over IPv6 with real clients (tftp-hpa, atftp, curl, busybox,
# wget) on ::1, both families on one port; then the MTU clamp, the local
# address and the /64 rate limit in namespaces it makes (root; CI runs as root).
add_test(NAME ipv6_clients COMMAND ${CMAKE_CURRENT_LIST_DIR}/ipv6_clients.sh $<TARGET_FILE:ringboot>)
set_tests_properties(ipv6_clients PROPERTIES LABELS integration TIMEOUT 600)
