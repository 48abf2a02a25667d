#!/usr/bin/env bash
# The example rollout in deploy/examples: ringboot accepts fleet.toml and
# renders each of its profiles as iPXE needs them (kernel, named initrds,
# the preseed URL unquoted and exactly as configured); debconf accepts the
# Debian preseed; the Ubuntu user-data is YAML with an autoinstall section;
# and the preseed's late_command, run by busybox (as in the installer) with
# the kernel command line ringboot rendered, reports done, after which the
# machine boots local.
RINGBOOT=${1:-}
source "$(dirname "$0")/http_lib.sh"
need busybox
need debconf-set-selections
EXAMPLES=$(cd "$(dirname "$0")/../../deploy/examples" && pwd)

ROOT=$WORK/root
mkdir -p "$ROOT"
CONFIG=$WORK/ringboot.toml
{
  cat "$EXAMPLES/fleet.toml"
  cat <<'TOML'

[[machine]]
mac = "52:54:00:00:00:01"
hostname = "node1"
labels = ["rack=a1"]
TOML
} >"$CONFIG"
"$RINGBOOT" --config "$CONFIG" --root "$ROOT" --check-config >"$WORK/check.log" 2>&1 ||
  fail "the example fleet.toml is refused: $(cat "$WORK/check.log")"

note "debconf reads the Debian preseed"
debconf-set-selections --checkonly "$EXAMPLES/debian12/preseed.cfg" >"$WORK/debconf.log" 2>&1 ||
  fail "debconf-set-selections refuses the preseed: $(cat "$WORK/debconf.log")"
grep -q '^d-i preseed/late_command string .*ringboot\\.done=.*--post-data' "$EXAMPLES/debian12/preseed.cfg" ||
  fail "the preseed has no late_command reporting done"

note "the Ubuntu user-data is YAML with autoinstall late-commands reporting done"
python3 - "$EXAMPLES/ubuntu2404/user-data" <<'PY' || fail "the Ubuntu user-data is not what subiquity reads"
import sys, yaml
text = open(sys.argv[1]).read()
assert text.startswith("#cloud-config\n"), "user-data must start with #cloud-config"
doc = yaml.safe_load(text)
ai = doc["autoinstall"]
assert ai["version"] == 1, ai.get("version")
assert any("ringboot" in c and "POST" in c for c in ai["late-commands"]), ai["late-commands"]
PY
[[ -f $EXAMPLES/ubuntu2404/meta-data ]] || fail "no meta-data beside the user-data (nocloud-net needs both)"

start_http "$ROOT" "$WORK/ringboot.log" --config "$CONFIG"
note "the Debian install script, exactly"
curl -fsS --max-time 10 "$BASE/ipxe?mac=52-54-00-00-00-01&buildarch=x86_64&platform=efi" -o "$WORK/s" ||
  fail "GET /ipxe for node1"
kernel=$(grep '^kernel ' "$WORK/s") || fail "no kernel line in: $(cat "$WORK/s")"
want="^kernel $BASE/debian12/linux initrd=initrd0 auto=true priority=critical preseed/url=$BASE/preseed/debian12.cfg hostname=node1 domain= console=tty0 console=ttyS0,115200 ringboot.done=$BASE/api/v1/machines/52-54-00-00-00-01/done\\?token=[0-9a-f]{32}\$"
[[ $kernel =~ $want ]] || fail "kernel line: $kernel"
grep -qx "initrd --name initrd0 $BASE/debian12/initrd.gz" "$WORK/s" || fail "initrd line in: $(cat "$WORK/s")"
grep -q '"' "$WORK/s" && fail "a quote in the install script: $(cat "$WORK/s")"

note "the preseed's late_command, run by busybox sh and wget as the installer would, reports done"
# The kernel command line the installer would see, from the rendered script.
echo "BOOT_IMAGE=linux ${kernel#kernel * }" >"$WORK/cmdline"
late=$(sed -n 's/^d-i preseed\/late_command string //p' "$EXAMPLES/debian12/preseed.cfg")
late=${late//\/proc\/cmdline/$WORK\/cmdline}
mkdir -p "$WORK/bin"
for applet in sh sed wget; do ln -sf "$(command -v busybox)" "$WORK/bin/$applet"; done
PATH="$WORK/bin" "$(command -v busybox)" sh -c "$late" >"$WORK/late.log" 2>&1 || fail "late_command failed: $(cat "$WORK/late.log")"
grep -q 'callback failed' "$WORK/late.log" && fail "late_command could not report done: $(cat "$WORK/late.log")"
await_log 'fleet.done mac=52:54:00:00:00:01 result=accepted' 1 "done accepted"
curl -fsS --max-time 10 "$BASE/ipxe?mac=52-54-00-00-00-01&buildarch=x86_64&platform=efi" -o "$WORK/s" ||
  fail "GET /ipxe for node1 after done"
grep -qx 'exit 1' "$WORK/s" || fail "after done, not local boot: $(cat "$WORK/s")"
stop_ringboot
echo "PASS fleet_examples"
