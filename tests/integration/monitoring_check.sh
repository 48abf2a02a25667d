#!/usr/bin/env bash
# deploy/monitoring: the alert rules pass `promtool check rules`, the
# dashboard is a valid Grafana dashboard (JSON, panels with ids, positions
# and expressions), and every metric name either of them uses is one a
# running ringboot exports. ringboot runs with the fleet, the API, TFTP,
# HTTP and DHCP (proxy, on the loopback of a namespace this test creates:
# only there can it bind port 67 with nothing else listening), so every
# family is on the scrape. The name check is shown to fail on a misspelt
# metric in a copy of each file. Needs root (the namespace).
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need promtool ip
need_root
"$PY" -c 'import yaml' 2>/dev/null || fail "python3-yaml is missing for $PY (scripts/setup --test)"
MONITORING=$(cd "$HERE/../../deploy/monitoring" && pwd)
RULES=$MONITORING/ringboot-alerts.yml
DASHBOARD=$MONITORING/ringboot-dashboard.json
[[ -f $RULES && -f $DASHBOARD ]] || fail "no $RULES or $DASHBOARD"

note "promtool check rules"
promtool check rules "$RULES" >"$WORK/promtool.out" 2>&1 || fail "promtool check rules: $(cat "$WORK/promtool.out")"
grep -q 'SUCCESS: 4 rules found' "$WORK/promtool.out" || fail "promtool check rules said: $(cat "$WORK/promtool.out")"

note "ringboot with the fleet, the API, TFTP, HTTP and proxy DHCP, in a namespace"
make_ns mon
mkdir -p "$WORK/root" "$WORK/state"
TOKENS=$WORK/api-tokens
printf 'admin adminadminadmin0123456789abcdef ops\n' >"$TOKENS"
chmod 0600 "$TOKENS"
cat >"$WORK/ringboot.toml" <<TOML
state_dir = "$WORK/state"
[api]
tokens_file = "$TOKENS"
listen = "127.0.0.1:8081"
[tftp]
listen = "127.0.0.1:69"
[http]
listen = "127.0.0.1:80"
[dhcp]
mode = "proxy"
interface = "lo"
server_address = "127.0.0.1"
[[dhcp.boot]]
match = { arch = [7] }
file = "ipxe.efi"
[[profile]]
name = "debian12"
kernel = "{{http_base}}/linux"
TOML
RINGBOOT_LOG=$WORK/ringboot.log
# ip netns exec execs ringboot: $! is ringboot itself.
ip netns exec "$(ns mon)" "$RINGBOOT" --config "$WORK/ringboot.toml" --root "$WORK/root" --threads 1 \
  >>"$RINGBOOT_LOG" 2>&1 &
RINGBOOT_PID=$!
PIDS+=("$RINGBOOT_PID")
for _ in $(seq 100); do
  ringboot_alive || fail "ringboot exited at start: $(tail -n 5 "$RINGBOOT_LOG")"
  [[ $(inns mon curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1/metrics) == 200 ]] && break
  sleep 0.1
done
[[ -n $(inns mon ss -Hlun 'sport = :67') ]] || fail "ringboot does not serve DHCP: $(tail -n 5 "$RINGBOOT_LOG")"
# A rollout, so its families have samples too.
code=$(inns mon curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer adminadminadmin0123456789abcdef' \
  --data-binary '{"profile": "debian12", "rollout": "r1"}' http://127.0.0.1:8081/api/v1/machines/52-54-00-00-00-01/next-boot)
expect "a rollout through the API" "$code" 201
inns mon curl -s -o "$WORK/metrics" --max-time 10 http://127.0.0.1/metrics || fail "scrape"
for family in ringboot_dhcp_messages_received_total ringboot_tftp_transfers_total ringboot_http_responses_total \
  ringboot_boot_stage_seconds ringboot_machines_stuck ringboot_rollout_done ringboot_api_responses_total; do
  grep -q "^# TYPE $family " "$WORK/metrics" || fail "the scrape has no $family: the check would not see it"
done
stop_ringboot

note "every metric name of the rules and the dashboard is exported"
"$PY" "$HERE/monitoring_names.py" "$WORK/metrics" "$RULES" "$DASHBOARD" >"$WORK/names.out" 2>&1 ||
  fail "deploy/monitoring uses names ringboot does not export: $(cat "$WORK/names.out")"
cat "$WORK/names.out"

note "the check fails on a misspelt name, in the rules and in the dashboard, and on a broken dashboard"
sed 's/ringboot_machines_stuck/ringboot_machine_stuck/' "$RULES" >"$WORK/bad-alerts.yml"
promtool check rules "$WORK/bad-alerts.yml" >/dev/null 2>&1 || fail "promtool refused the misspelt copy: not the test's point"
if "$PY" "$HERE/monitoring_names.py" "$WORK/metrics" "$WORK/bad-alerts.yml" "$DASHBOARD" >"$WORK/bad.out" 2>&1; then
  fail "a rule with a misspelt metric passed: $(cat "$WORK/bad.out")"
fi
grep -q 'rule RingbootMachinesStuck: ringboot_machine_stuck is not a metric ringboot exports' "$WORK/bad.out" ||
  fail "the misspelt rule's report: $(cat "$WORK/bad.out")"
sed 's/ringboot_boot_stage_seconds_bucket/ringboot_boot_stage_second_bucket/' "$DASHBOARD" >"$WORK/bad-dashboard.json"
if "$PY" "$HERE/monitoring_names.py" "$WORK/metrics" "$RULES" "$WORK/bad-dashboard.json" >"$WORK/bad.out" 2>&1; then
  fail "a dashboard with a misspelt metric passed: $(cat "$WORK/bad.out")"
fi
grep -q 'panel Time in stage p50: ringboot_boot_stage_second_bucket is not a metric' "$WORK/bad.out" ||
  fail "the misspelt panel's report: $(cat "$WORK/bad.out")"
head -c 200 "$DASHBOARD" >"$WORK/cut-dashboard.json"
if "$PY" "$HERE/monitoring_names.py" "$WORK/metrics" "$RULES" "$WORK/cut-dashboard.json" >"$WORK/bad.out" 2>&1; then
  fail "a truncated dashboard passed"
fi
grep -q 'dashboard: not JSON' "$WORK/bad.out" || fail "the truncated dashboard's report: $(cat "$WORK/bad.out")"
echo "monitoring_check: ok"
