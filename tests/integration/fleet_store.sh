#!/usr/bin/env bash
# The machine store (<state_dir>/machines.db) across kill -9: ringboot with a
# fleet config and a state_dir in this test's work dir; an install boot over
# /ipxe reaches the store (asynchronously: a boot never waits on the disk),
# ringboot is killed with SIGKILL, started again, and the machine's state is
# back (a SIGHUP before keeps the store): the next boot is its second
# install start, and the boot-loop breaker counts across restarts until the
# machine is failed. A second ringboot on the same state_dir, a damaged
# store and one from a newer ringboot are refused at start with the path
# and the reason; --check-config and a config without a fleet open no store.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need sqlite3 stat

ROOT=$WORK/root
mkdir -p "$ROOT"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<'TOML'
[fleet]
install_attempts_max = 3

[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
cmdline = "ringboot.done={{done_url}}"

[[group]]
name = "installers"
match = { mac = "52:54:00" }
profile = "debian12"
once = true
TOML
DB=$STATE_DIR/machines.db
MAC=52:54:00:12:34:56
OUT=$WORK/out
mkdir -p "$OUT"

# ipxe MAC: one boot decision for MAC (hyphens), the script into $OUT/s.
ipxe() {
  local code
  code=$(curl -s --max-time 10 -o "$OUT/s" -w '%{http_code}' "$BASE/ipxe?mac=${1//:/-}&buildarch=x86_64&platform=efi") ||
    fail "curl /ipxe for $1"
  expect "GET /ipxe for $1" "$code" 200
}
# db SQL: the query's rows, as sqlite3 prints them (columns joined by |).
db() { sqlite3 -batch "$DB" "$1"; }
# await_db SQL WANT WHAT: until the query answers WANT (≤5 s; the writer is asynchronous).
await_db() {
  local got _
  for _ in $(seq 50); do
    got=$(db "$1" 2>/dev/null || true)
    [[ $got == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$3: '$1' answered '$got', expected '$2'"
}
restart() {  # kill -9 (or TERM) and start again on the same state_dir
  stop_ringboot "${1:-KILL}"
  start_http "$ROOT" "$WORK/ringboot.log" --config "$CONFIG"
}

note "the state directory and the store are made at start, private, schema version 1"
start_http "$ROOT" "$WORK/ringboot.log" --config "$CONFIG"
await_log 'fleet.store_loaded store="sqlite '"$DB"'" machines=0' 1 "an empty store loaded"
expect "state_dir mode" "$(stat -c %a "$STATE_DIR")" 750
expect "machines.db mode" "$(stat -c %a "$DB")" 640
expect "schema version" "$(db 'PRAGMA user_version')" 1
expect "journal mode" "$(db 'PRAGMA journal_mode')" wal

note "an install boot reaches the store"
ipxe $MAC
grep -qE '^kernel .*/done\?token=[0-9a-f]{32}$' "$OUT/s" || fail "no install script: $(cat "$OUT/s")"
token=$(grep -oE 'token=[0-9a-f]{32}' "$OUT/s" | cut -d= -f2)
await_db "SELECT state, install_attempts, install_profile, token FROM machines WHERE mac = '$MAC'" \
  "installing|1|debian12|$token" "the first install boot in the store"

note "SIGHUP keeps the store: a boot after the reload is written too"
kill -HUP "$RINGBOOT_PID"
await_log 'ringboot.reloaded' 1 "the reload"
ipxe 52:54:00:00:00:01
await_db "SELECT install_attempts FROM machines WHERE mac = '52:54:00:00:00:01'" 1 "a boot after SIGHUP in the store"

note "kill -9, restart: the machine's state is back (its second install start)"
restart KILL
await_log 'fleet.store_loaded .* machines=2 ' 1 "the machines loaded"
ipxe $MAC
await_log "fleet.boot mac=$MAC decision=install profile=\"debian12\" reason=install state=installing install_attempts=2" 1 \
  "the second install start after kill -9"
await_db "SELECT install_attempts FROM machines WHERE mac = '$MAC'" 2 "the second start in the store"

note "the boot-loop breaker counts across restarts: the third start, then failed"
restart KILL
ipxe $MAC
await_log "fleet.boot mac=$MAC .* install_attempts=3" 1 "the third install start"
await_db "SELECT install_attempts FROM machines WHERE mac = '$MAC'" 3 "the third start in the store"
restart KILL
ipxe $MAC
grep -q '^echo ringboot: install failed too often' "$OUT/s" || fail "not failed after 3 starts: $(cat "$OUT/s")"
await_log "fleet.boot mac=$MAC decision=local profile=\"\" reason=failed state=failed" 1 "failed after a restart"
await_db "SELECT state FROM machines WHERE mac = '$MAC'" failed "failed in the store"

note "/metrics counts the writes; a clean stop leaves every machine written"
scrape "$BASE/metrics" "$OUT/metrics"
(($(metric "$OUT/metrics" ringboot_fleet_store_writes_total) >= 1)) || fail "no store write counted"
expect "store errors" "$(metric "$OUT/metrics" ringboot_fleet_store_errors_total)" 0
for i in $(seq 10 29); do ipxe "52:54:00:00:00:$i"; done
stop_ringboot TERM
grep -q "ringboot.stopped" "$WORK/ringboot.log" || fail "no clean stop"
expect "machines after SIGTERM" "$(db 'SELECT count(*) FROM machines')" 22

note "one ringboot per state_dir"
start_http "$ROOT" "$WORK/ringboot.log" --config "$CONFIG"
rc=0
timeout 10 "$RINGBOOT" --config "$CONFIG" --set "state_dir=$STATE_DIR" --tftp-listen off --http-listen off \
  --threads 1 >"$WORK/second.log" 2>&1 || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "a second ringboot started on the same state_dir (rc $rc)"
grep -qF "state_dir $STATE_DIR is in use by another ringboot" "$WORK/second.log" ||
  fail "unclear refusal: $(cat "$WORK/second.log")"
stop_ringboot KILL

# refused WHAT PATTERN: ringboot must exit non-zero at start, saying PATTERN.
refused() {
  local rc=0
  timeout 20 "$RINGBOOT" --config "$CONFIG" --set "state_dir=$STATE_DIR" --tftp-listen off \
    --http-listen "127.0.0.1:$(pick_port)" --threads 1 >"$WORK/refused.log" 2>&1 || rc=$?
  [[ $rc -ne 0 && $rc -ne 124 ]] || fail "$1: ringboot started (rc $rc): $(cat "$WORK/refused.log")"
  grep -qE -- "$2" "$WORK/refused.log" || fail "$1: no /$2/ in: $(cat "$WORK/refused.log")"
}

note "a store from a newer ringboot is refused, with its path"
db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
cp "$DB" "$WORK/good.db"
db 'PRAGMA user_version = 99'
refused "a newer schema" "machine store $DB: its schema version is 99, newer than this ringboot's 1"
note "a damaged store is refused, never started empty"
rm -f "$DB"-wal "$DB"-shm
head -c 65536 /dev/urandom >"$DB"
refused "a damaged store" "machine store $DB: .*file is not a database"
cp "$WORK/good.db" "$DB"
# Page 2, the machines table's root, zeroed: quick_check (or the load) finds it.
dd if=/dev/zero of="$DB" bs=4096 seek=1 count=1 conv=notrunc status=none
refused "a damaged page" "machine store $DB: .*(damaged|malformed)"

note "--check-config and a config without profiles or groups open no store"
STATE_DIR=$WORK/unused
"$RINGBOOT" --config "$CONFIG" --set "state_dir=$STATE_DIR" --check-config >/dev/null || fail "--check-config"
[[ ! -e $STATE_DIR ]] || fail "--check-config created $STATE_DIR"
start_http "$ROOT" "$WORK/plain.log"
stop_ringboot TERM
[[ ! -e $STATE_DIR ]] || fail "ringboot without a fleet created $STATE_DIR"
echo "fleet_store: ok"
