#!/bin/bash
# Helper mode adds no scan when the unmount succeeds (issue 7): as
# umount.tmpfs unmounting by itself, and as a wrapper of a distribution's
# helper, an unmount that works starts no analysis process, looks at no
# other process in /proc and loads no BPF program.  strace says so; the
# same trace on a busy mount, which is explained, shows all three, so the
# test can see a scan when there is one.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
make_conf
command -v strace >/dev/null || { not_ok "strace is installed (tools/packages/bench.txt)"; finish; }
HELPER=$(link_as umount.tmpfs)

# trace LOG COMMAND...: COMMAND under strace (strace_tree, dropin-lib.sh).
trace() { strace_tree "$1" clone,clone3,fork,vfork,execve,open,openat,statx,newfstatat,bpf "${@:2}"; }
# Processes ROOT (the first pid in LOG) started itself.
forks_of_root() {
	awk 'NR == 1 { root = $1 } $1 == root && $2 ~ /^(clone|clone3|fork|vfork)\(/' "$1" | wc -l
}
# Lines where a process looks at another process: /proc/N with N not its
# own pid, or a bare number relative to a directory (the analysis opens
# /proc once, then "N" relative to it).
looks_at_others() {
	awk '{ pid = $1 }
	     match($0, /"\/proc\/[0-9]+/) { n = substr($0, RSTART + 7, RLENGTH - 7); if (n != pid) { print; next } }
	     /(openat|statx|newfstatat)\([0-9]+, "[0-9]+["\/]/ { print }' "$1" | wc -l
}
bpf_calls() { grep -c ' bpf(' "$1"; }

# Someone to look at, should the helper look: a few processes, one of them
# (later) holding the busy mount.
start_holder "$SCRATCH/spawned" "$FIX/holder" "$SCRATCH/spawned" spawn 20

check_no_scan() { # DESC LOG FORKS-ALLOWED
	check_eq "$1: processes the helper started" "$3" "$(forks_of_root "$2")"
	check_eq "$1: /proc/PID of other processes read" 0 "$(looks_at_others "$2")"
	check_eq "$1: BPF calls" 0 "$(bpf_calls "$2")"
}

# --- unmounting by itself (no distribution helper) -------------------------
F=$(new_tmpfs free)
trace "$SCRATCH/free.log" "$HELPER" "$F"; rc=$?
check_eq "native, free: unmounted, exit 0" 0 "$rc"
check "native, free: gone" is_unmounted "$F"
check_no_scan "native, free" "$SCRATCH/free.log" 0

# --- wrapping a distribution helper ----------------------------------------
# The stand-in original (umount.tmpfs.distrib beside our link) is the one
# process the wrapper starts; what it does itself is its business.
make_fake_original
F=$(new_tmpfs wrapped)
trace "$SCRATCH/wrap.log" "$HELPER" "$F"; rc=$?
check_eq "wrapper, free: unmounted, exit 0" 0 "$rc"
check "wrapper, free: gone" is_unmounted "$F"
check_no_scan "wrapper, free" "$SCRATCH/wrap.log" 1
rm -f "$FAKE"

# --- the control: a busy mount is explained ----------------------------------
H=$(new_tmpfs held)
start_holder "$SCRATCH/ready" "$FIX/holder" "$SCRATCH/ready" cwd "$H"
trace "$SCRATCH/held.log" "$HELPER" "$H"; rc=$?
check_eq "control, busy: exit 32" 32 "$rc"
check "control, busy: the analysis ran in a process of its own" test "$(forks_of_root "$SCRATCH/held.log")" -ge 1
check "control, busy: other processes were looked at in /proc" test "$(looks_at_others "$SCRATCH/held.log")" -gt 0
# Where explain uses BPF here, the helper's explanation loaded it.
if [ "$("$UMH" explain --json "$H" | jq -r .scan.method)" = bpf ]; then
	check "control, busy: the BPF scan was loaded" test "$(bpf_calls "$SCRATCH/held.log")" -gt 0
fi
finish
