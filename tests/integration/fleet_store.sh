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
# The admin API's and the installer's acknowledged changes survive a kill -9
# sent the instant curl has their 2xx (a PUT next boot, a done), and they
# wait for the disk: while another connection holds the store's write lock
# the 2xx comes only after it is released, and a lock held past
# store_wait_ms is a 503 whose change is written once the store is back
# (logged once however many retries failed).
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need sqlite3 stat

ROOT=$WORK/root
mkdir -p "$ROOT"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<'TOML'
[fleet]
install_attempts_max = 3
store_wait_ms = 1500

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
ADMIN=adminadminadmin0123456789abcdef
printf 'admin %s ops\n' "$ADMIN" >"$WORK/api-tokens"
chmod 0600 "$WORK/api-tokens"
printf '\n[api]\ntokens_file = "%s"\n' "$WORK/api-tokens" >>"$CONFIG"
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
API_PORT=$(pick_port)
APIBASE="http://127.0.0.1:$API_PORT"
start() {  # on the same state_dir, with the API on its own listener
  start_http "$ROOT" "$WORK/ringboot.log" --config "$CONFIG" --api-listen "127.0.0.1:$API_PORT"
  wait_http "$APIBASE/" "the API on 127.0.0.1:$API_PORT"
}
restart() {  # kill -9 (or TERM) and start again
  stop_ringboot "${1:-KILL}"
  start
}
kill_now() {  # SIGKILL at once, no waiting for anything ringboot does first
  kill -9 "$RINGBOOT_PID"
  wait "$RINGBOOT_PID" 2>/dev/null || true
}
# api METHOD PATH [BODY]: the admin API's answer in $OUT/r, its status in $CODE.
api() {
  local -a args=(-s --max-time 10 -X "$1" -o "$OUT/r" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Expect:')
  [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  CODE=$(curl "${args[@]}" "$APIBASE$2") || fail "curl $1 $2"
}
# hold_lock SECONDS: the sqlite3 CLI holds the store's write lock this long,
# in the background (HOLDER); returns once it holds it (it touched the flag
# after its BEGIN IMMEDIATE succeeded; -bail: no flag when it did not).
hold_lock() {
  local flag=$WORK/locked _
  rm -f "$flag"
  sqlite3 -batch -bail "$DB" ".timeout 5000" "BEGIN IMMEDIATE;" ".shell touch $flag" ".shell sleep $1" "COMMIT;" \
    >"$WORK/holder.log" 2>&1 &
  HOLDER=$!
  for _ in $(seq 250); do
    [[ -e $flag ]] && return 0
    sleep 0.02
  done
  fail "the sqlite3 CLI did not take the store's write lock: $(cat "$WORK/holder.log")"
}
now_ms() { date +%s%3N; }
# field NAME: a top-level value of the last JSON answer.
field() { "$PY" -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v, bool) else v)' "$OUT/r" "$1"; }

note "the state directory and the store are made at start, private, schema version 3"
start
await_log 'fleet.store_loaded store="sqlite '"$DB"'" machines=0' 1 "an empty store loaded"
expect "state_dir mode" "$(stat -c %a "$STATE_DIR")" 750
expect "machines.db mode" "$(stat -c %a "$DB")" 640
expect "schema version" "$(db 'PRAGMA user_version')" 3
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

note "the API: kill -9 the instant a PUT next boot has its 2xx; after a restart the GET shows it"
NEW=52:54:00:aa:00:01
hold_lock 0.7  # the store cannot write for a moment: the 2xx must wait for it
t0=$(now_ms)
api PUT "/api/v1/machines/$NEW/next-boot" '{"profile": "debian12", "once": false}'
waited=$(($(now_ms) - t0))
kill_now
wait "$HOLDER"
[[ $CODE == 2* ]] || fail "PUT next boot: status $CODE: $(cat "$OUT/r")"
((waited >= 300)) || fail "the PUT's 2xx came ${waited} ms after it, while the store could not write: not on disk yet"
expect "the stored next boot, read while ringboot is dead" \
  "$(db "SELECT next_profile, next_once, state FROM machines WHERE mac = '$NEW'")" "debian12|0|install"
start
api GET "/api/v1/machines/$NEW"
expect "GET after the restart: status" "$CODE" 200
expect "GET after the restart: profile" "$(field profile)" debian12
expect "GET after the restart: once" "$(field once)" false
expect "GET after the restart: profile_source" "$(field profile_source)" api

note "the installer's done: kill -9 the instant it has its 2xx; after a restart the machine is done"
DONE=52:54:00:aa:00:02
ipxe $DONE
done_url=$(grep -oE 'ringboot\.done=[^ ]+' "$OUT/s" | cut -d= -f2-) || fail "no done_url in: $(cat "$OUT/s")"
hold_lock 0.7
t0=$(now_ms)
code=$(curl -s --max-time 10 -X POST -o "$OUT/d" -w '%{http_code}' "$done_url") || fail "curl POST $done_url"
waited=$(($(now_ms) - t0))
kill_now
wait "$HOLDER"
[[ $code == 2* ]] || fail "done: status $code: $(cat "$OUT/d")"
((waited >= 300)) || fail "the done's 2xx came ${waited} ms after it, while the store could not write: not on disk yet"
start
api GET "/api/v1/machines/$DONE"
expect "the machine after the restart" "$(field state)" done
ipxe $DONE
grep -qE '^(kernel|initrd) ' "$OUT/s" && fail "a done machine installed again after kill -9: $(cat "$OUT/s")"

note "the store's write lock held past store_wait_ms (1.5 s): 503; the change is written once it is back"
SLOW=52:54:00:aa:00:03
hold_lock 5
api PUT "/api/v1/machines/$SLOW/next-boot" '{"profile": "debian12"}'
expect "PUT while the store cannot write: status" "$CODE" 503
api GET "/api/v1/machines/$SLOW"
expect "the 503'd change, in memory" "$(field profile_source)" api
wait "$HOLDER"
await_db "SELECT next_profile FROM machines WHERE mac = '$SLOW'" debian12 "the 503'd change written once the store was back"
await_log "fleet.store_recovered store=\"sqlite $DB\" failed_writes=" 1 "the recovery logged"
expect "store errors logged (once per streak)" "$(log_count 'fleet.store_error .*database is locked')" 1
scrape "$BASE/metrics" "$OUT/metrics"
errors=$(metric "$OUT/metrics" ringboot_fleet_store_errors_total)
((errors >= 2)) || fail "failed writes counted: $errors, expected the retries while locked (2 s busy timeout each)"
restart KILL

note "/metrics counts the writes; a clean stop leaves every machine written"
for i in $(seq 10 29); do ipxe "52:54:00:00:00:$i"; done
await_db "SELECT count(*) FROM machines WHERE mac LIKE '52:54:00:00:00:%' AND install_attempts = 1" 21 "20 boots written"
scrape "$BASE/metrics" "$OUT/metrics"
written=$(metric "$OUT/metrics" ringboot_fleet_store_machines_written_total)
((written >= 20)) || fail "machines written: $written, expected at least the 20 boots"
(($(metric "$OUT/metrics" ringboot_fleet_store_writes_total) >= 1)) || fail "no store write counted"
expect "store errors" "$(metric "$OUT/metrics" ringboot_fleet_store_errors_total)" 0
stop_ringboot TERM
grep -q "ringboot.stopped" "$WORK/ringboot.log" || fail "no clean stop"
expect "machines after SIGTERM" "$(db 'SELECT count(*) FROM machines')" 25

note "one ringboot per state_dir"
start
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
refused "a newer schema" "machine store $DB: its schema version is 99, newer than this ringboot's 3"
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
