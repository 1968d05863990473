#!/bin/bash
# Boots the test guest with an interactive shell instead of the scenarios:
# the same kernel, initramfs and root as tests/vm/t-vm.sh (`make vm-shell`).
# Inside, run all scenarios with
#     bash tests/vm/guest/run-scenarios.sh $PWD [NAME-FILTER]
# or one with  VM_REPO=$PWD VM_SCENARIO=x bash tests/vm/scenarios/NAME.sh
# Leave with `exit` (the guest powers off) or Ctrl-A x (kills qemu).
set -u
. "$(dirname "$0")/host.sh"
vm_prepare || exit 1
vm_qemu_args shell
# Tell the guest's terminal our size, so that full-screen programs fit.
if size=$(stty size 2>/dev/null) && [ "${size% *}" -gt 0 ] 2>/dev/null; then
	VM_QEMU=("${VM_QEMU[@]/#console=ttyS0 /console=ttyS0 umh_rows=${size% *} umh_cols=${size#* } }")
fi
exec "${VM_QEMU[@]}"
