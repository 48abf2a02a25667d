#!/usr/bin/env bash
# End-to-end firmware boot through ringboot (issue 6):
#   tests/e2e/boot.sh <ringboot-binary> <uefi-ipxe|uefi-snponly|bios|uefi-ipxe-proxy>
#
# Inside a network namespace this script creates (a bridge br0 and a tap
# device; nothing leads out), ringboot serves DHCP + TFTP + HTTP and a QEMU
# VM (TCG, no KVM) boots from the network to the Debian installer's kernel.
# Passes when the serial console shows "Linux version" and "Run /init as init
# process". Every phase has its own deadline; a failure names the phase.
#
#   uefi-ipxe        OVMF PXE (arch 7) -> TFTP ipxe.efi -> iPXE DHCP -> HTTP script, kernel, initrd
#   uefi-snponly     the same with snponly.efi
#   bios             SeaBIOS + QEMU's iPXE NIC ROM: DHCP (iPXE) -> HTTP script, kernel, initrd
#   uefi-ipxe-proxy  ringboot in proxy mode beside dnsmasq (addresses only)
#
# Environment: E2E_KEEP=1 keeps the work directory; E2E_TCPDUMP=1 captures
# br0 to work/br0.pcap; E2E_NO_RA=1 sends no IPv6 router advertisements
# (iPXE then waits for IPv6 autoconfiguration on every DHCP step);
# E2E_BUDGET=S caps the whole boot (default 300 s).
#
# Measured under TCG on 2 cores, VM start to "Run /init as init process":
# uefi-ipxe ~22 s, uefi-snponly ~18 s, bios ~10 s, uefi-ipxe-proxy ~23 s
# (OVMF spends ~4 s between OFFER and REQUEST; ipxe.efi ~6 s initialising).
set -euo pipefail

RINGBOOT=${1:-}
MODE=${2:-}
[[ -x "$RINGBOOT" ]] || { echo "usage: $0 <ringboot-binary> <uefi-ipxe|uefi-snponly|bios|uefi-ipxe-proxy>" >&2; exit 2; }
RINGBOOT=$(realpath "$RINGBOOT")
case "$MODE" in
  uefi-ipxe) FIRMWARE=uefi; EFI_FILE=ipxe.efi; DHCP_MODE=server ;;
  uefi-snponly) FIRMWARE=uefi; EFI_FILE=snponly.efi; DHCP_MODE=server ;;
  bios) FIRMWARE=bios; EFI_FILE=; DHCP_MODE=server ;;
  uefi-ipxe-proxy) FIRMWARE=uefi; EFI_FILE=ipxe.efi; DHCP_MODE=proxy ;;
  *) echo "unknown path '$MODE'" >&2; exit 2 ;;
esac

fail() { echo "FAIL [$MODE]: $*" >&2; exit 1; }
note() { printf '[%6.1fs] %s\n' "$(elapsed)" "$*"; }
START_NS=$(date +%s%N)
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
elapsed() { since "$START_NS"; }

[[ $(id -u) -eq 0 ]] || fail "needs root (network namespaces, tap devices)"
for tool in ip qemu-system-x86_64 dnsmasq curl awk; do
  command -v "$tool" >/dev/null || fail "required tool '$tool' is missing (scripts/setup --test installs it)"
done
DI=/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/snponly.efi /usr/lib/ipxe/undionly.kpxe "$DI/linux" "$DI/initrd.gz" \
         "$OVMF_CODE" "$OVMF_VARS" /usr/lib/ipxe/qemu/efi-virtio.rom; do
  [[ -f $f ]] || fail "missing $f (scripts/setup --test installs ipxe, ipxe-qemu, ovmf, debian-installer-12-netboot-amd64)"
done

TAG=$(printf '%04x%02x' $(($$ & 0xffff)) $((RANDOM & 0xff)))
NS="rbe$TAG"
WORK=$(mktemp -d "/tmp/ringboot-e2e-$MODE.XXXX")
SERVER=10.77.0.1
HTTP_PORT=8080
MAC=52:54:00:$(printf '%02x:%02x:%02x' $((RANDOM & 0xff)) $((RANDOM & 0xff)) $((RANDOM & 0xff)))
UUID=$(cat /proc/sys/kernel/random/uuid)
PIDS=()

cleanup() {
  local rc=$?
  set +e
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null; done
  sleep 0.3
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  # Anything else still inside the namespace was started by this run.
  for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  ip netns delete "$NS" 2>/dev/null
  if [[ $rc -ne 0 ]]; then
    echo "==== ringboot log (last 40 lines)"; tail -n 40 "$WORK/ringboot.log" 2>/dev/null
    echo "==== serial console (last 25 lines)"; tr -d '\r' < "$WORK/serial.log" 2>/dev/null | grep -a -v '^\s*$' | tail -n 25
    [[ -s $WORK/dnsmasq.log ]] && { echo "==== dnsmasq (last 15 lines)"; tail -n 15 "$WORK/dnsmasq.log"; }
    echo "==== work directory: $WORK"
  fi
  [[ $rc -eq 0 && -z ${E2E_KEEP:-} ]] && rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
inns() { ip netns exec "$NS" "$@"; }

# --- boot root, from the Debian packages ------------------------------------
ROOT=$WORK/root
mkdir -p "$ROOT"
cp /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/snponly.efi /usr/lib/ipxe/undionly.kpxe "$DI/linux" "$DI/initrd.gz" "$ROOT/"
cat > "$ROOT/boot.ipxe" <<EOF
#!ipxe
echo ringboot e2e: \${net0/mac} arch \${buildarch} platform \${platform}
kernel http://$SERVER:$HTTP_PORT/linux initrd=initrd.gz console=ttyS0 panic=-1 priority=critical
initrd http://$SERVER:$HTTP_PORT/initrd.gz
boot
EOF
# Readiness probe: 64 KiB, so its response is never mistaken for a boot file's.
head -c 65536 /dev/zero > "$ROOT/e2e-probe.bin"
SIZE_SCRIPT=$(stat -c %s "$ROOT/boot.ipxe")
SIZE_KERNEL=$(stat -c %s "$ROOT/linux")
SIZE_INITRD=$(stat -c %s "$ROOT/initrd.gz")

# --- ringboot config -----------------------------------------------------------
CONFIG=$WORK/ringboot.toml
cat > "$CONFIG" <<EOF
root = "$ROOT"
threads = 2
log_level = "debug"
[tftp]
listen = "$SERVER:69"
[http]
listen = "$SERVER:$HTTP_PORT"
[dhcp]
mode = "$DHCP_MODE"
interface = "br0"
server_address = "$SERVER"
lease_file = "$WORK/leases"
EOF
# Proxy mode shares port 67 with dnsmasq on this host.
[[ $DHCP_MODE == proxy ]] && echo "shared_port = true" >> "$CONFIG"
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
file = "${EFI_FILE:-ipxe.efi}"
EOF
if [[ $DHCP_MODE == server ]]; then
  cat >> "$CONFIG" <<EOF
[[dhcp.subnet]]
cidr = "10.77.0.0/24"
range = ["10.77.0.100", "10.77.0.199"]
lease_seconds = 600
EOF
fi
"$RINGBOOT" --config "$CONFIG" --check-config >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; fail "setup: ringboot rejects the config"; }

# --- namespace: bridge + tap, nothing leads out ----------------------------------
ip netns add "$NS"
inns ip link set lo up
inns ip link add br0 type bridge stp_state 0 forward_delay 0
inns ip addr add "$SERVER/24" dev br0
inns ip -6 addr add fd00:77::1/64 dev br0 nodad
inns ip tuntap add dev tap0 mode tap
inns ip link set tap0 master br0
inns ip link set tap0 up
inns ip link set br0 up

[[ -n ${E2E_TCPDUMP:-} ]] && { inns tcpdump -i br0 -n -s 0 -w "$WORK/br0.pcap" >/dev/null 2>&1 & PIDS+=($!); }

inns "$RINGBOOT" --config "$CONFIG" >"$WORK/ringboot.log" 2>&1 &
PIDS+=($!)
RINGBOOT_PID=$!

# dnsmasq: IPv6 router advertisements (so iPXE's IPv6 autoconfiguration ends
# at once) and, in proxy mode, the DHCP server that hands out addresses only.
dnsmasq_args=(--keep-in-foreground --no-resolv --no-hosts --port=0 --conf-file=/dev/null --pid-file
              --interface=br0 --bind-interfaces --log-dhcp --log-facility="$WORK/dnsmasq.log"
              --dhcp-leasefile="$WORK/dnsmasq.leases")
want_dnsmasq=
[[ -z ${E2E_NO_RA:-} ]] && { dnsmasq_args+=(--enable-ra --dhcp-range=fd00:77::,ra-only,64 --ra-param=br0,10,600); want_dnsmasq=1; }
[[ $DHCP_MODE == proxy ]] && { dnsmasq_args+=(--dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,10m); want_dnsmasq=1; }
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
note "ringboot up (dhcp=$DHCP_MODE) in namespace $NS, VM mac=$MAC uuid=$UUID"

# --- the VM ------------------------------------------------------------------
SERIAL=$WORK/serial.log
: > "$SERIAL"
qemu=(qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -uuid "$UUID" -name "ringboot-e2e-$MODE"
      -nographic -monitor none -serial "file:$SERIAL" -no-reboot
      -netdev tap,id=n0,ifname=tap0,script=no,downscript=no)
if [[ $FIRMWARE == uefi ]]; then
  cp "$OVMF_VARS" "$WORK/OVMF_VARS.fd"
  # An empty romfile: OVMF's own PXE client runs, not an iPXE option ROM.
  qemu+=(-machine q35 -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
         -drive "if=pflash,format=raw,unit=1,file=$WORK/OVMF_VARS.fd"
         -device "virtio-net-pci,netdev=n0,mac=$MAC,romfile=,bootindex=1")
else
  # SeaBIOS with QEMU's iPXE option ROM for virtio-net (ipxe-qemu).
  qemu+=(-machine pc -boot n -device "virtio-net-pci,netdev=n0,mac=$MAC,bootindex=1")
fi
inns "${qemu[@]}" </dev/null >"$WORK/qemu.out" 2>&1 &
PIDS+=($!)
QEMU_PID=$!
VM_START=$(date +%s%N)
# The whole boot's budget, below CTest's TIMEOUT (tests/integration/e2e.cmake)
# so that a hung boot still fails here, names its phase and cleans up.
BUDGET=${E2E_BUDGET:-300}
BUDGET_END=$(( $(date +%s) + BUDGET ))
note "qemu started ($FIRMWARE)"

# --- phases ----
# Deadlines are about 5x what each phase takes under TCG on 2 cores with
# router advertisements (see the note at the end); the iPXE DHCP step also
# covers iPXE's ~15 s IPv6 wait when no RA arrives.----------------------------------------------------------------
# log_has PATTERN: ringboot's log has a line matching the extended regex.
log_has() { grep -Eq -- "$1" "$WORK/ringboot.log"; }
serial_has() { tr -d '\r' < "$SERIAL" | grep -aFq -- "$1"; }
# http_sent SIZE: a 200 response whose total (head + body) is SIZE plus a head.
http_sent() {
  awk -v size="$1" '/http.response/ && /status=200/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) { b = substr($i, 7) + 0; if (b >= size && b < size + 1024) found = 1 }
    } END { exit !found }' "$WORK/ringboot.log"
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

MAC_RE=${MAC,,}
if [[ $FIRMWARE == uefi ]]; then
  if [[ $DHCP_MODE == server ]]; then
    phase "DHCP (firmware)" 60 log_has "dhcp.decision REQUEST->ACK mac=$MAC_RE arch=(7|9) client=firmware rule=uefi-x64 file=$EFI_FILE"
  else
    # Proxy: an OFFER from ringboot (port 67), then the boot file, possibly by the port-4011 step.
    phase "DHCP (firmware, proxy)" 60 log_has "dhcp.decision [A-Z]+->[A-Z]+ mac=$MAC_RE arch=(7|9) client=firmware rule=uefi-x64 file=$EFI_FILE"
  fi
  phase "TFTP ($EFI_FILE)" 45 log_has "tftp.transfer .*file=\"$EFI_FILE\".* result=ok"
fi
phase "DHCP (iPXE)" 60 log_has "dhcp.decision [A-Z]+->[A-Z]+ mac=$MAC_RE arch=[0-9]+ client=ipxe rule=ipxe-script file=http://$SERVER:$HTTP_PORT/boot.ipxe"
phase "script (boot.ipxe over HTTP)" 30 http_sent "$SIZE_SCRIPT"
phase "kernel (linux over HTTP)" 60 http_sent "$SIZE_KERNEL"
phase "initrd (initrd.gz over HTTP)" 90 http_sent "$SIZE_INITRD"
phase "Linux (Linux version)" 60 serial_has "Linux version"
phase "Linux (Run /init as init process)" 90 serial_has "Run /init as init process"
BOOT_S=$(since "$VM_START")
kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null || true

# --- what ringboot recorded -------------------------------------------------------
METRICS=$WORK/metrics.txt
inns curl -fsS "http://$SERVER:$HTTP_PORT/metrics" -o "$METRICS" || fail "metrics: GET /metrics failed"
metric() {  # metric NAME{labels}: its value, 0 when absent
  awk -v k="$1" 'index($0, k " ") == 1 { v = $NF } END { print (v == "" ? 0 : v) }' "$METRICS"
}
metric_sum() {  # metric_sum PREFIX: the sum over every series whose name starts with PREFIX
  awk -v p="$1" '!/^#/ && index($0, p) == 1 { s += $NF } END { print s + 0 }' "$METRICS"
}
need_ge() {  # need_ge WHAT VALUE MIN
  awk -v v="$2" -v m="$3" 'BEGIN { exit !(v + 0 >= m + 0) }' || fail "metrics: $1 = $2, expected >= $3"
}
# script + kernel + initrd (+ the readiness probe)
need_ge 'ringboot_http_responses_total{class="2xx"}' "$(metric 'ringboot_http_responses_total{class="2xx"}')" 4
need_ge 'ringboot_dhcp_messages_received_total{type="discover"}' "$(metric 'ringboot_dhcp_messages_received_total{type="discover"}')" 1
need_ge 'ringboot_dhcp_messages_sent_total{type="offer"}' "$(metric 'ringboot_dhcp_messages_sent_total{type="offer"}')" 1
need_ge 'ringboot_dhcp_clients_total{arch="ipxe"}' "$(metric 'ringboot_dhcp_clients_total{arch="ipxe"}')" 1
if [[ $DHCP_MODE == server ]]; then
  need_ge 'ringboot_dhcp_messages_sent_total{type="ack"}' "$(metric 'ringboot_dhcp_messages_sent_total{type="ack"}')" 1
fi
if [[ $FIRMWARE == uefi ]]; then
  need_ge 'ringboot_dhcp_clients_total{arch="uefi_x64"}' "$(metric 'ringboot_dhcp_clients_total{arch="uefi_x64"}')" 1
  need_ge 'ringboot_tftp_transfers_total{result="ok"}' "$(metric 'ringboot_tftp_transfers_total{result="ok"}')" 1
  # EDK2's tsize probe (RRQ, OACK, ERROR 8) is counted as a probe, not a failure.
  need_ge 'ringboot_tftp_transfers_total{result="probe"}' "$(metric 'ringboot_tftp_transfers_total{result="probe"}')" 1
  [[ $(metric 'ringboot_tftp_transfers_total{result="failed"}') == 0 ]] || fail "metrics: a TFTP transfer failed"
fi
[[ $(metric 'ringboot_http_responses_total{class="5xx"}') == 0 ]] || fail "metrics: ringboot answered HTTP 5xx"
# The log names MAC, architecture, rule and file for each DHCP step.
log_has "dhcp.decision .*mac=$MAC_RE arch=[0-9]+ client=ipxe rule=ipxe-script file=http" || fail "log: no iPXE decision naming mac, arch, rule and file"
if [[ $FIRMWARE == uefi ]]; then
  log_has "dhcp.decision .*mac=$MAC_RE arch=(7|9) client=firmware rule=uefi-x64 file=$EFI_FILE" || fail "log: no firmware decision naming mac, arch, rule and file"
fi

note "PASS $MODE: Linux reached /init ${BOOT_S}s after VM start (${PHASE_TIMES[*]})"
echo "---- ringboot decisions and transfers"
grep -E 'dhcp.decision|tftp.transfer' "$WORK/ringboot.log" | sed 's/^/  /'
echo "---- metrics"
grep -E '^ringboot_(dhcp|tftp_transfers_total|tftp_probes|http_responses_total)' "$METRICS" | sed 's/^/  /' || true
