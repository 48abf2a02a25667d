#!/usr/bin/env bash
# Everything the worker threads share, exercised at once (issue 7; the test
# scripts/sanitize runs under ThreadSanitizer): ringboot with --threads 2
# (SO_REUSEPORT listeners, one ring each) serves TFTP to tftp-hpa and curl
# and HTTP to curl in parallel while /metrics is scraped in a loop (a scrape
# sums every worker's counters) and SIGHUP publishes new settings five times
# (the settings box every worker reads, and the fleet engine they share,
# asked on /ipxe meanwhile). Passes when every file is
# byte-exact, the last scrape parses and counts at least the transfers made,
# every reload is logged, no transfer failed, and SIGTERM exits 0.
RINGBOOT=${1:-}
source "$(dirname "$0")/lib.sh"
source "$HERE/hardening_lib.sh"
need tftp curl cmp

ROOT=$WORK/root
mkdir -p "$ROOT" "$WORK/out"
head -c 3000000 /dev/urandom >"$ROOT/tftp.bin"
head -c 8000000 /dev/urandom >"$ROOT/http.bin"
PORT=$(pick_port)
HPORT=$(pick_port)
CONF=$WORK/threads.toml
# The fleet engine is the one object every worker locks: each reload
# reconfigures it while /ipxe renders on both workers.
write_conf() {
  printf '[tftp]\nwindowsize_max = %s\nsessions_per_client_max = 256\n' "$1" >"$CONF"
  printf '[[profile]]\nname = "p"\nkernel = "{{http_base}}/k"\ncmdline = "done={{done_url}}"\n' >>"$CONF"
  printf '[[group]]\nmatch = { mac = "52:54:00" }\nprofile = "p"\nonce = false\n' >>"$CONF"
}
write_conf 16

TRANSFERS=${THREADS_TEST_TRANSFERS:-24}
THREADS=2 start_rb "$ROOT" 127.0.0.1 "$PORT" "$WORK/ringboot.log" "" "127.0.0.1:$HPORT" --config "$CONF"

note "$TRANSFERS TFTP (tftp-hpa, curl) and $TRANSFERS HTTP transfers at once, /metrics scraped, 5 reloads"
jobs_pids=()
for i in $(seq "$TRANSFERS"); do
  if ((i % 2)); then
    tftp -m binary 127.0.0.1 "$PORT" -c get tftp.bin "$WORK/out/t$i" >"$WORK/out/t$i.err" 2>&1 &
  else
    curl -sS --tftp-blksize 1468 -o "$WORK/out/t$i" "tftp://127.0.0.1:$PORT/tftp.bin" 2>"$WORK/out/t$i.err" &
  fi
  jobs_pids+=($!)
  curl -sS -o "$WORK/out/h$i" "http://127.0.0.1:$HPORT/http.bin" 2>"$WORK/out/h$i.err" &
  jobs_pids+=($!)
  curl -sS -o "$WORK/out/i$i" "http://127.0.0.1:$HPORT/ipxe?mac=52-54-00-00-00-$(printf %02x "$i")&platform=efi" \
    2>"$WORK/out/i$i.err" &
  jobs_pids+=($!)
done
scrapes=0
for round in 1 2 3 4 5; do
  write_conf $((round * 2))
  kill -HUP "$RINGBOOT_PID"
  for _ in 1 2 3 4; do
    curl -fsS -o "$WORK/scrape.txt" "http://127.0.0.1:$HPORT/metrics" || fail "scrape during the transfers failed"
    scrapes=$((scrapes + 1))
    sleep 0.05
  done
done
failed=0
for pid in "${jobs_pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
((failed == 0)) || fail "$failed client(s) failed: $(cat "$WORK"/out/*.err | head -n 5)"
for i in $(seq "$TRANSFERS"); do
  same "$ROOT/tftp.bin" "$WORK/out/t$i" "TFTP transfer $i"
  same "$ROOT/http.bin" "$WORK/out/h$i" "HTTP transfer $i"
  grep -q "^kernel http://127.0.0.1:$HPORT/k done=" "$WORK/out/i$i" || fail "/ipxe $i: $(cat "$WORK/out/i$i")"
done
await_log 'ringboot.reloaded' 5 "five reloads"
ringboot_alive || fail "ringboot died"
await_log 'tftp.transfer .*result=ok' "$TRANSFERS" "TFTP transfers logged"

note "the last scrape counts every transfer, summed over both workers"
curl -fsS -o "$WORK/metrics.txt" "http://127.0.0.1:$HPORT/metrics" || fail "final scrape failed"
"$PY" - "$WORK/metrics.txt" "$TRANSFERS" <<'PY' || fail "metrics check failed"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
want = int(sys.argv[2])
samples = {}
for family in text_string_to_metric_families(text):
    for s in family.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
def total(name, **labels):
    return sum(v for (n, l), v in samples.items() if n == name and all(dict(l).get(k) == x for k, x in labels.items()))
ok = total("ringboot_tftp_transfers_total", result="ok")
failed = total("ringboot_tftp_transfers_total", result="failed")
gets = total("ringboot_http_requests_total", method="get")
tftp_bytes = total("ringboot_tftp_sent_bytes_total")
print(f"tftp ok={ok} failed={failed} bytes={tftp_bytes} http get={gets}")
assert ok >= want, f"ringboot_tftp_transfers_total{{result=ok}} = {ok}, expected >= {want}"
assert failed == 0, f"{failed} TFTP transfers failed"
assert gets >= want + 1, f"ringboot_http_requests_total{{method=get}} = {gets}, expected >= {want + 1}"
assert tftp_bytes >= want * 3000000, f"ringboot_tftp_sent_bytes_total = {tftp_bytes}, expected >= {want * 3000000}"
PY
note "scrapes during the run: $scrapes"

kill -TERM "$RINGBOOT_PID"
wait_exit 12
[[ $RC -eq 0 ]] || fail "exit status $RC after SIGTERM, expected 0"
grep -q 'ringboot.stopped' "$RINGBOOT_LOG" || fail "ringboot.stopped not logged"
echo "PASS hardening_threads"
