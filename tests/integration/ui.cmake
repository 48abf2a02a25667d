# The /ui/ page in headless Chromium (Debian's chromium, chromium-driver and
# python3-selenium, from scripts/setup --test) against a ringboot on
# loopback; its screenshot lands in <build>/test-artifacts/ui.png.
add_test(NAME ui_browser
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/ui_browser.py $<TARGET_FILE:ringboot>
                 ${PROJECT_BINARY_DIR}/test-artifacts)
set_tests_properties(ui_browser PROPERTIES LABELS integration TIMEOUT 180)
