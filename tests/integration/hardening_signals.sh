#!/usr/bin/env bash
# Reload and shutdown (issue 7), on 127.0.0.1 ports of this test's own:
#  SIGHUP, valid config (tftp.windowsize_max 4 -> 8): a slow transfer in
#    flight keeps windowsize 4 and finishes byte-exact; the next atftp
#    transfer asking windowsize 16 negotiates 8.
#  SIGHUP, invalid config: ringboot.reload_rejected with file:line, the old
#    settings stay in force (still 8).
#  SIGTERM during a TFTP and an HTTP transfer: both finish byte-exact within
#    the grace period, the listeners stop answering, exit status 0,
#    ringboot.stopped logged.
#  SIGTERM with a transfer longer than shutdown_grace_ms: ringboot exits 0
#    when the grace period ends, not when the transfer does.
# The DHCP half (lease file after SIGTERM) is hardening_signals_dhcp.sh.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
source "$HERE/hardening_lib.sh"
need atftp curl head cmp

ROOT=$WORK/root
mkdir -p "$ROOT"
head -c 100000 /dev/urandom >"$ROOT/slow.bin"   # ~50 windows of 4 x 512 bytes
head -c 20000 /dev/urandom >"$ROOT/small.bin"
head -c 32000000 /dev/urandom >"$ROOT/big.bin"  # HTTP at 4 MB/s: more than socket buffers hold
PORT=$(pick_port)
HPORT=$(pick_port)
CONF=$WORK/hard.toml
write_conf() {  # write_conf WINDOWSIZE_MAX GRACE_MS: windowsize_max is on line 3
  printf 'shutdown_grace_ms = %s\n[tftp]\nwindowsize_max = %s\n' "$2" "$1" >"$CONF"
}
# atftp_win OUT_NAME: atftp asks windowsize 16 for small.bin; prints the windowsize the log shows for it.
atftp_win() {
  local before
  before=$(log_count 'tftp.transfer .*file="small.bin".*result=ok')
  atftp --option "windowsize 16" -g -r small.bin -l "$WORK/$1" 127.0.0.1 "$PORT" >>"$WORK/atftp.log" 2>&1 ||
    fail "atftp ($1) failed: $(tail -n 3 "$WORK/atftp.log")"
  same "$ROOT/small.bin" "$WORK/$1" "atftp $1"
  await_log 'tftp.transfer .*file="small.bin".*result=ok' $((before + 1)) "atftp $1 logged"
  grep -E 'tftp.transfer .*file="small.bin".*result=ok' "$RINGBOOT_LOG" | tail -n 1 | grep -oE 'windowsize=[0-9]+'
}

note "SIGHUP: valid config while a slow transfer is in flight"
write_conf 4 10000
start_ringboot "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot-1.log" "" --config "$CONF"
[[ $(atftp_win a.out) == windowsize=4 ]] || fail "before reload atftp should negotiate windowsize 4"
"$PY" "$HERE/hardening_slow_get.py" 127.0.0.1 "$PORT" slow.bin "$WORK/slow1.out" --delay 0.1 \
  --opt windowsize=16 >"$WORK/slow1.json" 2>"$WORK/slow1.log" &
SLOW=$!
sleep 1
kill -0 "$SLOW" 2>/dev/null || fail "the slow transfer ended before the reload: $(cat "$WORK/slow1.json" "$WORK/slow1.log")"
write_conf 8 10000
kill -HUP "$RINGBOOT_PID"
await_log 'ringboot.reloaded' 1 "reload"
sleep 0.5  # workers pick the new settings up within their 200 ms poll
[[ $(atftp_win b.out) == windowsize=8 ]] || fail "after reload atftp should negotiate windowsize 8: $(tail -n 3 "$RINGBOOT_LOG")"
kill -0 "$SLOW" 2>/dev/null || fail "the slow transfer ended before the check: it must span the reload"
wait "$SLOW" || fail "slow transfer across the reload failed: $(cat "$WORK/slow1.log")"
same "$ROOT/slow.bin" "$WORK/slow1.out" "slow transfer across SIGHUP"
grep -q '"windowsize": "4"' "$WORK/slow1.json" || fail "slow transfer OACK: $(cat "$WORK/slow1.json")"
grep -qE 'tftp.transfer .*file="slow.bin".* windowsize=4 .*result=ok' "$RINGBOOT_LOG" ||
  fail "the in-flight transfer did not finish with its old windowsize 4"
note "slow transfer: $(cat "$WORK/slow1.json")"

note "SIGHUP: invalid config is rejected with file:line, old settings stay"
write_conf 0 10000
kill -HUP "$RINGBOOT_PID"
await_log "ringboot.reload_rejected .*$CONF:3: tftp.windowsize_max: 0 is out of range" 1 "invalid reload"
sleep 0.5
[[ $(atftp_win c.out) == windowsize=8 ]] || fail "after a rejected reload the old windowsize_max 8 must stay"
printf 'shutdown_grace_ms = 10000\n[tftp\n' >"$CONF"   # a TOML syntax error, line 2
kill -HUP "$RINGBOOT_PID"
await_log "ringboot.reload_rejected .*$CONF:2:" 1 "syntax error reload"
[[ $(atftp_win d.out) == windowsize=8 ]] || fail "after a second rejected reload the old settings must stay"
ringboot_alive || fail "ringboot died on a rejected reload"
stop_ringboot TERM

note "SIGTERM during a TFTP and an HTTP transfer: both finish, listeners close, exit 0"
write_conf 4 10000
start_rb "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot-2.log" "" "127.0.0.1:$HPORT" --config "$CONF"
"$PY" "$HERE/hardening_slow_get.py" 127.0.0.1 "$PORT" slow.bin "$WORK/slow2.out" --delay 0.1 \
  --opt windowsize=16 >"$WORK/slow2.json" 2>"$WORK/slow2.log" &
SLOW=$!
curl -sS --limit-rate 4M -o "$WORK/big.out" "http://127.0.0.1:$HPORT/big.bin" 2>"$WORK/curl.log" &
CURL=$!
sleep 1
kill -0 "$SLOW" 2>/dev/null || fail "TFTP transfer ended before SIGTERM"
kill -0 "$CURL" 2>/dev/null || fail "HTTP transfer ended before SIGTERM"
kill -TERM "$RINGBOOT_PID"
await_log 'ringboot.draining grace_ms=10000' 1 "draining"
sleep 0.3
ringboot_alive || fail "ringboot exited with transfers in flight"
"$PY" "$HERE/tftp_raw.py" ping 127.0.0.1 "$PORT" && fail "a new RRQ was answered while draining"
curl -sS -m 2 -o /dev/null "http://127.0.0.1:$HPORT/small.bin" 2>/dev/null && fail "a new HTTP request was served while draining"
wait "$SLOW" || fail "TFTP transfer during drain failed: $(cat "$WORK/slow2.log")"
wait "$CURL" || fail "HTTP transfer during drain failed: $(cat "$WORK/curl.log")"
same "$ROOT/slow.bin" "$WORK/slow2.out" "TFTP transfer across SIGTERM"
same "$ROOT/big.bin" "$WORK/big.out" "HTTP transfer across SIGTERM"
wait_exit 12
[[ $RC -eq 0 ]] || fail "exit status $RC after SIGTERM, expected 0"
grep -q 'ringboot.stopped' "$RINGBOOT_LOG" || fail "ringboot.stopped not logged"
grep -qE 'tftp.transfer .*file="slow.bin".*result=ok' "$RINGBOOT_LOG" || fail "drained transfer not logged ok"
# Both transfers were still in flight on the server side when it started draining.
grep -A1000 'ringboot.draining' "$RINGBOOT_LOG" | grep -qE 'http.response .*path="/big.bin" status=200' ||
  fail "the HTTP transfer was not in flight at SIGTERM (finished before ringboot.draining)"
grep -A1000 'ringboot.draining' "$RINGBOOT_LOG" | grep -qE 'tftp.transfer .*file="slow.bin".*result=ok' ||
  fail "the TFTP transfer was not in flight at SIGTERM"

note "SIGTERM with a transfer longer than the grace period: exit 0 when it ends"
write_conf 4 1000
start_ringboot "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot-3.log" "" --config "$CONF"
"$PY" "$HERE/hardening_slow_get.py" 127.0.0.1 "$PORT" slow.bin "$WORK/slow3.out" --delay 0.5 \
  --opt windowsize=16 >/dev/null 2>&1 &
SLOW=$!
PIDS+=("$SLOW")
sleep 1
kill -TERM "$RINGBOOT_PID"
wait_exit 6
[[ $RC -eq 0 ]] || fail "exit status $RC after the grace period, expected 0"
(( ELAPSED <= 4 )) || fail "took ${ELAPSED}s to stop with shutdown_grace_ms = 1000"
grep -q 'ringboot.stopped' "$RINGBOOT_LOG" || fail "ringboot.stopped not logged"
kill "$SLOW" 2>/dev/null || true
echo "PASS hardening_signals"
