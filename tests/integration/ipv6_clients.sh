#!/usr/bin/env bash
# TFTP and HTTP over IPv6 with real clients, every download compared byte for
# byte with its source.
# On loopback: one ringboot listening on 127.0.0.1:P and [::1]:P (TFTP and
# HTTP, one port each for both families) and /metrics on [::1]:M of its own;
#   tftp-hpa -6, atftp (blksize, windowsize, tsize), curl tftp://[::1], busybox
#   tftp over IPv6 and the same over IPv4 on the same port; curl and wget
#   http://[::1]; the logs print the IPv6 peers in RFC 5952 form ([::1]:N),
#   /metrics (scraped over IPv6) counts the transfers of both families.
# In two namespaces on a 1500-byte veth (needs root):
#   - the MTU clamp: blksize 8192 asked, 1448 answered (1468 over IPv4);
#   - IPV6_RECVPKTINFO: a request to the server's second address is answered
#     from that address, not the first;
#   - the rate limit counts an IPv6 client by its /64: a second address of
#     the same /64 is limited, one of another /64 is not.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
need tftp atftp curl wget busybox head ip
busybox --list | grep -x tftp >/dev/null || fail "this busybox has no tftp applet"
"$PY" -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null ||
  fail "no IPv6 on loopback (::1): enable it (sysctl net.ipv6.conf.lo.disable_ipv6=0)"

ROOT=$WORK/root
OUT=$WORK/out
mkdir -p "$ROOT/dir" "$OUT"
head -c 1 /dev/urandom >"$ROOT/one"
head -c $((1448 * 3)) /dev/urandom >"$ROOT/b4344"
head -c 3000017 /dev/urandom >"$ROOT/m3"
head -c 700 /dev/urandom >"$ROOT/dir/file"

# --- loopback: both families on one port -------------------------------------
PORT=$(pick_port)
HTTP_PORT=$(pick_port)
METRICS_PORT=$(pick_port)
TFTP_LISTEN="127.0.0.1:$PORT,[::1]:$PORT" HTTP_LISTEN="127.0.0.1:$HTTP_PORT,[::1]:$HTTP_PORT" \
  start_ringboot "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot.log" "" --metrics-listen "[::1]:$METRICS_PORT"
grep -qF "tftp=127.0.0.1:$PORT,[::1]:$PORT http=127.0.0.1:$HTTP_PORT,[::1]:$HTTP_PORT" "$WORK/ringboot.log" ||
  fail "the start-up line does not list both listeners: $(grep ringboot.started "$WORK/ringboot.log")"

V6=0 V4=0 N=0
# fetch CLIENT REMOTE: downloads REMOTE with CLIENT and compares it with its source.
fetch() {
  local client=$1 remote=$2 out="$OUT/$((N += 1))"
  local -a cmd
  case $client in
    hpa6)       cmd=(tftp -6 -m binary ::1 "$PORT" -c get "$remote" "$out") ;;
    atftp6)     cmd=(atftp -g -r "$remote" -l "$out" ::1 "$PORT") ;;
    atftp6-all) cmd=(atftp --option "tsize" --option "blksize 1428" --option "windowsize 8"
                     -g -r "$remote" -l "$out" ::1 "$PORT") ;;
    curl6)      cmd=(curl -sS -o "$out" "tftp://[::1]:$PORT/$remote") ;;
    curl6-blk)  cmd=(curl -sS --tftp-blksize 1428 -o "$out" "tftp://[::1]:$PORT/$remote") ;;
    busybox6)   cmd=(busybox tftp -b 1428 -g -r "$remote" -l "$out" ::1 "$PORT") ;;
    hpa4)       cmd=(tftp -4 -m binary 127.0.0.1 "$PORT" -c get "$remote" "$out") ;;
    curl4)      cmd=(curl -sS -o "$out" "tftp://127.0.0.1:$PORT/$remote") ;;
    *) fail "unknown client $client" ;;
  esac
  timeout 60 "${cmd[@]}" >"$WORK/client.out" 2>&1 || fail "$client get $remote: exit $? ($(head -c 300 "$WORK/client.out"))"
  same "$ROOT/$remote" "$out" "$client get $remote"
  if [[ $client == *4 ]]; then V4=$((V4 + 1)); else V6=$((V6 + 1)); fi
}

note "TFTP over IPv6 and IPv4 on one port"
for f in one b4344 m3 dir/file; do
  for client in hpa6 atftp6 atftp6-all curl6 curl6-blk busybox6 hpa4 curl4; do fetch "$client" "$f"; done
done
await_log 'tftp\.transfer client=\[::1\]:[0-9]+ file="m3" bytes=3000017 .*result=ok' 6 "IPv6 transfers of m3"
await_log 'tftp\.transfer client=127\.0\.0\.1:[0-9]+ file="m3" bytes=3000017 .*result=ok' 2 "IPv4 transfers of m3"
# No address printed any other way (::0:1, 0:0:0:0:0:0:0:1, upper case).
(( $(log_count 'client=[^ ]*(0:0:|::0|[A-F])') == 0 )) || fail "an address not in RFC 5952 form: $(grep -E 'client=[^ ]*(0:0:|::0|[A-F])' "$RINGBOOT_LOG" | head -2)"

note "HTTP over IPv6 (curl, wget) and IPv4"
H=0
for f in one b4344 m3 dir/file; do
  curl -sS -o "$OUT/h$((H += 1))" "http://[::1]:$HTTP_PORT/$f" || fail "curl -6 $f"
  same "$ROOT/$f" "$OUT/h$H" "curl http://[::1]/$f"
  wget -q -O "$OUT/h$((H += 1))" "http://[::1]:$HTTP_PORT/$f" || fail "wget -6 $f"
  same "$ROOT/$f" "$OUT/h$H" "wget http://[::1]/$f"
  curl -sS -o "$OUT/h$((H += 1))" "http://127.0.0.1:$HTTP_PORT/$f" || fail "curl -4 $f"
  same "$ROOT/$f" "$OUT/h$H" "curl http://127.0.0.1/$f"
done
await_log 'http\.response client=\[::1\]:[0-9]+ method=GET path="/m3" status=200' 2 "IPv6 HTTP responses"
curl -sS -o /dev/null -w '%{http_code}' "http://[::1]:$HTTP_PORT/nope" | grep -qx 404 || fail "a missing file over IPv6 is not 404"

note "/metrics over IPv6 on a listener of its own"
curl -sS "http://[::1]:$METRICS_PORT/metrics" >"$WORK/metrics.txt" || fail "no /metrics on [::1]:$METRICS_PORT"
metric() { awk -v name="$1" '$1 == name { print $2 }' "$WORK/metrics.txt"; }
[[ $(metric 'ringboot_tftp_transfers_total{result="ok"}') == $((V4 + V6)) ]] ||
  fail "ringboot_tftp_transfers_total{result=\"ok\"} is $(metric 'ringboot_tftp_transfers_total{result="ok"}'), expected $((V4 + V6)) ($V6 over IPv6)"
(( $(metric 'ringboot_http_responses_total{class="2xx"}') >= H )) || fail "HTTP 2xx responses under $H"
# The metrics listener serves /metrics only; the boot listeners keep the files.
curl -sS -o /dev/null -w '%{http_code}' "http://[::1]:$METRICS_PORT/one" | grep -qx 404 || fail "a file on the metrics listener"
stop_ringboot

# --- namespaces: MTU clamp, local address, /64 rate limit ---------------------
if [[ $(id -u) -ne 0 ]]; then fail "the namespace half of $(basename "$0") needs root (network namespaces)"; fi
note "namespaces on a 1500-byte link"
make_ns srv
make_ns cli
link srv v6s cli v6c
ip -n "$(ns srv)" link set v6s mtu 1500
ip -n "$(ns cli)" link set v6c mtu 1500
ip -n "$(ns srv)" addr add 2001:db8:1::1/64 dev v6s nodad
ip -n "$(ns srv)" addr add 2001:db8:1::3/64 dev v6s nodad
ip -n "$(ns srv)" addr add 2001:db8:2::1/64 dev v6s nodad
ip -n "$(ns srv)" addr add 10.213.0.1/24 dev v6s
ip -n "$(ns cli)" addr add 2001:db8:1::2/64 dev v6c nodad
ip -n "$(ns cli)" addr add 2001:db8:2::2/64 dev v6c nodad
ip -n "$(ns cli)" addr add 10.213.0.2/24 dev v6c
PORT=69
# One request per second per client, burst 1: the second request within the second is dropped.
TFTP_LISTEN="0.0.0.0:$PORT,[::]:$PORT" start_ringboot "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot-ns.log" "$(ns srv)" \
  --set tftp.requests_per_second_per_client=1 --set tftp.rate_limit_burst=1

inns cli atftp --option "blksize 8192" -g -r m3 -l "$OUT/ns6" 2001:db8:1::1 "$PORT" >"$WORK/client.out" 2>&1 ||
  fail "atftp over IPv6 in the namespace: $(head -c 300 "$WORK/client.out")"
same "$ROOT/m3" "$OUT/ns6" "atftp blksize 8192 over IPv6"
await_log 'tftp\.transfer client=\[2001:db8:1:[0-9a-f:]*\]:[0-9]+ file="m3" bytes=3000017 sent_bytes=[0-9]+ blksize=1448 ' 1 \
  "the IPv6 MTU clamp (1500 - 40 - 8 - 4 = 1448)"
inns cli atftp --option "blksize 8192" -g -r m3 -l "$OUT/ns4" 10.213.0.1 "$PORT" >"$WORK/client.out" 2>&1 ||
  fail "atftp over IPv4 in the namespace: $(head -c 300 "$WORK/client.out")"
same "$ROOT/m3" "$OUT/ns4" "atftp blksize 8192 over IPv4"
await_log 'tftp\.transfer client=10\.213\.0\.2:[0-9]+ file="m3" bytes=3000017 sent_bytes=[0-9]+ blksize=1468 ' 1 \
  "the IPv4 MTU clamp (1500 - 20 - 8 - 4 = 1468)"

# A second address in the client's /64 (added now: atftp above would have picked it as its source).
ip -n "$(ns cli)" addr add 2001:db8:1:0:abcd::22/64 dev v6c nodad
sleep 1.1  # the rate limit's bucket refills (a wait before the checks, not a timed assertion)
# probe SOURCE SERVER: one RRQ for "one" from SOURCE; prints "answered FROM" or "silent".
probe() {
  inns cli "$PY" - "$1" "$2" "$PORT" <<'PY'
import socket, sys
src, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(1.5)
s.sendto(b"\x00\x01one\x00octet\x00", (server, port))
try:
    data, addr = s.recvfrom(2048)
except socket.timeout:
    print("silent")
    sys.exit(0)
if data[:2] == b"\x00\x03":  # DATA 1: acknowledge it so the session ends at once
    s.sendto(b"\x00\x04" + data[2:4], addr)
print("answered", addr[0])
PY
}
note "IPV6_RECVPKTINFO: the answer comes from the address asked"
got=$(probe 2001:db8:1::2 2001:db8:1::3)
[[ $got == "answered 2001:db8:1::3" ]] || fail "a request to 2001:db8:1::3 was $got (expected the answer from ::3)"
note "the rate limit keys an IPv6 client by its /64"
got=$(probe 2001:db8:1:0:abcd::22 2001:db8:1::1)
[[ $got == silent ]] || fail "another address of the same /64 within the second was $got (expected silent: rate limited)"
got=$(probe 2001:db8:2::2 2001:db8:1::1)
[[ $got == "answered 2001:db8:1::1" ]] || fail "a client of another /64 was $got (expected an answer)"
(( $(log_count 'tftp\.transfer client=\[2001:db8:1:0:abcd::22\]') == 0 )) || fail "the rate-limited client got a transfer"
echo "PASS"
