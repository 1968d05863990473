#!/bin/bash
# The benchmark (bench/bench.sh, `make bench`) in its quick mode, so that it
# cannot rot: 50 processes x 20 descriptors, one round, a scale series of
# 20 and 50, helper mode, 50 mounts in 10 more mount namespaces.  What it
# checks is what the numbers rest on, not the numbers: umount-helper names
# every holder, with the watcher's pinned programs and with its own (the
# procfs scan all but the descriptor in flight, which no /proc file shows)
# and nothing else, the
# other tools' counts are what they are, every table prints, and nothing
# the benchmark started is left behind.  No timing ratio is asserted: that
# is for the full run, on a quiet machine.
. "$(dirname "$0")/../lib.sh"
# The benchmark leaves out a holder whose kernel feature is missing; what
# this test checks assumes them all (the loop device is one that fuser and
# lsof miss).
for f in loop io_uring bpf-scan; do
	need_feature "$f" "the benchmark's scenario" || finish
done
new_scratch
res=$SCRATCH/results
out=$("$TOP/bench/bench.sh" --quick --results "$res" 2>"$SCRATCH/err"); rc=$?
check_eq "bench --quick exits 0" 0 "$rc"
[ -s "$SCRATCH/err" ] && diag "stderr: $(cat "$SCRATCH/err")"
diag "$out"
if [ ! -s "$res" ]; then
	not_ok "the benchmark wrote its results ($res)"
	finish
fi

field() { # LINE-PREFIX KEY: the value of KEY= on the first result line starting so
	sed -n "s/^$1 .*\\b$2=\\([^ ]*\\).*/\\1/p" "$res" | head -n 1
}
k=$(field "main bpf" k)
check "the scenario has holders of several kinds (K=$k)" test "${k:-0}" -ge 8
check_eq "BPF scan: every holder found" "$k" "$(field "main bpf" found)"
check_eq "BPF scan: no process named that holds nothing" 0 "$(field "main bpf" wrong)"
check_eq "BPF scan: exit 32 (held)" 32 "$(field "main bpf" status)"
# The same with the watcher running (its pinned programs): the run said it
# used them, and they find what a scan that loads its own finds.
check_eq "with the watcher: explain used its pinned programs" "the_watcher's_pinned_programs" "$(field "pinned" used)"
check_eq "with the watcher: every holder found" "$k" "$(field "main pinned" found)"
check_eq "with the watcher: no process named that holds nothing" 0 "$(field "main pinned" wrong)"
check_eq "with the watcher: exit 32 (held)" 32 "$(field "main pinned" status)"
check "the ratio to fuser is printed" grep -q "^versus fuser_over_explain=[0-9.]*x fuser_over_procfs=[0-9.]*x" "$res"
check_eq "procfs scan: every holder but the descriptor in flight" "$((k - 1))|scm" \
	"$(field "main procfs" found)|$(field "main procfs" missed)"
check_eq "procfs scan: no process named that holds nothing" 0 "$(field "main procfs" wrong)"
for t in fuser lsof lsfd; do
	f=$(field "main $t" found)
	if [ -z "$f" ]; then not_ok "$t ran"; continue; fi
	# They match by device or print pids only: the loop device and the
	# file in flight have no process to print.
	check "$t misses at least the loop device and the file in flight ($f of $k)" test "$f" -le $((k - 2))
	diag "$t found $f of $k, missed $(field "main $t" missed), named $(field "main $t" wrong) processes that hold nothing"
done
for s in 20 50; do
	check_eq "scale, $s processes: the BPF scan finds all" "$k" "$(sed -n "s/^scale bpf procs=$s .*found=\\([0-9]*\\).*/\\1/p" "$res")"
done
check_contains "the side-by-side table prints" "$out" "ratio to"
check_contains "the scale table prints" "$out" "ms per 1,000 fds"
check_contains "the helper table prints" "$out" "umount, /sbin/umount.tmpfs = umount-helper-lean"
# (Eight on x86-64: the floor without the C library too.)
keys="uli lean tool floor wrap direct"
[ -x "$TOP/$BUILD/bench/floor-bare" ] && keys+=" bare"
check_eq "helper mode: a timing each, util-linux alone's too" "$(($(wc -w <<<"$keys") + 1))" "$(grep -c '^helper ' "$res")"
for k in $keys; do
	check "helper mode, $k: a paired ratio to util-linux alone" \
		grep -q "^helper $k .*ratio_paired=[0-9][0-9.]* " "$res"
done
check "helper mode: wrapping a distribution's helper, a paired ratio to that helper alone" \
	grep -q "^helper-wrap ratio_paired=[0-9][0-9.]*$" "$res"
# References held inside the kernel: the walk ran, timed, and named the one
# file the unread fanotify event keeps.
check_contains "the kernel-reference table prints" "$out" "held inside the kernel: modules, then the dentry walk"
walk=$(field "kernel-refs walk" walk_ms)
check "kernel references: the dentry walk ran and was timed ($walk ms)" test -n "$walk" -a "$walk" != none
check_eq "kernel references: the walk named the file the fanotify event keeps" "d0/1" \
	"$(field "kernel-refs walk" named | sed 's|.*/dentries/||')"
check "kernel references: a tmpfs of at least 2,000 dentries" test "$(field "kernel-refs walk" dentries)" -ge 2000
# Mount namespaces: explain finds every namespace with a copy and both
# holders, by the kernel's walk and by the text path; so do the tools people
# use today for the namespaces (which name no holder), and fuser for the
# holders (which names no namespace).
check_contains "the namespaces table prints" "$out" "namespaces"
for t in nsbpf nsprocfs nsfs; do
	check_eq "namespaces, $t: every namespace with a copy found" "$(field "ns $t" want_ns)" "$(field "ns $t" found_ns)"
	check_eq "namespaces, $t: both holders found" 2 "$(field "ns $t" found_holders)"
	check_eq "namespaces, $t: exit 32" 32 "$(field "ns $t" status)"
done
for t in grep findmnt; do
	check_eq "namespaces, $t: every namespace found" "$(field "ns $t" want_ns)" "$(field "ns $t" found_ns)"
done
check_eq "namespaces, fuser: both holders (by device)" 2 "$(field "ns fuser" found_holders)"
check "namespaces: a baseline and a ratio" grep -q '^ns ratio base_us=[0-9]* now_us=[0-9]*' "$res"
# Nothing left: the farm's processes are gone, and so is the loop device
# over the benchmark's image (its mounts went with its namespace).
# Only this run's: another checkout's benchmark may run at the same time.
W=$(grep -o '/tmp/umh-bench\.[A-Za-z0-9]*' <<<"$out" | head -n 1)
check "the benchmark named its directory" test -n "$W"
check_eq "no process of the farm left" "" "$(pgrep -f "$TOP/build/bench/(ns)?farm|exe-holder --exe .*$W/" || true)"
check_eq "no loop device left on a benchmark image" "" "$(losetup -a | grep -F "($W/" || true)"
finish
