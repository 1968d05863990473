#!/bin/bash
# Runs in the test guest (chrooted into the host's root, as root): every
# tests/vm/scenarios/*.sh in name order, or those whose name contains ONLY,
# each under its own timeout, framed by protocol lines for the host:
#
#   @@VM begin NAME
#   ... the scenario's own assertion lines and transcript ...
#   @@VM end NAME STATUS MILLISECONDS
#   @@VM done
#
# usage: run-scenarios.sh REPO [ONLY]
set -u
export LC_ALL=C VM_REPO=$1
only=${2:-}
per_scenario=${VM_SCENARIO_TIMEOUT:-240}
cd /
# Kernel messages would cut through our lines on the console: keep them in
# the ring buffer (printed at the end) instead.
dmesg -n 1

for s in "$VM_REPO"/tests/vm/scenarios/*.sh; do
	name=$(basename "$s" .sh)
	[ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
	# The package's scenario boots on its own (tests/vm/t-vm-deb.sh): dpkg in
	# the emulated guest takes minutes, and this boot has its ten.
	[ -z "$only" ] && [[ "$name" == *-deb-* ]] && continue
	echo "@@VM begin $name"
	t0=$(date +%s%N)
	VM_SCENARIO=$name timeout -k 5 "$per_scenario" bash "$s" </dev/null 2>&1
	rc=$?
	echo "@@VM end $name $rc $((($(date +%s%N) - t0) / 1000000))"
	# A scenario that failed or timed out may not have cleaned up: leave the
	# next one no module, nothing on /mnt, no dropped NFS traffic.
	if [ "$rc" != 0 ]; then
		VM_SCENARIO=$name timeout -k 5 60 bash -c '. "$VM_REPO/tests/vm/guest/lib.sh" && vm_reset' </dev/null 2>&1
	fi
done
echo "@@VM done"
echo "--- kernel log (last 40 lines) ---"
dmesg | tail -n 40
