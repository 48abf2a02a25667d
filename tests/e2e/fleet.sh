#!/usr/bin/env bash
# Per-machine boot (fleet) with real firmware (issue 11):
#   tests/e2e/fleet.sh <ringboot-binary> <bios-once|uefi-once|bios-breaker>
#
# As tests/e2e/boot.sh (tests/e2e/lib.sh): a QEMU VM (TCG) network-boots
# through ringboot (DHCP server mode, TFTP, HTTP) in a network namespace, now
# with a [[profile]] (the Debian installer's kernel and initrd, its done URL
# on the kernel command line) and a [[machine]] for the VM's MAC. The VM also
# has a local disk, second in the boot order, that prints
# RINGBOOT-LOCAL-DISK-OK to the serial console when it boots: the MBR is a
# boot sector this script writes (SeaBIOS), or the disk is a FAT ESP with
# \EFI\BOOT\BOOTX64.EFI from grub-mkstandalone (OVMF). Resets go through the
# QEMU monitor (system_reset), so the machine reboots as real hardware would.
#
#   bios-once     SeaBIOS + iPXE NIC ROM, once = true: boot 1 installs (kernel
#                 to "Run /init as init process"); the test POSTs the done URL
#                 read from the serial console's "Kernel command line:" as the
#                 installer would (2xx), again (403: the token is used); boot 2
#                 gets local boot (sanboot 0x80, reason=done) and the disk's marker.
#   uefi-once     the same with OVMF PXE -> TFTP ipxe.efi -> iPXE; local boot
#                 is `exit 1` and OVMF falls through to the disk. OVMF runs
#                 without IPv6 network boot and its HTTP boot gets a URL that
#                 404s: else it spends ~195 s on the NIC's other boot options
#                 (PXEv6, HTTPv4, HTTPv6) before the disk.
#   bios-breaker  install_attempts_max = 3, no done: three install boots, each
#                 reset once the kernel is fetched; boot 4 gets local boot
#                 (reason=failed) and the marker; ringboot_fleet_failed_total 1.
#                 An attempt is one install rendering of /ipxe (the log's
#                 fleet.boot decision=install ... install_attempts=N), not the
#                 kernel or initrd fetches, so cutting the boot short after
#                 the kernel loses nothing.
#
# Every check looks only at what came after the reset before it (ringboot's
# log and the serial console from that point on). A local boot must fetch no
# kernel; on SeaBIOS, iPXE's sanboot must have started the disk, not SeaBIOS
# after a failed network boot. The once modes need the installer's done route
# on the boot listener; without it they fail at the done step (405 or 404).
# After each phase the admin API (GET /api/v1/machines/MAC) must show the VM
# in the stage the boot reached, with every step of the chain in order
# (issue 16: a QEMU boot shows up in the API with every stage in order). Environment: E2E_KEEP=1 keeps the work directory; E2E_TCPDUMP=1
# captures br0; E2E_BUDGET=S caps the whole run (default 300 s).
#
# Measured under TCG on 2 cores, the whole script (setup to PASS):
# bios-once ~22 s (Linux at /init ~17 s after VM start), uefi-once ~52 s
# (two OVMF boots of ~28 s and ~22 s), bios-breaker ~14 s (four boots of ~3 s).
set -euo pipefail

RINGBOOT=${1:-}
MODE=${2:-}
[[ -x "$RINGBOOT" ]] || { echo "usage: $0 <ringboot-binary> <bios-once|uefi-once|bios-breaker>" >&2; exit 2; }
RINGBOOT=$(realpath "$RINGBOOT")
case "$MODE" in
  bios-once) FIRMWARE=bios ;;
  uefi-once) FIRMWARE=uefi ;;
  bios-breaker) FIRMWARE=bios ;;
  *) echo "unknown mode '$MODE'" >&2; exit 2 ;;
esac

source "$(dirname "$0")/lib.sh"
e2e_prerequisites
need_tool python3 python3
if [[ $FIRMWARE == uefi ]]; then
  need_tool grub-mkstandalone grub-efi-amd64-bin
  need_file /usr/lib/grub/x86_64-efi/normal.mod grub-efi-amd64-bin
  for tool in mformat mmd mcopy; do need_tool "$tool" mtools; done
fi
e2e_init fleet
MARKER=RINGBOOT-LOCAL-DISK-OK
ATTEMPTS_MAX=3

# --- boot root and config: the fleet serves /boot.ipxe (the chain) and /ipxe --
e2e_boot_root
e2e_config server ipxe.efi
if [[ $FIRMWARE == uefi ]]; then
  # After iPXE's `exit 1` OVMF tries the NIC's other boot options before the
  # disk: HTTP boot over IPv4 waits 60 s for an offer with a URL, so it gets
  # one that 404s at once (PXE and HTTP over IPv6 are off, below).
  cat >> "$CONFIG" <<EOF
[[dhcp.boot]]
name = "uefi-http"
match = { arch = [16] }
file = "http://$SERVER:$HTTP_PORT/no-http-boot.efi"
EOF
fi
e2e_api
cat >> "$CONFIG" <<EOF
[fleet]
install_attempts_max = $ATTEMPTS_MAX
[[profile]]
name = "debian12"
kernel = "{{http_base}}/linux"
initrd = ["{{http_base}}/initrd.gz"]
cmdline = "console=ttyS0 panic=-1 priority=critical ringboot.done={{done_url}}"
[[machine]]
mac = "$MAC"
profile = "debian12"
once = true
EOF

# --- the local disk --------------------------------------------------------------
DISK=$WORK/disk.img
if [[ $FIRMWARE == bios ]]; then
  # 16-bit real mode at 0x7c00: print the marker on COM1 (0x3f8), then halt.
  python3 - "$DISK" "$MARKER" <<'EOF'
import sys
msg = b"\r\n" + sys.argv[2].encode() + b"\r\n\0"
code = bytes([0x31, 0xC0,        # xor ax, ax
              0x8E, 0xD8,        # mov ds, ax
              0xFC,              # cld
              0xBE, 0x17, 0x7C,  # mov si, 0x7c17 (msg, right after the code)
              0xBA, 0xF8, 0x03,  # mov dx, 0x3f8
              0xAC,              # next: lodsb
              0x84, 0xC0,        # test al, al
              0x74, 0x03,        # jz halt
              0xEE,              # out dx, al
              0xEB, 0xF8,        # jmp next
              0xFA,              # halt: cli
              0xF4,              # hlt
              0xEB, 0xFD])       # jmp hlt
assert len(code) == 0x17
sector = (code + msg).ljust(510, b"\0") + b"\x55\xaa"
with open(sys.argv[1], "wb") as f:
    f.write(sector.ljust(1 << 20, b"\0"))
EOF
else
  # A whole-disk FAT ESP (no partition table: EDK2 finds the file system on
  # the disk itself) with GRUB, whose embedded grub.cfg prints the marker.
  cat > "$WORK/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_output serial
echo $MARKER
sleep 600
EOF
  grub-mkstandalone -O x86_64-efi -o "$WORK/BOOTX64.EFI" --install-modules="normal echo serial terminal sleep" \
    --locales= --fonts= --themes= "boot/grub/grub.cfg=$WORK/grub.cfg" || fail "setup: grub-mkstandalone failed"
  mformat -i "$DISK" -C -T 8192 -h 2 -s 32 -v ESP :: || fail "setup: mformat failed"
  mmd -i "$DISK" ::/EFI ::/EFI/BOOT && mcopy -i "$DISK" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI ||
    fail "setup: mcopy to the ESP failed"
fi

e2e_network server

# --- the VM: NIC first, then the disk; the monitor takes system_reset ------------
MONITOR=$WORK/monitor.sock
e2e_qemu "$FIRMWARE"
qemu+=(-monitor "unix:$MONITOR,server,nowait"
       -drive "file=$DISK,format=raw,if=none,id=disk0" -device "virtio-blk-pci,drive=disk0,bootindex=2")
# OVMF without IPv6 network boot: its PXE and HTTP boot over IPv6 would take
# ~130 s to give up between iPXE's exit and the disk.
[[ $FIRMWARE == uefi ]] && qemu+=(-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n
                                  -fw_cfg name=opt/org.tianocore/IPv6Support,string=n)
e2e_start_qemu
note "qemu started ($FIRMWARE, NIC then disk)"

# monitor COMMAND: one command on QEMU's human monitor, waiting for its prompt back.
monitor() {
  python3 - "$MONITOR" "$1" <<'EOF' || fail "monitor: '$1' failed"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
def prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        data = s.recv(4096)
        if not data:
            sys.exit("the monitor closed")
        buf += data
prompt()
s.sendall(sys.argv[2].encode() + b"\n")
prompt()
EOF
}
BOOT=1
reset() {
  mark
  monitor system_reset
  BOOT=$((BOOT + 1))
  VM_START=$(date +%s%N)
  note "system_reset: boot $BOOT"
}

# Deadlines about 5x each phase under TCG on 2 cores (tests/e2e/boot.sh).
to_ipxe() {
  if [[ $FIRMWARE == uefi ]]; then
    phase "boot $BOOT: DHCP (firmware)" 60 log_has "dhcp.decision REQUEST->ACK mac=$MAC_RE arch=(7|9) client=firmware rule=uefi-x64 file=ipxe.efi"
    phase "boot $BOOT: TFTP (ipxe.efi)" 45 log_has 'tftp.transfer .*file="ipxe.efi".* result=ok'
  fi
  phase "boot $BOOT: DHCP (iPXE)" 60 log_has "dhcp.decision [A-Z]+->[A-Z]+ mac=$MAC_RE arch=[0-9]+ client=ipxe rule=ipxe-script"
}
# install_boot N: this boot renders install attempt N and fetches the kernel.
install_boot() {
  to_ipxe
  phase "boot $BOOT: /ipxe install (attempt $1)" 30 \
    log_has "fleet.boot mac=$MAC_RE decision=install profile=\"debian12\" reason=install state=installing install_attempts=$1\$"
  phase "boot $BOOT: kernel (linux over HTTP)" 60 http_sent "$SIZE_KERNEL"
}
# local_boot REASON STATE ECHO: this boot gets local boot, iPXE echoes ECHO,
# and the disk prints the marker.
local_boot() {
  to_ipxe
  phase "boot $BOOT: /ipxe local (reason=$1)" 30 \
    log_has "fleet.boot mac=$MAC_RE decision=local profile=\"\" reason=$1 state=$2 "
  phase "boot $BOOT: the local disk ($MARKER)" 60 serial_has "$MARKER"
  serial_has "$3" || fail "boot $BOOT: iPXE did not echo '$3'"
  if [[ $FIRMWARE == bios ]]; then
    # iPXE's sanboot started the disk, not SeaBIOS after a failed network boot.
    serial_has "Booting from SAN device 0x8" || fail "boot $BOOT: no iPXE sanboot before the marker"
    ! serial_has "Booting from Hard Disk" || fail "boot $BOOT: SeaBIOS, not iPXE, booted the disk"
  fi
  ! http_sent "$SIZE_KERNEL" || fail "boot $BOOT: local boot fetched the kernel"
  ! serial_has "Linux version" || fail "boot $BOOT: local boot started Linux"
}
# chain STAGE STEP...: the VM's view in the API (lib.sh's api_chain).
chain() { api_chain "$MAC" "$@"; }
if [[ $FIRMWARE == uefi ]]; then FIRST_STEPS=(dhcp_firmware loader_fetch dhcp_loader); else FIRST_STEPS=(dhcp_loader); fi
# post URL: the HTTP status of an empty POST to URL, as the installer's wget --post-data ''.
post() { inns curl -s -o /dev/null -w '%{http_code}' --max-time 10 -d '' "$1" || true; }

if [[ $MODE == *-once ]]; then
  install_boot 1
  phase "boot 1: initrd (initrd.gz over HTTP)" 90 http_sent "$SIZE_INITRD"
  phase "boot 1: Linux (Run /init as init process)" 120 serial_has "Run /init as init process"
  # The installer reads its done URL from /proc/cmdline; the kernel prints the same line.
  DONE_URL=$(serial_since | grep -a -o 'Kernel command line: .*' | head -n 1 | grep -o 'ringboot\.done=[^ ]*' | cut -d= -f2- || true)
  [[ -n $DONE_URL ]] || fail "boot 1: no ringboot.done= on the serial console's kernel command line"
  [[ $DONE_URL =~ ^http://$SERVER:$HTTP_PORT/api/v1/machines/${MAC_RE//:/-}/done\?token=[0-9a-f]{32}$ ]] ||
    fail "boot 1: the done URL '$DONE_URL' is not <http_base>/api/v1/machines/<mac-with-hyphens>/done?token=<32 hex>"
  code=$(post "$DONE_URL")
  [[ $code == 2?? ]] || fail "done: POST $DONE_URL answered $code, expected 2xx"
  note "done: POST answered $code"
  code=$(post "$DONE_URL")
  [[ $code == 403 ]] || fail "done: a second POST of the same token answered $code, expected 403"
  chain done "${FIRST_STEPS[@]}" script kernel_fetch handoff done
  reset
  local_boot done done "ringboot: installed: booting from the local disk"
  if [[ $FIRMWARE == uefi ]]; then
    # OVMF's HTTP boot (arch 16) asks DHCP after iPXE's exit, before the disk:
    # to ringboot that is the firmware starting a boot again.
    chain firmware_dhcp "${FIRST_STEPS[@]}" script kernel_fetch handoff done "${FIRST_STEPS[@]}" local dhcp_firmware
  else
    chain local "${FIRST_STEPS[@]}" script kernel_fetch handoff done "${FIRST_STEPS[@]}" local
  fi
  scrape
  need_eq 'ringboot_fleet_boots_total{decision="install"}' 1
  need_eq 'ringboot_fleet_boots_total{decision="local"}' 1
  need_eq 'ringboot_fleet_failed_total' 0
else
  for attempt in $(seq "$ATTEMPTS_MAX"); do
    install_boot "$attempt"
    reset
  done
  local_boot failed failed "ringboot: install failed too often"
  chain failed dhcp_loader script kernel_fetch dhcp_loader script kernel_fetch dhcp_loader script kernel_fetch \
    dhcp_loader failed
  scrape
  need_eq 'ringboot_fleet_boots_total{decision="install"}' "$ATTEMPTS_MAX"
  need_eq 'ringboot_fleet_boots_total{decision="local"}' 1
  need_eq 'ringboot_fleet_failed_total' 1
fi
[[ $(metric 'ringboot_http_responses_total{class="5xx"}') == 0 ]] || fail "metrics: ringboot answered HTTP 5xx"

note "PASS $MODE: $BOOT boots (${PHASE_TIMES[*]})"
echo "---- ringboot fleet decisions"
grep -E 'fleet\.' "$WORK/ringboot.log" | sed 's/^/  /'
echo "---- metrics"
grep -E '^ringboot_fleet' "$METRICS" | sed 's/^/  /' || true
