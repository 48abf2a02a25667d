#!/usr/bin/env bash
# The admin API, the installer callbacks and the machines CLI against a
# running ringboot, with curl, busybox wget and tftp-hpa:
# - the API's own listener: 401 without or with a wrong token, 403 for a
#   read token that writes, 400 malformed JSON or MAC, 411 chunked, 413 past
#   body_bytes_max, 404 unknown machine or route, 405 with Allow, 422 unknown
#   profile or group, 2xx (201 creating); MACs with colons or hyphens; every
#   error body JSON {"error": ...}; the bulk next boot; one audit line per
#   change; tokens re-read on SIGHUP;
# - the installer callbacks on the boot listener: events stored and shown,
#   413 past event_bytes_max, done with a wrong token 403 and nothing
#   changed, the right one 2xx (busybox wget --post-data '' as d-i sends it)
#   and then local boot, reused 403, GET 405, the token kept out of the
#   access log, not served on the API listener;
# - ringboot machines list/show/reinstall/local/reset/forget, table and
#   --json, errors with the API's reason and a non-zero exit;
# - API changes while a big HTTP download and a TFTP transfer run: both
#   complete byte-exact and the changes took;
# - the tokens file: a bad line is a config error with file:line, a file
#   others may read a warning; ringboot_api_responses_total counts.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need tftp busybox

ROOT=$WORK/root
mkdir -p "$ROOT" "$WORK/state" "$WORK/out"
OUT=$WORK/out
ADMIN=adminadminadmin0123456789abcdef
READ=readreadreadread0123456789abcdef
TOKENS=$WORK/api-tokens
printf '# ROLE TOKEN [NAME]\nadmin %s ops\nread %s\n' "$ADMIN" "$READ" >"$TOKENS"
chmod 0600 "$TOKENS"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<TOML
state_dir = "$WORK/state"

[api]
tokens_file = "$TOKENS"
body_bytes_max = 1024

[fleet]
event_bytes_max = 64

[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
cmdline = "auto=true ringboot.done={{done_url}} ringboot.events={{events_url}}"

[[profile]]
name = "rescue"
script = """
#!ipxe
shell
"""

[[group]]
name = "rack1"
match = { mac = "52:54:00" }
profile = "debian12"
once = true

[[machine]]
mac = "52:54:00:00:00:99"
hostname = "node99"
labels = ["rack=a1", "gpu"]
TOML

note "the tokens file: a bad line is a config error with its file:line; one others may read is a warning"
printf 'admin %s\nsuperuser %s\n' "$ADMIN" "$READ" >"$WORK/bad-tokens"
if "$RINGBOOT" --config "$CONFIG" --set "api.tokens_file=$WORK/bad-tokens" --check-config >"$OUT/check" 2>&1; then
  fail "--check-config accepted a tokens file with a bad line"
fi
grep -qxF "$WORK/bad-tokens:2: the role must be read or admin" "$OUT/check" || fail "--check-config said: $(cat "$OUT/check")"
grep -qF "$READ" "$OUT/check" && fail "an error repeated a token: $(cat "$OUT/check")"
cp "$TOKENS" "$WORK/open-tokens" && chmod 0644 "$WORK/open-tokens"
"$RINGBOOT" --config "$CONFIG" --set "api.tokens_file=$WORK/open-tokens" --check-config >"$OUT/check" 2>&1 ||
  fail "--check-config refused a readable tokens file: $(cat "$OUT/check")"
grep -q "warning: .*readable by others (mode 0644)" "$OUT/check" || fail "no warning for mode 0644: $(cat "$OUT/check")"
"$RINGBOOT" --api-listen 127.0.0.1:1 --check-config >"$OUT/check" 2>&1 && fail "--api-listen without tokens_file accepted"
grep -q "tokens_file" "$OUT/check" || fail "--api-listen without tokens: $(cat "$OUT/check")"
"$RINGBOOT" --config "$CONFIG" --dump-config | grep -qF "$ADMIN" && fail "--dump-config shows a token"

# A big file for HTTP and one for TFTP, fetched while the API changes things.
random_file "$ROOT/big.bin" $((48 << 20))
random_file "$ROOT/tftp.bin" $((48 << 20))  # lockstep 512-byte blocks: seconds on loopback
mkdir -p "$ROOT/debian12" && random_file "$ROOT/debian12/linux" 4096

HTTP_PORT=$(pick_port)
TFTP_PORT=$(pick_port)
API_PORT=$(pick_port)
BASE="http://127.0.0.1:$HTTP_PORT"
APIBASE="http://127.0.0.1:$API_PORT"
RINGBOOT_LOG=$WORK/ringboot.log
"$RINGBOOT" --config "$CONFIG" --root "$ROOT" --tftp-listen "127.0.0.1:$TFTP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" \
  --api-listen "127.0.0.1:$API_PORT" --threads 2 --log-level info >>"$RINGBOOT_LOG" 2>&1 &
RINGBOOT_PID=$!
PIDS+=("$RINGBOOT_PID")
wait_http "$BASE/" "HTTP on 127.0.0.1:$HTTP_PORT"
wait_http "$APIBASE/" "the API on 127.0.0.1:$API_PORT"

# api METHOD PATH [BODY] [TOKEN|-] [curl args...]: the API's answer in $OUT/r
# (headers $OUT/r.h), its status in $CODE. TOKEN "-": no Authorization.
api() {
  local method=$1 path=$2 body=${3:-} token=${4:-$ADMIN}
  shift $(($# < 4 ? $# : 4))
  local -a args=(-s --max-time 10 -X "$method" -D "$OUT/r.h" -o "$OUT/r" -w '%{http_code}' -H 'Expect:')
  [[ $token != - ]] && args+=(-H "Authorization: Bearer $token")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  CODE=$(curl "${args[@]}" "$@" "$APIBASE$path") || fail "curl $method $path"
}
# want STATUS WHAT: the last answer's status, and a JSON body (an "error" for 4xx/5xx).
want() {
  expect "$2: status" "$CODE" "$1"
  expect "$2: Content-Type" "$(header "$OUT/r.h" Content-Type)" "application/json"
  if (($1 >= 400)); then
    jq_error=$(field error) || fail "$2: the body is not JSON {\"error\": ...}: $(cat "$OUT/r")"
    [[ -n $jq_error ]] || fail "$2: an empty error in $(cat "$OUT/r")"
  fi
}
# field PATH: a value of the last JSON answer, by a Python subscript path ("machines.0.mac").
field() {
  "$PY" - "$OUT/r" "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}
expect_field() { expect "$3" "$(field "$1")" "$2"; }

note "401: no token, a wrong one, another scheme; the error is JSON; nothing answered without a token"
api GET /api/v1/machines "" -
want 401 "no token"
expect "401 WWW-Authenticate" "$(header "$OUT/r.h" WWW-Authenticate)" 'Bearer realm="ringboot"'
api GET /api/v1/machines "" "${ADMIN}x"
want 401 "wrong token"
expect_field error "unknown token" "wrong token's reason"
api GET /api/v1/nowhere "" -
want 401 "an unknown route without a token"
CODE=$(curl -s -o "$OUT/r" -w '%{http_code}' -H "Authorization: Basic b3BzOm9wcw==" "$APIBASE/api/v1/machines")
expect "Basic auth" "$CODE" 401

note "404: unknown machine and route; 405 with Allow; the API listener serves only the API"
api GET /api/v1/machines/52:54:00:12:34:56
want 404 "GET of a MAC not seen yet"
expect_field error "no machine 52:54:00:12:34:56" "404 reason"
api GET /api/v1/nowhere
want 404 "unknown route"
api GET /boot.ipxe
want 404 "a boot file on the API listener"
api POST /api/v1/machines '{}'
want 405 "POST on the machine list"
expect "405 Allow" "$(header "$OUT/r.h" Allow)" "GET"
api PATCH /api/v1/machines/52:54:00:12:34:56
want 405 "PATCH on a machine"
expect "405 Allow" "$(header "$OUT/r.h" Allow)" "GET, PUT, DELETE"
api GET /api/v1/machines/52:54:00:12:34:56/next-boot
want 405 "GET on next-boot"
expect "405 Allow" "$(header "$OUT/r.h" Allow)" "PUT"

note "403: a read token reads but never writes"
api GET /api/v1/machines "" "$READ"
want 200 "list with a read token"
api PUT /api/v1/machines/52:54:00:00:00:99/next-boot '{"profile": "rescue"}' "$READ"
want 403 "PUT with a read token"
api POST /api/v1/machines/52:54:00:00:00:99/reset "" "$READ"
want 403 "reset with a read token"
api DELETE /api/v1/machines/52:54:00:00:00:99 "" "$READ"
want 403 "DELETE with a read token"
api GET /api/v1/machines/52:54:00:00:00:99
expect_field profile_source group "a read token's PUT changed nothing"
expect_field state local "a read token's reset changed nothing"

note "400: malformed JSON, a body that is not an object, a bad field, a bad MAC"
api PUT /api/v1/machines/52:54:00:12:34:56/next-boot '{"profile": "rescue"'
want 400 "truncated JSON"
[[ $(field error) == "malformed JSON: "* ]] || fail "400 reason: $(cat "$OUT/r")"
api PUT /api/v1/machines/52:54:00:12:34:56/next-boot '["rescue"]'
want 400 "a JSON array"
api PUT /api/v1/machines/52:54:00:12:34:56/next-boot '{"profile": "rescue", "onec": false}'
want 400 "an unknown field"
api PUT /api/v1/machines/52:54:00:12:34/next-boot '{"profile": "rescue"}'
want 400 "a short MAC"
api GET /api/v1/machines/52:54:00:12:34:56
want 404 "nothing was created by the refused requests"

note "411 chunked, 413 past body_bytes_max (1024), both JSON, and the connection closes"
api PUT /api/v1/machines/52:54:00:12:34:56/next-boot '{"profile": "rescue"}' "$ADMIN" -H 'Transfer-Encoding: chunked'
want 411 "a chunked body"
big=$("$PY" -c 'print("{\"profile\": \"rescue\", \"x\": \"" + "a" * 2000 + "\"}")')
api PUT /api/v1/machines/52:54:00:12:34:56/next-boot "$big"
want 413 "a body over body_bytes_max"
expect "413 Connection" "$(header "$OUT/r.h" Connection)" "close"

note "422: an unknown profile or group"
api PUT /api/v1/machines/52:54:00:12:34:56/next-boot '{"profile": "debian13"}'
want 422 "unknown profile"
api POST /api/v1/next-boot '{"selector": {"group": "rack9"}, "profile": "rescue"}'
want 422 "unknown group"

note "2xx: a PUT creates (201) with colons, the machine answers with hyphens and any case"
api PUT /api/v1/machines/52:54:00:12:34:56/next-boot '{"profile": "rescue", "once": false}'
want 201 "PUT next-boot for a new machine"
api GET /api/v1/machines/52-54-00-12-34-56
want 200 "GET with hyphens"
expect_field mac 52:54:00:12:34:56 "mac"
expect_field profile rescue "profile"
expect_field once false "once"
expect_field state install "state"
expect_field install_attempts 0 "install_attempts"
expect_field group.name rack1 "group"
api GET /api/v1/machines/52-54-00-12-34-56 "" "$READ"
want 200 "GET with a read token"
api GET /api/v1/machines/52:54:00:12:34:56
expect_field profile rescue "GET with colons"
api PUT /api/v1/machines/52-54-00-12-34-56/next-boot '{"profile": "local"}'
want 200 "PUT next-boot local for a known machine"
expect_field state local "local next boot"
await_log 'api\.audit who="ops" what=next_boot mac=52:54:00:12:34:56 before="absent" after="profile=rescue once=false source=api state=install install_attempts=0 hostname= labels="' 1 "the audit line of the create"
await_log 'api\.audit who="ops" what=next_boot mac=52:54:00:12:34:56 before="profile=rescue once=false source=api state=install .*" after="profile=local once=true source=api state=local ' 1 "the audit line of the local"
(($(log_count 'api\.audit .*what=next_boot mac=52:54:00:12:34:56') == 2)) || fail "one audit line per change: $(grep api.audit "$RINGBOOT_LOG")"
(($(log_count 'api\.audit who="read') == 0)) || fail "a refused write was audited"
grep -qF "$ADMIN" "$RINGBOOT_LOG" && fail "a token reached the log"

note "declare hostname and labels, the bulk next boot by labels and by MACs, reset, forget"
api PUT /api/v1/machines/52:54:00:12:34:56 '{"hostname": "web1", "labels": ["rack=a1"]}'
want 200 "declare"
expect_field hostname web1 "declared hostname"
api POST /api/v1/next-boot '{"selector": {"labels": ["rack=a1"]}, "profile": "debian12", "once": true}'
want 200 "bulk by label"
expect_field changed 2 "machines with rack=a1"
await_log 'api\.audit who="ops" what=bulk_next_boot mac=52:54:00:00:00:99 ' 1 "bulk audit of node99"
await_log 'api\.audit who="ops" what=bulk_next_boot mac=52:54:00:12:34:56 ' 1 "bulk audit of web1"
api POST /api/v1/next-boot '{"selector": {"macs": ["52:54:00:00:00:01", "52-54-00-00-00-02"]}, "profile": "rescue"}'
want 200 "bulk by MACs"
expect_field changed 2 "bulk by MACs creates them"
api GET "/api/v1/machines?profile=rescue"
expect_field count 2 "list filtered by profile"
api GET "/api/v1/machines?label=rack%3Da1&state=install"
expect_field count 2 "list filtered by label and state"
api GET /api/v1/profiles "" "$READ"
want 200 "profiles"
expect_field profiles.0.name debian12 "first profile"
api POST /api/v1/machines/52:54:00:00:00:02/reset
want 200 "reset"
api DELETE /api/v1/machines/52-54-00-00-00-02
want 200 "forget"
api GET /api/v1/machines/52:54:00:00:00:02
want 404 "a forgotten machine"
api DELETE /api/v1/machines/52-54-00-00-00-02
want 404 "forget twice"

note "the installer callbacks on the boot listener: events, done with a wrong, the right and a reused token"
code=$(curl -s -o "$OUT/s" -w '%{http_code}' "$BASE/ipxe?mac=52-54-00-12-34-56&buildarch=x86_64&platform=efi")
expect "install script" "$code" 200
done_url=$(grep -oE "ringboot\.done=[^ ]+" "$OUT/s" | cut -d= -f2-) || fail "no done_url in: $(cat "$OUT/s")"
events_url=$(grep -oE "ringboot\.events=[^ ]+" "$OUT/s" | cut -d= -f2-) || fail "no events_url in: $(cat "$OUT/s")"
[[ $done_url == "$BASE/api/v1/machines/52-54-00-12-34-56/done?token="* ]] || fail "done_url $done_url"
token=${done_url##*token=}
cb() {  # cb METHOD URL [BODY]: the boot listener's answer in $OUT/r, status in $CODE
  local -a args=(-s --max-time 10 -X "$1" -D "$OUT/r.h" -o "$OUT/r" -w '%{http_code}' -H 'Expect:')
  [[ -n ${3:-} ]] && args+=(--data-binary "$3")
  CODE=$(curl "${args[@]}" "$2") || fail "curl $1 $2"
}
cb POST "$events_url" "partitioning disks"
want 200 "an event"
cb POST "$events_url" "$(printf 'x%.0s' $(seq 65))"
want 413 "an event over event_bytes_max (64)"
cb POST "${events_url%token=*}token=00000000000000000000000000000000" "forged"
want 403 "an event with a wrong token"
api GET /api/v1/machines/52:54:00:12:34:56
expect_field state installing "after the install script"
expect_field events.0.message "partitioning disks" "the event, shown"
(($("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["events"]))' "$OUT/r") == 1)) ||
  fail "only the accepted event is stored: $(cat "$OUT/r")"
busybox wget -q -O /dev/null --post-data 'installing packages' "$events_url" || fail "busybox wget posting an event"
api GET /api/v1/machines/52:54:00:12:34:56
expect_field events.1.message "installing packages" "the event busybox wget posted (README's example)"
cb GET "$done_url"
want 405 "GET done"
expect "done's Allow" "$(header "$OUT/r.h" Allow)" "POST"
wrong=${done_url%token=*}token=$(printf '%s' "$token" | tr '0-9a-f' '1-9a-f0')
cb POST "$wrong"
want 403 "done with a wrong token"
api GET /api/v1/machines/52:54:00:12:34:56
expect_field state installing "a wrong token changed nothing"
code=$(curl -s -o "$OUT/r" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" "$APIBASE${done_url#"$BASE"}")
expect "done on the API listener" "$code" 404
# What the Debian installer has: busybox wget, an empty POST.
busybox wget -q -O "$OUT/done" --post-data '' "$done_url" || fail "busybox wget --post-data '' on the done_url"
grep -q '"state":"done"' "$OUT/done" || fail "done answered: $(cat "$OUT/done")"
await_log 'fleet\.done mac=52:54:00:12:34:56 result=accepted status=200' 1 "done logged"
await_log 'api\.audit who="installer" what=done mac=52:54:00:12:34:56 before=".*state=installing.*" after=".*state=done' 1 "done audited"
cb POST "$done_url"
want 403 "done with a used token"
await_log 'fleet\.done mac=52:54:00:12:34:56 result=not_installing status=403' 1 "the reuse logged with its reason"
code=$(curl -s -o "$OUT/s" -w '%{http_code}' "$BASE/ipxe?mac=52-54-00-12-34-56&buildarch=x86_64&platform=efi")
expect "boot after done" "$code" 200
grep -qx 'exit 1' "$OUT/s" || fail "after done, not local boot: $(cat "$OUT/s")"
(($(log_count "token=$token") == 0)) || fail "the callback token reached the log: $(grep -F "$token" "$RINGBOOT_LOG")"
api GET /api/v1/machines/52:54:00:12:34:56
expect_field state done "state after done"

note "the CLI: list, show, reinstall, local, reset, forget; a table and --json; errors exit non-zero"
echo "$ADMIN" >"$WORK/admin.token"
cli() { "$RINGBOOT" machines --api "127.0.0.1:$API_PORT" --token-file "$WORK/admin.token" "$@"; }
cli list >"$OUT/list" 2>&1 || fail "machines list: $(cat "$OUT/list")"
head -1 "$OUT/list" | grep -qE '^MAC +HOSTNAME +STATE +STAGE +PROFILE +ONCE +ATTEMPTS +GROUP +IP +LAST SEEN$' ||
  fail "list header: $(cat "$OUT/list")"
grep -qE '^52:54:00:12:34:56 +web1 +done +local +debian12 +yes ' "$OUT/list" || fail "list row: $(cat "$OUT/list")"
cli list --json >"$OUT/r" || fail "list --json"
expect_field count 3 "list --json count"
RINGBOOT_API_TOKEN=$READ "$RINGBOOT" machines --api "127.0.0.1:$API_PORT" list --state done >"$OUT/list" ||
  fail "list with the token from the environment"
(($(grep -c '^52:54' "$OUT/list") == 1)) || fail "list --state done: $(cat "$OUT/list")"
cli show 52-54-00-12-34-56 >"$OUT/show" || fail "show"
grep -qE '^state: +done$' "$OUT/show" || fail "show: $(cat "$OUT/show")"
grep -qE '^  [0-9T:Z-]+  partitioning disks$' "$OUT/show" || fail "show's events: $(cat "$OUT/show")"
cli reinstall 52:54:00:12:34:56 >"$OUT/cli" || fail "reinstall by the group's profile: $(cat "$OUT/cli")"
grep -qE '^52:54:00:12:34:56 +web1 +install +[a-z_]+ +debian12 +yes ' "$OUT/cli" || fail "reinstall: $(cat "$OUT/cli")"
cli reinstall --profile rescue --always 52:54:00:00:00:01 52:54:00:00:00:99 --json >"$OUT/r" || fail "reinstall two"
expect_field 1.profile rescue "reinstall --profile"
expect_field 1.once false "reinstall --always"
cli local --label gpu >"$OUT/cli" || fail "local --label: $(cat "$OUT/cli")"
grep -qx '1 machine(s) changed' "$OUT/cli" || fail "local --label: $(cat "$OUT/cli")"
api GET /api/v1/machines/52:54:00:00:00:99
expect_field profile local "local --label took"
cli reset 52:54:00:00:00:99 >"$OUT/cli" || fail "reset: $(cat "$OUT/cli")"
cli forget 52:54:00:00:00:01 >"$OUT/cli" || fail "forget: $(cat "$OUT/cli")"
grep -qx '52:54:00:00:00:01: forgotten' "$OUT/cli" || fail "forget: $(cat "$OUT/cli")"
if cli show 52:54:00:00:00:01 >"$OUT/cli" 2>&1; then fail "show of a forgotten machine exited 0"; fi
grep -qx 'ringboot machines show: 52:54:00:00:00:01: 404 no machine 52:54:00:00:00:01' "$OUT/cli" ||
  fail "show's error: $(cat "$OUT/cli")"
if RINGBOOT_API_TOKEN=$READ "$RINGBOOT" machines --api "127.0.0.1:$API_PORT" reset 52:54:00:00:00:99 >"$OUT/cli" 2>&1; then
  fail "reset with a read token exited 0"
fi
grep -q '403 .*admin token' "$OUT/cli" || fail "read token's reset: $(cat "$OUT/cli")"
if cli reinstall --profile debian13 52:54:00:00:00:99 >"$OUT/cli" 2>&1; then fail "reinstall of an unknown profile exited 0"; fi
grep -q '422 no \[\[profile\]\]' "$OUT/cli" || fail "unknown profile: $(cat "$OUT/cli")"
if env -u RINGBOOT_API_TOKEN "$RINGBOOT" machines --api "127.0.0.1:$API_PORT" list >"$OUT/cli" 2>&1; then
  fail "the CLI without a token exited 0"
fi
grep -q 'no API token' "$OUT/cli" || fail "no token: $(cat "$OUT/cli")"

note "API changes while a big HTTP download and a TFTP transfer run: both byte-exact, every change taken"
curl -sS --limit-rate 12M -o "$OUT/big.bin" "$BASE/big.bin" 2>"$OUT/big.err" &
http_pid=$!
tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get tftp.bin "$OUT/tftp.bin" >"$OUT/tftp.err" 2>&1 &
tftp_pid=$!
sleep 0.3
for i in $(seq 10 40); do
  api PUT "/api/v1/machines/52:54:00:aa:00:$i/next-boot" '{"profile": "debian12"}'
  want 201 "PUT during the transfers ($i)"
  api GET "/api/v1/machines?state=install"
  want 200 "list during the transfers"
  # Both transfers are still running once the first change is on disk: they
  # overlap (how many changes fit in them depends on the machine's load).
  if [[ $i == 10 ]]; then
    kill -0 "$tftp_pid" 2>/dev/null || fail "the TFTP transfer ended before the first API change: they did not overlap"
    kill -0 "$http_pid" 2>/dev/null || fail "the HTTP download ended before the first API change: they did not overlap"
  fi
done
api POST /api/v1/next-boot '{"selector": {"group": "rack1"}, "profile": "rescue", "once": false}'
want 200 "bulk during the transfers"
wait "$http_pid" || fail "the HTTP download failed: $(cat "$OUT/big.err")"
wait "$tftp_pid" || fail "the TFTP transfer failed: $(cat "$OUT/tftp.err")"
same "$ROOT/big.bin" "$OUT/big.bin" "the HTTP download beside the API"
same "$ROOT/tftp.bin" "$OUT/tftp.bin" "the TFTP transfer beside the API"
for i in 10 25 40; do
  api GET "/api/v1/machines/52-54-00-aa-00-$i"
  expect_field profile rescue "the bulk change took ($i)"
  expect_field once false "the bulk change took ($i)"
done

note "SIGHUP re-reads the tokens file"
NEW_READ=newreadnewreadnewread0123456789
printf 'admin %s ops\nread %s grafana\n' "$ADMIN" "$NEW_READ" >"$TOKENS"
kill -HUP "$RINGBOOT_PID"
await_log 'ringboot\.reloaded' 1 "reload"
api GET /api/v1/machines "" "$READ"
want 401 "the old read token after the reload"
api GET /api/v1/machines "" "$NEW_READ"
want 200 "the new read token after the reload"

note "/metrics counts the API's answers by endpoint and class"
scrape "$BASE/metrics" "$OUT/metrics"
expect "done 2xx" "$(metric "$OUT/metrics" ringboot_api_responses_total endpoint=done,class=2xx)" 1
# GET 405, a wrong token 403, a used one 403, and the done path on the API listener 404.
expect "done 4xx" "$(metric "$OUT/metrics" ringboot_api_responses_total endpoint=done,class=4xx)" 4
expect "events 2xx" "$(metric "$OUT/metrics" ringboot_api_responses_total endpoint=events,class=2xx)" 2
expect "events 4xx" "$(metric "$OUT/metrics" ringboot_api_responses_total endpoint=events,class=4xx)" 2
(($(metric "$OUT/metrics" ringboot_api_responses_total endpoint=next_boot,class=2xx) >= 33)) || fail "next_boot 2xx"
note "the API listener answers JSON even to a request the HTTP parser refuses"
code=$("$PY" - "$API_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /api/v1/machines HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b" ")[1].decode(), b"application/json" in head, body.decode())
PY
)
[[ $code == '400 True {"error":"malformed request: Bad Request"}' ]] || fail "a malformed head on the API listener: $code"
stop_ringboot

note "without profiles or groups the callback routes do not exist: the boot listener's files answer"
start_http "$ROOT" "$WORK/plain.log"
code=$(curl -s -D "$OUT/r.h" -o "$OUT/r" -w '%{http_code}' -X POST --data-binary x "$BASE/api/v1/machines/52-54-00-12-34-56/done?token=$token")
expect "POST done without a fleet" "$code" 405
[[ $(header "$OUT/r.h" Content-Type) == text/plain* ]] || fail "without a fleet, done answered: $(cat "$OUT/r.h")"
stop_ringboot
echo "fleet_api: ok"
