#!/usr/bin/env bash
# GRUB's config names against a running ringboot, with curl (HTTP) and
# tftp-hpa (TFTP): grub.cfg-01-<mac> renders the machine's profile for GRUB
# (linux/initrd/boot, URLs as GRUB paths, every word quoted, its done URL
# with a fresh token), in any directory; grub.cfg is the chain config; an
# address name finds the machine last seen at that address; a subnet's
# shortened name and an unknown address are not found; a file in the root
# wins; HEAD is refused; a done machine exits; /metrics counts the decisions.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need tftp

ROOT=$WORK/root
mkdir -p "$ROOT/static"
printf 'set timeout=5\n# the file from the root\n' >"$ROOT/static/grub.cfg-01-52-54-00-00-00-07"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<'TOML'
[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
initrd = ["{{http_base}}/debian12/initrd.gz", "firmware.cpio.gz"]
cmdline = "auto=true priority=critical it's=$x;y ringboot.done={{done_url}}"

[[profile]]
name = "rescue"
script = """
#!ipxe
shell
"""

[[group]]
name = "installers"
match = { mac = "52:54:00" }
profile = "debian12"
once = true

[[machine]]
mac = "52-54-00-00-00-99"
profile = "rescue"
TOML

HTTP_PORT=$(pick_port)
TFTP_PORT=$(pick_port)
BASE="http://127.0.0.1:$HTTP_PORT"
RINGBOOT_LOG=$WORK/ringboot.log
"$RINGBOOT" --root "$ROOT" --tftp-listen "127.0.0.1:$TFTP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" --threads 1 \
  --log-level info --set "state_dir=$STATE_DIR" --config "$CONFIG" >>"$RINGBOOT_LOG" 2>&1 &
RINGBOOT_PID=$!
PIDS+=("$RINGBOOT_PID")
wait_http "$BASE/" "HTTP on 127.0.0.1:$HTTP_PORT"
OUT=$WORK/out
mkdir -p "$OUT"

# get PATH [STATUS]: GET over HTTP into $OUT/c.
get() {
  local code
  code=$(curl -s --max-time 10 -o "$OUT/c" -w '%{http_code}' "$BASE/$1") || fail "curl /$1"
  expect "GET /$1 status" "$code" "${2:-200}"
}
# tget PATH: TFTP (octet) into $OUT/c; tget_missing PATH: file not found.
tget() {
  rm -f "$OUT/c"
  tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$1" "$OUT/c" >"$OUT/t.err" 2>&1 || fail "tftp get $1: $(cat "$OUT/t.err")"
  [[ -s $OUT/c ]] || fail "tftp get $1: empty: $(cat "$OUT/t.err")"
}
tget_missing() {
  rm -f "$OUT/c"
  tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$1" "$OUT/c" >"$OUT/t.err" 2>&1 || true
  grep -qi "file not found" "$OUT/t.err" || fail "tftp get $1: expected 'File not found', got: $(cat "$OUT/t.err")"
}
has() { grep -qE -- "$1" "$OUT/c" || fail "$2: no line matching /$1/ in: $(cat "$OUT/c")"; }
lacks() { ! grep -qE -- "$1" "$OUT/c" || fail "$2: a line matches /$1/ in: $(cat "$OUT/c")"; }
TOKEN='[0-9a-f]{32}'
HB="(http,127.0.0.1:$HTTP_PORT)"

note "HTTP: the per-MAC name renders the group's profile for GRUB"
get "grub/grub.cfg-01-52-54-00-12-34-56"
has '^set timeout=0$' "install timeout"
has "^linux '\\(http,127\\.0\\.0\\.1:$HTTP_PORT\\)/debian12/linux' 'auto=true' 'priority=critical' 'it'\\\\''s=\\\$x;y' 'ringboot\\.done=http://127\\.0\\.0\\.1:$HTTP_PORT/api/v1/machines/52-54-00-12-34-56/done\\?token=$TOKEN'\$" "install linux line"
has "^initrd '\\(http,127\\.0\\.0\\.1:$HTTP_PORT\\)/debian12/initrd\\.gz' '/firmware\\.cpio\\.gz'\$" "install initrd line"
has '^boot$' "install boot"
lacks 'initrd=initrd0' "no iPXE initrd= names"
first_token=$(grep -oE "token=$TOKEN" "$OUT/c")

note "TFTP: the same name in another directory, URLs to the address asked with the HTTP port"
tget "debian-installer/amd64/grub/grub.cfg-01-52-54-00-12-34-56"
has "^linux '\\(http,127\\.0\\.0\\.1:$HTTP_PORT\\)/debian12/linux' " "TFTP install linux line"
second_token=$(grep -oE "token=$TOKEN" "$OUT/c")
[[ $first_token != "$second_token" ]] || fail "each rendering carries a fresh token"

note "the generic name: the chain config, by \$net_default_mac"
get "grub/grub.cfg"
has '^  configfile "\$prefix/grub\.cfg-01-\$m1-\$m2-\$m3-\$m4-\$m5-\$m6"$' "chain configfile"
has 'regexp .*"\$net_default_mac"' "chain regexp"
tget "grub/x86_64-efi/grub.cfg"
has '^  configfile "\$prefix/grub\.cfg-01-' "TFTP chain for the platform name"

note "an address name finds the machine last seen at that address (127.0.0.1 = 7F000001)"
get "grub/grub.cfg-7F000001"
has "^linux '\\(http,127\\.0\\.0\\.1:$HTTP_PORT\\)/debian12/linux' .*machines/52-54-00-12-34-56/done" "address name install"
get "grub/grub.cfg-0A000001" 404
get "grub/grub.cfg-7F00000" 404
tget_missing "grub/grub.cfg-7F0"
tget_missing "grub/grub.cfg-0A000001"

note "only GRUB's exact forms; a file in the root wins; HEAD is refused"
get "grub/grub.cfg-01-52-54-00-12-34-5G" 404
get "grub/grub.cfg-01-52-54-00-AB-CD-EF" 404
get "static/grub.cfg-01-52-54-00-00-00-07"
has '^# the file from the root$' "static file wins over HTTP"
tget "static/grub.cfg-01-52-54-00-00-00-07"
has '^# the file from the root$' "static file wins over TFTP"
code=$(curl -s -I --max-time 10 -o /dev/null -w '%{http_code}' "$BASE/grub/grub.cfg-01-52-54-00-12-34-56")
expect "HEAD of a GRUB name" "$code" 405

note "a script profile has no GRUB rendering: local boot by exit, counted"
get "grub/grub.cfg-01-52-54-00-00-00-99"
has '^exit$' "script profile exits"
lacks '^linux ' "script profile: no linux"
grep -qE 'fleet.boot mac=52:54:00:00:00:99 decision=local reason=render_error error="the profile is an iPXE script.* loader=grub$' "$RINGBOOT_LOG" ||
  fail "log: no render_error naming the iPXE script profile"

note "an unassigned machine exits to the firmware's next boot entry"
get "grub/grub.cfg-01-02-00-00-00-00-01"
has "^echo 'ringboot: no profile for this machine: booting from the local disk'$" "unassigned echo"
has '^exit$' "unassigned exit"

note "done, then local boot"
get "grub/grub.cfg-01-52-54-00-aa-bb-cc"
token=$(grep -oE "token=$TOKEN" "$OUT/c" | cut -d= -f2)
code=$(curl -s -X POST --max-time 10 -o /dev/null -w '%{http_code}' "$BASE/api/v1/machines/52-54-00-aa-bb-cc/done?token=$token")
expect "done" "$code" 200
get "grub/grub.cfg-01-52-54-00-aa-bb-cc"
has "^echo 'ringboot: installed: booting from the local disk'$" "done echo"
has '^exit$' "done exit"

note "metrics count GRUB's decisions with iPXE's"
scrape "$BASE/metrics" "$OUT/metrics"
# installs: 12-34-56 three times (HTTP, TFTP, address name) and aa-bb-cc once
expect "boots install" "$(metric "$OUT/metrics" ringboot_fleet_boots_total decision=install)" 4
expect "boots local" "$(metric "$OUT/metrics" ringboot_fleet_boots_total decision=local)" 3
expect "render errors" "$(metric "$OUT/metrics" ringboot_fleet_render_errors_total)" 1
note "PASS"
