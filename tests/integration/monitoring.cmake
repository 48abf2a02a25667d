# deploy/monitoring: promtool check rules, the dashboard's JSON, and every metric name against a running ringboot.
add_test(NAME monitoring_check COMMAND ${CMAKE_CURRENT_LIST_DIR}/monitoring_check.sh $<TARGET_FILE:ringboot>)
set_tests_properties(monitoring_check PROPERTIES LABELS integration TIMEOUT 60)
