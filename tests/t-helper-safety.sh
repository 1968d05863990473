#!/bin/bash
# The wrapper never changes what umount does (issue item 3): the analysis
# runs only after a failure, within its time budget; when it crashes, hangs,
# is killed mid-way or cannot run at all, the output of the unmount, its exit
# status and the mount are exactly what they are without it.  The testing
# aid UMOUNT_HELPER_FAULT=crash|hang makes the analysis crash or hang after
# its first holder.  Both helper modes are exercised: wrapping a stand-in
# for nfs-utils' helper (exit 16) and native (util-linux's words, exit 32).
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
make_conf

make_fake_original
WRAPPER=$(link_as umount.tmpfs)
# The same binary without an original beside it: native mode.
mkdir -p "$SCRATCH/native"
ln -s "$LEAN" "$SCRATCH/native/umount.tmpfs"
NATIVE=$SCRATCH/native/umount.tmpfs

M=$(new_tmpfs held)
start_holder "$SCRATCH/ready" "$FIX/holder" "$SCRATCH/ready" cwd "$M"
id=$(mount_id_of "$M")

run_capture wbase env UMOUNT_HELPER_EXPLAIN=0 "$WRAPPER" "$M"
run_capture nbase env UMOUNT_HELPER_EXPLAIN=0 "$NATIVE" "$M"
check_eq "without explanation, the wrapped helper says busy (16)" "16|umount.fake: $M: device is busy" "$wbase_rc|$wbase_err"
check_eq "without explanation, native says busy (32)" "32|umount: $M: target is busy." "$nbase_rc|$nbase_err"

# same_as_without VAR LABEL MODE: the run captured in VAR left everything
# as the baseline of MODE (w or n) did.
same_as_without() {
	local name=$2 mode=$3 rc_var=${1}_rc err_var=${1}_err out_var=${1}_out
	local base_rc_var=${mode}base_rc base_err_var=${mode}base_err base_out_var=${mode}base_out
	check_eq "$name: same exit status" "${!base_rc_var}" "${!rc_var}"
	check_eq "$name: stderr starts with the same message" "${!base_err_var}" "$(head -n 1 <<<"${!err_var}")"
	check_eq "$name: the same stdout" "${!base_out_var}" "${!out_var}"
	check_eq "$name: the same mount is still there" "$id" "$(mount_id_of "$M")"
}

for mode in w n; do
	helper=$WRAPPER; [ $mode = n ] && helper=$NATIVE
	label=wrapped; [ $mode = n ] && label=native

	run_capture crash env UMOUNT_HELPER_FAULT=crash "$helper" "$M"
	same_as_without crash "$label, analysis crashes" $mode
	check_not_contains "$label, analysis crashes: no claim of a complete report" "$crash_err" "is held by 0"

	# 1.5 s: enough for the analysis to find its first holder even on a
	# loaded machine under ASan, short enough to show the budget holds.
	printf 'timeout = 1.5\n' >"$SCRATCH/short.conf"
	t0=$(date +%s%N)
	run_capture hang env UMOUNT_HELPER_FAULT=hang UMOUNT_HELPER_CONF="$SCRATCH/short.conf" "$helper" "$M"
	ms=$((($(date +%s%N) - t0) / 1000000))
	same_as_without hang "$label, analysis hangs" $mode
	check "$label, analysis hangs: the budget of 1.5 s holds (took $ms ms)" test "$ms" -lt 3500
	check_contains "$label, analysis hangs: what was found before is kept, marked incomplete" "$hang_err" "Incomplete: "

	# Killed mid-way: the analysis hangs with a long budget; the test
	# kills it (the helper's only child by then) with SIGKILL.
	printf 'timeout = 60\n' >"$SCRATCH/long.conf"
	UMOUNT_HELPER_FAULT=hang UMOUNT_HELPER_CONF="$SCRATCH/long.conf" "$helper" "$M" >"$SCRATCH/k.out" 2>"$SCRATCH/k.err" &
	hpid=$!
	STARTED_PIDS+=("$hpid")
	child=""
	# The analysis is the helper's child that runs our program; the
	# wrapped helper, its child before, runs the original's.
	self_exe=$(readlink -f "$UMH")
	analysis_child() {
		local c
		for c in $(pgrep -P "$hpid"); do
			[ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$self_exe" ] &&
				grep -q "^State:.*S" "/proc/$c/status" 2>/dev/null && { echo "$c"; return 0; }
		done
		return 1
	}
	wait_for 'child=$(analysis_child)' 100
	sleep 0.3
	t0=$(date +%s%N)
	kill -KILL "$child" 2>/dev/null
	wait "$hpid"
	killed_rc=$? killed_out=$(cat "$SCRATCH/k.out") killed_err=$(cat "$SCRATCH/k.err")
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "$label, analysis killed mid-way: there was an analysis process to kill" test -n "$child"
	same_as_without killed "$label, analysis killed mid-way" $mode
	check "$label, analysis killed mid-way: the helper returns at once (took $ms ms)" test "$ms" -lt 2000
	check_contains "$label, analysis killed mid-way: says the analysis was killed" "$killed_err" "killed by signal 9"
done

# Nothing runs before the verdict: a free mount is unmounted at once and
# silently, even with a fault that would stall an analysis for 60 s.
F=$(new_tmpfs free)
t0=$(date +%s%N)
run_capture free env UMOUNT_HELPER_FAULT=hang "$NATIVE" "$F"
ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "free: unmounted silently" "0||" "$free_rc|$free_out|$free_err"
check "free: no analysis ran (took $ms ms)" test "$ms" -lt 2000
check "free: unmounted" is_unmounted "$F"

# The analysis cannot run at all: no /proc (masked by an empty tmpfs; last,
# since the checks above read /proc).  The unmount is tried and fails
# exactly as without us.
if [ -n "${UMH_UNDER_ASAN:-}" ]; then
	ok "no /proc: the helper behaves as without us # SKIP the ASan runtime itself needs /proc"
	finish
fi
mount -t tmpfs noproc /proc
for p in w n; do
	helper=$WRAPPER; [ $p = n ] && helper=$NATIVE
	env UMOUNT_HELPER_EXPLAIN=0 "$helper" "$M" >"$SCRATCH/$p-base.out" 2>"$SCRATCH/$p-base.err"
	echo $? >"$SCRATCH/$p-base.rc"
	"$helper" "$M" >"$SCRATCH/$p.out" 2>"$SCRATCH/$p.err"
	echo $? >"$SCRATCH/$p.rc"
done
umount /proc
for p in w n; do
	check_eq "no /proc ($p): same status as without explanation" "$(cat "$SCRATCH/$p-base.rc")" "$(cat "$SCRATCH/$p.rc")"
	check_eq "no /proc ($p): same stderr" "$(cat "$SCRATCH/$p-base.err")" "$(cat "$SCRATCH/$p.err")"
	check_eq "no /proc ($p): same stdout" "$(cat "$SCRATCH/$p-base.out")" "$(cat "$SCRATCH/$p.out")"
done
check_eq "no /proc: the wrapped helper still failed as busy" 16 "$(cat "$SCRATCH/w.rc")"
check_eq "no /proc: the mount is still the same mount" "$id" "$(mount_id_of "$M")"
finish
