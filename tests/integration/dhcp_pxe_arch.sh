#!/usr/bin/env bash
# Server mode: PXE-like DISCOVERs crafted with scapy (option 93 = 0, 7, 9,
# 11, 16; iPXE by option 77 alone and by option 175 alone) get the file,
# siaddr and vendor class the boot rules in this config say.
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"

make_ns srv
make_ns cli
link srv s0 cli c0
ip -n "$(ns srv)" addr add 10.77.0.1/24 dev s0

cat >"$WORK/ringboot.toml" <<TOML
[dhcp]
mode = "server"
interface = "s0"
lease_file = "$WORK/leases"

[[dhcp.boot]]
match = { ipxe = true }
file = "http://10.77.0.1/boot.ipxe"
[[dhcp.boot]]
match = { arch = [0] }
file = "undionly.kpxe"
[[dhcp.boot]]
match = { arch = [7, 9] }
file = "ipxe.efi"
[[dhcp.boot]]
match = { arch = [11] }
file = "arm64/snp.efi"
next_server = "10.77.0.9"
[[dhcp.boot]]
match = { arch = [16] }
file = "http://10.77.0.1/ipxe.efi"

[[dhcp.subnet]]
cidr = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.200"]
router = "10.77.0.1"
dns = ["10.77.0.1"]
lease_seconds = 600
TOML
start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot.log"

client() { inns cli "$PY" "$HERE/dhcp_client.py" discover --iface c0 --wait 1 --from-server 10.77.0.1 "$@" 2>>"$WORK/client.log"; }
n=0
pxe() {  # pxe DESCRIPTION client-args... -- expectations...
  local what=$1; shift
  n=$((n + 1))
  local mac; mac=$(printf '52:54:00:aa:00:%02x' "$n")
  note "$what ($mac)"
  client --mac "$mac" --request "$@" || fail "$what: $(grep FAIL "$WORK/client.log" | tail -n 3)"
}

pxe "BIOS arch 0" --arch 0 --uuid \
  --expect file=undionly.kpxe --expect siaddr=10.77.0.1 --expect opt66=10.77.0.1 --expect opt67=undionly.kpxe \
  --expect opt1=255.255.255.0
pxe "x64 UEFI arch 7" --arch 7 --expect bootfile=ipxe.efi --expect siaddr=10.77.0.1 --expect opt60=
pxe "x64 UEFI arch 9" --arch 9 --expect bootfile=ipxe.efi --expect siaddr=10.77.0.1
pxe "ARM64 UEFI arch 11" --arch 11 --expect bootfile=arm64/snp.efi --expect siaddr=10.77.0.9 --expect opt66=10.77.0.9
pxe "x64 UEFI HTTP arch 16" --arch 16 \
  --expect bootfile=http://10.77.0.1/ipxe.efi --expect opt60=HTTPClient
pxe "iPXE by option 77 alone" --arch 7 --user-class iPXE --expect bootfile=http://10.77.0.1/boot.ipxe
pxe "iPXE by option 175 alone" --arch 0 --opt175 --expect bootfile=http://10.77.0.1/boot.ipxe
pxe "not iPXE: option 77 other than iPXE" --arch 0 --user-class gPXE --expect bootfile=undionly.kpxe

# The OFFER too, not only the ACK, carries the file.
n=$((n + 1))
client --mac "$(printf '52:54:00:aa:00:%02x' "$n")" --arch 7 --expect type=OFFER --expect bootfile=ipxe.efi \
  || fail "OFFER for arch 7"

# One decision line per exchange, with the rule and file.
grep -q 'dhcp.decision REQUEST->ACK mac=52:54:00:aa:00:01 arch=0 client=firmware rule=boot\[1\] file=undionly.kpxe address=10.77.0.' \
  "$WORK/ringboot.log" || fail "no decision log line for the BIOS client"
grep -q 'client=ipxe rule=boot\[0\]' "$WORK/ringboot.log" || fail "no decision log line for iPXE"
echo "PASS dhcp_pxe_arch"
