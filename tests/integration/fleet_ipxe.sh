#!/usr/bin/env bash
# Per-machine boot over HTTP with curl: /boot.ipxe is the chain script only
# when profiles or groups are configured; /ipxe answers each machine its
# install script (kernel, named initrds, initrd= on the command line, its
# done URL with a fresh token) or local boot (sanboot on pcbios, exit on
# efi); a missing or malformed MAC never gets an install; the boot-loop
# breaker stops an install that never reports done; client strings reach the
# log escaped; /metrics counts the decisions; a group naming an unknown
# profile is a config error.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"

ROOT=$WORK/root
mkdir -p "$ROOT"
printf '#!ipxe\necho the file from the root\n' >"$ROOT/boot.ipxe"
CONFIG=$WORK/ringboot.toml
cat >"$CONFIG" <<'TOML'
[fleet]
install_attempts_max = 2

[[profile]]
name = "debian12"
kernel = "{{http_base}}/debian12/linux"
initrd = ["{{http_base}}/debian12/initrd.gz", "{{http_base}}/firmware.cpio.gz"]
cmdline = "auto=true priority=critical preseed/url={{http_base}}/preseed/{{mac_hyphens}}.cfg ringboot.done={{done_url}}"

[[profile]]
name = "rescue"
script = """
#!ipxe
echo rescue {{hostname}} {{mac}} {{buildarch}}/{{platform}} {{#labels}}<{{.}}>{{/labels}}
shell
"""

[[group]]
name = "installers"
match = { mac = "52:54:00", arch = ["x86_64"] }
profile = "debian12"
once = true

[[machine]]
mac = "52-54-00-00-00-99"
hostname = "node99"
labels = ["rack=a1", "gpu"]
profile = "rescue"
TOML

start_http "$ROOT" "$WORK/ringboot.log" --config "$CONFIG"
OUT=$WORK/out
mkdir -p "$OUT"

# ipxe QUERY: GET /ipxe?QUERY into $OUT/s (headers $OUT/s.h), 200 required.
ipxe() {
  local code
  rm -f "$OUT/s" "$OUT/s.h"
  code=$(curl -s --max-time 10 -D "$OUT/s.h" -o "$OUT/s" -w '%{http_code}' "$BASE/ipxe?$1") || fail "curl /ipxe?$1"
  expect "GET /ipxe?$1 status" "$code" 200
  expect "GET /ipxe?$1 Content-Type" "$(header "$OUT/s.h" Content-Type)" "text/plain"
}
has() { grep -qE -- "$1" "$OUT/s" || fail "$2: no line matching /$1/ in: $(cat "$OUT/s")"; }
lacks() { ! grep -qE -- "$1" "$OUT/s" || fail "$2: a line matches /$1/ in: $(cat "$OUT/s")"; }
is_local() {  # PLATFORM_COMMAND WHAT
  has '^#!ipxe$' "$2"
  has "^$1\$" "$2"
  lacks '^(kernel|initrd|chain|linux) ' "$2"
}

note "/boot.ipxe: the chain script with iPXE's own facts"
code=$(curl -s -D "$OUT/b.h" -o "$OUT/b" -w '%{http_code}' "$BASE/boot.ipxe")
expect "/boot.ipxe status" "$code" 200
printf '#!ipxe\nchain %s/ipxe?mac=${mac:hexhyp}&uuid=${uuid}&buildarch=${buildarch}&platform=${platform}\n' "$BASE" >"$OUT/want"
same "$OUT/want" "$OUT/b" "/boot.ipxe chain script"

note "a machine in the install group gets its install script"
ipxe "mac=52-54-00-12-34-56&uuid=4C4C4544-0000-1111-2222-333333333333&buildarch=x86_64&platform=efi"
has '^#!ipxe$' "install"
has "^kernel $BASE/debian12/linux initrd=initrd0 initrd=initrd1 auto=true priority=critical preseed/url=$BASE/preseed/52-54-00-12-34-56.cfg ringboot.done=$BASE/api/v1/machines/52-54-00-12-34-56/done\?token=[0-9a-f]{32}\$" "install kernel line"
has "^initrd --name initrd0 $BASE/debian12/initrd.gz\$" "install initrd0"
has "^initrd --name initrd1 $BASE/firmware.cpio.gz\$" "install initrd1"
has '^boot$' "install boot"
lacks '^linux ' "install uses kernel, not linux"
token1=$(grep -oE '/done\?token=[0-9a-f]{32}' "$OUT/s")
await_log 'fleet.boot mac=52:54:00:12:34:56 decision=install profile="debian12" reason=install state=installing install_attempts=1' 1 "install logged"

note "the same machine with colons: the second install start, a fresh token"
ipxe "mac=52:54:00:12:34:56&buildarch=x86_64&platform=efi"
has '^kernel ' "second install"
token2=$(grep -oE '/done\?token=[0-9a-f]{32}' "$OUT/s")
[[ $token1 != "$token2" ]] || fail "two install renderings carried the same token $token1"

note "the boot-loop breaker: install_attempts_max = 2 starts without done, then local (failed)"
ipxe "mac=52-54-00-12-34-56&buildarch=x86_64&platform=pcbios"
is_local 'sanboot --no-describe --drive 0x80' "failed machine"
has '^echo ringboot: install failed too often' "failed machine echo"
await_log 'fleet.boot mac=52:54:00:12:34:56 decision=local profile="" reason=failed state=failed' 1 "failed logged"

note "an unknown machine boots local, by platform"
ipxe "mac=aa-bb-cc-00-00-01&uuid=&buildarch=x86_64&platform=efi"
is_local 'exit 1' "unknown machine on efi"
has '^echo ringboot: no profile for this machine' "unknown machine echo"
ipxe "mac=aa-bb-cc-00-00-01&buildarch=x86_64&platform=pcbios"
is_local 'sanboot --no-describe --drive 0x80' "unknown machine on pcbios"
note "the group's selectors: the right MAC prefix but arm64 is not in it"
ipxe "mac=52-54-00-00-00-02&buildarch=arm64&platform=efi"
is_local 'exit 1' "arm64 outside the group"

note "a missing or malformed MAC: echo and local, never an install"
for q in "uuid=x&buildarch=x86_64&platform=pcbios" "mac=&platform=pcbios" "mac=52-54-00-12-34&platform=pcbios" \
  "mac=52-54-00-12-34-5g&platform=pcbios" "mac=52-54-00:12:34:56&platform=pcbios" "mac=%zz&platform=pcbios"; do
  ipxe "$q"
  is_local 'sanboot --no-describe --drive 0x80' "malformed MAC ($q)"
  has '^echo ringboot: no valid MAC in the request' "malformed MAC echo ($q)"
done

note "an explicit next boot ([[machine]]) wins over the group; its labels and hostname render"
ipxe "mac=52-54-00-00-00-99&buildarch=x86_64&platform=efi"
printf '#!ipxe\necho rescue node99 52:54:00:00:00:99 x86_64/efi <rack=a1><gpu>\nshell\n' >"$OUT/want"
same "$OUT/want" "$OUT/s" "the rescue script"

note "client strings: a script never carries them raw, the log has them escaped"
ipxe "mac=52-54-00-00-00-99&buildarch=x86_64%0ashell&platform=efi%20x"
has '^echo rescue node99 52:54:00:00:00:99 x86_64/efi ' "bad buildarch/platform dropped, the last good ones kept"
ipxe "mac=zz%0afake.event%20injected=1&platform=efi"
is_local 'exit 1' "injection attempt"
await_log 'fleet.boot mac="zz\\nfake.event injected=1" decision=local reason=no_mac' 1 "escaped MAC in the log"
(( $(log_count '^fake.event') == 0 )) || fail "a client's newline split a log line"

note "HEAD /ipxe is refused (each GET is a boot decision)"
code=$(curl -s -I -o /dev/null -w '%{http_code}' "$BASE/ipxe?mac=52-54-00-00-00-99")
expect "HEAD /ipxe status" "$code" 405

note "/metrics counts the decisions above"
scrape "$BASE/metrics" "$OUT/metrics"
expect "install decisions" "$(metric "$OUT/metrics" ringboot_fleet_boots_total decision=install)" 4
expect "local decisions" "$(metric "$OUT/metrics" ringboot_fleet_boots_total decision=local)" 11
expect "failed machines" "$(metric "$OUT/metrics" ringboot_fleet_failed_total)" 1
expect "machines" "$(metric "$OUT/metrics" ringboot_fleet_machines)" 4
stop_ringboot

note "without profiles or groups /boot.ipxe is the file from the root, as before"
start_http "$ROOT" "$WORK/plain.log"
code=$(curl -s -o "$OUT/plain" -w '%{http_code}' "$BASE/boot.ipxe")
expect "/boot.ipxe without a fleet" "$code" 200
same "$ROOT/boot.ipxe" "$OUT/plain" "/boot.ipxe from the root"
stop_ringboot

note "a group naming an unknown profile is a config error with file:line"
sed -i 's/^profile = "debian12"$/profile = "debian13"/' "$CONFIG"
if "$RINGBOOT" --config "$CONFIG" --check-config >"$OUT/check" 2>&1; then fail "--check-config accepted an unknown profile"; fi
line=$(grep -n '^profile = "debian13"$' "$CONFIG" | cut -d: -f1)
grep -qF "$CONFIG:$line: group[0].profile: no [[profile]] is named \"debian13\"" "$OUT/check" ||
  fail "--check-config said: $(cat "$OUT/check")"
echo "fleet_ipxe: ok"
