#!/usr/bin/env bash
# A small boot storm (issue 12): `ringboot-bench storm` plays 100 machines at once through the whole chain
# against ringboot in DHCP server mode with the fleet on, relayed from a second namespace (one relay socket on
# 10.79.1.1:67, each machine's TFTP and HTTP from its leased address, routed `local` there):
# EDK2 DHCP -> TFTP ipxe.efi (tsize probe, abort, blksize 1468 windowsize 4) -> iPXE DHCP -> /boot.ipxe ->
# its chain to /ipxe?mac=... (the machine's install script) -> kernel and initrd (random bytes, checked byte for
# byte) -> POST of the script's done URL. Asserts: zero failed machines, every machine `done` in the admin API
# (GET /api/v1/machines), and one machine's timeline with the chain's steps in order. No timing asserts.
# DHCP_MODE l2: no relay, the storm on ringboot's L2 instead (p0 without an address, 10.79.0.0/16 on-link, each
# machine's DHCP broadcast from 0.0.0.0:68, the server ARPing for each leased address).
# DHCP_MODE proxy: l2, with ringboot a proxyDHCP beside the site's address server: ringboot's side is a bridge
# (s0 and a veth to a third namespace, where a dnsmasq that knows nothing of booting hands out the addresses);
# each machine takes its address from dnsmasq and its boot file from ringboot's port 4011, as EDK2 and iPXE do
# beside a proxy (bench/storm.cc). The API must still see every machine through the whole chain.
# Usage: storm_small.sh RINGBOOT RINGBOOT_BENCH [MACHINES] [DHCP_MODE: relay|l2|proxy]. Needs root (namespaces).
RINGBOOT=${1:-}
BENCH=${2:-}
MACHINES=${3:-100}
DHCP_MODE=${4:-relay}
source "$(dirname "$0")/lib.sh"
need_root
need ip curl
[[ -x $BENCH ]] || fail "usage: $0 RINGBOOT RINGBOOT_BENCH (no ringboot-bench at '$BENCH'; configure with -DRINGBOOT_BENCH=ON)"
[[ $DHCP_MODE == relay || $DHCP_MODE == l2 || $DHCP_MODE == proxy ]] ||
  fail "DHCP_MODE is relay, l2 or proxy, not '$DHCP_MODE'"
[[ $DHCP_MODE != proxy ]] || need dnsmasq
IFACE=s0
[[ $DHCP_MODE != proxy ]] || IFACE=br0

ROOT=$WORK/root
mkdir -p "$ROOT/debian12" "$WORK/out"
OUT=$WORK/out
# The loader at ipxe.efi's size, the kernel and initrd at Debian 12 netboot's (linux, initrd.gz): random bytes,
# so a byte served from the wrong offset or file is caught.
head -c 850528 /dev/urandom >"$ROOT/ipxe.efi"
head -c 8222656 /dev/urandom >"$ROOT/debian12/linux"
head -c 40810276 /dev/urandom >"$ROOT/debian12/initrd.gz"
chmod -R a+rX "$WORK"

ADMIN=adminadminadmin0123456789abcdef
TOKENS=$WORK/api-tokens
printf 'admin %s storm\n' "$ADMIN" >"$TOKENS"
chmod 0600 "$TOKENS"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<TOML
[dhcp]
mode = "$([[ $DHCP_MODE == proxy ]] && echo proxy || echo server)"
interface = "$IFACE"
server_address = "10.79.0.1"
lease_file = "$WORK/leases"
conflict_check = "none"

[[dhcp.boot]]
match = { ipxe = true }
file = "http://10.79.0.1/boot.ipxe"
[[dhcp.boot]]
match = { arch = [7, 9] }
file = "ipxe.efi"

$([[ $DHCP_MODE == proxy ]] || printf '%s\n' '[[dhcp.subnet]]' 'cidr = "10.79.0.0/16"' \
  'range = ["10.79.2.0", "10.79.255.254"]' 'router = "10.79.0.1"' 'lease_seconds = 3600')

[api]
tokens_file = "$TOKENS"

[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
initrd = ["{{http_base}}/debian12/initrd.gz"]
cmdline = "auto=true priority=critical ringboot.done={{done_url}}"

[[group]]
name = "storm"
match = { mac = "52:54:00" }
profile = "debian12"
once = true
TOML

note "namespaces: ringboot on $IFACE (10.79.0.1/16), the storm on p0 ($DHCP_MODE) with the pool routed local"
make_ns srv
make_ns cli
link srv s0 cli p0
if [[ $DHCP_MODE == proxy ]]; then
  make_ns adr
  inns srv ip link add br0 type bridge
  inns srv ip link set s0 master br0
  link srv a1 adr a0
  inns srv ip link set a1 master br0
  inns srv ip link set br0 up
  inns adr ip addr add 10.79.0.2/16 dev a0
  # The site's DHCP server: addresses only, the same pool; nothing about booting.
  inns adr dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --interface=a0 --bind-interfaces \
    --dhcp-range=10.79.2.0,10.79.255.254,255.255.0.0,1h --no-ping --dhcp-leasefile="$WORK/address-server.leases" \
    --pid-file="$WORK/address-server.pid" --log-facility="$WORK/address-server.log" >"$WORK/address-server.out" 2>&1 &
  PIDS+=("$!")
fi
inns srv ip addr add 10.79.0.1/16 dev "$IFACE"
if [[ $DHCP_MODE == relay ]]; then
  inns cli ip addr add 10.79.1.1/16 dev p0
  STORM_DHCP=(--dhcp-mode relay --relay 10.79.1.1)
else
  inns cli ip route add 10.79.0.0/16 dev p0
  # The server's ARP for a leased address (local on lo, not on p0) is answered only with arp_ignore 0.
  inns cli sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.p0.arp_ignore=0
  STORM_DHCP=(--dhcp-mode "$DHCP_MODE" --interface p0)
fi
# The pool (10.79.2.0-10.79.255.255) is local in the client's namespace, so each machine binds its leased
# address; relayed, the server reaches it through 10.79.1.1 (a route, not an ARP entry per machine), on one L2
# by an ARP entry per machine.
for prefix in 10.79.2.0/23 10.79.4.0/22 10.79.8.0/21 10.79.16.0/20 10.79.32.0/19 10.79.64.0/18 10.79.128.0/17; do
  inns cli ip route add local "$prefix" dev lo
  [[ $DHCP_MODE != relay ]] || inns srv ip route add "$prefix" via 10.79.1.1
done

RINGBOOT_LOG=$WORK/ringboot.log
inns srv "$RINGBOOT" --config "$CONFIG" --root "$ROOT" --set "state_dir=$STATE_DIR" --tftp-listen 10.79.0.1:69 \
  --http-listen 10.79.0.1:80 --api-listen 127.0.0.1:8081 --threads 2 --log-level warn >"$RINGBOOT_LOG" 2>&1 &
RINGBOOT_PID=$!
PIDS+=("$RINGBOOT_PID")
for _ in $(seq 100); do
  kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "ringboot exited at start: $(tail -n 5 "$RINGBOOT_LOG")"
  inns srv curl -fsS -o /dev/null http://10.79.0.1/boot.ipxe 2>/dev/null &&
    [[ -n $(inns srv ss -Hlun 'sport = :67') ]] &&
    { [[ $DHCP_MODE != proxy ]] || [[ -n $(inns adr ss -Hlun 'sport = :67') ]]; } && break
  sleep 0.1
done
inns srv curl -fsS -o /dev/null http://10.79.0.1/boot.ipxe || fail "ringboot does not answer HTTP on 10.79.0.1:80"

note "the storm: $MACHINES machines at once, DHCP $DHCP_MODE"
inns cli "$BENCH" storm --machines "$MACHINES" --server 10.79.0.1 "${STORM_DHCP[@]}" --root "$ROOT" \
  --server-pid "$RINGBOOT_PID" --time-limit 600 --json >"$OUT/storm.json" 2>"$OUT/storm.err" ||
  fail "the storm failed: $(cat "$OUT/storm.json" "$OUT/storm.err")"
cat "$OUT/storm.json"
"$PY" - "$OUT/storm.json" "$MACHINES" "$DHCP_MODE" <<'PY' || fail "the storm's report (above)"
import json, sys
r = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
problems = []
if r["dhcp_mode"] != sys.argv[3]:
    problems.append("dhcp_mode %s, not %s" % (r["dhcp_mode"], sys.argv[3]))
if r["machines"] != n or r["ok"] != n or r["failed"] != 0:
    problems.append("machines %s ok %s failed %s (want %d, %d, 0): %s" % (r["machines"], r["ok"], r["failed"], n, n, r["failures"]))
if r["all_in_installer_s"] is None:
    problems.append("no all_in_installer_s")
per_machine = 850528 + 8222656 + 40810276
if r["bytes_tftp"] < 850528 * n or r["bytes_http"] < (8222656 + 40810276) * n:
    problems.append("bytes %s TFTP %s HTTP: less than %d machines' files" % (r["bytes_tftp"], r["bytes_http"], n))
for stage in ("dhcp_pxe", "tftp", "dhcp_ipxe", "script", "kernel", "initrd", "done"):
    if r["stages"][stage]["max_s"] <= 0:
        problems.append("stage %s never measured" % stage)
for p in problems:
    print("storm report:", p)
sys.exit(1 if problems else 0)
PY

note "the API: every machine done, one machine's timeline in order"
inns srv curl -fsS --max-time 10 -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:8081/api/v1/machines" \
  -o "$OUT/machines.json" || fail "GET /api/v1/machines failed"
ONE=$((MACHINES > 42 ? 42 : MACHINES - 1))  # one machine from the middle of the storm
MAC=$(printf '52:54:00:%02x:%02x:%02x' $((ONE >> 16 & 255)) $((ONE >> 8 & 255)) $((ONE & 255)))
inns srv curl -fsS --max-time 10 -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:8081/api/v1/machines/$MAC" \
  -o "$OUT/machine.json" || fail "GET /api/v1/machines/$MAC failed"
"$PY" - "$OUT/machines.json" "$OUT/machine.json" "$MACHINES" <<'PY' || fail "the API's view of the storm (above)"
import json, sys
listing, one, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
machines = listing["machines"] if isinstance(listing, dict) else listing
ok = True
want = {"52:54:00:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255) for i in range(n)}
stages = {m["mac"]: m["stage"] for m in machines}
missing = sorted(want - stages.keys())
not_done = sorted(mac for mac in want & stages.keys() if stages[mac] != "done")
if missing or not_done:
    print("api: %d machines missing (%s), %d not done (%s)" % (len(missing), missing[:3], len(not_done),
          ["%s=%s" % (m, stages[m]) for m in not_done[:3]]))
    ok = False
steps = [(e["time"], e["step"]) for e in one.get("timeline", [])]
print("api: %s stage=%s timeline=%s" % (one.get("mac"), one.get("stage"), " ".join(s for _, s in steps)))
# One initrd: its fetch is the handoff step (the last initrd of the script)
order = ["dhcp_firmware", "loader_fetch", "dhcp_loader", "script", "kernel_fetch", "handoff", "done"]
i, times = 0, []
for t, s in steps:
    if i < len(order) and s == order[i]:
        times.append(t)
        i += 1
if i < len(order):
    print("api: step %r (and those after it) missing from the timeline, in order %s" % (order[i], order))
    ok = False
if times != sorted(times):
    print("api: the steps' times go back: %s" % times)
    ok = False
sys.exit(0 if ok else 1)
PY
kill -0 "$RINGBOOT_PID" || fail "ringboot died during the storm"
note "ok: $MACHINES machines in the installer and done, none failed"
