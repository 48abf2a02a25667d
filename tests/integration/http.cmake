# HTTP and /metrics with real clients (curl, wget, raw sockets, promtool and
# prometheus_client) against a running ringboot on 127.0.0.1, each test on
# ports of its own so they run in parallel.
add_test(NAME http_clients COMMAND ${CMAKE_CURRENT_LIST_DIR}/http_clients.sh $<TARGET_FILE:ringboot>)
add_test(NAME http_pipeline COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/http_pipeline.py $<TARGET_FILE:ringboot>)
add_test(NAME http_bad_input COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/http_bad_input.py $<TARGET_FILE:ringboot>)
add_test(NAME http_metrics COMMAND ${CMAKE_CURRENT_LIST_DIR}/http_metrics.sh $<TARGET_FILE:ringboot>)
set_tests_properties(http_clients http_pipeline http_bad_input http_metrics PROPERTIES LABELS integration TIMEOUT 600)
