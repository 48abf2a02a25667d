# TFTP integration tests: real clients, loss, bad input, start-up failures.
# Each script takes the ringboot binary, picks its own ports (lock files) and
# namespace names, and cleans up by PID: they run in parallel.
# tftp_loss needs root (network namespaces); CI runs as root.
add_test(NAME tftp_clients COMMAND ${CMAKE_CURRENT_LIST_DIR}/tftp_clients.sh $<TARGET_FILE:ringboot>)
add_test(NAME tftp_loss COMMAND ${CMAKE_CURRENT_LIST_DIR}/tftp_loss.sh $<TARGET_FILE:ringboot>)
add_test(NAME tftp_bad_input COMMAND ${CMAKE_CURRENT_LIST_DIR}/tftp_bad_input.sh $<TARGET_FILE:ringboot>)
add_test(NAME tftp_upload COMMAND ${CMAKE_CURRENT_LIST_DIR}/tftp_upload.sh $<TARGET_FILE:ringboot>)
add_test(NAME tftp_no_uring COMMAND ${CMAKE_CURRENT_LIST_DIR}/tftp_no_uring.sh $<TARGET_FILE:ringboot>)
set_tests_properties(tftp_clients tftp_loss tftp_bad_input tftp_upload tftp_no_uring PROPERTIES LABELS integration TIMEOUT 600)
