# End-to-end firmware boots (issue 6): QEMU (TCG) PXE-boots OVMF and SeaBIOS
# (and UEFI HTTP-boots OVMF, issue 14: uefi-http, uefi-http-proxy)
# through ringboot's DHCP, TFTP and HTTP to the Debian installer kernel,
# inside a network namespace each test creates. Needs root and the packages
# `scripts/setup --test` installs. The boots share one lock so they run one
# after another (TCG is CPU-bound); each has its own timeout.
#   ctest -L e2e
foreach(_path uefi-ipxe uefi-snponly bios uefi-ipxe-proxy uefi-http uefi-http-proxy)
  add_test(NAME e2e_boot_${_path}
           COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/boot.sh $<TARGET_FILE:ringboot> ${_path})
  set_tests_properties(e2e_boot_${_path} PROPERTIES
                       LABELS e2e
                       TIMEOUT 420
                       RESOURCE_LOCK ringboot_e2e_qemu)
endforeach()
# Per-machine boot with real firmware (issue 11): install once then local,
# and the boot-loop breaker, each VM with a local disk (tests/e2e/fleet.sh).
foreach(_mode bios-once uefi-once bios-breaker)
  add_test(NAME e2e_fleet_${_mode}
           COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/fleet.sh $<TARGET_FILE:ringboot> ${_mode})
  set_tests_properties(e2e_fleet_${_mode} PROPERTIES
                       LABELS e2e
                       TIMEOUT 420
                       RESOURCE_LOCK ringboot_e2e_qemu)
endforeach()
# The newcomer's demo with a guest (issue 16: scripts/demo --vm), in its
# non-interactive form: the guest reaches the installer and the API, from
# the host through the demo's veth, shows each stage of its chain.
add_test(NAME e2e_demo_vm
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/demo-vm --check --ringboot $<TARGET_FILE:ringboot>)
set_tests_properties(e2e_demo_vm PROPERTIES
                     LABELS e2e
                     TIMEOUT 480
                     RESOURCE_LOCK ringboot_e2e_qemu)
# GRUB netboot and Secure Boot (issue 14, tests/e2e/grub.sh): Debian's
# signed GRUB netboot image reads its per-machine config from ringboot and
# boots the installer kernel over TFTP or its HTTP; shim -> GRUB -> the
# signed kernel with the Microsoft keys enrolled; an unsigned loader refused;
# AAVMF (arm64, TCG) PXE-boots Debian's arm64 netboot GRUB and installer.
foreach(_mode grub-tftp grub-http secureboot secureboot-unsigned arm64)
  add_test(NAME e2e_grub_${_mode}
           COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/grub.sh $<TARGET_FILE:ringboot> ${_mode})
  set_tests_properties(e2e_grub_${_mode} PROPERTIES
                       LABELS e2e
                       TIMEOUT 420
                       RESOURCE_LOCK ringboot_e2e_qemu)
endforeach()
# Real firmware at once (issue 12, tests/e2e/storm.sh): four guests, OVMF
# and SeaBIOS alternating, powered on together, all at /init in one deadline.
add_test(NAME e2e_storm_vms
         COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/storm.sh $<TARGET_FILE:ringboot> 4)
set_tests_properties(e2e_storm_vms PROPERTIES
                     LABELS e2e
                     TIMEOUT 420
                     RESOURCE_LOCK ringboot_e2e_qemu)
# IPv6 only (issue 13, tests/e2e/ipv6.sh): no IPv4 on the boot bridge; OVMF's
# PXE over IPv6 -> ringboot's DHCPv6 and TFTP -> iPXE's DHCPv6 -> HTTP/IPv6.
add_test(NAME e2e_ipv6 COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/ipv6.sh $<TARGET_FILE:ringboot>)
set_tests_properties(e2e_ipv6 PROPERTIES
                     LABELS e2e
                     TIMEOUT 420
                     RESOURCE_LOCK ringboot_e2e_qemu)
