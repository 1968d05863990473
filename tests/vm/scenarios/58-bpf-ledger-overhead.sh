#!/bin/bash
# What the ledger costs: an open-heavy loop (open+close of one file on
# tmpfs, 50,000 times; OVERHEAD_N for more) without the ledger, with it on
# fentry, and with it on kprobes; the median of 5 runs each.  Under QEMU's TCG emulation every
# figure is slower than on hardware; the ratio is the point.  Prints
# "@@VM ... ledger overhead" lines and checks that the ledger keeps nothing
# for opens that reached a descriptor table.
. "$VM_REPO/tests/vm/guest/lib.sh"
need_feature fentry kprobes || exit 1
LOOP=$VM_REPO/build/tests/fixtures/openloop
N=${OVERHEAD_N:-50000}
mkdir -p /tmp/ov && mount -t tmpfs ov /tmp/ov && at_exit "umount -l /tmp/ov"
echo x >/tmp/ov/f

median() { # runs the loop 5 times, prints the median ns per open+close
	local v=()
	for _ in 1 2 3 4 5; do v+=("$("$LOOP" /tmp/ov/f "$N")"); done
	printf '%s\n' "${v[@]}" | sort -n | sed -n 3p
}
base=$(median)
say "no ledger: $base ns per open+close"
declare -A cost
for mode in fentry kprobe; do
	opt=(); [ $mode = kprobe ] && opt=(--no-fentry)
	run "$UMH" ledger start "${opt[@]}"
	check_eq "ledger start ($mode)" 0 "$RUN_RC"
	cost[$mode]=$(median)
	run "$UMH" ledger status
	check_contains "$mode: the loop's opens are not kept (they reached a descriptor table)" "$RUN_OUT" " 0 files are open now"
	run "$UMH" ledger stop
	say "ledger on $mode: ${cost[$mode]} ns per open+close"
done
for mode in fentry kprobe; do
	pct=$(awk -v a="${cost[$mode]}" -v b="$base" 'BEGIN { printf "%.0f", (a - b) * 100 / b }')
	ok "ledger overhead ($mode): $base -> ${cost[$mode]} ns per open+close (+$pct%)"
done
