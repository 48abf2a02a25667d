#!/usr/bin/env bash
# DHCPv6 (issue 13) with real clients, in two namespaces on a veth (root).
# The router's part is radvd's (Debian's), in the server namespace on s0:
# advertisements with M and O set, 2001:db8::/64 on-link (not autonomous:
# the clients' only global addresses are ringboot's), router lifetime 0.
#   - ISC dhclient -6: Solicit/Advertise/Request/Reply; the lease file holds an
#     address of the pool, the DNS server and the boot URL (option 59) that a
#     catch-all [[dhcp.boot]] rule names; Debian's dhclient-script puts the
#     address on the link and the DNS server in a resolv.conf of the test's
#     own, bound over /etc/resolv.conf in dhclient's mount namespace;
#     the boot file it names is then fetched over TFTP by tftp-hpa -6 from
#     that address, byte for byte, on the on-link route radvd's advertisement
#     gave the client's kernel; dhclient -6 -r releases it;
#   - dhclient -6 -S (stateless): Information-Request/Reply with the options;
#   - a relayed Solicit (scapy, Relay-Forward with interface-id and option 79)
#     gets a Relay-Reply to the relay with the interface-id echoed and an
#     address of the relay link's subnet;
#   - a malformed datagram is counted and dropped;
#   - perfdhcp -6 (Kea): Solicit/Advertise/Request/Reply at a bounded rate,
#     under 1 % dropped; /metrics counts it all;
#   - dhcpcd -6 (dhcpcd-base): radvd's M flag starts its DHCPv6, a Solicit
#     with Rapid Commit gets the Reply at once; the address (in the pool) is
#     put on c0, its hook script and dhcpcd -U show the boot URL and the DNS
#     server; dhcpcd -k releases it and dhcpcd, started and stopped by PID,
#     exits. It keeps its lease, DUID and pid files where the dhcpcd-base
#     build fixed them (/var/lib/dhcpcd, /run/dhcpcd, no option moves them),
#     so it runs in a mount namespace of its own with the test's directories
#     bound there, with its config and a hook script of the test's own (no
#     dhcpcd-run-hooks). The host's /etc/resolv.conf is checked untouched.
#   - busybox udhcpc6: Debian 12's busybox and busybox-static are built
#     without the applet (busybox --list has none), so scripts/build-udhcpc6
#     builds it from Debian's busybox source package; it gets an address of
#     the pool, the boot URL (asked with -O bootfile_url) and the DNS server
#     in its script's bound event, then releases it on SIGUSR2.
RINGBOOT=${1:-}
source "$(dirname "$0")/dhcp_lib.sh"
need dhclient dhcpcd radvd tftp curl perfdhcp cmp mount md5sum
# Busybox's udhcpc6: Debian's busybox source built with the applet (Debian's binaries lack it).
UDHCPC6=/opt/ringboot-test/busybox-1.35.0-4+deb12u1/busybox
[[ -x $UDHCPC6 ]] || fail "no $UDHCPC6: scripts/setup --test builds it (scripts/build-udhcpc6)"

# No client here may touch the host's /etc/resolv.conf (checked at the end).
[[ -f /etc/resolv.conf ]] || fail "no /etc/resolv.conf: the clients' resolv.conf is bound over it"
RESOLV_BEFORE=$(md5sum </etc/resolv.conf)
make_ns srv
make_ns cli
link srv s0 cli c0
ip -n "$(ns srv)" addr add 2001:db8::1/64 dev s0 nodad
# The client's link-local address must be past DAD before dhclient binds it.
for _ in $(seq 50); do
  [[ -n $(ip -n "$(ns cli)" -6 addr show dev c0 scope link -tentative) ]] && break
  sleep 0.1
done
[[ -n $(ip -n "$(ns cli)" -6 addr show dev c0 scope link -tentative) ]] || fail "c0 has no link-local address after 5 s"

# radvd: the intervals are the shortest it takes (MinRtrAdvInterval >= 3, at
# most 3/4 of MaxRtrAdvInterval); it answers a Router Solicitation at once.
cat >"$WORK/radvd.conf" <<'CONF'
interface s0 {
  AdvSendAdvert on;
  UnicastOnly off;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvDefaultLifetime 0;
  AdvManagedFlag on;
  AdvOtherConfigFlag on;
  prefix 2001:db8::/64 {
    AdvOnLink on;
    AdvAutonomous off;
  };
};
CONF
# ip netns exec execs radvd: $! is radvd itself; -n keeps it in the foreground.
inns srv radvd -n -C "$WORK/radvd.conf" -p "$WORK/radvd.pid" -m stderr >"$WORK/radvd.log" 2>&1 &
RADVD_PID=$!
PIDS+=("$RADVD_PID")
# The client's kernel takes the advertisement's on-link prefix as a route
# (accept_ra is on in a new namespace) that expires with the prefix's valid
# lifetime: radvd advertises as configured.
ra_route() { inns cli ip -6 route show 2001:db8::/64 dev c0 | grep ' expires ' >/dev/null; }
for _ in $(seq 100); do
  kill -0 "$RADVD_PID" 2>/dev/null || fail "radvd exited at start: $(tail -n 5 "$WORK/radvd.log")"
  ra_route && break
  sleep 0.1
done
ra_route ||
  fail "no on-link route 2001:db8::/64 from radvd's advertisement on c0 in 10 s: $(tail -n 5 "$WORK/radvd.log")"
note "radvd: c0's kernel has the on-link route $(inns cli ip -6 route show 2001:db8::/64 dev c0 | tr -s ' ')"

mkdir -p "$WORK/root"
head -c 300000 /dev/urandom >"$WORK/root/ipxe.efi"
METRICS="[2001:db8::1]:9180"
cat >"$WORK/ringboot.toml" <<TOML
[tftp]
listen = "[2001:db8::1]:69"
[http]
listen = "[2001:db8::1]:8080"
[dhcp6]
mode = "server"
interface = "s0"
server_address = "2001:db8::1"
[[dhcp6.subnet]]
prefix = "2001:db8::/64"
range = ["2001:db8::100", "2001:db8::ffff"]
dns = ["2001:db8::53"]
[[dhcp6.subnet]]
prefix = "2001:db8:5::/64"
range = ["2001:db8:5::10", "2001:db8:5::ffff"]
[[dhcp.boot]]
name = "any"
match = {}
file = "ipxe.efi"
TOML
ip netns exec "$(ns srv)" "$RINGBOOT" --config "$WORK/ringboot.toml" --root "$WORK/root" --threads 1 \
  --log-level debug --metrics-listen "$METRICS" --set "state_dir=$STATE_DIR" >"$WORK/ringboot.log" 2>&1 &
RINGBOOT_PID=$!
PIDS+=("$RINGBOOT_PID")
for _ in $(seq 100); do
  kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "ringboot exited at start: $(tail -n 5 "$WORK/ringboot.log")"
  [[ -n $(inns srv ss -Hlun 'sport = :547') ]] && break
  sleep 0.1
done
[[ -n $(inns srv ss -Hlun 'sport = :547') ]] || fail "ringboot did not bind UDP 547 within 10 s"
grep -q 'dhcp6.started mode=server interface=s0 server_address=2001:db8::1 server_duid=00:03:00:01:' "$WORK/ringboot.log" ||
  fail "no dhcp6.started line with the server DUID: $(grep dhcp6 "$WORK/ringboot.log" | head -2)"

# wait_event PID FILE EVENT SECONDS LOG WHAT: until a client's hook script has
# written "== EVENT" into FILE; fails if the client (PID) exits first or the
# event is not there within SECONDS.
wait_event() {
  local pid=$1 file=$2 event=$3 secs=$4 log=$5 what=$6 _
  for _ in $(seq $((secs * 10))); do
    grep -q "^== $event\$" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "$what exited without a lease: $(tail -n 8 "$log")"
    sleep 0.1
  done
  fail "$what bound no lease in $secs s: $(tail -n 8 "$log")"
}
# c0_has REGEX: a line of c0's IPv6 addresses matches. grep reads them all
# (no -q): with -q, ip may die of SIGPIPE, which pipefail makes a failure.
c0_has() { inns cli ip -6 addr show dev c0 | grep -E -- "$1" >/dev/null; }
metric() {  # metric NAME{labels}: its value from /metrics, 0 when absent
  inns cli curl -fsS "http://$METRICS/metrics" | awk -v k="$1" 'index($0, k " ") == 1 { v = $NF } END { print v + 0 }'
}

note "dhclient -6: Solicit, Advertise, Request, Reply"
cat >"$WORK/dhclient.conf" <<'EOF'
option dhcp6.bootfile-url code 59 = string;
also request dhcp6.bootfile-url;
EOF
# Debian's dhclient-script puts the address on c0 and writes the DNS servers
# to /etc/resolv.conf: dhclient runs in a mount namespace of its own (ip netns
# exec makes one, a slave of the host's) where the work directory's
# resolv.conf is bound over it, so the script's DNS lands there.
: >"$WORK/resolv.conf"
DHCLIENT_NS=(ip netns exec "$(ns cli)" sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec dhclient "$@"'
             sh "$WORK/resolv.conf")
timeout 20 "${DHCLIENT_NS[@]}" -6 -1 -v -cf "$WORK/dhclient.conf" -lf "$WORK/lease6" -pf "$WORK/dhclient.pid" c0 \
  >"$WORK/dhclient.log" 2>&1 || fail "dhclient -6 got no lease: $(tail -n 5 "$WORK/dhclient.log")"
ADDRESS=$(awk '/iaaddr/ { print $2; exit }' "$WORK/lease6")
[[ $ADDRESS =~ ^2001:db8::[1-9a-f][0-9a-f]{2,3}$ ]] || fail "the lease's address '$ADDRESS' is not in 2001:db8::100-ffff ($(cat "$WORK/lease6"))"
grep -q 'option dhcp6.bootfile-url "tftp://\[2001:db8::1\]/ipxe.efi";' "$WORK/lease6" ||
  fail "the lease has no boot URL tftp://[2001:db8::1]/ipxe.efi: $(grep option "$WORK/lease6")"
grep -q 'option dhcp6.name-servers 2001:db8::53;' "$WORK/lease6" || fail "the lease has no DNS server"
grep -q 'max-life 7200;' "$WORK/lease6" || fail "the lease's valid lifetime is not 7200"
for _ in $(seq 50); do c0_has "inet6 $ADDRESS/" && break; sleep 0.1; done
c0_has "inet6 $ADDRESS/" || fail "dhclient did not put $ADDRESS on c0 within 5 s: $(inns cli ip -6 addr show dev c0)"
grep -qx 'nameserver 2001:db8::53' "$WORK/resolv.conf" ||
  fail "dhclient-script wrote no nameserver 2001:db8::53 to its resolv.conf: $(cat "$WORK/resolv.conf")"
grep -Eq "dhcp6.decision SOLICIT->ADVERTISE mac=[0-9a-f:]{17} duid=[0-9a-f:]+ arch=- client=firmware rule=any url=tftp://\[2001:db8::1\]/ipxe.efi address=$ADDRESS relayed=false from=\[fe80::" "$WORK/ringboot.log" ||
  fail "no SOLICIT->ADVERTISE decision for $ADDRESS: $(grep dhcp6.decision "$WORK/ringboot.log" | head -2)"
grep -q "dhcp6.decision REQUEST->REPLY .* address=$ADDRESS " "$WORK/ringboot.log" || fail "no REQUEST->REPLY for $ADDRESS"

note "the boot URL's file over TFTP (tftp-hpa -6) from $ADDRESS"
# DHCPv6 addresses are /128: the on-link prefix is radvd's advertisement's
# (the route above), not the DHCPv6 server's.
for _ in $(seq 30); do  # DAD of the new address
  c0_has "inet6 $ADDRESS/.* tentative" || break
  sleep 0.1
done
inns cli timeout 30 tftp -6 -m binary 2001:db8::1 -c get ipxe.efi "$WORK/got.efi" || fail "tftp -6 get ipxe.efi failed"
cmp -s "$WORK/root/ipxe.efi" "$WORK/got.efi" || fail "ipxe.efi over TFTP/IPv6 differs from the file"
grep -Eq "tftp.transfer client=\[$ADDRESS\]:[0-9]+ file=\"ipxe.efi\" bytes=300000 .*result=ok" "$WORK/ringboot.log" ||
  fail "no whole TFTP transfer to [$ADDRESS]"

note "dhclient -6 -r: Release"
# The daemon dhclient -6 -1 left is stopped by its PID first, and the release
# reads a copy of the lease file taken while the daemon still ran: dhclient
# -r would kill the daemon itself, and a dying daemon may rewrite the file
# without the lease (then -r finds none, prints its banner, sends nothing:
# seen in CI with the daemon stopped first and the file read after).
cp "$WORK/lease6" "$WORK/lease6.release"
grep -q "iaaddr $ADDRESS " "$WORK/lease6.release" || fail "the lease file lost $ADDRESS before the release"
DHCLIENT_PID=$(cat "$WORK/dhclient.pid" 2>/dev/null) || fail "dhclient -6 wrote no pid file"
kill "$DHCLIENT_PID" 2>/dev/null || fail "dhclient -6 (PID $DHCLIENT_PID) is not running"
for _ in $(seq 50); do kill -0 "$DHCLIENT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DHCLIENT_PID" 2>/dev/null && fail "dhclient -6 (PID $DHCLIENT_PID) did not stop on SIGTERM"
timeout 20 "${DHCLIENT_NS[@]}" -6 -r -v -cf "$WORK/dhclient.conf" -lf "$WORK/lease6.release" -pf "$WORK/dhclient.pid" c0 \
  >>"$WORK/dhclient.log" 2>&1 || fail "dhclient -6 -r failed: $(tail -n 5 "$WORK/dhclient.log")"
grep -q "dhcp6.decision RELEASE->REPLY .* address=$ADDRESS " "$WORK/ringboot.log" ||
  fail "no RELEASE->REPLY for $ADDRESS: $(tail -n 8 "$WORK/dhclient.log")"

note "dhclient -6 -S: Information-Request, Reply"
# A script of our own in place of dhclient-script: it writes what dhclient passes it.
printf '#!/bin/sh\nenv > "%s/env.$reason"\n' "$WORK" >"$WORK/script.sh"
chmod +x "$WORK/script.sh"
inns cli timeout 20 dhclient -6 -S -1 -v -cf "$WORK/dhclient.conf" -sf "$WORK/script.sh" -lf "$WORK/lease6s" \
  -pf "$WORK/dhclient-s.pid" c0 >"$WORK/dhclient-s.log" 2>&1 || fail "dhclient -6 -S got no Reply: $(tail -n 5 "$WORK/dhclient-s.log")"
grep -q "dhcp6.decision INFORMATION-REQUEST->REPLY .*url=tftp://\[2001:db8::1\]/ipxe.efi" "$WORK/ringboot.log" ||
  fail "no INFORMATION-REQUEST->REPLY with the boot URL"
# dhclient 4.4 calls its script with reason RENEW6 for a stateless Reply.
for _ in $(seq 30); do compgen -G "$WORK/env.*" >/dev/null && break; sleep 0.1; done
cat "$WORK"/env.* >"$WORK/env" 2>/dev/null || fail "dhclient -6 -S did not run its script"
grep -q '^new_dhcp6_name_servers=2001:db8::53$' "$WORK/env" ||
  fail "the stateless Reply's DNS server did not reach dhclient: $(grep dhcp6 "$WORK/env")"
grep -q '^new_dhcp6_bootfile_url=tftp://\[2001:db8::1\]/ipxe.efi$' "$WORK/env" ||
  fail "the stateless Reply's boot URL did not reach dhclient: $(grep dhcp6 "$WORK/env")"

note "a relayed Solicit (scapy Relay-Forward) gets a Relay-Reply"
inns cli "$PY" - <<'EOF' || fail "the relayed Solicit got no proper Relay-Reply (above)"
import socket, sys
from scapy.layers.dhcp6 import (DHCP6_RelayForward, DHCP6_RelayReply, DHCP6OptRelayMsg, DHCP6OptIfaceId,
                                DHCP6_Solicit, DHCP6_Advertise, DHCP6OptClientId, DHCP6OptIA_NA, DHCP6OptIAAddress,
                                DUID_EN, DHCP6OptClientLinkLayerAddr)
solicit = DHCP6_Solicit(trid=0x4242) / DHCP6OptClientId(duid=DUID_EN(enterprisenum=9, id=b"relayed")) / DHCP6OptIA_NA(iaid=7)
relay = (DHCP6_RelayForward(hopcount=0, linkaddr="2001:db8:5::1", peeraddr="fe80::5054:ff:fe12:3456")
         / DHCP6OptIfaceId(ifaceid=b"port7") / DHCP6OptClientLinkLayerAddr(clladdr="52:54:00:12:34:56")
         / DHCP6OptRelayMsg(message=solicit))
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 547))  # a relay speaks from port 547
s.settimeout(5)
s.sendto(bytes(relay), ("2001:db8::1", 547))
data, peer = s.recvfrom(4096)
reply = DHCP6_RelayReply(data)
ok = True
if reply.linkaddr != "2001:db8:5::1" or reply.peeraddr != "fe80::5054:ff:fe12:3456":
    print("relay reply's link/peer addresses are not the request's:", reply.linkaddr, reply.peeraddr); ok = False
if not reply.haslayer(DHCP6OptIfaceId) or reply[DHCP6OptIfaceId].ifaceid != b"port7":
    print("the interface-id is not echoed"); ok = False
inner = reply[DHCP6OptRelayMsg].message
if not isinstance(inner, DHCP6_Advertise) or inner.trid != 0x4242:
    print("the relayed message is not an Advertise of trid 0x4242:", inner.summary()); ok = False
address = inner[DHCP6OptIAAddress].addr if inner.haslayer(DHCP6OptIAAddress) else None
if address is None or not address.startswith("2001:db8:5::"):
    print("no address of the relay link's subnet 2001:db8:5::/64:", address); ok = False
print("relay reply:", reply.summary(), "address", address)
sys.exit(0 if ok else 1)
EOF
grep -q "dhcp6.decision SOLICIT->ADVERTISE mac=52:54:00:12:34:56 .* address=2001:db8:5::[0-9a-f]* relayed=true" "$WORK/ringboot.log" ||
  fail "no relayed decision with option 79's MAC"

note "a malformed datagram is counted and dropped"
inns cli "$PY" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(bytes([1, 0, 0, 1, 0, 1, 0, 99]), ("2001:db8::1", 547))'
for _ in $(seq 20); do (( $(metric 'ringboot_dhcp6_malformed_total{reason="bad_option_length"}') >= 1 )) && break; sleep 0.1; done
(( $(metric 'ringboot_dhcp6_malformed_total{reason="bad_option_length"}') >= 1 )) || fail "the malformed datagram was not counted"
kill -0 "$RINGBOOT_PID" || fail "ringboot died on a malformed datagram"

note "perfdhcp -6: 4-way exchanges at a bounded rate"
inns cli timeout 60 perfdhcp -6 -l c0 -r 100 -p 5 -R 1000 >"$WORK/perfdhcp.log" 2>&1 || true
# stat SECTION FIELD: a number from perfdhcp's statistics for SECTION (SOLICIT-ADVERTISE, REQUEST-REPLY).
stat() { awk -v sec="$1" -v f="$2:" '/^\*\*\*Statistics for: / { in_sec = index($0, sec) > 0 }
                                        in_sec && index($0, f) == 1 { print $NF; exit }' "$WORK/perfdhcp.log"; }
sent=$(stat SOLICIT-ADVERTISE "sent packets")
received=$(stat SOLICIT-ADVERTISE "received packets")
rejected=$(stat SOLICIT-ADVERTISE "rejected leases")
requests=$(stat REQUEST-REPLY "sent packets")
replies=$(stat REQUEST-REPLY "received packets")
[[ -n $sent && $sent -gt 300 ]] || fail "perfdhcp -6 sent too little (${sent:-nothing}): $(tail -n 30 "$WORK/perfdhcp.log")"
awk -v s="$sent" -v r="$received" -v q="$requests" -v p="$replies" \
  'BEGIN { exit !(r >= 0.99 * s && q >= 0.99 * r && p >= 0.99 * q) }' ||
  fail "perfdhcp -6: over 1 % lost: Solicits $sent, Advertises $received, Requests $requests, Replies $replies"
[[ $rejected == 0 ]] || fail "perfdhcp -6: $rejected Advertises without an address"
drops="Advertises $received, Requests $requests, Replies $replies"
note "perfdhcp -6: Solicits $sent, $drops"

(( $(metric 'ringboot_dhcp6_messages_sent_total{type="reply"}') >= 300 )) || fail "metrics: too few Replies counted"
(( $(metric 'ringboot_dhcp6_relayed_total') == 1 )) || fail "metrics: the relayed Solicit was not counted"
(( $(metric 'ringboot_dhcp6_messages_received_total{type="information_request"}') >= 1 )) ||
  fail "metrics: no Information-Request counted"
note "dhcpcd -6: radvd's M flag, Solicit with Rapid Commit, Reply"
# dhclient -6 -S stays on as a daemon holding UDP 546 on c0: stop it first.
if [[ -s $WORK/dhclient-s.pid ]]; then
  DHCLIENT_S_PID=$(cat "$WORK/dhclient-s.pid")
  kill "$DHCLIENT_S_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$DHCLIENT_S_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$DHCLIENT_S_PID" 2>/dev/null && fail "dhclient -6 -S (PID $DHCLIENT_S_PID) did not stop on SIGTERM"
fi
mkdir -p "$WORK/dhcpcd/db" "$WORK/dhcpcd/run"
cat >"$WORK/dhcpcd.conf" <<'EOF'
ipv6only
duid ll
option dhcp6_rapid_commit, dhcp6_name_servers, dhcp6_bootfile_url
EOF
# The hook script: each event's variables, appended (dhcpcd runs it as root).
printf '#!/bin/sh\n{ echo "== $reason"; env | sort; } >>"%s/dhcpcd-env"\n' "$WORK" >"$WORK/dhcpcd-script.sh"
chmod +x "$WORK/dhcpcd-script.sh"
# DHCPCD_NS ARGS...: dhcpcd in the client namespace, in a mount namespace of
# its own (ip netns exec makes one, a slave of the host's) where the work
# directory's db and run directories stand for /var/lib/dhcpcd and /run.
DHCPCD_NS=(ip netns exec "$(ns cli)" sh -c
           'mount --bind "$1/db" /var/lib/dhcpcd && mount --bind "$1/run" /run && shift && exec dhcpcd "$@"'
           sh "$WORK/dhcpcd")
# -B: in the foreground; ip netns exec and sh exec, so $! is dhcpcd's own PID.
"${DHCPCD_NS[@]}" -6 -B -d -f "$WORK/dhcpcd.conf" -c "$WORK/dhcpcd-script.sh" -t 20 c0 >"$WORK/dhcpcd.log" 2>&1 &
DHCPCD_PID=$!
PIDS+=("$DHCPCD_PID")
wait_event "$DHCPCD_PID" "$WORK/dhcpcd-env" BOUND6 20 "$WORK/dhcpcd.log" "dhcpcd -6"
grep -q 'c0: Router Advertisement from fe80::' "$WORK/dhcpcd.log" || fail "dhcpcd saw no router advertisement"
[[ $(cat "$WORK/dhcpcd/run/dhcpcd/c0-6.pid" 2>/dev/null) == "$DHCPCD_PID" ]] ||
  fail "dhcpcd's pid file in the work directory does not hold its PID $DHCPCD_PID"
# The BOUND6 event's variables (the script's env) hold what the Reply carried.
awk '/^== / { on = ($2 == "BOUND6") } on' "$WORK/dhcpcd-env" >"$WORK/dhcpcd-bound6"
DHCPCD_ADDRESS=$(sed -n 's/^new_dhcp6_ia_na1_ia_addr1=//p' "$WORK/dhcpcd-bound6")
[[ $DHCPCD_ADDRESS =~ ^2001:db8::[1-9a-f][0-9a-f]{2,3}$ ]] ||
  fail "dhcpcd's address '$DHCPCD_ADDRESS' is not in 2001:db8::100-ffff: $(grep dhcp6 "$WORK/dhcpcd-bound6")"
grep -qx 'new_dhcp6_bootfile_url=tftp://\[2001:db8::1\]/ipxe.efi' "$WORK/dhcpcd-bound6" ||
  fail "dhcpcd's lease has no boot URL tftp://[2001:db8::1]/ipxe.efi: $(grep dhcp6 "$WORK/dhcpcd-bound6")"
grep -qx 'new_dhcp6_name_servers=2001:db8::53' "$WORK/dhcpcd-bound6" ||
  fail "dhcpcd's lease has no DNS server 2001:db8::53: $(grep dhcp6 "$WORK/dhcpcd-bound6")"
grep -qx 'new_dhcp6_ia_na1_ia_addr1_vltime=7200' "$WORK/dhcpcd-bound6" || fail "dhcpcd's valid lifetime is not 7200"
grep -q "c0: adding address $DHCPCD_ADDRESS/128" "$WORK/dhcpcd.log" || fail "dhcpcd did not add $DHCPCD_ADDRESS/128"
c0_has "inet6 $DHCPCD_ADDRESS/128 " || fail "$DHCPCD_ADDRESS is not on c0"
# Rapid Commit: the Solicit's answer is the Reply, no Request.
grep -Eq "dhcp6.decision SOLICIT->REPLY mac=[0-9a-f:]{17} duid=00:03:00:01:[0-9a-f:]{17} arch=- client=firmware rule=any url=tftp://\[2001:db8::1\]/ipxe.efi address=$DHCPCD_ADDRESS relayed=false" "$WORK/ringboot.log" ||
  fail "no SOLICIT->REPLY (Rapid Commit) for dhcpcd's DUID-LL and $DHCPCD_ADDRESS: $(grep dhcp6.decision "$WORK/ringboot.log" | tail -n 2)"
# dhcpcd -U: the lease file, read back by dhcpcd itself.
"${DHCPCD_NS[@]}" -6 -U c0 >"$WORK/dhcpcd-dump.log" 2>&1 || fail "dhcpcd -6 -U c0 failed: $(cat "$WORK/dhcpcd-dump.log")"
grep -qx "dhcp6_ia_na1_ia_addr1=$DHCPCD_ADDRESS" "$WORK/dhcpcd-dump.log" ||
  fail "dhcpcd -U shows no address $DHCPCD_ADDRESS: $(cat "$WORK/dhcpcd-dump.log")"
grep -qx 'dhcp6_bootfile_url=tftp://\[2001:db8::1\]/ipxe.efi' "$WORK/dhcpcd-dump.log" ||
  fail "dhcpcd -U shows no boot URL: $(cat "$WORK/dhcpcd-dump.log")"
grep -qx 'dhcp6_rapid_commit=' "$WORK/dhcpcd-dump.log" || fail "the Reply dhcpcd kept has no Rapid Commit option"
note "dhcpcd -6: SOLICIT->REPLY $DHCPCD_ADDRESS, -U shows $(grep -x 'dhcp6_bootfile_url=.*' "$WORK/dhcpcd-dump.log")"

note "dhcpcd -6 -k: Release"
# -k signals the PID in the pid file (SIGALRM: release, then exit).
"${DHCPCD_NS[@]}" -6 -k c0 >"$WORK/dhcpcd-release.log" 2>&1 || fail "dhcpcd -6 -k c0 failed: $(cat "$WORK/dhcpcd-release.log")"
grep -q "sending signal ALRM to pid $DHCPCD_PID" "$WORK/dhcpcd-release.log" ||
  fail "dhcpcd -k did not signal PID $DHCPCD_PID: $(cat "$WORK/dhcpcd-release.log")"
for _ in $(seq 100); do kill -0 "$DHCPCD_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DHCPCD_PID" 2>/dev/null; then
  kill "$DHCPCD_PID"
  fail "dhcpcd (PID $DHCPCD_PID) did not exit within 10 s of its release"
fi
wait "$DHCPCD_PID" 2>/dev/null || true
grep -q "dhcp6.decision RELEASE->REPLY .* address=$DHCPCD_ADDRESS " "$WORK/ringboot.log" || fail "no RELEASE->REPLY for $DHCPCD_ADDRESS"
grep -q 'c0: broadcasting RELEASE6' "$WORK/dhcpcd.log" || fail "dhcpcd sent no Release"
! c0_has "inet6 $DHCPCD_ADDRESS/" || fail "$DHCPCD_ADDRESS is still on c0 after the release"

note "busybox udhcpc6 (Debian's busybox source with the applet on): Solicit .. Reply, the boot URL, Release"
# In the foreground until bound; then SIGUSR2 makes it unicast a Release to the server, SIGTERM ends it.
# (-q -R would not do: udhcpc6 1.35 exits on -q before it counts itself bound, and then releases nothing.)
# -O bootfile_url: option 59 in its Option Request.
# Its script records each event and, as a real one does, puts a bound address on the link (udhcpc6
# sends its Release from that address) and takes it off at deconfig.
cat >"$WORK/udhcpc6-script.sh" <<SCRIPT
#!/bin/sh
{ echo "== \$1"; env | sort; } >>"$WORK/udhcpc6-env"
case "\$1" in
  bound) ip -6 addr add "\$ipv6/128" dev "\$interface" nodad ;;
  deconfig) ip -6 addr flush dev "\$interface" scope global ;;
esac
SCRIPT
chmod +x "$WORK/udhcpc6-script.sh"
ip netns exec "$(ns cli)" "$UDHCPC6" udhcpc6 -i c0 -s "$WORK/udhcpc6-script.sh" -f -t 4 -T 2 -O bootfile_url \
  >"$WORK/udhcpc6.log" 2>&1 &
UDHCPC6_PID=$!
PIDS+=("$UDHCPC6_PID")
wait_event "$UDHCPC6_PID" "$WORK/udhcpc6-env" bound 10 "$WORK/udhcpc6.log" udhcpc6
awk '/^== / { on = ($2 == "bound") } on' "$WORK/udhcpc6-env" >"$WORK/udhcpc6-bound"
# udhcpc6 writes addresses in full (2001:0db8:0000:...): compare them in RFC 5952 form.
rfc5952() { python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]))' "$1"; }
UDHCPC6_ADDRESS=$(rfc5952 "$(sed -n 's/^ipv6=//p' "$WORK/udhcpc6-bound")") ||
  fail "udhcpc6's bound event has no address: $(cat "$WORK/udhcpc6-bound")"
[[ $UDHCPC6_ADDRESS =~ ^2001:db8::[1-9a-f][0-9a-f]{2,3}$ ]] ||
  fail "udhcpc6's address '$UDHCPC6_ADDRESS' is not in 2001:db8::100-ffff: $(cat "$WORK/udhcpc6-bound")"
grep -qx 'bootfile_url=tftp://\[2001:db8::1\]/ipxe.efi' "$WORK/udhcpc6-bound" ||
  fail "udhcpc6's bound event has no boot URL tftp://[2001:db8::1]/ipxe.efi: $(cat "$WORK/udhcpc6-bound")"
[[ $(rfc5952 "$(sed -n 's/^dns=//p' "$WORK/udhcpc6-bound")") == 2001:db8::53 ]] ||
  fail "udhcpc6's bound event has no DNS server 2001:db8::53: $(cat "$WORK/udhcpc6-bound")"
# Its log has the valid lifetime; the script's $lease is that number in host byte order (busybox 1.35
# exports it without ntohl: 7200 shows as 538705920), so the log is what is checked.
grep -q 'udhcpc6: IPv6 obtained, lease time 7200$' "$WORK/udhcpc6.log" ||
  fail "udhcpc6 did not log a valid lifetime of 7200: $(tail -n 5 "$WORK/udhcpc6.log")"
grep -Eq "dhcp6.decision (SOLICIT->REPLY|REQUEST->REPLY) .* address=$UDHCPC6_ADDRESS " "$WORK/ringboot.log" ||
  fail "ringboot logged no Reply binding $UDHCPC6_ADDRESS: $(grep dhcp6.decision "$WORK/ringboot.log" | tail -n 3)"
c0_has "inet6 $UDHCPC6_ADDRESS/128 " || fail "udhcpc6's script did not put $UDHCPC6_ADDRESS on c0"
kill -USR2 "$UDHCPC6_PID"
for _ in $(seq 50); do
  grep -q "dhcp6.decision RELEASE->REPLY .* address=$UDHCPC6_ADDRESS " "$WORK/ringboot.log" && break
  sleep 0.1
done
grep -q "dhcp6.decision RELEASE->REPLY .* address=$UDHCPC6_ADDRESS " "$WORK/ringboot.log" ||
  fail "udhcpc6 (SIGUSR2): no RELEASE->REPLY for $UDHCPC6_ADDRESS: $(tail -n 5 "$WORK/udhcpc6.log")"
grep -q 'udhcpc6: unicasting a release' "$WORK/udhcpc6.log" || fail "udhcpc6 did not log its Release"
kill "$UDHCPC6_PID"
wait "$UDHCPC6_PID" 2>/dev/null || true
note "udhcpc6: $UDHCPC6_ADDRESS, $(grep -x 'bootfile_url=.*' "$WORK/udhcpc6-bound"), released"

[[ $(md5sum </etc/resolv.conf) == "$RESOLV_BEFORE" ]] || fail "a client changed the host's /etc/resolv.conf"
[[ ! -e /run/dhcpcd/c0-6.pid ]] || fail "dhcpcd wrote its pid file on the host's /run"
note "PASS dhcp6_clients"
