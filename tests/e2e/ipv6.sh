#!/usr/bin/env bash
# IPv6-only network boot through ringboot (issue 13):
#   tests/e2e/ipv6.sh <ringboot-binary>
#
# The boot bridge has no IPv4 address at all (fd00:77::1/64 only). OVMF's
# PXE over IPv6 (its IPv4 PXE turned off by fw_cfg) asks ringboot's DHCPv6
# (Solicit with option 61 arch 7, Advertise/Request/Reply with an address and
# option 59 tftp://[fd00:77::1]/ipxe.efi), fetches ipxe.efi over TFTP/IPv6;
# iPXE configures IPv6 from the router advertisement (M and O flags: it asks
# DHCPv6 itself, user class "iPXE", and gets http://[fd00:77::1]:8080/boot.ipxe),
# then the script, the kernel and the initrd over HTTP/IPv6, to the installer's
# /init. Router advertisements are the router's job, not ringboot's: the test
# sends them from a scapy loop in the namespace (radvd's part, every 2 s).
#
# Measured under TCG on 2 cores beside a CI run: /init at ~70 s (OVMF's
# DHCPv6 ~17 s, which solicits once without option 61 for its IPv6 stack and
# once with arch 7 for PXE, then releases both; TFTP of ipxe.efi done at
# ~29 s; iPXE's DHCPv6 at ~36 s, its script ~15 s later while it waits out
# DHCPv4, which has no server here). EDK2 sends a DUID-UUID (type 4):
# ringboot names the machine by the EUI-64 of its link-local address.
#
# Environment as tests/e2e/boot.sh (E2E_KEEP, E2E_TCPDUMP, E2E_BUDGET).
set -euo pipefail

RINGBOOT=${1:-}
MODE=ipv6
[[ -x "$RINGBOOT" ]] || { echo "usage: $0 <ringboot-binary>" >&2; exit 2; }
RINGBOOT=$(realpath "$RINGBOOT")

source "$(dirname "$0")/lib.sh"
e2e_prerequisites
/usr/bin/python3 -c 'import scapy' 2>/dev/null || fail "python3-scapy is missing (scripts/setup --test installs it)"
e2e_init e2e
SERVER6=fd00:77::1
SERVER="[$SERVER6]"  # lib.sh's probe and metrics URLs

e2e_boot_root
cat > "$ROOT/boot.ipxe" <<SCRIPT
#!ipxe
echo ringboot e2e over IPv6: \${net0/mac} address \${net0/ip6}
kernel http://$SERVER:$HTTP_PORT/linux initrd=initrd.gz console=ttyS0 panic=-1 priority=critical
initrd http://$SERVER:$HTTP_PORT/initrd.gz
boot
SCRIPT
SIZE_SCRIPT=$(stat -c %s "$ROOT/boot.ipxe")
cat > "$CONFIG" <<TOML
root = "$ROOT"
state_dir = "$WORK/state"
threads = 2
log_level = "debug"
[tftp]
listen = "$SERVER:69"
[http]
listen = "$SERVER:$HTTP_PORT"
[dhcp6]
mode = "server"
interface = "br0"
server_address = "$SERVER6"
[[dhcp6.subnet]]
prefix = "fd00:77::/64"
range = ["fd00:77::100", "fd00:77::1ff"]
[[dhcp.boot]]
name = "ipxe-script"
match = { ipxe = true }
file = "http://$SERVER:$HTTP_PORT/boot.ipxe"
[[dhcp.boot]]
name = "uefi-x64"
match = { arch = [7, 9] }
file = "ipxe.efi"
TOML

# The router's part: advertisements with the prefix on-link and
# autonomous, M and O set (addresses and other options from DHCPv6).
ra_sender() {
  inns /usr/bin/python3 - "$WORK" <<'PY' >"$WORK/ra.log" 2>&1 &
import time
from scapy.all import sendp, Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, get_if_hwaddr
mac = get_if_hwaddr("br0")
ra = (Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::77:1", dst="ff02::1") /
      ICMPv6ND_RA(M=1, O=1, routerlifetime=0) / ICMPv6NDOptSrcLLAddr(lladdr=mac) /
      ICMPv6NDOptPrefixInfo(prefix="fd00:77::", prefixlen=64, L=1, A=1, validlifetime=600, preferredlifetime=300))
for _ in range(400):  # bounded: 800 s at most, and killed at cleanup
    sendp(ra, iface="br0", verbose=False)
    time.sleep(2)
PY
  PIDS+=($!)
}
add_link_local() { inns ip -6 addr add fe80::77:1/64 dev br0 nodad; ra_sender; }
E2E_IPV6_ONLY=1 E2E_NO_RA=1 E2E_NETWORK_HOOK=add_link_local e2e_network server

e2e_qemu uefi
qemu+=(-monitor none -no-reboot -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n)
e2e_start_qemu
note "qemu started (OVMF, IPv6 only)"

MAC_V6=$MAC_RE  # EDK2 sends a DUID-UUID: ringboot reads the MAC off its EUI-64 link-local address
phase "DHCPv6 (firmware: Request, Reply with the boot URL)" 90 \
  log_has "dhcp6.decision REQUEST->REPLY mac=$MAC_V6 duid=[0-9a-f:]+ arch=7 client=firmware rule=uefi-x64 url=tftp://\[$SERVER6\]/ipxe.efi address=fd00:77::1[0-9a-f]{2} "
phase "TFTP over IPv6 (ipxe.efi)" 60 log_has "tftp.transfer client=\[fd00:77::1[0-9a-f]{2}\]:[0-9]+ file=\"ipxe.efi\".* result=ok"
phase "DHCPv6 (iPXE: the script URL)" 90 \
  log_has "dhcp6.decision [A-Z-]+->REPLY mac=$MAC_V6 .* client=ipxe rule=ipxe-script url=http://\[$SERVER6\]:$HTTP_PORT/boot.ipxe"
phase "script (boot.ipxe over HTTP/IPv6)" 30 http_sent "$SIZE_SCRIPT"
phase "kernel (linux over HTTP/IPv6)" 60 http_sent "$SIZE_KERNEL"
phase "initrd (initrd.gz over HTTP/IPv6)" 90 http_sent "$SIZE_INITRD"
phase "Linux (Run /init as init process)" 120 serial_has "Run /init as init process"
BOOT_S=$(since "$VM_START")
kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null || true

scrape
need_ge 'ringboot_dhcp6_messages_sent_total{type="reply"}' 2
need_ge 'ringboot_http_responses_total{class="2xx"}' 3
[[ $(metric 'ringboot_tftp_transfers_total{result="failed"}') == 0 ]] || fail "metrics: a TFTP transfer failed"
! grep -q 'client=[0-9]*\.[0-9]*\.[0-9]*\.[0-9]*:' "$WORK/ringboot.log" || fail "an IPv4 client appeared on an IPv6-only network"
note "PASS $MODE: Linux reached /init ${BOOT_S}s after VM start, IPv6 only (${PHASE_TIMES[*]})"
grep -E 'dhcp6.decision|tftp.transfer|http.response' "$WORK/ringboot.log" | sed 's/^/  /'
