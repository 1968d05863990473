#!/bin/bash
# End to end (issue item 9): the system's own util-linux umount, libmount's
# own helper lookup.  In this test's mount namespace only, an overlay on
# /usr/sbin (what /sbin links to on Debian 12) makes /sbin/umount.tmpfs our
# binary.  `umount DIR` on a held tmpfs then prints util-linux's text plus
# the explanation, with the exit status util-linux gives without the
# helper; on a free one it unmounts silently.  The transcript is printed
# as diagnostics.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
make_conf

UMOUNT=/usr/bin/umount
check "the stock umount is util-linux's" grep -q "util-linux" <<<"$($UMOUNT --version)"
M=$(new_tmpfs mnt)
start_holder "$SCRATCH/ready" "$FIX/holder" "$SCRATCH/ready" cwd "$M"

# Without our helper.
check "no umount.tmpfs helper before" test ! -e /sbin/umount.tmpfs
run_capture base $UMOUNT "$M"
check_eq "without the helper: util-linux says busy, 32" "32|umount: $M: target is busy." "$base_rc|$base_err"

overlay_sbin
ln -s "$LEAN" "$SBIN/umount.tmpfs"
check "libmount's /sbin/umount.tmpfs is ours, here only" test "$(readlink -f /sbin/umount.tmpfs)" = "$(readlink -f "$LEAN")"

run_capture held $UMOUNT "$M"
diag "\$ umount $M"
diag "$held_err"
diag "exit status $held_rc"
check_eq "held: the same exit status as without the helper" "$base_rc" "$held_rc"
check_eq "held: util-linux's text first" "$base_err" "$(head -n 1 <<<"$held_err")"
check_contains "held: then what holds it" "$held_err" "$M is held by 1 process."
check_contains "held: the holder and its working directory" "$held_err" "pid $HOLDER_PID holder"
check_contains "held: the remedy" "$held_err" "kill $HOLDER_PID"
check_eq "held: stdout stays empty" "" "$held_out"
check "held: still mounted" is_mounted "$M"

# Not mounted: util-linux's words; no helper is involved.
run_capture nm $UMOUNT "$SCRATCH/nothing-here"
check_eq "not mounted: util-linux's words (no helper involved)" "32|umount: $SCRATCH/nothing-here: no mount point specified." "$nm_rc|$nm_err"

kill "$HOLDER_PID"
wait_for "! kill -0 $HOLDER_PID 2>/dev/null"
run_capture free $UMOUNT "$M"
check_eq "free: unmounted silently, exit 0" "0||" "$free_rc|$free_out|$free_err"
check "free: gone" is_unmounted "$M"
finish
