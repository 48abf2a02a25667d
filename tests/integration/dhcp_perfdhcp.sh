#!/usr/bin/env bash
# Kea's perfdhcp drives server mode in relay mode from a second namespace on
# the same /16 (as ../shared CLIENTS.md measures peers): bounded rate and
# duration, single-threaded so it does not take ringboot's core. Checks: at
# most 5 % of exchanges dropped, perfdhcp saw no duplicate address (-u), and
# the lease file binds no address to two MACs and holds every ACK.
# Usage: dhcp_perfdhcp.sh RINGBOOT [RATE] [SECONDS]
RINGBOOT=${1:-}
# A modest default rate: this test checks correctness under load (no address
# twice, every ACK on disk); DORA/s figures belong to bench/, not to a test.
RATE=${2:-200}
PERIOD=${3:-10}
CLIENTS=20000  # perfdhcp -R
source "$(dirname "$0")/dhcp_lib.sh"
need perfdhcp curl

make_ns srv
make_ns perf
link srv s0 perf p0
ip -n "$(ns srv)" addr add 10.79.0.1/16 dev s0
ip -n "$(ns perf)" addr add 10.79.1.1/16 dev p0

cat >"$WORK/ringboot.toml" <<TOML
[dhcp]
mode = "server"
interface = "s0"
lease_file = "$WORK/leases"

[[dhcp.subnet]]
cidr = "10.79.0.0/16"
range = ["10.79.2.0", "10.79.255.254"]
router = "10.79.0.1"
lease_seconds = 3600
TOML
# One line per decision at this rate is the log's work, not the server's.
# The conflict check is on (the default): perfdhcp's clients do not exist, so
# every fresh OFFER waits conflict_check_ms (200) for an echo nobody sends.
METRICS=127.0.0.1:9179
RINGBOOT_ARGS="--metrics-listen $METRICS" LOG_LEVEL=warn start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot.log"

# -W 1 s: after the last DISCOVER, wait for the OFFERs still held by the check.
note "perfdhcp -4 -g single -l 10.79.1.1 -r $RATE -R $CLIENTS -p $PERIOD -W 1000000 -u 10.79.0.1"
set +e
inns perf perfdhcp -4 -g single -l 10.79.1.1 -r "$RATE" -R "$CLIENTS" -p "$PERIOD" -W 1000000 -u -x e 10.79.0.1 \
  >"$WORK/perfdhcp.log" 2>&1
status=$?
set -e
cat "$WORK/perfdhcp.log"
# perfdhcp exits 3 on any drop: read its counts instead. 0 and 3 are runs that completed.
[[ $status -eq 0 || $status -eq 3 ]] || fail "perfdhcp failed (exit $status)"

# "***Statistics for: DISCOVER-OFFER***" then "sent packets: N", "received packets: N", "drops: N".
stats() {  # stats EXCHANGE FIELD
  awk -v ex="$1" -v field="$2" '
    /Statistics for:/ { current = ($0 ~ ex) }
    current && index($0, field ":") == 1 { sub(/^[^:]*: */, ""); print $1; exit }' "$WORK/perfdhcp.log"
}
for exchange in DISCOVER-OFFER REQUEST-ACK; do
  sent=$(stats "$exchange" "sent packets")
  received=$(stats "$exchange" "received packets")
  drops=$(stats "$exchange" "drops")
  [[ -n $sent && -n $received && -n $drops ]] || fail "cannot read perfdhcp's $exchange statistics"
  note "$exchange sent=$sent received=$received drops=$drops"
  ((sent >= RATE * PERIOD / 2)) || fail "$exchange: only $sent sent, expected about $((RATE * PERIOD))"
  # Loose on purpose: CI shares 2 cores with other suites. A server that
  # loses requests systematically still fails it.
  ((drops * 20 <= sent)) || fail "$exchange: $drops of $sent dropped (more than 5 %)"
done
requests=$(stats REQUEST-ACK "sent packets")
acks=$(stats REQUEST-ACK "received packets")
# -u counts any address seen twice, also one client's own again: meaningful
# while every exchange is a new client (perfdhcp walks its -R MACs in order).
if ((requests <= CLIENTS)); then
  unique=$(grep -c '^non unique addresses: 0$' "$WORK/perfdhcp.log" || true)
  [[ $unique -eq 2 ]] || fail "perfdhcp (-u) saw an address handed to two clients: $(grep 'non unique' "$WORK/perfdhcp.log")"
fi

# The server's side: every DISCOVER got its OFFER (held for the check or not).
metric() { inns srv curl -fsS "http://$METRICS/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
discovers=$(metric 'ringboot_dhcp_messages_received_total{type="discover"}')
offers=$(metric 'ringboot_dhcp_messages_sent_total{type="offer"}')
checks=""
for r in clear conflict skipped failed; do checks+=" $r=$(metric "ringboot_dhcp_conflict_checks_total{result=\"$r\"}")"; done
note "server: discovers=$discovers offers=$offers conflict checks:$checks"
[[ -n $discovers && $discovers == "$offers" ]] || fail "server sent $offers OFFERs for $discovers DISCOVERs"

stop_ringboot TERM
# Compacted at shutdown: one record per address. No address has two MACs,
# no MAC two addresses, at most one record per REQUEST, and a record for
# every ACKed client (min(acks, CLIENTS) of them).
bound=$(awk '$1 == "bind"' "$WORK/leases" | wc -l)
by_ip=$(awk '$1 == "bind" {print $3}' "$WORK/leases" | sort | uniq -d | head -n 3)
by_mac=$(awk '$1 == "bind" {print $2}' "$WORK/leases" | sort | uniq -d | head -n 3)
[[ -z $by_ip ]] || fail "addresses bound to two MACs: $by_ip"
[[ -z $by_mac ]] || fail "MACs holding two addresses: $by_mac"
acked_clients=$((acks < CLIENTS ? acks : CLIENTS))
note "lease file: $bound bound records; $acks ACKs to $acked_clients clients"
((bound > 0 && bound <= requests)) || fail "$bound bound records for $requests REQUESTs"
((bound >= acked_clients)) || fail "only $bound bound records for $acked_clients ACKed clients"
echo "PASS dhcp_perfdhcp"
