#!/bin/bash
# The Debian package in the QEMU guest (tests/vm/scenarios/15-deb-seed.sh),
# in a boot of its own: t-vm.sh's one boot for every other scenario keeps
# its ten minutes, and dpkg with debconf in the emulated guest takes a few
# (the scenario alone took 5.5 minutes on a loaded host; its budget is 12).  t-vm.sh builds
# the package first (make deb; again only when the tree changed).
VM_ONLY=-deb- VM_TIMEOUT=${VM_TIMEOUT:-840} VM_SCENARIO_TIMEOUT=${VM_SCENARIO_TIMEOUT:-720} exec bash "$(dirname "$0")/t-vm.sh" "$@"
