# Hardening (issue 7): reload and shutdown, privileges and the systemd unit,
# confinement to the boot root, floods. Each script takes the ringboot
# binary, picks its own ports and namespace names and cleans up by PID, so
# they run in parallel. Most need root (namespaces, setuid); CI runs as root.
foreach(_hardening_test hardening_signals hardening_signals_dhcp hardening_privileges hardening_confinement
                        hardening_tftp_flood hardening_threads hardening_log_injection hardening_state_dir)
  add_test(NAME ${_hardening_test} COMMAND ${CMAKE_CURRENT_LIST_DIR}/${_hardening_test}.sh $<TARGET_FILE:ringboot>)
endforeach()
add_test(NAME hardening_http_flood
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/hardening_http_flood.py $<TARGET_FILE:ringboot>)
set_tests_properties(hardening_signals hardening_signals_dhcp hardening_privileges hardening_confinement
                     hardening_tftp_flood hardening_threads hardening_log_injection hardening_state_dir hardening_http_flood PROPERTIES LABELS integration TIMEOUT 300)
