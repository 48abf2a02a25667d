#!/usr/bin/env bash
# /metrics: parsed by real Prometheus text parsers (promtool check metrics and
# prometheus_client), its HTTP counters checked against the exact traffic this
# test made between two scrapes; then --metrics-listen on a port of its own.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need promtool
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
  fail "python3 module prometheus_client is missing (Debian python3-prometheus-client; scripts/setup --test installs it)"

ROOT=$WORK/root
mkdir -p "$ROOT"
random_file "$ROOT/a.bin" 5000
random_file "$ROOT/b.bin" 300000  # spliced, not gathered
printf '#!ipxe\n' >"$ROOT/boot.ipxe"
OUT=$WORK/out
mkdir -p "$OUT"

# promtool_check FILE: the exposition must pass promtool's parser and linter.
promtool_check() {
  local report
  report=$(promtool check metrics <"$1" 2>&1) || fail "promtool check metrics rejected $1: $report"
  [[ -z $report ]] || fail "promtool check metrics complained about $1: $report"
}
# m FILE NAME [LABELS]: a sample's value, or fail.
m() { metric "$@" || fail "metric $*: not found or unparsable"; }
# delta WHAT NAME LABELS WANT: the change between scrape 1 and 2.
delta() {
  local a b
  a=$(m "$OUT/s1" "$2" "$3") || exit 1
  b=$(m "$OUT/s2" "$2" "$3") || exit 1
  expect "$1 ($2{$3}: $a -> $b)" "$((b - a))" "$4"
}

note "metrics on the boot listener"
start_http "$ROOT" "$WORK/ringboot.log"
sleep 0.3  # let wait_http's probe connections close
BYTES=0
# req EXPECTED_STATUS curl-args...: one request on its own connection; adds the bytes received to BYTES
req() {
  local want=$1 got
  shift
  got=$(curl -s --max-time 20 -o /dev/null -w '%{http_code} %{size_header} %{size_download}' "$@") || fail "curl $* failed"
  read -r code head body <<<"$got"
  expect "curl $* status" "$code" "$want"
  BYTES=$((BYTES + head + body))
}

curl -s --max-time 10 -D "$OUT/s1.h" -o "$OUT/s1" "$BASE/metrics" || fail "scrape 1 failed"
expect "scrape 1 Content-Type" "$(header "$OUT/s1.h" Content-Type)" "text/plain; version=0.0.4; charset=utf-8"
S1_BYTES=$(($(stat -c %s "$OUT/s1.h") + $(stat -c %s "$OUT/s1")))
for f in a.bin b.bin boot.ipxe a.bin b.bin; do req 200 "$BASE/$f"; done
req 200 -I "$BASE/a.bin"
req 200 -I "$BASE/b.bin"
for f in nope1 nope2 dir/nope3; do req 404 "$BASE/$f"; done
req 405 -X POST "$BASE/a.bin"
scrape "$BASE/metrics" "$OUT/s2"
promtool_check "$OUT/s1"
promtool_check "$OUT/s2"

# Scrape 1 counted itself as a GET, and its response (2xx, bytes, latency)
# after it was rendered; scrape 2 counted itself as a GET only.
delta "GET requests" ringboot_http_requests_total method=get $((5 + 3 + 1))
delta "HEAD requests" ringboot_http_requests_total method=head 2
delta "other-method requests" ringboot_http_requests_total method=other 1
delta "2xx responses" ringboot_http_responses_total class=2xx $((5 + 2 + 1))
delta "3xx responses" ringboot_http_responses_total class=3xx 0
delta "4xx responses" ringboot_http_responses_total class=4xx $((3 + 1))
delta "5xx responses" ringboot_http_responses_total class=5xx 0
delta "bytes sent (the 11 responses + scrape 1)" ringboot_http_sent_bytes_total "" $((BYTES + S1_BYTES))
delta "response latency observations" ringboot_http_response_seconds_count "" $((5 + 2 + 3 + 1 + 1))
delta "+Inf bucket" ringboot_http_response_seconds_bucket le=+Inf $((5 + 2 + 3 + 1 + 1))
delta "malformed" ringboot_http_malformed_requests_total "" 0
delta "rejected connections" ringboot_http_rejected_connections_total "" 0
expect "connections active at scrape 2 (the scrape itself)" "$(m "$OUT/s2" ringboot_http_connections_active)" 1
expect "TFTP requests (TFTP is off)" "$(m "$OUT/s2" ringboot_tftp_requests_total)" 0
expect "worker threads" "$(m "$OUT/s2" ringboot_worker_threads)" 1
(($(m "$OUT/s2" ringboot_io_submissions_total) > 0)) || fail "ringboot_io_submissions_total is not > 0"
(($(m "$OUT/s2" ringboot_io_completions_total) > 0)) || fail "ringboot_io_completions_total is not > 0"

note "metric types and label sets"
"$PY" - "$OUT/s2" <<'PY' || fail "metric families or label sets differ from what the issue asks"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
want = {  # parser names drop _total from counters
    "ringboot_http_requests": ("counter", {"method"}),
    "ringboot_http_responses": ("counter", {"class"}),
    "ringboot_http_sent_bytes": ("counter", set()),
    "ringboot_http_connections_active": ("gauge", set()),
    "ringboot_http_response_seconds": ("histogram", {"le"}),
    "ringboot_tftp_requests": ("counter", set()),
    "ringboot_tftp_transfers": ("counter", {"result"}),
    "ringboot_tftp_sent_bytes": ("counter", set()),
    "ringboot_tftp_retransmits": ("counter", set()),
    "ringboot_tftp_timeouts": ("counter", set()),
    "ringboot_tftp_sessions_active": ("gauge", set()),
    "ringboot_tftp_transfer_seconds": ("histogram", {"le"}),
    "ringboot_io_submissions": ("counter", set()),
    "ringboot_io_completions": ("counter", set()),
    "ringboot_io_buffer_exhausted": ("counter", set()),
}
bad = []
for name, (kind, labels) in want.items():
    f = fams.get(name)
    if f is None:
        bad.append(f"{name}: missing"); continue
    if f.type != kind:
        bad.append(f"{name}: type {f.type}, expected {kind}")
    for s in f.samples:
        if s.name.endswith("_sum") or s.name.endswith("_count") or s.name.endswith("_created"):
            continue
        if set(s.labels) != labels:
            bad.append(f"{s.name}: labels {sorted(s.labels)}, expected {sorted(labels)}")
got = {s.labels["method"] for s in fams["ringboot_http_requests"].samples}
if got != {"get", "head", "other"}: bad.append(f"method labels {got}")
got = {s.labels["class"] for s in fams["ringboot_http_responses"].samples}
if not {"2xx", "3xx", "4xx", "5xx"} <= got: bad.append(f"class labels {got}")
for b in bad: print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

note "HEAD /metrics: head only"
expect "HEAD /metrics bytes after the head" "$(raw_after_head HEAD /metrics)" 0

note "a scrape during a transfer does not disturb it"
random_file "$ROOT/big.bin" $((30 * 1024 * 1024))
curl -s --max-time 60 --limit-rate 20M -o "$OUT/big" "$BASE/big.bin" &
BIG_PID=$!
PIDS+=("$BIG_PID")
sleep 0.3
scrape "$BASE/metrics" "$OUT/s3"
promtool_check "$OUT/s3"
(($(m "$OUT/s3" ringboot_http_connections_active) >= 2)) ||
  fail "connections active during a transfer + scrape: $(m "$OUT/s3" ringboot_http_connections_active), expected >= 2"
wait "$BIG_PID" || fail "the transfer beside the scrape failed"
same "$ROOT/big.bin" "$OUT/big" "GET /big.bin beside a scrape"

note "--metrics-listen on a port of its own"
METRICS_PORT=$(pick_port)
start_http "$ROOT" "$WORK/ringboot-2.log" --metrics-listen "127.0.0.1:$METRICS_PORT"
MBASE="http://127.0.0.1:$METRICS_PORT"
wait_http "$MBASE/metrics" "the metrics listener on 127.0.0.1:$METRICS_PORT"
code=$(curl -s --max-time 10 -o "$OUT/boot-metrics" -w '%{http_code}' "$BASE/metrics")
expect "GET /metrics on the boot listener" "$code" 404
grep -q ringboot_ "$OUT/boot-metrics" && fail "the boot listener's 404 carries metrics"
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -I "$BASE/metrics")
expect "HEAD /metrics on the boot listener" "$code" 404
scrape "$MBASE/metrics" "$OUT/m1"
promtool_check "$OUT/m1"
for f in a.bin boot.ipxe b.bin; do
  code=$(curl -s --max-time 10 -o "$OUT/mfile" -w '%{http_code}' "$MBASE/$f")
  expect "GET /$f on the metrics listener" "$code" 404
  cmp -s "$ROOT/$f" "$OUT/mfile" && fail "the metrics listener served /$f"
done
req 200 "$BASE/a.bin"  # boot traffic shows up on the metrics listener
scrape "$MBASE/metrics" "$OUT/m2"
promtool_check "$OUT/m2"
# m1 -> m2: m2's own GET, the boot GET, 3 GETs of files on the metrics port
a=$(m "$OUT/m1" ringboot_http_requests_total method=get) b=$(m "$OUT/m2" ringboot_http_requests_total method=get)
expect "GET requests between the metrics-port scrapes ($a -> $b)" "$((b - a))" 5
a=$(m "$OUT/m1" ringboot_http_responses_total class=4xx) b=$(m "$OUT/m2" ringboot_http_responses_total class=4xx)
expect "4xx between the metrics-port scrapes ($a -> $b)" "$((b - a))" 3
code=$(curl -s --max-time 10 -o "$OUT/bootfile" -w '%{http_code}' "$BASE/a.bin")
expect "boot listener still serves files" "$code" 200
same "$ROOT/a.bin" "$OUT/bootfile" "GET /a.bin on the boot listener"

ringboot_alive || fail "ringboot died"
note "http_metrics: all checks passed"
