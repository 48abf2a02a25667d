#!/usr/bin/env bash
# Log injection: client-supplied strings (a TFTP filename, an HTTP path) that
# hold a newline, a quote, a backslash and other control bytes are logged on
# exactly one line, escaped, and cannot forge a line of their own.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"

ROOT=$WORK/root
mkdir -p "$ROOT"
printf 'hello\n' >"$ROOT/hello.txt"
TFTP_PORT=$(pick_port)
HTTP_PORT=$(pick_port)
BASE="http://127.0.0.1:$HTTP_PORT"
RINGBOOT_LOG=$WORK/ringboot.log
"$RINGBOOT" --root "$ROOT" --tftp-listen "127.0.0.1:$TFTP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" --threads 1 \
  >>"$RINGBOOT_LOG" 2>&1 &
RINGBOOT_PID=$!
PIDS+=("$RINGBOOT_PID")
wait_http "$BASE/" "HTTP on 127.0.0.1:$HTTP_PORT"

FORGED='2026-01-01T00:00:00.000Z info tftp.transfer client=6.6.6.6:1 file="forged" result=ok'
note "TFTP: a filename with a newline, a quote, a backslash, a tab and ESC"
"$PY" - "$TFTP_PORT" "$FORGED" <<'PY' || fail "raw TFTP request"
import socket, struct, sys
port, forged = int(sys.argv[1]), sys.argv[2]
name = b'evil"\\\t\x1b[31m\n' + forged.encode() + b"\nend"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(struct.pack("!H", 1) + name + b"\0octet\0", ("127.0.0.1", port))
data, _ = s.recvfrom(65536)
assert struct.unpack("!H", data[:2])[0] == 5, "expected an ERROR for a missing file"
PY
await_log 'tftp\.refused .*file="evil' 1 "the refusal of the evil filename"

note "HTTP: a path with raw quotes and a backslash, and %0a (logged as received, percent-encoded)"
code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$BASE/a%0a${FORGED// /%20}%0a\"\\x.txt")
[[ $code == 4* ]] || fail "the evil path: status $code, expected a 4xx"
await_log 'http\.response .*path="/a' 1 "the access log line of the evil path"

note "the log: no forged line, one escaped line each"
grep -n 'forged' "$RINGBOOT_LOG" | sed 's/^/    /'
expect "lines that start with the forged timestamp" "$(grep -c '^2026-01-01T00:00:00' "$RINGBOOT_LOG" || true)" 0
expect "lines holding the forged text" "$(grep -c 'file=\\"forged\\"' "$RINGBOOT_LOG" || true)" 2
expect "lines holding an ESC byte" "$(grep -c $'\x1b' "$RINGBOOT_LOG" || true)" 0
grep -qF 'file="evil\"\\\t\x1b[31m\n2026-01-01T00:00:00.000Z info tftp.transfer' "$RINGBOOT_LOG" ||
  fail "the TFTP filename is not escaped as expected"
grep -qF 'path="/a%0a2026-01-01T00:00:00.000Z%20info%20tftp.transfer%20client=6.6.6.6:1%20file=\"forged\"%20result=ok%0a\"\\x.txt" status=4' \
  "$RINGBOOT_LOG" || fail "the HTTP path is not escaped as expected"
stop_ringboot
echo "ok: client strings logged escaped, one line each"
