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
# then the fleet's chain to the machine's script (a [[machine]] with a
# profile), the kernel and the initrd over HTTP/IPv6, to the installer's
# /init; the API then shows the machine installing with every step of its
# chain, the TFTP and HTTP fetches tied to it by the address DHCPv6 bound
# to it (its ip6). Router advertisements are the router's job, not ringboot's: radvd
# (Debian's) runs in the namespace on br0 with its own config in the work
# directory (the prefix on-link and autonomous, M and O set, router lifetime
# 0: no default route; every 3-4 s, radvd's shortest), started and killed by
# PID; the first advertisement on br0 is checked for those fields.
#
# Measured under TCG on 2 cores beside a CI run: /init at ~70 s (63 s with
# radvd beside another engineer's QEMU: its first RA seen 5 s after QEMU
# starts, once tap0 gives br0 a carrier; OVMF's DHCPv6 ~17 s, which solicits once without option 61 for its IPv6 stack and
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
need_tool radvd radvd
e2e_init e2e
SERVER6=fd00:77::1
SERVER="[$SERVER6]"  # lib.sh's probe and metrics URLs

e2e_boot_root
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
# The fleet: /boot.ipxe chains to the machine's script ({{http_base}} is
# the request's Host, [fd00:77::1]:PORT), and each step of the chain, DHCPv6
# and the TFTP and HTTP fetches from its DHCPv6 address, is the machine's.
[[profile]]
name = "debian12"
kernel = "{{http_base}}/linux"
initrd = ["{{http_base}}/initrd.gz"]
cmdline = "console=ttyS0 panic=-1 priority=critical"
[[machine]]
mac = "$MAC"
profile = "debian12"
TOML
e2e_api

# The router's part: radvd advertising the prefix on-link and autonomous,
# M and O set (addresses and other options from DHCPv6), no default route.
cat > "$WORK/radvd.conf" <<CONF
interface br0 {
  AdvSendAdvert on;
  UnicastOnly off;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvDefaultLifetime 0;
  AdvManagedFlag on;
  AdvOtherConfigFlag on;
  prefix fd00:77::/64 {
    AdvOnLink on;
    AdvAutonomous on;
    AdvValidLifetime 600;
    AdvPreferredLifetime 300;
  };
};
CONF
# radvd -c checks only the syntax: with an interval out of its bounds radvd
# leaves the interface out and runs on, so ra_seen checks what it sends.
radvd -c -C "$WORK/radvd.conf" -m stderr >"$WORK/radvd.log" 2>&1 || fail "setup: radvd rejects its config: $(cat "$WORK/radvd.log")"
start_radvd() {
  # ip netns exec execs radvd, so $! is radvd itself (not so through the
  # function inns, whose subshell $! would be); -n: in the foreground.
  ip netns exec "$NS" radvd -n -C "$WORK/radvd.conf" -p "$WORK/radvd.pid" -m stderr >>"$WORK/radvd.log" 2>&1 &
  RADVD_PID=$!
  PIDS+=("$RADVD_PID")
  for _ in $(seq 50); do
    [[ -s $WORK/radvd.pid ]] && break
    kill -0 "$RADVD_PID" 2>/dev/null || fail "setup: radvd exited at start: $(tail -n 5 "$WORK/radvd.log")"
    sleep 0.1
  done
  [[ $(cat "$WORK/radvd.pid" 2>/dev/null) == "$RADVD_PID" ]] || fail "setup: radvd wrote no pid file $WORK/radvd.pid in 5 s"
}
add_link_local() { inns ip -6 addr add fe80::77:1/64 dev br0 nodad; start_radvd; }
E2E_IPV6_ONLY=1 E2E_NO_RA=1 E2E_NETWORK_HOOK=add_link_local e2e_network server

# ra_listen: an ICMPv6 socket on br0 waits (30 s at most) for a Router
# Advertisement, writes it to $WORK/ra.txt and exits 0 if it has M, O,
# router lifetime 0 and fd00:77::/64 on-link and autonomous. radvd sends
# none while br0 has no carrier, before QEMU opens tap0.
ra_listen() {
  ip netns exec "$NS" /usr/bin/python3 - >"$WORK/ra.txt" 2>&1 <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"br0")
s.settimeout(1)
deadline = time.time() + 30
while time.time() < deadline:
    try:
        data, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(data) < 16 or data[0] != 134:
        continue
    flags, lifetime = data[5], struct.unpack("!H", data[6:8])[0]
    prefixes, i = [], 16
    while i + 2 <= len(data) and data[i + 1]:
        kind, size = data[i], data[i + 1] * 8
        if kind == 3 and size == 32:  # Prefix Information: flags L 0x80, A 0x40
            prefixes.append("%s/%d L=%d A=%d" % (socket.inet_ntop(socket.AF_INET6, data[i + 16:i + 32]), data[i + 2],
                                                 data[i + 3] >> 7 & 1, data[i + 3] >> 6 & 1))
        i += size
    ra = "RA from %s M=%d O=%d lifetime=%d prefix %s" % (peer[0], flags >> 7 & 1, flags >> 6 & 1, lifetime, " ".join(prefixes))
    print(ra)
    sys.exit(0 if "M=1 O=1 lifetime=0 " in ra and "fd00:77::/64 L=1 A=1" in ra else 1)
print("no router advertisement on br0 in 30 s")
sys.exit(1)
PY
  RA_PID=$!
  PIDS+=("$RA_PID")
}
ra_seen() {
  kill -0 "$RA_PID" 2>/dev/null && return 1
  wait "$RA_PID" || fail "radvd's advertisement is not the one configured: $(cat "$WORK/ra.txt")"
}

e2e_qemu uefi
qemu+=(-monitor none -no-reboot -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n)
ra_listen
e2e_start_qemu
note "qemu started (OVMF, IPv6 only)"
phase "router advertisement (radvd: M, O, fd00:77::/64)" 30 ra_seen
note "radvd: $(cat "$WORK/ra.txt")"

MAC_V6=$MAC_RE  # EDK2 sends a DUID-UUID: ringboot reads the MAC off its EUI-64 link-local address
phase "DHCPv6 (firmware: Request, Reply with the boot URL)" 90 \
  log_has "dhcp6.decision REQUEST->REPLY mac=$MAC_V6 duid=[0-9a-f:]+ arch=7 client=firmware rule=uefi-x64 url=tftp://\[$SERVER6\]/ipxe.efi address=fd00:77::1[0-9a-f]{2} "
phase "TFTP over IPv6 (ipxe.efi)" 60 log_has "tftp.transfer client=\[fd00:77::1[0-9a-f]{2}\]:[0-9]+ file=\"ipxe.efi\".* result=ok"
phase "DHCPv6 (iPXE: the script URL)" 90 \
  log_has "dhcp6.decision [A-Z-]+->REPLY mac=$MAC_V6 .* client=ipxe rule=ipxe-script url=http://\[$SERVER6\]:$HTTP_PORT/boot.ipxe"
phase "script (the fleet's /ipxe over HTTP/IPv6)" 30 \
  log_has "fleet.boot mac=$MAC decision=install profile=\"debian12\" reason=install state=installing "
phase "kernel (linux over HTTP/IPv6)" 60 http_sent "$SIZE_KERNEL"
phase "initrd (initrd.gz over HTTP/IPv6)" 90 http_sent "$SIZE_INITRD"
phase "Linux (Run /init as init process)" 120 serial_has "Run /init as init process"
BOOT_S=$(since "$VM_START")
kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null || true
kill -0 "$RADVD_PID" 2>/dev/null || fail "radvd exited during the boot: $(tail -n 5 "$WORK/radvd.log")"

scrape
need_ge 'ringboot_dhcp6_messages_sent_total{type="reply"}' 2
need_ge 'ringboot_http_responses_total{class="2xx"}' 3
[[ $(metric 'ringboot_tftp_transfers_total{result="failed"}') == 0 ]] || fail "metrics: a TFTP transfer failed"
! grep -q 'client=[0-9]*\.[0-9]*\.[0-9]*\.[0-9]*:' "$WORK/ringboot.log" || fail "an IPv4 client appeared on an IPv6-only network"
# The machine's chain, each step tied to it over IPv6 (the TFTP and HTTP
# fetches by the address DHCPv6 bound to it), and that address as its ip6.
api_chain "$MAC" installing dhcp_firmware loader_fetch dhcp_loader script kernel_fetch handoff
python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); ip6 = m.get("ip6") or ""
sys.exit(0 if ip6.startswith("fd00:77::1") and m.get("ip") is None else "ip6 %r ip %r" % (ip6, m.get("ip")))' \
  "$WORK/machine.json" || fail "api: the machine's address is not its DHCPv6 one"
note "PASS $MODE: Linux reached /init ${BOOT_S}s after VM start, IPv6 only (${PHASE_TIMES[*]})"
grep -E 'dhcp6.decision|tftp.transfer|http.response' "$WORK/ringboot.log" | sed 's/^/  /'
