#!/usr/bin/env bash
# Server mode creates the state directory when it is missing: 0750, owned by
# the --user ringboot drops to, which then writes the lease journal and its
# compactions there (a lease is taken, SIGTERM compacts, the file has it).
# A missing parent is refused at start with a message that says what to do.
# With a fleet configured and no dhcp.lease_file, state_dir holds both the
# leases and the machine store, each written by the --user after the drop
# (the DHCP client's machine reaches machines.db).
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"
[[ $(id -u) -eq 0 ]] || fail "needs root (setuid, network namespaces)"
need busybox stat sqlite3

make_ns srv
make_ns cli
link srv s0 cli c0
ip -n "$(ns srv)" addr add 10.79.0.1/24 dev s0
chmod 0755 "$WORK"  # the --user must reach the state directory beneath it
write_config() {  # LEASE_FILE ("": the default under state_dir) [FLEET]
  cat >"$WORK/ringboot.toml" <<TOML
[dhcp]
mode = "server"
interface = "s0"
lease_file = "$1"
conflict_check = "none"

[[dhcp.subnet]]
cidr = "10.79.0.0/24"
range = ["10.79.0.100", "10.79.0.200"]
lease_seconds = 600
TOML
  [[ -z ${2:-} ]] || printf '[[profile]]\nname = "p"\nkernel = "k"\n[[group]]\nprofile = "p"\n' >>"$WORK/ringboot.toml"
}

note "a missing parent: refused at start, saying what to do"
write_config "$WORK/no/such/leases"
rc=0
ip netns exec "$(ns srv)" "$RINGBOOT" --config "$WORK/ringboot.toml" --root "$WORK" --tftp-listen off \
  --http-listen off --threads 1 >"$WORK/refused.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "ringboot started with a lease directory whose parent is missing"
grep -q "cannot create directory $WORK/no/such.*its parent does not exist" "$WORK/refused.log" ||
  fail "unclear error for a missing parent: $(cat "$WORK/refused.log")"

note "a missing state directory: created 0750 for --user nobody, the leases and the machine store in it"
STATE=$WORK/state
STATE_DIR=$STATE  # the start helper's --set state_dir
write_config "" fleet
RINGBOOT_ARGS="--user nobody" start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot.log"
expect() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }
expect "state directory mode and owner" "$(stat -c '%a %U' "$STATE")" "750 nobody"
cat >"$WORK/udhcpc.sh" <<SH
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" > "$WORK/udhcpc.ip"
exit 0
SH
chmod +x "$WORK/udhcpc.sh"
inns cli timeout 30 busybox udhcpc -i c0 -f -q -n -t 10 -T 1 -s "$WORK/udhcpc.sh" >>"$WORK/udhcpc.log" 2>&1 ||
  fail "udhcpc got no lease"
address=$(cat "$WORK/udhcpc.ip")
stop_ringboot
grep -q "ringboot.stopped" "$WORK/ringboot.log" || fail "no clean stop"
grep -q "dhcp.compaction_failed" "$WORK/ringboot.log" && fail "compaction as nobody failed: $(grep compaction "$WORK/ringboot.log")"
grep -q "$address" "$STATE/leases" || fail "lease $address not in $STATE/leases after SIGTERM"
expect "lease file owner" "$(stat -c '%U' "$STATE/leases")" "nobody"
expect "machine store owner and mode" "$(stat -c '%U %a' "$STATE/machines.db")" "nobody 640"
mac=$(ip -n "$(ns cli)" -o link show c0 | grep -oE 'link/ether [0-9a-f:]+' | cut -d' ' -f2)
expect "the DHCP client in the machine store" \
  "$(sqlite3 -batch "$STATE/machines.db" "SELECT ip FROM machines WHERE mac = '$mac'")" "$address"
grep -q "fleet.store_error" "$WORK/ringboot.log" && fail "the store failed as nobody: $(grep fleet.store "$WORK/ringboot.log")"
echo "ok: state directory created for the --user, leases and machines kept"
