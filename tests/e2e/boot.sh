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
#   uefi-http        OVMF UEFI HTTP boot (arch 16, option 60 HTTPClient): the boot
#                    file is a URL, ipxe.efi comes over HTTP, no TFTP at all
#   uefi-http-proxy  the same with ringboot in proxy mode beside dnsmasq
#                    (OVMF combines dnsmasq's address with ringboot's URL offer)
#
# Environment: E2E_KEEP=1 keeps the work directory; E2E_TCPDUMP=1 captures
# br0 to work/br0.pcap; E2E_NO_RA=1 sends no IPv6 router advertisements
# (iPXE then waits for IPv6 autoconfiguration on every DHCP step);
# E2E_BUDGET=S caps the whole boot (default 300 s).
#
# Measured under TCG on 2 cores, VM start to "Run /init as init process":
# uefi-ipxe ~22 s, uefi-snponly ~18 s, bios ~10 s, uefi-ipxe-proxy ~23 s
# (OVMF spends ~4 s between OFFER and REQUEST; ipxe.efi ~6 s initialising).
# OVMF tries PXE over IPv4 and IPv6 before HTTP boot; the HTTP modes turn PXE
# off by fw_cfg (opt/org.tianocore/IPv4PXESupport, IPv6PXESupport), as an
# operator sets HTTP boot first in the firmware's setup.
set -euo pipefail

RINGBOOT=${1:-}
MODE=${2:-}
[[ -x "$RINGBOOT" ]] || { echo "usage: $0 <ringboot-binary> <uefi-ipxe|uefi-snponly|bios|uefi-ipxe-proxy|uefi-http|uefi-http-proxy>" >&2; exit 2; }
HTTP_BOOT=0
RINGBOOT=$(realpath "$RINGBOOT")
case "$MODE" in
  uefi-ipxe) FIRMWARE=uefi; EFI_FILE=ipxe.efi; DHCP_MODE=server ;;
  uefi-snponly) FIRMWARE=uefi; EFI_FILE=snponly.efi; DHCP_MODE=server ;;
  bios) FIRMWARE=bios; EFI_FILE=; DHCP_MODE=server ;;
  uefi-ipxe-proxy) FIRMWARE=uefi; EFI_FILE=ipxe.efi; DHCP_MODE=proxy ;;
  uefi-http) FIRMWARE=uefi; EFI_FILE=ipxe.efi; DHCP_MODE=server; HTTP_BOOT=1 ;;
  uefi-http-proxy) FIRMWARE=uefi; EFI_FILE=ipxe.efi; DHCP_MODE=proxy; HTTP_BOOT=1 ;;
  *) echo "unknown path '$MODE'" >&2; exit 2 ;;
esac

source "$(dirname "$0")/lib.sh"
e2e_prerequisites
e2e_init e2e

e2e_boot_root
cat > "$ROOT/boot.ipxe" <<EOF
#!ipxe
echo ringboot e2e: \${net0/mac} arch \${buildarch} platform \${platform}
kernel http://$SERVER:$HTTP_PORT/linux initrd=initrd.gz console=ttyS0 panic=-1 priority=critical
initrd http://$SERVER:$HTTP_PORT/initrd.gz
boot
EOF
SIZE_SCRIPT=$(stat -c %s "$ROOT/boot.ipxe")
e2e_config "$DHCP_MODE" "${EFI_FILE:-ipxe.efi}"
if [[ $HTTP_BOOT == 1 ]]; then
  # UEFI HTTP boot: the boot file is a URL on ringboot's HTTP listener.
  cat >> "$CONFIG" <<EOF
[[dhcp.boot]]
name = "uefi-http"
match = { arch = [16] }
file = "http://$SERVER:$HTTP_PORT/$EFI_FILE"
EOF
fi
SIZE_EFI=$(stat -c %s "$ROOT/${EFI_FILE:-ipxe.efi}")
e2e_network "$DHCP_MODE"

# --- the VM ------------------------------------------------------------------
e2e_qemu "$FIRMWARE"
qemu+=(-monitor none -no-reboot)
[[ $FIRMWARE == bios ]] && qemu+=(-boot n)
[[ $HTTP_BOOT == 1 ]] && qemu+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n
                                 -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n)
e2e_start_qemu
note "qemu started ($FIRMWARE)"

# --- phases ----------------------------------------------------------------------
# Deadlines are about 5x what each phase takes under TCG on 2 cores with
# router advertisements (see the note at the top); the iPXE DHCP step also
# covers iPXE's ~15 s IPv6 wait when no RA arrives.
if [[ $HTTP_BOOT == 1 ]]; then
  FILE_URL="http://$SERVER:$HTTP_PORT/$EFI_FILE"
  if [[ $DHCP_MODE == server ]]; then
    phase "DHCP (firmware, HTTP boot)" 60 log_has "dhcp.decision REQUEST->ACK mac=$MAC_RE arch=16 client=firmware rule=uefi-http file=$FILE_URL"
  else
    phase "DHCP (firmware, HTTP boot, proxy)" 60 log_has "dhcp.decision [A-Z]+->[A-Z]+ mac=$MAC_RE arch=16 client=firmware rule=uefi-http file=$FILE_URL"
  fi
  phase "HTTP ($EFI_FILE)" 45 http_sent "$SIZE_EFI"
elif [[ $FIRMWARE == uefi ]]; then
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
scrape
# script + kernel + initrd (+ the readiness probe)
need_ge 'ringboot_http_responses_total{class="2xx"}' 4
need_ge 'ringboot_dhcp_messages_received_total{type="discover"}' 1
need_ge 'ringboot_dhcp_messages_sent_total{type="offer"}' 1
need_ge 'ringboot_dhcp_clients_total{arch="ipxe"}' 1
if [[ $DHCP_MODE == server ]]; then
  need_ge 'ringboot_dhcp_messages_sent_total{type="ack"}' 1
fi
if [[ $HTTP_BOOT == 1 ]]; then
  need_ge 'ringboot_dhcp_clients_total{arch="http"}' 1
  # The whole chain over HTTP: the firmware fetched no file by TFTP.
  [[ $(metric 'ringboot_tftp_transfers_total{result="ok"}') == 0 ]] || fail "metrics: HTTP boot made a TFTP transfer"
  [[ $(metric 'ringboot_tftp_transfers_total{result="probe"}') == 0 ]] || fail "metrics: HTTP boot made a TFTP probe"
  if grep -q "tftp.transfer" "$WORK/ringboot.log"; then fail "log: HTTP boot made a TFTP transfer"; fi
elif [[ $FIRMWARE == uefi ]]; then
  need_ge 'ringboot_dhcp_clients_total{arch="uefi_x64"}' 1
  need_ge 'ringboot_tftp_transfers_total{result="ok"}' 1
  # EDK2's tsize probe (RRQ, OACK, ERROR 8) is counted as a probe, not a failure.
  need_ge 'ringboot_tftp_transfers_total{result="probe"}' 1
  [[ $(metric 'ringboot_tftp_transfers_total{result="failed"}') == 0 ]] || fail "metrics: a TFTP transfer failed"
fi
[[ $(metric 'ringboot_http_responses_total{class="5xx"}') == 0 ]] || fail "metrics: ringboot answered HTTP 5xx"
# The log names MAC, architecture, rule and file for each DHCP step.
log_has "dhcp.decision .*mac=$MAC_RE arch=[0-9]+ client=ipxe rule=ipxe-script file=http" || fail "log: no iPXE decision naming mac, arch, rule and file"
if [[ $HTTP_BOOT == 1 ]]; then
  log_has "dhcp.decision .*mac=$MAC_RE arch=16 client=firmware rule=uefi-http file=$FILE_URL" || fail "log: no HTTP boot decision naming mac, arch, rule and URL"
elif [[ $FIRMWARE == uefi ]]; then
  log_has "dhcp.decision .*mac=$MAC_RE arch=(7|9) client=firmware rule=uefi-x64 file=$EFI_FILE" || fail "log: no firmware decision naming mac, arch, rule and file"
fi

note "PASS $MODE: Linux reached /init ${BOOT_S}s after VM start (${PHASE_TIMES[*]})"
echo "---- ringboot decisions and transfers"
grep -E 'dhcp.decision|tftp.transfer' "$WORK/ringboot.log" | sed 's/^/  /'
echo "---- metrics"
grep -E '^ringboot_(dhcp|tftp_transfers_total|tftp_probes|http_responses_total)' "$METRICS" | sed 's/^/  /' || true
