#!/usr/bin/env bash
# SIGTERM in DHCP server mode (issue 7): leases handed out before the signal
# are in the lease file after ringboot exits (0, ringboot.stopped logged),
# the file is compacted (one bind per lease, no journal tail), and a restart
# replays them. Also: SIGHUP in DHCP server mode keeps serving and keeps the
# lease table. All inside two namespaces this test creates.
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"
need busybox

make_ns srv
make_ns cli
link srv s0 cli c0
ip -n "$(ns srv)" addr add 10.78.0.1/24 dev s0
cat >"$WORK/ringboot.toml" <<TOML
[dhcp]
mode = "server"
interface = "s0"
lease_file = "$WORK/leases"

[[dhcp.subnet]]
cidr = "10.78.0.0/24"
range = ["10.78.0.100", "10.78.0.200"]
router = "10.78.0.1"
lease_seconds = 600
TOML
cat >"$WORK/udhcpc.sh" <<SH
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" > "$WORK/udhcpc.ip"
exit 0
SH
chmod +x "$WORK/udhcpc.sh"
lease() {  # lease MAC: prints the address busybox udhcpc got with MAC
  inns cli ip link set c0 down
  inns cli ip link set c0 address "$1"
  inns cli ip link set c0 up
  rm -f "$WORK/udhcpc.ip"
  inns cli timeout 30 busybox udhcpc -i c0 -f -q -n -t 10 -T 1 -s "$WORK/udhcpc.sh" >>"$WORK/udhcpc.log" 2>&1 ||
    fail "udhcpc ($1) got no lease"
  cat "$WORK/udhcpc.ip"
}

start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot-1.log"
declare -A GOT=()
for i in 1 2 3 4; do
  mac=52:54:00:cc:00:0$i
  GOT[$mac]=$(lease "$mac")
  note "$mac -> ${GOT[$mac]}"
done
kill -HUP "$RINGBOOT_PID"
for _ in $(seq 50); do grep -q 'ringboot.reloaded' "$WORK/ringboot-1.log" && break; sleep 0.1; done
grep -q 'ringboot.reloaded' "$WORK/ringboot-1.log" || fail "SIGHUP not acknowledged"
again=$(lease 52:54:00:cc:00:01)
[[ $again == "${GOT[52:54:00:cc:00:01]}" ]] || fail "after SIGHUP 52:54:00:cc:00:01 got $again, had ${GOT[52:54:00:cc:00:01]}"

kill -TERM "$RINGBOOT_PID"
for _ in $(seq 100); do kill -0 "$RINGBOOT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RINGBOOT_PID" 2>/dev/null && fail "ringboot did not stop on SIGTERM"
rc=0
wait "$RINGBOOT_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "exit status $rc after SIGTERM, expected 0"
grep -q 'ringboot.stopped' "$WORK/ringboot-1.log" || fail "ringboot.stopped not logged"
note "lease file after SIGTERM:"
cat "$WORK/leases"
for mac in "${!GOT[@]}"; do
  [[ $(grep -c "^bind $mac ${GOT[$mac]} " "$WORK/leases") -eq 1 ]] ||
    fail "lease file after SIGTERM must hold exactly one 'bind $mac ${GOT[$mac]}'"
done
[[ $(grep -c '^bind ' "$WORK/leases") -eq ${#GOT[@]} ]] || fail "lease file is not compacted to one bind per lease"

start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot-2.log"
grep -q "dhcp.replayed.* applied=${#GOT[@]}" "$WORK/ringboot-2.log" || fail "restart did not replay ${#GOT[@]} leases: $(grep dhcp.replayed "$WORK/ringboot-2.log")"
again=$(lease 52:54:00:cc:00:03)
[[ $again == "${GOT[52:54:00:cc:00:03]}" ]] || fail "after restart 52:54:00:cc:00:03 got $again, had ${GOT[52:54:00:cc:00:03]}"
stop_ringboot TERM
echo "PASS hardening_signals_dhcp"
