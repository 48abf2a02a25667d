#!/usr/bin/env bash
# Proxy mode beside dnsmasq (addresses only, no boot options), all on one
# bridge: a scapy PXE client gets its address from dnsmasq's OFFER and its
# boot file from ringboot's proxy OFFER (yiaddr 0, 54, 60 and 97 echoed, 43
# for BIOS only); ringboot stays silent on the REQUEST meant for dnsmasq; a
# port-4011 REQUEST gets its ACK at the sender's address and port.
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"
need dnsmasq

make_ns br
make_ns srv
make_ns dns
make_ns cli
ip -n "$(ns br)" link add br0 type bridge
ip -n "$(ns br)" link set br0 up
for side in srv:s0 dns:d0 cli:c0; do
  name=${side%%:*} inner=${side##*:}
  link br "p$inner" "$name" "$inner"
  ip -n "$(ns br)" link set "p$inner" master br0
done
ip -n "$(ns srv)" addr add 10.78.0.1/24 dev s0
ip -n "$(ns dns)" addr add 10.78.0.2/24 dev d0

inns dns dnsmasq --no-daemon --conf-file=/dev/null --port=0 --no-ping --user=root --interface=d0 --bind-interfaces \
  --dhcp-range=10.78.0.100,10.78.0.150,255.255.255.0,10m --dhcp-leasefile="$WORK/dnsmasq.leases" \
  --log-dhcp --log-facility=- >"$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)

cat >"$WORK/ringboot.toml" <<TOML
[dhcp]
mode = "proxy"
interface = "s0"

[[dhcp.boot]]
match = { ipxe = true }
file = "http://10.78.0.1/boot.ipxe"
[[dhcp.boot]]
match = { arch = [0] }
file = "undionly.kpxe"
[[dhcp.boot]]
match = { arch = [7, 9] }
file = "ipxe.efi"
[[dhcp.boot]]
match = { arch = [16] }
file = "http://10.78.0.1/ipxe.efi"
TOML
start_ringboot "$WORK/ringboot.toml" "$WORK/ringboot.log"
# With --no-daemon dnsmasq writes no pid file: wait for its start-up line.
for _ in $(seq 50); do grep -qs 'DHCP, IP range' "$WORK/dnsmasq.log" && break; sleep 0.1; done
grep -qs 'DHCP, IP range' "$WORK/dnsmasq.log" || fail "dnsmasq did not start: $(cat "$WORK/dnsmasq.log")"

UUID=00000102030405060708090a0b0c0d0e0f
client() { inns cli "$PY" "$HERE/dhcp_client.py" "$@" 2>>"$WORK/client.log"; }
why() { grep FAIL "$WORK/client.log" | tail -n 3; }

note "BIOS PXE DISCOVER: address from dnsmasq"
yiaddr=$(client discover --iface c0 --mac 52:54:00:cc:00:01 --arch 0 --uuid --from-server 10.78.0.2 \
  --expect type=OFFER --expect bootfile= --print yiaddr) || fail "no address OFFER from dnsmasq: $(why)"
[[ $yiaddr =~ ^10\.78\.0\.1([0-4][0-9]|50)$ ]] || fail "dnsmasq offered '$yiaddr', outside its range"
note "BIOS PXE DISCOVER: boot file from ringboot's proxy OFFER"
client discover --iface c0 --mac 52:54:00:cc:00:01 --arch 0 --uuid --from-server 10.78.0.1 \
  --expect type=OFFER --expect yiaddr=0.0.0.0 --expect siaddr=10.78.0.1 --expect bootfile=undionly.kpxe \
  --expect opt60=PXEClient --expect opt97=$UUID --expect has43=yes --expect dest=255.255.255.255:68 \
  >/dev/null || fail "BIOS proxy OFFER: $(why)"

note "REQUEST for dnsmasq: dnsmasq ACKs, ringboot stays silent"
client discover --iface c0 --mac 52:54:00:cc:00:01 --arch 0 --uuid --request --from-server 10.78.0.2 \
  --expect type=ACK --expect yiaddr="$yiaddr" --none-from 10.78.0.1 >/dev/null \
  || fail "REQUEST to dnsmasq: $(why)"

note "UEFI x64 (arch 7): no option 43, asks again on 4011"
client discover --iface c0 --mac 52:54:00:cc:00:02 --arch 7 --uuid --from-server 10.78.0.1 \
  --expect yiaddr=0.0.0.0 --expect bootfile=ipxe.efi --expect opt60=PXEClient --expect has43=no \
  >/dev/null || fail "UEFI proxy OFFER: $(why)"
uefi_ip=$(client discover --iface c0 --mac 52:54:00:cc:00:02 --arch 7 --uuid --request --from-server 10.78.0.2 \
  --expect type=ACK --print yiaddr) || fail "dnsmasq ACK for the UEFI client: $(why)"

note "UEFI HTTP (arch 16): HTTPClient and a URL"
client discover --iface c0 --mac 52:54:00:cc:00:03 --arch 16 --from-server 10.78.0.1 \
  --expect yiaddr=0.0.0.0 --expect opt60=HTTPClient --expect bootfile=http://10.78.0.1/ipxe.efi \
  >/dev/null || fail "HTTP boot proxy OFFER: $(why)"

note "not a PXE client: only dnsmasq answers"
client discover --iface c0 --mac 52:54:00:cc:00:04 --from-server 10.78.0.2 --expect type=OFFER \
  --none-from 10.78.0.1 >/dev/null || fail "plain DHCP client: $(why)"

note "port 4011 from $uefi_ip: ACK to the sender's address and port"
inns cli ip addr add "$uefi_ip/24" dev c0
for port in 68 40111; do
  client pxe4011 --mac 52:54:00:cc:00:02 --arch 7 --uuid --bind "$uefi_ip" --port "$port" --server 10.78.0.1 \
    --expect type=ACK --expect source=10.78.0.1:4011 --expect dest="$uefi_ip:$port" --expect bootfile=ipxe.efi \
    --expect siaddr=10.78.0.1 --expect opt60=PXEClient --expect opt97=$UUID --expect 43=470480000000ff \
    >/dev/null || fail "4011 REQUEST from port $port: $(why)"
done
grep -q "dhcp.decision REQUEST->ACK mac=52:54:00:cc:00:02 arch=7 client=firmware rule=boot\[2\] file=ipxe.efi" \
  "$WORK/ringboot.log" || fail "no decision line for the 4011 ACK"
echo "PASS dhcp_proxy_dnsmasq"
