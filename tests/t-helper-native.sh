#!/bin/bash
# Helper mode without a helper to wrap (issue item 2): unmount through
# libmount with helpers disabled, util-linux's messages and exit codes
# (compared with `umount -i`, util-linux's own unmount without helpers),
# the explanation after EBUSY only; -t and -N accepted.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
make_conf
HELPER=$(link_as umount.tmpfs)

# held: same first line and status as util-linux, then the explanation.
M=$(new_tmpfs held)
touch "$M/file"
start_holder "$SCRATCH/ready" "$FIX/holder" "$SCRATCH/ready" open-rw "$M/file"
run_capture ul umount -i "$M"
run_capture h "$HELPER" "$M"
check_eq "busy: util-linux's message" "$ul_err" "$(head -n 1 <<<"$h_err")"
check_eq "busy: util-linux's status (32)" "$ul_rc" "$h_rc"
check_contains "busy: the explanation follows on stderr" "$h_err" "(rw)        $M/file"
check_eq "busy: nothing on stdout" "" "$h_out"
check "busy: still mounted" is_mounted "$M"

# -t and -N, which nfs-utils' helper refuses, are accepted.
run_capture tn "$HELPER" "$M" -n -t tmpfs.sub -N "/proc/$$/ns/mnt"
check_eq "-t and -N accepted: the same verdict" "$h_rc" "$tn_rc"
check_contains "-t and -N accepted: explained in that namespace" "$tn_err" "pid $HOLDER_PID holder"

# not mounted: util-linux's message and status; nothing to explain.
run_capture ul umount -i "$SCRATCH"/nothing
run_capture h "$HELPER" "$SCRATCH"/nothing
check_eq "not found: util-linux's words and status" "$ul_rc|$ul_err" "$h_rc|$h_err"
D=$SCRATCH/plain-dir; mkdir -p "$D"
run_capture ul umount -i "$D"
run_capture h "$HELPER" "$D"
check_eq "not mounted: util-linux's words and status" "$ul_rc|$ul_err" "$h_rc|$h_err"

# free: unmounted, silent; -v says it as util-linux does.
F=$(new_tmpfs free)
run_capture h "$HELPER" "$F"
check_eq "free: exit 0, silent" "0||" "$h_rc|$h_out|$h_err"
check "free: unmounted" is_unmounted "$F"
F=$(new_tmpfs free)
run_capture ul umount -i -v "$F"
F=$(new_tmpfs free)
run_capture h "$HELPER" "$F" -v
check_eq "-v: util-linux's words" "$ul_rc|$ul_err" "$h_rc|$h_err"

# -r remounts a busy mount read-only (libmount in helper mode knows the
# source, so it can), -l detaches it.
B=$(new_tmpfs busy2)
start_holder "$SCRATCH/ready2" "$FIX/holder" "$SCRATCH/ready2" cwd "$B"
run_capture ro "$HELPER" "$B" -r
check_eq "-r: remounted read-only, exit 0, no explanation" "0|" "$ro_rc|$ro_err"
check "-r: now read-only" test "$(findmnt -n -o OPTIONS --mountpoint "$B" | cut -d, -f1)" = ro
run_capture lz "$HELPER" "$B" -l
check_eq "-l: detached, exit 0, silent" "0||" "$lz_rc|$lz_out|$lz_err"
check "-l: gone from the table" is_unmounted "$B"

# usage
run_capture u "$HELPER"
check_eq "no target: usage error (1)" 1 "$u_rc"
run_capture u "$HELPER" -h
check_contains "-h: usage on stdout" "$u_out" "Usage:"
check_eq "-h: exit 0" 0 "$u_rc"
run_capture u "$HELPER" "$M" -x
check_eq "unknown option: usage error (1)" 1 "$u_rc"
finish
