#!/usr/bin/env bash
# Bad input (tftp_bad_input.py, raw UDP on loopback): truncated and unknown
# packets, missing NULs, bad modes, absurd options, path escapes (.., \,
# symlinks out of the root, NUL, long names), WRQ, a duplicated RRQ, an EDK2
# size probe, an unrequested-option check and a wrong TID; each answered or
# dropped as documented and counted in /metrics. Afterwards ringboot still
# runs and still serves tftp-hpa.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
need tftp curl

ROOT=$WORK/root
mkdir -p "$ROOT/dir"
head -c 1000 /dev/urandom >"$ROOT/hello.txt"
head -c $((1468 * 10 + 17)) /dev/urandom >"$ROOT/probe.bin"
ln -s /etc/passwd "$ROOT/passwd-link"
ln -s /etc "$ROOT/etc-link"

PORT=$(pick_port)
METRICS=$(pick_port)
start_ringboot "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot.log" "" --metrics-listen "127.0.0.1:$METRICS"

rc=0
"$PY" "$HERE/tftp_bad_input.py" "$PORT" "$METRICS" "$ROOT" || rc=$?

ringboot_alive || fail "ringboot died during the bad input"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c get probe.bin "$WORK/after.bin" >"$WORK/client.out" 2>&1 ||
  fail "tftp-hpa after the bad input: $(cat "$WORK/client.out")"
same "$ROOT/probe.bin" "$WORK/after.bin" "tftp-hpa after the bad input"
ringboot_alive || fail "ringboot is not running at the end"
(( rc == 0 )) || fail "tftp_bad_input.py: some cases failed (see above)"
note "PASS"
