#!/usr/bin/env bash
# DHCPv6 bindings survive a crash (issue 13: "leases in the same crash-safe
# journal as v4"). ISC dhclient -6 holds a lease with a 4 s preferred
# lifetime, so it renews every 2 s (T1); ringboot is killed with SIGKILL and
# started again on the same lease file: the running dhclient's next Renew
# must get its address back (RENEW->REPLY with the address), not NoBinding,
# and no Solicit may follow. Then SIGTERM compacts the journal to one bind6
# record for the address.
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"
need dhclient
export DHCP_PORT=547

make_ns srv
make_ns cli
link srv s0 cli c0
ip -n "$(ns srv)" addr add 2001:db8::1/64 dev s0 nodad
for _ in $(seq 50); do  # dhclient binds the link-local address once DAD is done
  [[ -n $(ip -n "$(ns cli)" -6 addr show dev c0 scope link -tentative) ]] && break
  sleep 0.1
done
[[ -n $(ip -n "$(ns cli)" -6 addr show dev c0 scope link -tentative) ]] || fail "c0 has no link-local address after 5 s"

LEASES=$WORK/leases6
cat >"$WORK/ringboot.toml" <<TOML
[dhcp6]
mode = "server"
interface = "s0"
server_address = "2001:db8::1"
lease_file = "$LEASES"
[[dhcp6.subnet]]
prefix = "2001:db8::/64"
range = ["2001:db8::100", "2001:db8::ffff"]
preferred_seconds = 4
valid_seconds = 120
[[dhcp.boot]]
match = {}
file = "ipxe.efi"
TOML
LOG_LEVEL=debug start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot.log"
grep -q 'dhcp6.replayed lease_file=".*" applied=0 malformed=0 ignored=0 leases=0' "$WORK/ringboot.log" ||
  fail "no dhcp6.replayed line for an empty journal: $(grep dhcp6 "$WORK/ringboot.log" | head -3)"

note "dhclient -6 (foreground, renewing every 2 s)"
printf '#!/bin/sh\nexit 0\n' >"$WORK/script.sh"  # the addresses are not needed on c0
chmod +x "$WORK/script.sh"
inns cli dhclient -6 -d -v -sf "$WORK/script.sh" -lf "$WORK/client.leases" -pf "$WORK/dhclient.pid" c0 \
  >"$WORK/dhclient.log" 2>&1 &
PIDS+=("$!")
ADDRESS=
for _ in $(seq 200); do
  ADDRESS=$(sed -n 's/.*dhcp6.decision REQUEST->REPLY .* address=\([0-9a-f:]*\) .*/\1/p' "$WORK/ringboot.log" | head -1)
  [[ -n $ADDRESS ]] && break
  sleep 0.1
done
[[ $ADDRESS =~ ^2001:db8::[1-9a-f][0-9a-f]{2,3}$ ]] || fail "dhclient -6 got no address of the pool: $(tail -n 5 "$WORK/dhclient.log")"
note "bound $ADDRESS"
renewed() {  # renewed LOG: a Renew of $ADDRESS answered with the address
  grep -q "dhcp6.decision RENEW->REPLY .* address=$ADDRESS " "$1"
}
for _ in $(seq 100); do renewed "$WORK/ringboot.log" && break; sleep 0.1; done
renewed "$WORK/ringboot.log" || fail "dhclient did not renew $ADDRESS within 10 s: $(tail -n 5 "$WORK/dhclient.log")"
grep -q "^bind6 $ADDRESS [0-9a-f:]* [0-9]* [0-9]*\$" "$LEASES" || fail "no bind6 record for $ADDRESS: $(cat "$LEASES")"

note "kill -9, then a restart on the same journal"
kill -9 "$RINGBOOT_PID"
wait "$RINGBOOT_PID" 2>/dev/null || true
LOG_LEVEL=debug start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot-2.log"
grep -Eq 'dhcp6.replayed lease_file=".*" applied=[1-9][0-9]* malformed=0 ignored=0 leases=1$' "$WORK/ringboot-2.log" ||
  fail "the restart replayed no binding: $(grep dhcp6.replayed "$WORK/ringboot-2.log")"
for _ in $(seq 150); do renewed "$WORK/ringboot-2.log" && break; sleep 0.1; done
renewed "$WORK/ringboot-2.log" ||
  fail "after kill -9 no Renew of $ADDRESS was answered with it: $(grep dhcp6.decision "$WORK/ringboot-2.log" | tail -n 3)"
! grep -q 'dhcp6.decision SOLICIT' "$WORK/ringboot-2.log" || fail "dhclient solicited again after the restart"
! grep -q 'dhcp6.decision RENEW->REPLY .*client=firmware rule=[^ ]* url=[^ ]* relayed' "$WORK/ringboot-2.log" ||
  fail "a Renew was answered without an address (NoBinding): the binding was lost"

note "SIGTERM compacts the journal"
stop_ringboot TERM
[[ $(grep -c "^bind6 $ADDRESS " "$LEASES") -eq 1 && $(wc -l <"$LEASES") -eq 1 ]] ||
  fail "the compacted journal is not one bind6 record for $ADDRESS: $(cat "$LEASES")"
echo "PASS dhcp6_restart"
