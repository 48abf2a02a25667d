#!/usr/bin/env bash
# Conflict check before an OFFER (dhcp.conflict_check = "icmp", the default):
# a host on the segment already uses the first pool address, unknown to the
# server. The server's ICMP echo to it is answered, so that address is
# quarantined (logged, counted in /metrics, journaled as a decline) and a
# busybox udhcpc client gets another address; a second client gets a third
# one after a probe that nobody answers (the OFFER waits conflict_check_ms).
# Topology: a bridge in "srv" (ringboot on it), the client and the squatter
# each on a veth into it.
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"
need busybox curl promtool

make_ns srv
make_ns cli
make_ns hog
inns srv ip link add br0 type bridge
inns srv ip link set br0 up
link srv s0 cli c0
link srv s1 hog h0
inns srv ip link set s0 master br0
inns srv ip link set s1 master br0
ip -n "$(ns srv)" addr add 10.76.0.1/24 dev br0
# The squatter: 10.76.0.100, the pool's first address, answers ping.
ip -n "$(ns hog)" addr add 10.76.0.100/24 dev h0
inns srv busybox ping -c 1 -W 2 10.76.0.100 >/dev/null || fail "the squatter does not answer ping"

cat >"$WORK/ringboot.toml" <<TOML
[dhcp]
mode = "server"
interface = "br0"
lease_file = "$WORK/leases"
conflict_check = "icmp"
conflict_check_ms = 300

[[dhcp.subnet]]
cidr = "10.76.0.0/24"
range = ["10.76.0.100", "10.76.0.120"]
router = "10.76.0.1"
lease_seconds = 600
TOML
METRICS=127.0.0.1:9167
RINGBOOT_ARGS="--metrics-listen $METRICS" LOG_LEVEL=debug start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot.log"

cat >"$WORK/udhcpc.sh" <<SH
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" > "$WORK/udhcpc.ip"
exit 0
SH
chmod +x "$WORK/udhcpc.sh"
run_udhcpc() {  # run_udhcpc MAC: prints the address it was given
  inns cli ip link set c0 down
  inns cli ip link set c0 address "$1"
  inns cli ip link set c0 up
  rm -f "$WORK/udhcpc.ip"
  inns cli timeout 30 busybox udhcpc -i c0 -f -q -n -t 10 -T 1 -s "$WORK/udhcpc.sh" >>"$WORK/udhcpc.log" 2>&1 ||
    fail "udhcpc (mac $1) got no lease"
  [[ -s "$WORK/udhcpc.ip" ]] || fail "udhcpc (mac $1) reported no address"
  cat "$WORK/udhcpc.ip"
}
metric() {  # metric NAME_WITH_LABELS
  inns srv curl -fsS "http://$METRICS/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

note "udhcpc while 10.76.0.100 is in use by another host"
first=$(run_udhcpc 52:54:00:76:00:01)
note "got $first"
[[ $first =~ ^10\.76\.0\.([0-9]+)$ ]] && ((BASH_REMATCH[1] > 100 && BASH_REMATCH[1] <= 120)) ||
  fail "client got $first, expected an address in 10.76.0.101..120 (not the squatter's 10.76.0.100)"
grep -q 'dhcp.conflict .*address=10.76.0.100' "$WORK/ringboot.log" || fail "no dhcp.conflict log line for 10.76.0.100"
conflicts=$(metric ringboot_dhcp_conflicts_total)
note "ringboot_dhcp_conflicts_total $conflicts"
[[ ${conflicts:-0} -ge 1 ]] || fail "ringboot_dhcp_conflicts_total is '${conflicts:-}', expected >= 1"

note "a second client: its address is probed too (no answer), never the squatter's"
second=$(run_udhcpc 52:54:00:76:00:02)
note "got $second"
[[ $second =~ ^10\.76\.0\.([0-9]+)$ ]] && ((BASH_REMATCH[1] > 100 && BASH_REMATCH[1] <= 120)) ||
  fail "second client got $second"
[[ $second != "$first" ]] || fail "both clients got $first"
clear=$(metric 'ringboot_dhcp_conflict_checks_total{result="clear"}')
note "conflict checks: clear=$clear conflict=$(metric 'ringboot_dhcp_conflict_checks_total{result="conflict"}')"
[[ ${clear:-0} -ge 2 ]] || fail "expected >= 2 clear conflict checks (one per client), got '${clear:-}'"
grep -q 'dhcp.conflict_check_clear address='"$second" "$WORK/ringboot.log" || fail "no clear check logged for $second"

note "the DHCP families pass promtool; every journal line is counted"
inns srv curl -fsS -o "$WORK/metrics.txt" "http://$METRICS/metrics" || fail "scrape failed"
report=$(promtool check metrics <"$WORK/metrics.txt" 2>&1) || fail "promtool check metrics rejected the DHCP page: $report"
[[ -z $report ]] || fail "promtool check metrics complained about the DHCP page: $report"
from_self=$(awk '$1 == "ringboot_dhcp_from_self_total" { print $2 }' "$WORK/metrics.txt")
[[ $from_self =~ ^[0-9]+$ ]] || fail "ringboot_dhcp_from_self_total is '$from_self', expected a count"
# The lease file was compacted (emptied) at start, and only then: since, it
# holds exactly the lines the engine appended.
compactions=$(grep -c 'dhcp.compacted' "$WORK/ringboot.log")
[[ $compactions -eq 1 ]] || fail "$compactions lease-file compactions logged, expected the one at start"
journal=$(awk '$1 == "ringboot_dhcp_journal_lines_total" { print $2 }' "$WORK/metrics.txt")
lines=$(wc -l <"$WORK/leases")
[[ ${journal:-missing} == "$lines" ]] || fail "ringboot_dhcp_journal_lines_total is '${journal:-missing}', expected $lines (lines in the lease file)"

stop_ringboot TERM
grep -q "^decline .* 10.76.0.100 " "$WORK/leases" || fail "the quarantine of 10.76.0.100 is not in the lease file"
grep -q "^bind 52:54:00:76:00:01 $first " "$WORK/leases" || fail "the first client's lease is not in the lease file"
echo "PASS dhcp_conflict"
