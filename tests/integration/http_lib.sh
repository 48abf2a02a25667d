# HTTP helpers for the integration tests (sourced after setting RINGBOOT).
# Builds on lib.sh (work dir, fail/need, per-port locks, cleanup by PID).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need curl

# start_http ROOT LOG [extra ringboot args...]
#   Starts ringboot with only HTTP on 127.0.0.1:$HTTP_PORT (picked here) and
#   waits until it answers an HTTP request. Sets HTTP_PORT, BASE, RINGBOOT_PID.
start_http() {
  local root=$1 log=$2
  shift 2
  HTTP_PORT=$(pick_port)
  BASE="http://127.0.0.1:$HTTP_PORT"
  RINGBOOT_LOG=$log
  "$RINGBOOT" --root "$root" --tftp-listen off --http-listen "127.0.0.1:$HTTP_PORT" --threads 1 \
    --log-level "${LOG_LEVEL:-info}" --set "state_dir=$STATE_DIR" "$@" >>"$log" 2>&1 &
  RINGBOOT_PID=$!
  PIDS+=("$RINGBOOT_PID")
  wait_http "$BASE/" "HTTP on 127.0.0.1:$HTTP_PORT"
}

# wait_http URL WHAT: until the URL gets any HTTP answer (≤10 s).
wait_http() {
  local _
  for _ in $(seq 100); do
    kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "ringboot exited at start: $(tail -n 5 "$RINGBOOT_LOG")"
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null) != 000 ]]; then return 0; fi
    sleep 0.1
  done
  fail "ringboot did not answer $2 within ~10 s"
}

# expect WHAT GOT WANT: equality or fail.
expect() { [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"; }

# header FILE NAME: the value of a response header in a curl -D dump (last
# response in the file), CR stripped; empty when absent.
header() {
  awk -v name="$2" 'BEGIN { IGNORECASE = 1 }
    /^HTTP\// { v = "" }
    { sub(/\r$/, "") }
    tolower(substr($0, 1, length(name) + 1)) == tolower(name) ":" { v = substr($0, length(name) + 2); sub(/^[ \t]+/, "", v) }
    END { print v }' "$1"
}

# random_file PATH BYTES: a file of random bytes.
random_file() { head -c "$2" /dev/urandom >"$1"; }

# scrape URL OUT: /metrics into OUT (200 required).
scrape() {
  local code
  code=$(curl -s -o "$2" -w '%{http_code}' --max-time 10 "$1") || fail "scrape $1: curl failed"
  expect "scrape $1 status" "$code" 200
}

# metric FILE NAME [LABELS]: a sample's value from an exposition file, read by
# prometheus_client's parser (fails if the text does not parse). LABELS like
# 'method=get' (comma-separated key=value, exact set).
metric() {
  "$PY" - "$@" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
path, name = sys.argv[1], sys.argv[2]
want = dict(kv.split("=", 1) for kv in sys.argv[3].split(",")) if len(sys.argv) > 3 and sys.argv[3] else {}
found = [s.value for f in text_string_to_metric_families(open(path).read()) for s in f.samples
         if s.name == name and s.labels == want]
if len(found) != 1:
    sys.exit(f"metric {name}{want}: {len(found)} samples in {path}")
v = found[0]
print(int(v) if float(v).is_integer() else v)
PY
}

# raw_after_head METHOD PATH: sends one request with Connection: close over a
# raw socket, reads to EOF, prints how many bytes followed the head.
raw_after_head() {
  "$PY" - "$HTTP_PORT" "$1" "$2" <<'PY'
import socket, sys
port, method, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(f"{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
data = b""
while chunk := s.recv(65536):
    data += chunk
end = data.find(b"\r\n\r\n")
if end < 0:
    sys.exit(f"no complete head in {data[:200]!r}")
print(len(data) - end - 4)
PY
}
