#!/usr/bin/env bash
# The web page's session and the terminal's live table, against a running
# ringboot, with curl:
# - POST /ui/login (a form with a field named token): 303 to /ui/ with
#   Set-Cookie ringboot_session=<64 hex>; HttpOnly; SameSite=Strict; Path=/;
#   Max-Age=<session_lifetime_seconds>; a wrong token 401 with a JSON reason
#   (and the token in no log line);
# - the cookie alone reads GET /api/v1/machines and GET /api/v1/events (its
#   hello), and is refused for a PUT with 403; POST /ui/logout ends it (401);
# - `ringboot machines watch`: the table, then a line per change as a
#   machine boots (/ipxe, then done), SIGINT exits 0; an API it cannot
#   reach, and a server that goes away, exit non-zero with a message.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"

ROOT=$WORK/root
OUT=$WORK/out
mkdir -p "$ROOT/debian12" "$OUT"
random_file "$ROOT/debian12/linux" 4096
ADMIN=adminadminadmin0123456789abcdef
READ=readreadreadread0123456789abcdef
printf 'admin %s ops\nread %s viewer\n' "$ADMIN" "$READ" >"$WORK/tokens"
chmod 0600 "$WORK/tokens"
printf '%s\n' "$READ" >"$WORK/read.token"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<TOML
state_dir = "$STATE_DIR"

[api]
tokens_file = "$WORK/tokens"
session_lifetime_seconds = 3600
events_keepalive_ms = 500

[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
cmdline = "auto=true ringboot.done={{done_url}}"

[[group]]
name = "rack1"
match = { mac = "52:54:00" }
profile = "debian12"
TOML

API_PORT=$(pick_port)
APIBASE="http://127.0.0.1:$API_PORT"
HTTP_PORT=$(pick_port)
BASE="http://127.0.0.1:$HTTP_PORT"
RINGBOOT_LOG=$WORK/ringboot.log
# Two workers: a session made on one is good on the other.
"$RINGBOOT" --config "$CONFIG" --root "$ROOT" --tftp-listen off --http-listen "127.0.0.1:$HTTP_PORT" \
  --api-listen "127.0.0.1:$API_PORT" --threads 2 --log-level info >>"$RINGBOOT_LOG" 2>&1 &
RINGBOOT_PID=$!
PIDS+=("$RINGBOOT_PID")
wait_http "$BASE/" "HTTP on 127.0.0.1:$HTTP_PORT"
wait_http "$APIBASE/" "the API on 127.0.0.1:$API_PORT"

note "POST /ui/login: a wrong token is 401 with a JSON reason"
code=$(curl -s -o "$OUT/r" -D "$OUT/r.h" -w '%{http_code}' --data-urlencode "token=wrongwrongwrongwrongwrong" \
  "$APIBASE/ui/login")
expect "a wrong token" "$code" 401
expect "its Content-Type" "$(header "$OUT/r.h" Content-Type)" "application/json"
expect "its reason" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$OUT/r")" \
  "unknown token"
[[ -z $(header "$OUT/r.h" Set-Cookie) ]] || fail "a refused login set a cookie"

note "POST /ui/login: the right one is 303 to /ui/ with the session cookie"
code=$(curl -s -o "$OUT/r" -D "$OUT/r.h" -w '%{http_code}' --data-urlencode "token=$READ" "$APIBASE/ui/login")
expect "a login" "$code" 303
expect "Location" "$(header "$OUT/r.h" Location)" "/ui/"
cookie=$(header "$OUT/r.h" Set-Cookie)
[[ $cookie =~ ^ringboot_session=([0-9a-f]{64})\;\ HttpOnly\;\ SameSite=Strict\;\ Path=/\;\ Max-Age=3600$ ]] ||
  fail "Set-Cookie: $cookie"
SESSION=${BASH_REMATCH[1]}
grep -qF "$READ" "$WORK/ringboot.log" && fail "the token is in the server's log"
grep -q 'api.login .*status=303 who="viewer"' "$WORK/ringboot.log" || fail "no api.login line for the login"

note "the cookie alone reads the machines and the event stream"
code=$(curl -s -o "$OUT/r" -w '%{http_code}' -b "ringboot_session=$SESSION" "$APIBASE/api/v1/machines")
expect "GET /api/v1/machines with the cookie" "$code" 200
curl -s -N --max-time 2 -D "$OUT/e.h" -b "ringboot_session=$SESSION" "$APIBASE/api/v1/events" >"$OUT/e" || true
expect "the stream's Content-Type" "$(header "$OUT/e.h" Content-Type)" "text/event-stream"
grep -qx 'event: hello' "$OUT/e" || fail "no hello on the stream: $(head -c 300 "$OUT/e")"
grep -qx ': keepalive' "$OUT/e" || fail "no keepalive in 2 s with events_keepalive_ms = 500: $(head -c 300 "$OUT/e")"

note "the cookie is refused for a write (403), a bearer token is not"
code=$(curl -s -o "$OUT/r" -w '%{http_code}' -X PUT -b "ringboot_session=$SESSION" -H 'Content-Type: application/json' \
  --data '{"profile": "debian12"}' "$APIBASE/api/v1/machines/52:54:00:00:00:01/next-boot")
expect "PUT with only the cookie" "$code" 403
grep -q "read only" "$OUT/r" || fail "403 reason: $(cat "$OUT/r")"
code=$(curl -s -o "$OUT/r" -w '%{http_code}' -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  --data '{"profile": "debian12"}' "$APIBASE/api/v1/machines/52:54:00:00:00:01/next-boot")
expect "PUT with the admin token" "$code" 201

note "POST /ui/logout ends the session"
code=$(curl -s -o /dev/null -D "$OUT/r.h" -w '%{http_code}' -X POST -b "ringboot_session=$SESSION" "$APIBASE/ui/logout")
expect "logout" "$code" 303
[[ $(header "$OUT/r.h" Set-Cookie) == "ringboot_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" ]] ||
  fail "logout's Set-Cookie: $(header "$OUT/r.h" Set-Cookie)"
code=$(curl -s -o "$OUT/r" -w '%{http_code}' -b "ringboot_session=$SESSION" "$APIBASE/api/v1/machines")
expect "the cookie after logout" "$code" 401

note "ringboot machines watch: the table, then a line per change"
"$RINGBOOT" machines --api "127.0.0.1:$API_PORT" --token-file "$WORK/read.token" watch >"$OUT/watch" 2>"$OUT/watch.err" &
WATCH=$!
PIDS+=("$WATCH")
wait_for_line() {  # PATTERN WHAT
  local _
  for _ in $(seq 200); do
    grep -qE "$1" "$OUT/watch" && return 0
    kill -0 "$WATCH" 2>/dev/null || fail "watch exited: $(cat "$OUT/watch.err")"
    sleep 0.05
  done
  fail "$2: not in the watch output: $(cat "$OUT/watch")"
}
wait_for_line '^MAC +HOSTNAME +IP +ARCH +STAGE +IN-STAGE +LAST EVENT$' "the header"
wait_for_line '^52:54:00:00:00:01 +- +- +- +discovered ' "the machine of the PUT"
code=$(curl -s -o "$OUT/s" -w '%{http_code}' "$BASE/ipxe?mac=52:54:00:00:00:01&buildarch=x86_64&platform=efi")
expect "/ipxe" "$code" 200
wait_for_line '^52:54:00:00:00:01 +- +127\.0\.0\.1 +x86_64/efi +script ' "the script decision"
done_url=$(grep -oE "ringboot\.done=[^ ]+" "$OUT/s" | cut -d= -f2-) || fail "no done_url in: $(cat "$OUT/s")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$done_url")
expect "done" "$code" 200
wait_for_line '^52:54:00:00:00:01 .* done +[0-9]+s +done done$' "done"
kill -INT "$WATCH"
rc=0
wait "$WATCH" || rc=$?
expect "watch's exit status after SIGINT" "$rc" 0

note "watch: an API it cannot reach, and a server that goes away, exit non-zero with a message"
if "$RINGBOOT" machines --api "127.0.0.1:1" --token-file "$WORK/read.token" watch >"$OUT/w2" 2>&1; then
  fail "watch against a closed port exited 0"
fi
grep -q "cannot reach the API" "$OUT/w2" || fail "watch against a closed port said: $(cat "$OUT/w2")"
"$RINGBOOT" machines --api "127.0.0.1:$API_PORT" --token-file "$WORK/read.token" watch --stage done >"$OUT/watch" \
  2>"$OUT/watch.err" &
WATCH=$!
PIDS+=("$WATCH")
wait_for_line '^52:54:00:00:00:01 .* done ' "the done machine under --stage done"
kill -TERM "$RINGBOOT_PID"
rc=0
wait "$WATCH" || rc=$?
[[ $rc -ne 0 ]] || fail "watch exited 0 when the server went away"
grep -q "the event stream ended" "$OUT/watch.err" || fail "watch said: $(cat "$OUT/watch.err")"
wait "$RINGBOOT_PID" || fail "ringboot did not exit 0 on SIGTERM with a watcher"
echo "api_session: ok"
