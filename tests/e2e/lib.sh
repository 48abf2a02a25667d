# Shared by tests/e2e/*.sh and scripts/demo-vm (sourced, after MODE is
# set): prerequisites, the work directory, a network namespace with a bridge
# br0 and tap devices (nothing leads out), ringboot and dnsmasq in it, QEMU's
# command line, phase deadlines, log and metric checks, and the cleanup of
# everything started, by PID, and of the namespace.

fail() { echo "FAIL [$MODE]: $*" >&2; exit 1; }
note() { printf '[%6.1fs] %s\n' "$(elapsed)" "$*"; }
START_NS=$(date +%s%N)
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
elapsed() { since "$START_NS"; }

DI=/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.fd
DI_ARM64=/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64

# need_tool TOOL PACKAGE / need_file FILE PACKAGE: fail naming the package.
need_tool() { command -v "$1" >/dev/null || fail "required tool '$1' is missing (scripts/setup --test installs $2)"; }
need_file() { [[ -e $1 ]] || fail "missing $1 (scripts/setup --test installs $2)"; }

# e2e_prerequisites: root and what every boot needs.
e2e_prerequisites() {
  [[ $(id -u) -eq 0 ]] || fail "needs root (network namespaces, tap devices)"
  need_tool ip iproute2
  need_tool qemu-system-x86_64 qemu-system-x86
  need_tool dnsmasq dnsmasq-base
  need_tool curl curl
  need_tool awk mawk
  local f
  for f in /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/snponly.efi /usr/lib/ipxe/undionly.kpxe; do need_file "$f" ipxe; done
  need_file /usr/lib/ipxe/qemu/efi-virtio.rom ipxe-qemu
  need_file "$DI/linux" debian-installer-12-netboot-amd64
  need_file "$DI/initrd.gz" debian-installer-12-netboot-amd64
  need_file "$OVMF_CODE" ovmf
  need_file "$OVMF_VARS" ovmf
}

# e2e_init NAME: the work directory, names and addresses, the cleanup trap.
e2e_init() {
  TAG=$(printf '%04x%02x' $(($$ & 0xffff)) $((RANDOM & 0xff)))
  NS="rbe$TAG"
  WORK=$(mktemp -d "/tmp/ringboot-$1-$MODE.XXXX")
  SERVER=10.77.0.1
  HTTP_PORT=8080
  MAC=52:54:00:$(printf '%02x:%02x:%02x' $((RANDOM & 0xff)) $((RANDOM & 0xff)) $((RANDOM & 0xff)))
  MAC_RE=${MAC,,}
  UUID=$(cat /proc/sys/kernel/random/uuid)
  SERIAL=$WORK/serial.log
  CONFIG=$WORK/ringboot.toml
  METRICS=$WORK/metrics.txt
  PIDS=()
  LOG_FROM=0
  SERIAL_FROM=0
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
}

e2e_cleanup() {
  local rc=$? i pid
  set +e
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null; done
  sleep 0.3
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  # Anything else still inside the namespace was started by this run.
  for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  ip netns delete "$NS" 2>/dev/null
  if [[ $rc -ne 0 ]]; then
    echo "==== ringboot log (last 40 lines)"; tail -n 40 "$WORK/ringboot.log" 2>/dev/null
    echo "==== serial console (last 25 lines)"; tr -d '\r' < "$SERIAL" 2>/dev/null | grep -a -v '^\s*$' | tail -n 25
    [[ -s $WORK/dnsmasq.log ]] && { echo "==== dnsmasq (last 15 lines)"; tail -n 15 "$WORK/dnsmasq.log"; }
    echo "==== work directory: $WORK"
  fi
  [[ $rc -eq 0 && -z ${E2E_KEEP:-} ]] && rm -rf "$WORK"
  exit $rc
}

inns() { ip netns exec "$NS" "$@"; }

# e2e_boot_root: $ROOT with the Debian packages' boot files and a readiness
# probe of 64 KiB, so that its response is never mistaken for a boot file's.
e2e_boot_root() {
  ROOT=$WORK/root
  mkdir -p "$ROOT"
  cp /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/snponly.efi /usr/lib/ipxe/undionly.kpxe "$DI/linux" "$DI/initrd.gz" "$ROOT/"
  head -c 65536 /dev/zero > "$ROOT/e2e-probe.bin"
  SIZE_KERNEL=$(stat -c %s "$ROOT/linux")
  SIZE_INITRD=$(stat -c %s "$ROOT/initrd.gz")
}

# e2e_config DHCP_MODE EFI_FILE: $CONFIG with TFTP, HTTP and DHCP on br0; iPXE
# gets http://SERVER/boot.ipxe, BIOS PXE undionly.kpxe, UEFI EFI_FILE.
e2e_config() {
  local dhcp_mode=$1 efi_file=$2
  cat > "$CONFIG" <<EOF
root = "$ROOT"
state_dir = "$WORK/state"
threads = 2
log_level = "debug"
[tftp]
listen = "$SERVER:69"
[http]
listen = "$SERVER:$HTTP_PORT"
[dhcp]
mode = "$dhcp_mode"
interface = "br0"
server_address = "$SERVER"
EOF
  # Proxy mode shares port 67 with dnsmasq on this host.
  [[ $dhcp_mode == proxy ]] && echo "shared_port = true" >> "$CONFIG"
  cat >> "$CONFIG" <<EOF
[[dhcp.boot]]
name = "ipxe-script"
match = { ipxe = true }
file = "http://$SERVER:$HTTP_PORT/boot.ipxe"
[[dhcp.boot]]
name = "bios-undionly"
match = { arch = [0] }
file = "undionly.kpxe"
[[dhcp.boot]]
name = "uefi-x64"
match = { arch = [7, 9] }
file = "$efi_file"
EOF
  if [[ $dhcp_mode == server ]]; then
    cat >> "$CONFIG" <<EOF
[[dhcp.subnet]]
cidr = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.199"]
lease_seconds = 600
EOF
  fi
}

# e2e_network DHCP_MODE: the namespace, ringboot with $CONFIG in it, and
# dnsmasq for IPv6 router advertisements (so iPXE's IPv6 autoconfiguration
# ends at once) and, in proxy mode, the DHCP server that hands out addresses.
e2e_network() {
  local dhcp_mode=$1
  "$RINGBOOT" --config "$CONFIG" --check-config >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; fail "setup: ringboot rejects the config"; }
  ip netns add "$NS"
  inns ip link set lo up
  inns ip link add br0 type bridge stp_state 0 forward_delay 0
  # E2E_IPV6_ONLY: no IPv4 address on the boot bridge at all.
  [[ -z ${E2E_IPV6_ONLY:-} ]] && inns ip addr add "$SERVER/24" dev br0
  inns ip -6 addr add fd00:77::1/64 dev br0 nodad
  local i
  for ((i = 0; i < ${E2E_TAPS:-1}; i++)); do  # E2E_TAPS: how many guests (tap0, tap1, ...)
    inns ip tuntap add dev "tap$i" mode tap
    inns ip link set "tap$i" master br0
    inns ip link set "tap$i" up
  done
  inns ip link set br0 up

  # E2E_NETWORK_HOOK: a function to run once the namespace exists, before ringboot starts.
  [[ -n ${E2E_NETWORK_HOOK:-} ]] && "$E2E_NETWORK_HOOK"

  [[ -n ${E2E_TCPDUMP:-} ]] && { inns tcpdump -i br0 -n -s 0 -w "$WORK/br0.pcap" >/dev/null 2>&1 & PIDS+=($!); }

  inns "$RINGBOOT" --config "$CONFIG" >"$WORK/ringboot.log" 2>&1 &
  PIDS+=($!)
  RINGBOOT_PID=$!

  local dnsmasq_args=(--keep-in-foreground --no-resolv --no-hosts --port=0 --conf-file=/dev/null --pid-file
                      --interface=br0 --bind-interfaces --log-dhcp --log-facility="$WORK/dnsmasq.log"
                      --dhcp-leasefile="$WORK/dnsmasq.leases")
  local want_dnsmasq=
  [[ -z ${E2E_NO_RA:-} ]] && { dnsmasq_args+=(--enable-ra --dhcp-range=fd00:77::,ra-only,64 --ra-param=br0,10,600); want_dnsmasq=1; }
  [[ $dhcp_mode == proxy ]] && { dnsmasq_args+=(--dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,10m); want_dnsmasq=1; }
  if [[ -n $want_dnsmasq ]]; then
    inns dnsmasq "${dnsmasq_args[@]}" >"$WORK/dnsmasq.out" 2>&1 &
    PIDS+=($!)
  fi

  for _ in $(seq 50); do
    grep -q 'ringboot.started' "$WORK/ringboot.log" 2>/dev/null && break
    kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "setup: ringboot exited at start"
    sleep 0.1
  done
  grep -q 'ringboot.started' "$WORK/ringboot.log" || fail "setup: ringboot did not start in 5 s"
  inns curl -fsS "http://$SERVER:$HTTP_PORT/e2e-probe.bin" -o /dev/null || fail "setup: ringboot's HTTP does not answer in the namespace"
  note "ringboot up (dhcp=$dhcp_mode) in namespace $NS, VM mac=$MAC uuid=$UUID"
}

# e2e_qemu FIRMWARE [TAP]: the array qemu, the VM ($MAC, $UUID, console to
# $SERIAL) on TAP (default tap0) without its monitor and disks:
# bios is SeaBIOS with QEMU's iPXE option ROM for virtio-net (ipxe-qemu);
# uefi is OVMF with an empty romfile, so OVMF's own PXE client runs. The NIC
# is first in the boot order.
e2e_qemu() {
  local system=qemu-system-x86_64 tap=${2:-tap0}
  [[ $1 == arm64 ]] && system=qemu-system-aarch64
  qemu=("$system" -accel tcg -m 1024 -smp 1 -uuid "$UUID" -name "ringboot-e2e-$MODE-$tap"
        -nographic -serial "file:$SERIAL" -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no")
  if [[ $1 == arm64 ]]; then
    # AAVMF (qemu-efi-aarch64) on QEMU's virt board; its console is the PL011 (ttyAMA0).
    cp "$AAVMF_VARS" "$WORK/AAVMF_VARS.$tap.fd"
    qemu+=(-machine virt -cpu cortex-a57 -drive "if=pflash,format=raw,unit=0,readonly=on,file=$AAVMF_CODE"
           -drive "if=pflash,format=raw,unit=1,file=$WORK/AAVMF_VARS.$tap.fd"
           -device "virtio-net-pci,netdev=n0,mac=$MAC,romfile=,bootindex=1")
  elif [[ $1 == uefi ]]; then
    cp "$OVMF_VARS" "$WORK/OVMF_VARS.$tap.fd"
    qemu+=(-machine q35 -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
           -drive "if=pflash,format=raw,unit=1,file=$WORK/OVMF_VARS.$tap.fd"
           -device "virtio-net-pci,netdev=n0,mac=$MAC,romfile=,bootindex=1")
  else
    qemu+=(-machine pc -device "virtio-net-pci,netdev=n0,mac=$MAC,bootindex=1")
  fi
}

# e2e_start_qemu: runs "${qemu[@]}" in the namespace. The boot's budget,
# E2E_BUDGET (default 300 s), stays below CTest's TIMEOUT
# (tests/integration/e2e.cmake) so that a hung boot still fails here, names
# its phase and cleans up.
e2e_start_qemu() {
  : > "$SERIAL"
  inns "${qemu[@]}" </dev/null >"$WORK/qemu.out" 2>&1 &
  PIDS+=($!)
  QEMU_PID=$!
  VM_START=$(date +%s%N)
  BUDGET=${E2E_BUDGET:-300}
  BUDGET_END=$(( $(date +%s) + BUDGET ))
}

# The checks look at what came after the marks LOG_FROM (lines of ringboot's
# log) and SERIAL_FROM (bytes of the serial console); mark sets both to now.
# grep reads to the end (no -q), so that no writer dies of SIGPIPE under pipefail.
mark() { LOG_FROM=$(wc -l < "$WORK/ringboot.log"); SERIAL_FROM=$(stat -c %s "$SERIAL"); }
log_since() { tail -n +$((LOG_FROM + 1)) "$WORK/ringboot.log"; }
serial_since() { tail -c +$((SERIAL_FROM + 1)) "$SERIAL" | tr -d '\r'; }
# log_has REGEX: ringboot's log has a line matching the extended regex.
log_has() { log_since | grep -E -- "$1" >/dev/null; }
# serial_has TEXT: the serial console shows TEXT.
serial_has() { serial_since | grep -aF -- "$1" >/dev/null; }
# http_sent SIZE: a 200 response whose total (head + body) is SIZE plus a head.
http_sent() {
  log_since | awk -v size="$1" '/http.response/ && /status=200/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) { b = substr($i, 7) + 0; if (b >= size && b < size + 1024) found = 1 }
    } END { exit !found }'
}
PHASE_TIMES=()
# phase NAME TIMEOUT_S CHECK...: waits until CHECK succeeds.
phase() {
  local name=$1 timeout=$2; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  while ! "$@"; do
    kill -0 "$QEMU_PID" 2>/dev/null || fail "phase '$name' did not complete: QEMU exited ($(tail -n 3 "$WORK/qemu.out" | tr '\n' ' '))"
    kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "phase '$name' did not complete: ringboot exited"
    (( $(date +%s) < deadline )) || fail "phase '$name' did not complete within ${timeout}s"
    (( $(date +%s) < BUDGET_END )) || fail "phase '$name' did not complete: the whole boot exceeded ${BUDGET}s"
    sleep 0.25
  done
  local t; t=$(since "$VM_START")
  PHASE_TIMES+=("$name=${t}s")
  note "phase $name done at ${t}s after VM start"
}

# e2e_api: the admin API on 127.0.0.1:8081 in $CONFIG, with a read token in $API_TOKEN.
e2e_api() {
  API_TOKEN=e2e-read-$RANDOM$RANDOM
  echo "read $API_TOKEN" > "$WORK/tokens"
  cat >> "$CONFIG" <<EOF
[api]
listen = "127.0.0.1:8081"
tokens_file = "$WORK/tokens"
EOF
}
# api_chain MAC STAGE STEP...: the API's view of the machine MAC (GET
# /api/v1/machines/MAC on the admin listener, read token) is in STAGE, and its timeline holds STEPs in
# this order (others may come between), at times that never go back.
api_chain() {
  local mac=$1 stage=$2
  shift 2
  inns curl -fsS --max-time 10 -H "Authorization: Bearer $API_TOKEN" \
    "http://127.0.0.1:8081/api/v1/machines/$mac" -o "$WORK/machine.json" ||
    fail "api: GET /api/v1/machines/$mac failed"
  python3 - "$WORK/machine.json" "$stage" "$@" <<'PY' || fail "api: $mac's stage and timeline are not the boot's (above)"
import json, sys
m = json.load(open(sys.argv[1]))
stage, want = sys.argv[2], sys.argv[3:]
steps = [(e["time"], e["step"]) for e in m.get("timeline", [])]
print("  api: stage=%s timeline=%s" % (m.get("stage"), " ".join(s for _, s in steps)))
ok = m.get("stage") == stage
if not ok:
    print("  api: stage is %r, expected %r" % (m.get("stage"), stage))
times, i = [], 0
for t, s in steps:
    if i < len(want) and s == want[i]:
        times.append(t)
        i += 1
if i < len(want):
    print("  api: step %r (and what follows it) missing from the timeline, in order: %s" % (want[i], " ".join(want)))
    ok = False
if times != sorted(times):
    print("  api: the steps' times go back: %s" % times)
    ok = False
sys.exit(0 if ok else 1)
PY
  note "api: $mac in stage $stage, timeline has $*"
}

# scrape: GET /metrics into $METRICS.
scrape() { inns curl -fsS "http://$SERVER:$HTTP_PORT/metrics" -o "$METRICS" || fail "metrics: GET /metrics failed"; }
metric() {  # metric NAME{labels}: its value, 0 when absent
  awk -v k="$1" 'index($0, k " ") == 1 { v = $NF } END { print (v == "" ? 0 : v) }' "$METRICS"
}
metric_sum() {  # metric_sum PREFIX: the sum over every series whose name starts with PREFIX
  awk -v p="$1" '!/^#/ && index($0, p) == 1 { s += $NF } END { print s + 0 }' "$METRICS"
}
need_ge() {  # need_ge NAME{labels} MIN
  local v; v=$(metric "$1")
  awk -v v="$v" -v m="$2" 'BEGIN { exit !(v + 0 >= m + 0) }' || fail "metrics: $1 = $v, expected >= $2"
}
need_eq() {  # need_eq NAME{labels} VALUE
  local v; v=$(metric "$1")
  awk -v v="$v" -v m="$2" 'BEGIN { exit !(v + 0 == m + 0) }' || fail "metrics: $1 = $v, expected $2"
}
