#!/usr/bin/env bash
# End-to-end GRUB netboot through ringboot, with and without Secure Boot (issue 14):
#   tests/e2e/grub.sh <ringboot-binary> <grub-tftp|grub-http|secureboot|secureboot-unsigned|arm64>
#
# The loader is Debian's signed GRUB netboot image, grubnetx64.efi.signed
# (grub-efi-amd64-signed): prefix /grub, and a built-in memdisk config that
# sources $prefix/x86_64-efi/grub.cfg if it exists, else $prefix/grub.cfg.
# Neither is in the boot root, so ringboot answers them with its chain
# config, which asks for grub/grub.cfg-01-<mac> (built from GRUB's
# $net_default_mac); ringboot renders that one from the machine's
# [[profile]] (fleet/grub.h) and GRUB boots the Debian installer's kernel.
#
#   grub-tftp            OVMF PXE -> TFTP grubnetx64.efi -> GRUB config -> kernel, initrd over TFTP
#   grub-http            the same, the kernel and initrd over GRUB's HTTP ({{http_base}} URLs;
#                        http.mod from grub-efi-amd64-bin in the root's grub/x86_64-efi/)
#   secureboot           OVMF with the Microsoft keys enrolled (OVMF_CODE_4M.ms.fd, SMM) ->
#                        TFTP shimx64.efi -> shim fetches grubx64.efi (the signed GRUB netboot
#                        image) -> GRUB config -> the signed kernel; the kernel says Secure Boot is on
#   secureboot-unsigned  the same firmware handed ipxe.efi (unsigned): refused, nothing else fetched
#   arm64                qemu-system-aarch64 (TCG) with AAVMF: PXE with arch 11 -> TFTP grubaa64.efi
#                        (Debian's arm64 netboot GRUB, debian-installer-12-netboot-arm64) -> the
#                        same rendered config (its prefix is debian-installer/arm64/grub, also
#                        answered by ringboot) -> the arm64 installer kernel and initrd over TFTP
#
# Environment as tests/e2e/boot.sh (E2E_KEEP, E2E_TCPDUMP, E2E_BUDGET).
#
# Measured under TCG on 2 cores (shared with other builds), VM start to
# "Run /init as init process": grub-tftp ~27 s (kernel 1.5 s, initrd 5.5 s
# over TFTP at GRUB's blksize 1024, windowsize 1), grub-http ~85 s (GRUB's
# HTTP: 8 MB kernel 6.5 s, 41 MB initrd 27 s), secureboot ~55 s (shim's
# grubx64.efi at blksize 512: 2.9 s), secureboot-unsigned ~21 s (refused at
# ~16 s, then 5 s of watching that nothing else is fetched), arm64 ~31 s on an
# idle machine, ~46 s beside a build (aarch64 TCG; the 33 MB kernel and 40 MB
# initrd over TFTP at GRUB's blksize 1024, windowsize 1: ~6.5 s and ~8-13 s).
set -euo pipefail

RINGBOOT=${1:-}
MODE=${2:-}
[[ -x "$RINGBOOT" ]] || { echo "usage: $0 <ringboot-binary> <grub-tftp|grub-http|secureboot|secureboot-unsigned|arm64>" >&2; exit 2; }
ARM64=
RINGBOOT=$(realpath "$RINGBOOT")
case "$MODE" in
  grub-tftp) EFI_FILE=grubnetx64.efi; FETCH=tftp; SECURE= ;;
  grub-http) EFI_FILE=grubnetx64.efi; FETCH=http; SECURE= ;;
  secureboot) EFI_FILE=shimx64.efi; FETCH=tftp; SECURE=1 ;;
  secureboot-unsigned) EFI_FILE=ipxe.efi; FETCH=; SECURE=1 ;;
  arm64) EFI_FILE=grubaa64.efi; FETCH=tftp; SECURE=; ARM64=1 ;;
  *) echo "unknown mode '$MODE'" >&2; exit 2 ;;
esac

source "$(dirname "$0")/lib.sh"
GRUB_NET=/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
SHIM=/usr/lib/shim/shimx64.efi.signed
e2e_prerequisites
need_file "$GRUB_NET" grub-efi-amd64-signed
need_file "$SHIM" shim-signed
if [[ -n $SECURE ]]; then
  OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.ms.fd
  OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
  need_file "$OVMF_CODE" ovmf
  need_file "$OVMF_VARS" ovmf
fi
if [[ -n $ARM64 ]]; then
  need_tool qemu-system-aarch64 qemu-system-arm
  need_file "$AAVMF_CODE" qemu-efi-aarch64
  need_file "$AAVMF_VARS" qemu-efi-aarch64
  for f in grubaa64.efi linux initrd.gz; do need_file "$DI_ARM64/$f" debian-installer-12-netboot-arm64; done
fi
e2e_init grub

e2e_boot_root
cp "$GRUB_NET" "$ROOT/grubnetx64.efi"
cp "$GRUB_NET" "$ROOT/grubx64.efi"  # shim loads grubx64.efi from beside itself
cp "$SHIM" "$ROOT/shimx64.efi"
if [[ $FETCH == http ]]; then
  # The signed image has tftp built in, not http: GRUB loads http.mod from
  # $prefix/x86_64-efi over TFTP on the first (http,...) path (the same
  # 2.06-13 build in grub-efi-amd64-bin). Secure Boot's lockdown refuses
  # modules, so GRUB's HTTP is for machines without it.
  need_file /usr/lib/grub/x86_64-efi/http.mod grub-efi-amd64-bin
  mkdir -p "$ROOT/grub/x86_64-efi"
  cp /usr/lib/grub/x86_64-efi/http.mod "$ROOT/grub/x86_64-efi/"
fi
if [[ -n $ARM64 ]]; then
  # The arm64 installer under the same names; its GRUB is the netboot image's.
  cp "$DI_ARM64/grubaa64.efi" "$DI_ARM64/linux" "$DI_ARM64/initrd.gz" "$ROOT/"
  SIZE_KERNEL=$(stat -c %s "$ROOT/linux")
  SIZE_INITRD=$(stat -c %s "$ROOT/initrd.gz")
  e2e_config server grubnetx64.efi
  cat >> "$CONFIG" <<EOF
[[dhcp.boot]]
name = "uefi-arm64"
match = { arch = [11] }
file = "$EFI_FILE"
EOF
  CONSOLE=ttyAMA0
else
  e2e_config server "$EFI_FILE"
  CONSOLE=ttyS0
fi
if [[ $FETCH == http ]]; then KERNEL='{{http_base}}/linux'; INITRD='{{http_base}}/initrd.gz'; else KERNEL=linux; INITRD=initrd.gz; fi
cat >> "$CONFIG" <<EOF
[[profile]]
name = "debian12"
kernel = "$KERNEL"
initrd = ["$INITRD"]
cmdline = "console=$CONSOLE panic=-1 priority=critical"
[[machine]]
mac = "$MAC"
profile = "debian12"
once = false
EOF
e2e_network server

# --- the VM ------------------------------------------------------------------
if [[ -n $ARM64 ]]; then e2e_qemu arm64; else e2e_qemu uefi; fi
if [[ -n $SECURE ]]; then
  # The Secure Boot build of OVMF keeps its variables in SMM-protected flash.
  for i in "${!qemu[@]}"; do [[ ${qemu[i]} == q35 ]] && qemu[i]=q35,smm=on; done
  qemu+=(-global driver=cfi.pflash01,property=secure,value=on)
fi
qemu+=(-monitor none -no-reboot)
e2e_start_qemu
note "qemu started (${ARM64:+arm64 }uefi${SECURE:+, Secure Boot})"

# tftp_ok FILE SIZE: a whole transfer of FILE, SIZE bytes acknowledged.
tftp_ok() { log_has "tftp.transfer .*file=\"$1\" bytes=$2 .*result=ok"; }

if [[ -n $ARM64 ]]; then
  phase "DHCP (firmware, arm64)" 90 log_has "dhcp.decision REQUEST->ACK mac=$MAC_RE arch=11 client=firmware rule=uefi-arm64 file=$EFI_FILE"
else
  phase "DHCP (firmware)" 60 log_has "dhcp.decision REQUEST->ACK mac=$MAC_RE arch=(7|9) client=firmware rule=uefi-x64 file=$EFI_FILE"
fi
phase "TFTP ($EFI_FILE)" 45 tftp_ok "$EFI_FILE" "$(stat -c %s "$ROOT/$EFI_FILE")"

if [[ $MODE == secureboot-unsigned ]]; then
  # EDK2's boot manager refuses the image (EFI_SECURITY_VIOLATION: "Access Denied").
  phase "firmware refuses the unsigned loader" 60 serial_has "Access Denied"
  mark
  sleep 5  # time for a loader that did run to ask for its next file
  kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null || true
  # The firmware's next boot entries may fetch ipxe.efi again; nothing else may be fetched.
  second=$(log_since | grep -E 'tftp.transfer .*result=ok' | grep -v 'file="ipxe.efi"' | head -1 || true)
  [[ -z $second ]] || fail "a second file was fetched after the unsigned loader was refused: $second"
  ! log_has "http.response" || fail "HTTP was asked after the unsigned loader was refused"
  ! log_has "dhcp.decision .*client=ipxe" || fail "iPXE ran although Secure Boot should refuse it"
  scrape
  need_ge 'ringboot_tftp_transfers_total{result="ok"}' 1
  [[ $(metric 'ringboot_tftp_transfers_total{result="failed"}') == 0 ]] || fail "metrics: a TFTP transfer failed"
  note "PASS $MODE: OVMF with Secure Boot refused ipxe.efi (${PHASE_TIMES[*]})"
  exit 0
fi

if [[ $MODE == secureboot ]]; then
  phase "TFTP (shim fetches grubx64.efi)" 45 tftp_ok grubx64.efi "$(stat -c %s "$ROOT/grubx64.efi")"
fi
phase "GRUB config (rendered for the MAC)" 60 log_has "fleet.boot mac=$MAC_RE decision=install profile=\"debian12\" .* loader=grub\$"
if [[ $FETCH == http ]]; then
  phase "kernel (linux over GRUB's HTTP)" 90 http_sent "$SIZE_KERNEL"
  phase "initrd (initrd.gz over GRUB's HTTP)" 120 http_sent "$SIZE_INITRD"
else
  phase "kernel (linux over TFTP)" 90 tftp_ok linux "$SIZE_KERNEL"
  phase "initrd (initrd.gz over TFTP)" 120 tftp_ok initrd.gz "$SIZE_INITRD"
fi
phase "Linux (Linux version)" 60 serial_has "Linux version"
if [[ -n $SECURE ]]; then
  phase "Linux (Secure boot enabled)" 60 serial_has "Secure boot enabled"
fi
phase "Linux (Run /init as init process)" 90 serial_has "Run /init as init process"
BOOT_S=$(since "$VM_START")
kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null || true

# --- what ringboot recorded -------------------------------------------------------
scrape
need_ge 'ringboot_fleet_boots_total{decision="install"}' 1
if [[ -n $ARM64 ]]; then need_ge 'ringboot_dhcp_clients_total{arch="uefi_arm64"}' 1; fi
need_ge 'ringboot_tftp_transfers_total{result="ok"}' 3
[[ $(metric 'ringboot_tftp_transfers_total{result="failed"}') == 0 ]] || fail "metrics: a TFTP transfer failed"
[[ $(metric 'ringboot_fleet_render_errors_total') == 0 ]] || fail "metrics: a render error"
[[ $(metric 'ringboot_http_responses_total{class="5xx"}') == 0 ]] || fail "metrics: ringboot answered HTTP 5xx"
if [[ $FETCH == http ]]; then need_ge 'ringboot_http_responses_total{class="2xx"}' 3; fi
# GRUB asked its per-MAC name and got it whole.
# Debian's arm64 netboot GRUB has its prefix in the installer's tree.
if [[ -n $ARM64 ]]; then PREFIX=debian-installer/arm64/grub; else PREFIX=grub; fi
log_has "tftp.transfer .*file=\"$PREFIX/grub.cfg-01-${MAC_RE//:/-}\" .*result=ok" ||
  fail "log: no whole transfer of $PREFIX/grub.cfg-01-${MAC_RE//:/-}"

note "PASS $MODE: Linux reached /init ${BOOT_S}s after VM start (${PHASE_TIMES[*]})"
echo "---- ringboot decisions and transfers"
grep -E 'dhcp.decision|tftp.transfer|fleet.boot|http.response' "$WORK/ringboot.log" | sed 's/^/  /'
echo "---- metrics"
grep -E '^ringboot_(tftp_transfers_total|tftp_options|fleet_boots_total|http_responses_total)' "$METRICS" | sed 's/^/  /' || true
