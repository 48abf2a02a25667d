#!/usr/bin/env bash
# Real firmware at once (issue 12): several QEMU guests powered on at the same
# moment boot through one ringboot to the Debian installer's /init:
#   tests/e2e/storm.sh <ringboot-binary> [GUESTS]
#
# GUESTS (default 4, at least 2) alternate OVMF (PXE -> TFTP ipxe.efi -> iPXE)
# and SeaBIOS (QEMU's iPXE ROM), each on its own tap on one bridge, each a
# [[machine]] with the debian12 profile: iPXE's DHCP, the fleet's chain and
# per-machine script, the kernel and initrd over HTTP. Every guest must reach
# "Run /init as init process" within one deadline (E2E_BUDGET, default 300 s);
# then the API shows each machine in stage installing with its whole chain
# in order, and /metrics counts every boot.
#
# Measured under TCG on 2 cores beside a sanitizer build: 4 guests, the
# SeaBIOS ones at /init at ~45 s, the OVMF ones at ~70 s after power-on (one
# guest alone takes 10-27 s; here four share the two cores).
#
# Environment as tests/e2e/boot.sh (E2E_KEEP, E2E_TCPDUMP, E2E_BUDGET).
set -euo pipefail

RINGBOOT=${1:-}
GUESTS=${2:-4}
[[ -x "$RINGBOOT" && $GUESTS =~ ^[0-9]+$ && $GUESTS -ge 2 && $GUESTS -le 16 ]] ||
  { echo "usage: $0 <ringboot-binary> [GUESTS: 2-16, default 4]" >&2; exit 2; }
RINGBOOT=$(realpath "$RINGBOOT")
MODE=storm-$GUESTS

source "$(dirname "$0")/lib.sh"
e2e_prerequisites
need_tool python3 python3
e2e_init storm

# --- the guests: names, firmware, addresses ----------------------------------------
FIRMWARES=() MACS=() UUIDS=() SERIALS=() QEMU_PIDS=()
for ((i = 0; i < GUESTS; i++)); do
  if ((i % 2 == 0)); then FIRMWARES+=(uefi); else FIRMWARES+=(bios); fi
  MACS+=("52:54:00:$(printf '%02x:%02x:%02x' $((RANDOM & 0xff)) $((RANDOM & 0xff)) "$i")")
  UUIDS+=("$(cat /proc/sys/kernel/random/uuid)")
  SERIALS+=("$WORK/serial.tap$i.log")
done

e2e_boot_root
e2e_config server ipxe.efi
e2e_api
cat >> "$CONFIG" <<EOF
[[profile]]
name = "debian12"
kernel = "{{http_base}}/linux"
initrd = ["{{http_base}}/initrd.gz"]
cmdline = "console=ttyS0 panic=-1 priority=critical"
EOF
for mac in "${MACS[@]}"; do printf '[[machine]]\nmac = "%s"\nprofile = "debian12"\n' "$mac" >> "$CONFIG"; done
MAC=${MACS[0]} UUID=${UUIDS[0]}  # e2e_network's note names the first guest
E2E_TAPS=$GUESTS e2e_network server

# --- power on, all at once ----------------------------------------------------------
for ((i = 0; i < GUESTS; i++)); do
  MAC=${MACS[i]} UUID=${UUIDS[i]} SERIAL=${SERIALS[i]}
  : > "$SERIAL"
  e2e_qemu "${FIRMWARES[i]}" "tap$i"
  qemu+=(-monitor none -no-reboot)
  [[ ${FIRMWARES[i]} == bios ]] && qemu+=(-boot n)
  inns "${qemu[@]}" </dev/null >"$WORK/qemu.tap$i.out" 2>&1 &
  PIDS+=($!)
  QEMU_PIDS+=($!)
done
VM_START=$(date +%s%N)
BUDGET=${E2E_BUDGET:-300}
note "$GUESTS guests powered on: ${FIRMWARES[*]}"

# --- one deadline for all ------------------------------------------------------------
declare -A AT_INIT=()
deadline=$(( $(date +%s) + BUDGET ))
while (( ${#AT_INIT[@]} < GUESTS )); do
  for ((i = 0; i < GUESTS; i++)); do
    [[ -n ${AT_INIT[$i]:-} ]] && continue
    if tr -d '\r' < "${SERIALS[i]}" | grep -aF "Run /init as init process" >/dev/null; then
      AT_INIT[$i]=$(since "$VM_START")
      note "guest $i (${FIRMWARES[i]}, ${MACS[i]}) reached /init at ${AT_INIT[$i]}s"
      continue
    fi
    kill -0 "${QEMU_PIDS[i]}" 2>/dev/null ||
      fail "guest $i (${FIRMWARES[i]}, ${MACS[i]}) exited before /init ($(tail -n 3 "$WORK/qemu.tap$i.out" | tr '\n' ' '))"
  done
  kill -0 "$RINGBOOT_PID" 2>/dev/null || fail "ringboot exited during the storm"
  if (( $(date +%s) >= deadline )); then
    for ((i = 0; i < GUESTS; i++)); do
      [[ -n ${AT_INIT[$i]:-} ]] && continue
      echo "==== guest $i (${FIRMWARES[i]}, ${MACS[i]}) has not reached /init; its last console lines:"
      tr -d '\r' < "${SERIALS[i]}" | grep -a -v '^\s*$' | tail -n 8
      grep -F "mac=${MACS[i],,}" "$WORK/ringboot.log" | tail -n 3 || true
    done
    fail "$(( GUESTS - ${#AT_INIT[@]} )) of $GUESTS guests did not reach /init within ${BUDGET}s"
  fi
  sleep 0.5
done
ALL_S=$(since "$VM_START")
for pid in "${QEMU_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done

# --- each machine's chain, as the API shows it -----------------------------------------
for ((i = 0; i < GUESTS; i++)); do
  if [[ ${FIRMWARES[i]} == uefi ]]; then
    api_chain "${MACS[i]}" installing dhcp_firmware loader_fetch dhcp_loader script kernel_fetch handoff
  else
    api_chain "${MACS[i]}" installing dhcp_loader script kernel_fetch handoff
  fi
done

# --- what ringboot counted --------------------------------------------------------------
scrape
need_ge 'ringboot_fleet_boots_total{decision="install"}' "$GUESTS"
need_ge 'ringboot_dhcp_messages_sent_total{type="ack"}' "$GUESTS"
need_ge 'ringboot_dhcp_clients_total{arch="ipxe"}' "$GUESTS"
need_ge 'ringboot_http_responses_total{class="2xx"}' $((3 * GUESTS))
[[ $(metric 'ringboot_http_responses_total{class="5xx"}') == 0 ]] || fail "metrics: ringboot answered HTTP 5xx"
[[ $(metric 'ringboot_tftp_transfers_total{result="failed"}') == 0 ]] || fail "metrics: a TFTP transfer failed"
[[ $(metric 'ringboot_fleet_render_errors_total') == 0 ]] || fail "metrics: a render error"
# Every guest got the kernel and the initrd whole (a 200 whose size is the file's plus a head).
sent() {
  awk -v size="$1" '/http.response/ && /status=200/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) { b = substr($i, 7) + 0; if (b >= size && b < size + 1024) n++ }
    } END { print n + 0 }' "$WORK/ringboot.log"
}
(( $(sent "$SIZE_KERNEL") >= GUESTS )) || fail "log: $(sent "$SIZE_KERNEL") whole kernels sent, expected $GUESTS"
(( $(sent "$SIZE_INITRD") >= GUESTS )) || fail "log: $(sent "$SIZE_INITRD") whole initrds sent, expected $GUESTS"

times=()
for ((i = 0; i < GUESTS; i++)); do times+=("${FIRMWARES[i]}=${AT_INIT[$i]}s"); done
note "PASS $MODE: all $GUESTS guests at /init ${ALL_S}s after power-on (${times[*]})"
