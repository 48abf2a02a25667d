#!/usr/bin/env bash
# The fleet over IPv6 with real clients on loopback: one ringboot with TFTP
# and HTTP on 127.0.0.1 and [::1] and the API on [::1] only.
# - curl -6 asks /ipxe for a machine: its peer, ::1, is the machine's ip6;
#   curl -6 fetches the kernel over HTTP and tftp-hpa -6 the initrd over
#   TFTP, and both land on its timeline (kernel, then installing), shown by
#   the API over IPv6 (curl -6 with a read token);
# - the same machine asks /ipxe over IPv4 too: it holds ip 127.0.0.1 and ip6
#   ::1 at once, and a fetch of either family is its;
# - a restart: the store kept ip and ip6 (sqlite3 reads them), the API shows
#   both, and an IPv6 fetch lands on the machine again.
# A DHCPv6 binding as the source of ip6 waits for the DHCPv6 service to
# report it (src/app/dhcp6_service.cc): here the address comes from the
# /ipxe peer, as iPXE's would.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need tftp sqlite3
"$PY" -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null ||
  fail "no IPv6 on loopback (::1): enable it (sysctl net.ipv6.conf.lo.disable_ipv6=0)"

ROOT=$WORK/root
OUT=$WORK/out
mkdir -p "$ROOT/debian12" "$OUT" "$STATE_DIR"
random_file "$ROOT/debian12/linux" 70000
random_file "$ROOT/debian12/initrd.gz" 30000
READ=readreadreadread0123456789abcdef
printf 'read %s\n' "$READ" >"$WORK/api-tokens"
chmod 0600 "$WORK/api-tokens"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<TOML
state_dir = "$STATE_DIR"

[api]
tokens_file = "$WORK/api-tokens"

[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
initrd = ["{{http_base}}/debian12/initrd.gz"]
cmdline = "auto=true ringboot.done={{done_url}}"

[[group]]
name = "rack1"
match = { mac = "52:54:00" }
profile = "debian12"
once = false
TOML

TFTP_PORT=$(pick_port)
HTTP_PORT=$(pick_port)
API_PORT=$(pick_port)
B6="http://[::1]:$HTTP_PORT"
B4="http://127.0.0.1:$HTTP_PORT"
API="http://[::1]:$API_PORT"
MAC=52-54-00-00-00-66
start() {
  TFTP_LISTEN="127.0.0.1:$TFTP_PORT,[::1]:$TFTP_PORT" HTTP_LISTEN="127.0.0.1:$HTTP_PORT,[::1]:$HTTP_PORT" \
    start_ringboot "$ROOT" 127.0.0.1 "$TFTP_PORT" "$WORK/ringboot.log" "" --config "$CONFIG" \
    --api-listen "[::1]:$API_PORT"
  wait_http "$API/" "the API on [::1]:$API_PORT"
}
# machine: the API's view of the machine, over IPv6, into $OUT/m.
machine() {
  local code
  code=$(curl -6 -s --max-time 10 -o "$OUT/m" -w '%{http_code}' -H "Authorization: Bearer $READ" \
    "$API/api/v1/machines/$MAC") || fail "curl -6 the API"
  expect "GET /api/v1/machines/$MAC over IPv6" "$code" 200
}
# field PATH: a value of $OUT/m by a Python subscript path ("timeline.0.step").
field() {
  "$PY" - "$OUT/m" "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}
# steps: the timeline's steps and details, one a line.
steps() { "$PY" -c 'import json, sys; [print(e["step"], e["detail"]) for e in json.load(open(sys.argv[1]))["timeline"]]' "$OUT/m"; }
# ipxe BASE: one /ipxe decision for $MAC; an install script required.
ipxe() {
  curl -s --max-time 10 -o "$OUT/s" "$1/ipxe?mac=$MAC&buildarch=x86_64&platform=efi" || fail "curl $1/ipxe"
  grep -qF "kernel $1/debian12/linux " "$OUT/s" || fail "no install script from $1/ipxe: $(cat "$OUT/s")"
}
# await_step REGEX WHAT [N]: the API shows N (1) timeline steps matching REGEX ("STEP DETAIL") within
# ~5 s (a transfer is reported after its last byte: the client may return first).
await_step() {
  local n=${3:-1} _
  for _ in $(seq 50); do
    machine
    (($(steps | grep -cE -- "$1") >= n)) && return 0
    sleep 0.1
  done
  fail "$2: not $n steps matching /$1/ on the machine's timeline: $(steps)"
}

start
note "/ipxe over IPv6: the peer ::1 is the machine's ip6, and its IPv6 fetches are its"
ipxe "$B6"
machine
expect "ip6 after /ipxe over IPv6" "$(field ip6)" "::1"
expect "ip after /ipxe over IPv6" "$(field ip)" "null"
expect "stage after /ipxe" "$(field stage)" "script"
curl -6 -s --max-time 10 -o "$OUT/linux" "$B6/debian12/linux" || fail "curl -6 the kernel"
same "$ROOT/debian12/linux" "$OUT/linux" "the kernel over HTTP/IPv6"
await_step '^kernel_fetch http path="/debian12/linux" status=200 bytes=[0-9]+ ' "the kernel over HTTP/IPv6"
expect "stage after the kernel over HTTP/IPv6" "$(field stage)" kernel
timeout 30 tftp -6 -m binary ::1 "$TFTP_PORT" -c get debian12/initrd.gz "$OUT/initrd" >"$WORK/client.out" 2>&1 ||
  fail "tftp -6 the initrd: $(head -c 300 "$WORK/client.out")"
same "$ROOT/debian12/initrd.gz" "$OUT/initrd" "the initrd over TFTP/IPv6"
await_step '^handoff tftp file="debian12/initrd.gz" bytes=30000 .*result=ok$' "the initrd over TFTP/IPv6"
expect "stage after the initrd over TFTP/IPv6" "$(field stage)" installing

note "the same machine over IPv4 too: ip and ip6 at once, a fetch of either family is its"
ipxe "$B4"
machine
expect "ip after /ipxe over IPv4" "$(field ip)" "127.0.0.1"
expect "ip6 kept after /ipxe over IPv4" "$(field ip6)" "::1"
expect "stage after /ipxe over IPv4" "$(field stage)" script
curl -4 -s --max-time 10 -o "$OUT/linux4" "$B4/debian12/linux" || fail "curl -4 the kernel"
await_step '^kernel_fetch http' "the kernel over HTTP/IPv4" 2
timeout 30 tftp -6 -m binary ::1 "$TFTP_PORT" -c get debian12/initrd.gz "$OUT/initrd2" >"$WORK/client.out" 2>&1 ||
  fail "tftp -6 the initrd again: $(head -c 300 "$WORK/client.out")"
await_step '^handoff tftp' "the initrd over TFTP/IPv6 after IPv4" 2
expect "stage after the second initrd" "$(field stage)" installing
stop_ringboot

note "a restart: the store kept both addresses"
stored=$(sqlite3 -batch "$STATE_DIR/machines.db" "select ip, ip6 from machines where mac = '52:54:00:00:00:66'")
expect "the stored addresses" "$stored" "127.0.0.1|::1"
start
machine
expect "ip after the restart" "$(field ip)" "127.0.0.1"
expect "ip6 after the restart" "$(field ip6)" "::1"
# The timeline starts afresh with a restart (not stored): the fetch is a step of no stage, but the machine's.
curl -6 -s --max-time 10 -o /dev/null "$B6/debian12/linux" || fail "curl -6 the kernel after the restart"
await_step '^other http path="/debian12/linux" status=200 ' "an IPv6 fetch after the restart"
stop_ringboot
echo "fleet_ipv6: ok"
