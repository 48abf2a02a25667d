#!/usr/bin/env bash
# Server mode with real clients: busybox udhcpc, ISC dhclient and dhcpcd
# each get an address in the range; a MAC reservation gets its address;
# leases survive a restart (SIGTERM) and a crash (kill -9 right after an ACK).
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"
need busybox dhclient dhcpcd

IF=c$TAG  # unique: dhcpcd keeps /var/lib/dhcpcd/<interface>.lease and /run/dhcpcd/<interface>.pid
make_ns srv
make_ns cli
link srv s0 cli "$IF"
ip -n "$(ns srv)" addr add 10.77.0.1/24 dev s0
cleanup_dhcpcd() { rm -f /var/lib/dhcpcd/"$IF"*.lease /run/dhcpcd/"$IF"*; }
CLEANUP_HOOKS+=(cleanup_dhcpcd)

cat >"$WORK/ringboot.toml" <<TOML
[dhcp]
mode = "server"
interface = "s0"
lease_file = "$WORK/leases"

[[dhcp.subnet]]
cidr = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.200"]
router = "10.77.0.1"
dns = ["10.77.0.1"]
lease_seconds = 600
[[dhcp.host]]
mac = "52:54:00:12:34:56"
address = "10.77.0.50"
TOML

# Each client's hook writes the address it was given to $WORK/<client>.ip.
cat >"$WORK/udhcpc.sh" <<SH
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" > "$WORK/udhcpc.ip"
exit 0
SH
cat >"$WORK/dhclient.sh" <<SH
#!/bin/sh
case "\$reason" in BOUND|REBOOT|RENEW) echo "\$new_ip_address" > "$WORK/dhclient.ip";; esac
exit 0
SH
cat >"$WORK/dhcpcd.sh" <<SH
#!/bin/sh
case "\$reason" in BOUND|REBOOT|RENEW) echo "\$new_ip_address" > "$WORK/dhcpcd.ip";; esac
exit 0
SH
chmod +x "$WORK"/*.sh

set_mac() {
  inns cli ip addr flush dev "$IF"
  inns cli ip link set "$IF" down
  inns cli ip link set "$IF" address "$1"
  inns cli ip link set "$IF" up
}
# run_client NAME MAC: prints the address NAME got with MAC.
run_client() {
  local name=$1 mac=$2
  set_mac "$mac"
  rm -f "$WORK/$name.ip"
  case $name in
    udhcpc) inns cli timeout 30 busybox udhcpc -i "$IF" -f -q -n -t 10 -T 1 -s "$WORK/udhcpc.sh" >>"$WORK/udhcpc.log" 2>&1 ;;
    dhclient)
      inns cli timeout 30 dhclient -4 -1 -v -sf "$WORK/dhclient.sh" -lf "$WORK/dhclient.leases" \
        -pf "$WORK/dhclient.pid" "$IF" >>"$WORK/dhclient.log" 2>&1
      # It went to the background after binding: stop it without a RELEASE.
      [[ -f "$WORK/dhclient.pid" ]] && kill -9 "$(cat "$WORK/dhclient.pid")" 2>/dev/null
      rm -f "$WORK/dhclient.pid" ;;
    dhcpcd)
      inns cli timeout 40 dhcpcd --config /dev/null --ipv4only --oneshot --nobackground --noipv4ll --noarp \
        --timeout 30 --script "$WORK/dhcpcd.sh" "$IF" >>"$WORK/dhcpcd.log" 2>&1 ;;
  esac || fail "$name (mac $mac) got no lease (exit $?)"
  [[ -s "$WORK/$name.ip" ]] || fail "$name (mac $mac) reported no address"
  cat "$WORK/$name.ip"
}
in_range() {  # 10.77.0.100 .. 10.77.0.200
  [[ $1 =~ ^10\.77\.0\.([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 100 && BASH_REMATCH[1] <= 200))
}
journaled() { grep -q "^bind $1 $2 " "$WORK/leases" || fail "lease file has no 'bind $1 $2': $(cat "$WORK/leases")"; }

declare -A MAC=([udhcpc]=52:54:00:bb:00:01 [dhclient]=52:54:00:bb:00:02 [dhcpcd]=52:54:00:bb:00:03)
declare -A GOT=()

note "first start"
start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot-1.log"
for c in udhcpc dhclient dhcpcd; do
  GOT[$c]=$(run_client "$c" "${MAC[$c]}")
  note "$c ${MAC[$c]} -> ${GOT[$c]}"
  in_range "${GOT[$c]}" || fail "$c got ${GOT[$c]}, outside 10.77.0.100-200"
  journaled "${MAC[$c]}" "${GOT[$c]}"
done
[[ $(printf '%s\n' "${GOT[@]}" | sort -u | wc -l) -eq 3 ]] || fail "clients share an address: ${GOT[*]}"

note "reservation"
reserved=$(run_client udhcpc 52:54:00:12:34:56)
[[ $reserved == 10.77.0.50 ]] || fail "reserved MAC got $reserved, expected 10.77.0.50"
reserved=$(run_client dhclient 52:54:00:12:34:56)
[[ $reserved == 10.77.0.50 ]] || fail "reserved MAC (dhclient) got $reserved, expected 10.77.0.50"

note "restart (SIGTERM): leases survive"
stop_ringboot TERM
start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot-2.log"
grep -q 'dhcp.replayed.* applied=[1-9]' "$WORK/ringboot-2.log" || fail "nothing replayed at restart"
# A new client first: a server that forgot the leases would give it the lowest one.
fresh=$(run_client udhcpc 52:54:00:bb:00:09)
in_range "$fresh" || fail "new client got $fresh"
for c in udhcpc dhclient dhcpcd; do
  [[ $fresh != "${GOT[$c]}" ]] || fail "after restart a new client got $c's leased address $fresh"
done
for c in dhcpcd dhclient udhcpc; do  # reverse order
  again=$(run_client "$c" "${MAC[$c]}")
  note "$c ${MAC[$c]} -> $again after restart"
  [[ $again == "${GOT[$c]}" ]] || fail "$c got $again after restart, had ${GOT[$c]}"
done

note "kill -9 right after an ACK"
crash_mac=52:54:00:bb:00:0a
crash_ip=$(run_client udhcpc "$crash_mac")
kill -9 "$RINGBOOT_PID"
wait "$RINGBOOT_PID" 2>/dev/null || true
journaled "$crash_mac" "$crash_ip"
start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot-3.log"
other=$(run_client udhcpc 52:54:00:bb:00:0b)
[[ $other != "$crash_ip" ]] || fail "after kill -9 a new client got the crashed server's ACKed address $crash_ip"
again=$(run_client udhcpc "$crash_mac")
[[ $again == "$crash_ip" ]] || fail "after kill -9 $crash_mac got $again, had $crash_ip"

# Never one address for two MACs in the (compacted) lease file.
stop_ringboot TERM
cat "$WORK/leases"
dups=$(awk '$1 == "bind" {print $2, $3}' "$WORK/leases" | sort -u | awk '{print $2}' | sort | uniq -d)
[[ -z $dups ]] || fail "addresses bound twice in the lease file: $dups"
echo "PASS dhcp_server_clients"
