#!/usr/bin/env bash
# A TFTP request flood (issue 7), inside two namespaces this test creates
# (10.232.X.0/24 exists only there). The client side has 80 addresses; a
# raw-socket flooder (hardening_flood.py) sends RRQs from random source
# ports of them, plus some garbage, and never ACKs: every admitted request
# holds a session until its retries run out. ringboot runs with
# sessions_max = 200 and sessions_per_client_max = 3, on one worker thread:
# sessions_per_client_max is enforced per worker thread (each has its own
# admission table and SO_REUSEPORT spreads a client's source ports over
# threads), so with N threads one address may hold N x 3 sessions and 60
# addresses could fill the global bound.
#  1. 60 flooding addresses (at most 180 sessions by the per-client bound):
#     sessions_active, scraped from /metrics every 0.1 s, never exceeds 200;
#     a tftp-hpa transfer from another address finishes byte-exact during it.
#  2. all 80 addresses (240 > 200): the global bound is reached and holds.
#  3. VmRSS before / during / after: bounded growth, no growth after.
#  4. refused{busy} rose; once the flood stops every session ends.
#  5. rate limit (SIGHUP: requests_per_second_per_client = 5): a one-address
#     flood is dropped silently and counted as refused{rate_limited}; other
#     addresses are served meanwhile; the flooder is served again later.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
source "$HERE/hardening_lib.sh"
need_root
need ip tftp curl head awk

NET=10.232.$((RANDOM % 200 + 20))
SRV=$NET.1
LEGIT=$NET.2
make_ns srv
make_ns cli
link srv s0 cli c0
ip -n "$(ns srv)" addr add "$SRV/24" dev s0
ip -n "$(ns cli)" addr add "$LEGIT/24" dev c0
FLOOD_ALL=()
for i in $(seq 10 89); do
  ip -n "$(ns cli)" addr add "$NET.$i/24" dev c0
  FLOOD_ALL+=("$NET.$i")
done
join() { local IFS=,; echo "$*"; }
FLOOD60=$(join "${FLOOD_ALL[@]:0:60}")
FLOOD80=$(join "${FLOOD_ALL[@]}")

ROOT=$WORK/root
mkdir -p "$ROOT"
head -c 4000000 /dev/urandom >"$ROOT/flood.bin"
head -c 2000000 /dev/urandom >"$ROOT/legit.bin"
CONF=$WORK/flood.toml
write_conf() {  # write_conf RATE
  cat >"$CONF" <<TOML
[tftp]
sessions_max = 200
sessions_per_client_max = 3
rto_initial_ms = 300
rto_max_ms = 600
retries_max = 3
requests_per_second_per_client = $1
rate_limit_burst = $1
TOML
}
write_conf 0
save_logs() { [[ -n ${SAVE_LOGS:-} ]] && { cp "$WORK"/*.log "$SAVE_LOGS"/; metrics >"$SAVE_LOGS/metrics.txt"; inns srv ss -uanm >"$SAVE_LOGS/ss.txt"; inns srv ip -s link >"$SAVE_LOGS/link.txt"; } 2>/dev/null; true; }
CLEANUP_HOOKS+=(save_logs)
PORT=6969
THREADS=1 start_rb "$ROOT" "$SRV" "$PORT" "$WORK/ringboot.log" "$(ns srv)" off --config "$CONF" \
  --metrics-listen 127.0.0.1:9100
# The flood sessions' DATA goes to ports nobody listens on: their ICMP errors are noise.
metrics() { inns srv curl -sS -m 2 http://127.0.0.1:9100/metrics; }
metric() {  # metric NAME_WITH_LABELS: its value (0 when absent)
  metrics | awk -v m="$1" '$1 == m {print $2; found = 1} END {if (!found) print 0}'
}
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$RINGBOOT_PID/status"; }

# watch FLOOD_PID: scrapes until the flood ends; sets MAX_ACTIVE and MAX_RSS.
watch_flood() {
  local pid=$1 active rss
  MAX_ACTIVE=0
  MAX_RSS=0
  while kill -0 "$pid" 2>/dev/null; do
    active=$(metric ringboot_tftp_sessions_active)
    echo "$active" >>"$WORK/active.txt"
    (( active > MAX_ACTIVE )) && MAX_ACTIVE=$active
    (( active <= 200 )) || fail "ringboot_tftp_sessions_active = $active > sessions_max 200"
    rss=$(rss_kb)
    (( rss > MAX_RSS )) && MAX_RSS=$rss
    sleep 0.1
  done
}

# Warm up: one transfer, so the steady-state memory (file cache, buffers) is there.
(cd "$WORK" && inns cli tftp "$SRV" "$PORT" -m binary -c get legit.bin warm.out) || fail "warm-up transfer failed"
RSS_BEFORE=$(rss_kb)
BUSY_BEFORE=$(metric 'ringboot_tftp_refused_total{reason="busy"}')
note "RSS before: ${RSS_BEFORE} kB"

note "flood 1: 60 addresses, a legitimate transfer meanwhile"
inns cli "$PY" "$HERE/hardening_flood.py" "$SRV" "$PORT" "$FLOOD60" flood.bin --count 30000 --pps 4000 \
  --seconds 8 --garbage 0.1 >"$WORK/flood1.out" 2>"$WORK/flood1.log" &
FLOOD=$!
PIDS+=("$FLOOD")
( sleep 2; cd "$WORK" && inns cli timeout 60 tftp "$SRV" "$PORT" -m binary -c get legit.bin legit.out 2>&1 ) \
  >"$WORK/legit.log" 2>&1 &
LEGIT_PID=$!
watch_flood "$FLOOD"
wait "$FLOOD" || fail "flooder failed: $(cat "$WORK/flood1.log")"
note "flood 1: sent $(cat "$WORK/flood1.out"), max sessions_active $MAX_ACTIVE, max RSS $MAX_RSS kB"
wait "$LEGIT_PID" || fail "legitimate tftp-hpa transfer during the flood failed: $(cat "$WORK/legit.log")"
same "$ROOT/legit.bin" "$WORK/legit.out" "tftp-hpa during the flood"
grep -qE "tftp.transfer client=$LEGIT:[0-9]+ file=\"legit.bin\" bytes=2000000 .*result=ok" "$RINGBOOT_LOG" ||
  fail "the legitimate transfer is not logged ok"
(( MAX_ACTIVE >= 100 )) || fail "the flood held only $MAX_ACTIVE sessions: no pressure (expected up to 180)"
(( MAX_ACTIVE <= 181 )) || fail "per-client bound: 60 addresses x 3 = 180 (+1 legit), saw $MAX_ACTIVE"
RSS1=$MAX_RSS

note "flood 2: 80 addresses (240 possible sessions > sessions_max 200)"
inns cli "$PY" "$HERE/hardening_flood.py" "$SRV" "$PORT" "$FLOOD80" flood.bin --count 30000 --pps 4000 \
  --seconds 6 --seed 11 >"$WORK/flood2.out" 2>"$WORK/flood2.log" &
FLOOD=$!
PIDS+=("$FLOOD")
watch_flood "$FLOOD"
wait "$FLOOD" || fail "flooder failed: $(cat "$WORK/flood2.log")"
note "flood 2: sent $(cat "$WORK/flood2.out"), max sessions_active $MAX_ACTIVE, max RSS $MAX_RSS kB"
(( MAX_ACTIVE >= 190 )) || fail "flood 2 should reach the global bound (200), max seen $MAX_ACTIVE"
(( MAX_RSS > RSS1 )) && RSS1=$MAX_RSS
BUSY_AFTER=$(metric 'ringboot_tftp_refused_total{reason="busy"}')
(( BUSY_AFTER > BUSY_BEFORE )) || fail "refused{busy} did not rise ($BUSY_BEFORE -> $BUSY_AFTER)"
note "refused{busy}: $BUSY_BEFORE -> $BUSY_AFTER; malformed: $(metric ringboot_tftp_malformed_total)"

note "after the flood: sessions drain, memory flat"
for _ in $(seq 100); do (( $(metric ringboot_tftp_sessions_active) == 0 )) && break; sleep 0.1; done
(( $(metric ringboot_tftp_sessions_active) == 0 )) || fail "sessions still active 10 s after the flood"
RSS_AFTER=$(rss_kb)
note "RSS before ${RSS_BEFORE} kB, max during ${RSS1} kB, after ${RSS_AFTER} kB"
(( RSS1 - RSS_BEFORE <= 65536 )) || fail "RSS grew by $((RSS1 - RSS_BEFORE)) kB during the flood (> 64 MB)"
(( RSS_AFTER - RSS_BEFORE <= 32768 )) || fail "RSS after the flood is $((RSS_AFTER - RSS_BEFORE)) kB above before (> 32 MB)"
(cd "$WORK" && inns cli tftp "$SRV" "$PORT" -m binary -c get legit.bin after.out) || fail "transfer after the flood failed"
same "$ROOT/legit.bin" "$WORK/after.out" "tftp-hpa after the flood"

note "rate limit: SIGHUP to 5 requests/s per client, one-address flood"
write_conf 5
kill -HUP "$RINGBOOT_PID"
await_log 'ringboot.reloaded' 1 "reload"
sleep 0.5
LIMITED_BEFORE=$(metric 'ringboot_tftp_refused_total{reason="rate_limited"}')
REQ_BEFORE=$(metric ringboot_tftp_requests_total)
inns cli "$PY" "$HERE/hardening_flood.py" "$SRV" "$PORT" "${FLOOD_ALL[0]}" nothing-here --count 3000 --pps 3000 \
  --seconds 3 >"$WORK/flood3.out" 2>"$WORK/flood3.log" &
FLOOD=$!
PIDS+=("$FLOOD")
sleep 0.3
(cd "$WORK" && inns cli tftp "$SRV" "$PORT" -m binary -c get legit.bin rl.out) || fail "another address was not served during the one-address flood"
same "$ROOT/legit.bin" "$WORK/rl.out" "tftp-hpa during the rate-limited flood"
wait "$FLOOD" || fail "flooder failed: $(cat "$WORK/flood3.log")"
SENT=$(cat "$WORK/flood3.out")
LIMITED=$(( $(metric 'ringboot_tftp_refused_total{reason="rate_limited"}') - LIMITED_BEFORE ))
NOT_FOUND=$(metric 'ringboot_tftp_refused_total{reason="not_found"}')
note "one-address flood: sent $SENT, rate_limited $LIMITED, requests +$(( $(metric ringboot_tftp_requests_total) - REQ_BEFORE ))"
# burst 5 + 5/s x ~1-3 s at most get through; the rest (of what arrived) is dropped.
(( LIMITED >= SENT * 8 / 10 )) || fail "rate limit dropped only $LIMITED of $SENT requests from one address"
sleep 1.2
inns cli "$PY" "$HERE/tftp_raw.py" ping "$SRV" "$PORT" || fail "legit ping failed"
inns cli "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[3], 0)); s.settimeout(2)
s.sendto(b"\x00\x01nothing-here\x00octet\x00", (sys.argv[1], int(sys.argv[2])))
pkt, _ = s.recvfrom(2048)
sys.exit(0 if pkt[:4] == b"\x00\x05\x00\x01" else "unexpected %r" % pkt)' "$SRV" "$PORT" "${FLOOD_ALL[0]}" ||
  fail "the rate-limited address is not served again after its bucket refilled"
ringboot_alive || fail "ringboot died"
stop_ringboot TERM
echo "PASS hardening_tftp_flood"
