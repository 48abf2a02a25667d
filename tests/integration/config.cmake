# The config schema against its documentation: the README's config block is
# valid, --dump-config's output is accepted again, and every schema key is in
# the README's reference.
add_test(NAME config_reference
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/config_reference.py $<TARGET_FILE:ringboot>
                 ${PROJECT_SOURCE_DIR}/README.md)
set_tests_properties(config_reference PROPERTIES LABELS integration TIMEOUT 60)
