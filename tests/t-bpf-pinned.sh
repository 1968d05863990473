#!/bin/bash
# The scan's programs kept loaded by the watcher (issue 17;
# lib/bpf/scan/scan-pin.h): `umount-helper watch` pins them under
# /sys/fs/bpf/umount-helper/scan-BUILDID (root's, 0700), explain uses them
# -- no program loaded, the same holders as a scan that loads its own, no
# state carried from one scan to the next -- and removes them when it ends.
# Pins that are not exactly what this build would have made (a directory
# of another user's or mode, objects of another kind, programs of another
# build) are not used: explain loads its own and says why under
# UMOUNT_HELPER_DEBUG=time.  A user other than root never reaches them.
# The same for the mount-count program (count-BUILDID,
# lib/bpf/refcount/mntcount-pin.c), which readers share without a lock.
#
# The test mounts a BPF filesystem of its own, in its mount namespace:
# nothing another test or watcher on this machine pins is seen here, and
# nothing pinned here is seen elsewhere.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
mount -t bpf -o mode=0700 bpf /sys/fs/bpf || { not_ok "a BPF filesystem of the test's own"; finish; }
command -v strace >/dev/null || { not_ok "strace is installed (tools/packages/bench.txt)"; finish; }
PIN_ROOT=/sys/fs/bpf/umount-helper

M=$SCRATCH/m
mount_tmpfs "$M" pinned-target
mkdir "$M/d" && echo data >"$M/f" && echo data >"$M/g"
hold cwd cwd "$M/d"
hold fd open "$M/f"
hold mmap mmap "$M/g"
hold tcwd thread-cwd "$M/d"
hold scm scm "$M/f"

# holders JSON: what a report names, in a stable order.
holders() { jq -cS '[.holders[]] | sort_by(.pid, .kind, .tid, .fd, .path)' <<<"$1"; }
# explain_debug LOG ARGS...: explain --json ARGS, its time debugging in LOG.
explain_debug() {
	local log=$1; shift
	UMOUNT_HELPER_DEBUG=time "$UMH" explain --json "$@" 2>"$log"
}

# syscall_loaders TRACE: light skeletons' loader programs run (the scan's,
# and the reference count's, tests/t-refs.sh): each is one BPF_PROG_LOAD of
# type SYSCALL.
syscall_loaders() { grep 'BPF_PROG_LOAD' "$1" | grep -c 'BPF_PROG_TYPE_SYSCALL'; }
traced_explain() { # NAME: explain --json "$M" under strace (bpf calls), into NAME.json/.err/.trace
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" UMOUNT_HELPER_DEBUG=time \
		strace -f -qq -o "$SCRATCH/$1.trace" -e trace=bpf "$UMH" explain --json "$M" >"$SCRATCH/$1.json" 2>"$SCRATCH/$1.err"
}
traced_explain loaded
loaded=$(cat "$SCRATCH/loaded.json")
check_json "without a watcher: the BPF scan, every holder" "$loaded" '.scan.method == "bpf" and (.holders | length) == 5'
check_contains "without a watcher: the scan loads its programs" "$(cat "$SCRATCH/loaded.err")" "not pinned: $PIN_ROOT: No such file"
check_contains "without a watcher: the count program is loaded too" "$(cat "$SCRATCH/loaded.err")" \
	"mount count: load and first read (the per-CPU offsets"
# count JSON: the kernel's count of the target, and what explained it.
count() { jq -c '[.references.count, .references.explained]' <<<"$1"; }

# --- the watcher pins them ---------------------------------------------------------
start_watch() {
	rm -f "$SCRATCH/w.out"
	"$UMH" watch --no-record --no-journal --duration 300 >"$SCRATCH/w.out" 2>&1 &
	W_PID=$!
	STARTED_PIDS+=("$W_PID")
	wait_for "grep -q 'explain: its mount-count program' '$SCRATCH/w.out'" 100
}
stop_watch() {
	kill -TERM "$W_PID" 2>/dev/null
	wait "$W_PID" 2>/dev/null
}
start_watch
check_contains "the watcher says where it keeps them" "$(cat "$SCRATCH/w.out")" \
	"explain: its BPF scan kept loaded, in $PIN_ROOT/scan-"
pins=$(ls -d "$PIN_ROOT"/scan-* 2>/dev/null)
check_eq "one directory, of this build" 1 "$(wc -w <<<"$pins")"
check_eq "$PIN_ROOT: root's, 0700" "root 700" "$(stat -c '%U %a' "$PIN_ROOT")"
check_eq "the build's directory: root's, 0700" "root 700" "$(stat -c '%U %a' "$pins")"
check_eq "what it holds" "link_tasks link_unix link_vmas map_bound_found map_bss map_mounts map_rodata map_scm_found map_scm_socks prog_tasks prog_unix prog_vmas" \
	"$(ls "$pins" | tr '\n' ' ' | sed 's/ $//')"
check_contains "the watcher says where it keeps the count program" "$(cat "$SCRATCH/w.out")" \
	"explain: its mount-count program kept loaded, in $PIN_ROOT/count-"
cpins=$(ls -d "$PIN_ROOT"/count-* 2>/dev/null)
check_eq "the count program's directory: one, root's, 0700" "1 root 700" "$(wc -w <<<"$cpins") $(stat -c '%U %a' "$cpins")"
check_eq "what that holds" "map_reads prog_count" "$(ls "$cpins" | tr '\n' ' ' | sed 's/ $//')"

# --- explain uses them ----------------------------------------------------------------
traced_explain pinned
pinned=$(cat "$SCRATCH/pinned.json")
check_contains "with the watcher: explain uses its programs" "$(cat "$SCRATCH/pinned.err")" \
	"bpf scan: the watcher's pinned programs"
check_contains "with the watcher: explain uses its count program" "$(cat "$SCRATCH/pinned.err")" \
	"mount count: load and first read (the program the watcher keeps loaded)"
check_eq "with the watcher: neither the scan's loader nor the count's runs (two light-skeleton loaders fewer)" \
	"$(($(syscall_loaders "$SCRATCH/loaded.trace") - 2))" "$(syscall_loaders "$SCRATCH/pinned.trace")"
check_json "with the watcher: the BPF scan, complete" "$pinned" '.scan.method == "bpf" and .complete == true'
check_eq "with the watcher: the very holders of a scan that loads its own" "$(holders "$loaded")" "$(holders "$pinned")"
check_eq "with the watcher: the kernel's count as a program of its own reads it, all of it explained" \
	"$(count "$loaded")" "$(count "$pinned")"
check_json "the count: known, and every reference explained" "$pinned" \
	'.references.count != null and .references.count == .references.explained + 1'
# From a pid namespace of its own (its threads numbered otherwise than the
# kernel numbers them, and the program's table keyed by the kernel's), and
# so a mount namespace of its own for its /proc: there the mount is a copy
# that nothing holds.
pidns=$(unshare -p -f --mount-proc env UMOUNT_HELPER_DEBUG=time "$UMH" explain --json "$M" 2>"$SCRATCH/pidns.err")
check_contains "from a pid namespace of its own: the pinned count program" "$(cat "$SCRATCH/pidns.err")" \
	"first read (the program the watcher keeps loaded)"
check_json "... the count of its copy of the mount: 1, free" "$pidns" '.references.count == 1 and .verdict == "free"'

# From another mount namespace (-N PID, as the watcher examines a failed
# unmount there), whose /sys/fs/bpf is a BPF filesystem of its own that
# holds nothing: the programs are still found where the watcher pinned
# them, in the namespace explain started in.  There the mount is a copy
# nothing holds.
start_holder "$SCRATCH/otherns" unshare -m --propagation private \
	sh -c 'mount -t bpf -o mode=0700 bpf /sys/fs/bpf && : >"$1" && exec sleep 1000' - "$SCRATCH/otherns" ||
	not_ok "a process in a mount namespace with a BPF filesystem of its own"
otherns=$(explain_debug "$SCRATCH/otherns.err" -N "$HOLDER_PID" "$M")
check_contains "another mount namespace (-N), its own empty BPF filesystem: the pinned scan" \
	"$(cat "$SCRATCH/otherns.err")" "bpf scan: the watcher's pinned programs"
check_contains "... and the pinned count program" "$(cat "$SCRATCH/otherns.err")" \
	"first read (the program the watcher keeps loaded)"
check_json "... its copy of the mount: counted 1, free" "$otherns" \
	'.scan.method == "bpf" and .references.count == 1 and .verdict == "free"'

# One scan after another, nothing carried over: another mount with holders
# of its own, ten mounts to look for at once (more than the programs
# compare inline: their map), then the first again.
O=$SCRATCH/o
mount_tmpfs "$O" pinned-other
mkdir "$O/d"
for i in 1 2 3 4 5 6 7 8 9; do
	mkdir -p "$SCRATCH/bind$i" && mount --bind "$O/d" "$SCRATCH/bind$i" && at_exit "umount -l '$SCRATCH/bind$i'"
done
hold other cwd "$SCRATCH/bind5"
other=$(explain_debug "$SCRATCH/other.err" "$O")
check_contains "another mount: pinned programs again" "$(cat "$SCRATCH/other.err")" "the watcher's pinned programs"
check_json "another mount: ten mounts of its filesystem looked for, its one holder (on a bind mount: not blocking), no other's" \
	"$other" "(.holders | length) == 0 and [.not_blocking[] | .pid] == [$HOLDER_PID] and (.other_mounts | length) == 9"
again=$(explain_debug "$SCRATCH/again.err" "$M")
check_eq "the first mount again: the same holders, none of the other's" "$(holders "$loaded")" "$(holders "$again")"

# Two at once: each gets a whole scan (one the pinned programs, the other
# those or its own, as the lock decides).
explain_debug "$SCRATCH/c1.err" "$M" >"$SCRATCH/c1.json" &
c1=$!
explain_debug "$SCRATCH/c2.err" "$M" >"$SCRATCH/c2.json"
wait "$c1"
check_eq "two scans at once: both name every holder" "$(holders "$loaded")|$(holders "$loaded")" \
	"$(holders "$(cat "$SCRATCH/c1.json")")|$(holders "$(cat "$SCRATCH/c2.json")")"
check_eq "two scans at once: both read the count through the pinned program, each its own" \
	"$(count "$loaded")|$(count "$loaded")" "$(count "$(cat "$SCRATCH/c1.json")")|$(count "$(cat "$SCRATCH/c2.json")")"
check_eq "two scans at once: both used the pinned count program" 2 \
	"$(cat "$SCRATCH/c1.err" "$SCRATCH/c2.err" | grep -c 'first read (the program the watcher keeps loaded)')"

# A user: no way in.  (explain as nobody scans /proc, for its own processes.)
chmod 755 "$SCRATCH"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -o "$SCRATCH/user.trace" -e trace=bpf,openat "${NOBODY[@]}" "$UMH" explain --json "$M" >"$SCRATCH/user.json" 2>/dev/null
check "a user: the directory refuses it" grep -q "\"$PIN_ROOT\".*EACCES" "$SCRATCH/user.trace"
check_eq "a user: no pinned object opened" 0 "$(grep 'BPF_OBJ_GET' "$SCRATCH/user.trace" | grep -vc 'ENOENT\|EACCES\|EPERM')"
check_json "a user: the procfs scan" "$(cat "$SCRATCH/user.json")" '.scan.method == "procfs"'

stop_watch
check_eq "the watcher's end removes them" "" "$(ls -A "$PIN_ROOT" 2>/dev/null)"

# --- pins that are not this build's, as they must be, are not used -----------------
# not_used LABEL WHY: explain loads its own programs, finds every holder,
# and says WHY.
not_used() {
	local out
	out=$(explain_debug "$SCRATCH/nu.err" "$M")
	check_contains "$1: not used, said why" "$(cat "$SCRATCH/nu.err")" "; not pinned: $2"
	check_eq "$1: the holders all the same" "$(holders "$loaded")" "$(holders "$out")"
}
start_watch
pins=$(ls -d "$PIN_ROOT"/scan-*)
chmod 0755 "$pins"
not_used "a directory of mode 0755" "$pins is not a directory of root's, mode 0700"
chmod 0700 "$pins" && chown 65534 "$pins"
not_used "a directory of another user's" "$pins is not a directory of root's, mode 0700"
chown 0 "$pins" && chmod 0755 "$PIN_ROOT"
not_used "$PIN_ROOT of mode 0755" "$PIN_ROOT is not a directory of root's, mode 0700"
chmod 0700 "$PIN_ROOT"
# The count program's directory of another mode, its pins swapped: its
# own count program loaded, the same count.
cpins=$(ls -d "$PIN_ROOT"/count-*)
count_not_used() { # LABEL
	local out
	out=$(explain_debug "$SCRATCH/cnu.err" "$M")
	check_contains "$1: not used" "$(cat "$SCRATCH/cnu.err")" "mount count: load and first read (the per-CPU offsets"
	check_eq "$1: the same count" "$(count "$loaded")" "$(count "$out")"
}
chmod 0755 "$cpins"
count_not_used "the count program's directory of mode 0755"
chmod 0700 "$cpins"
mv "$cpins/prog_count" "$cpins/prog_x" && mv "$cpins/map_reads" "$cpins/prog_count" && mv "$cpins/prog_x" "$cpins/map_reads"
count_not_used "the count program's pins swapped"
# Two pins swapped: a map where a program should be.
# (bpffs takes no dot in a name.)
mv "$pins/prog_vmas" "$pins/prog_vmas_x" && mv "$pins/map_bss" "$pins/prog_vmas" && mv "$pins/prog_vmas_x" "$pins/map_bss"
not_used "objects that are not what their names say" "$pins does not hold this build's BPF scan"
stop_watch

# Programs of another build under this build's name: a copy of the tree
# with one line more in iter.bpf.c (its line numbers, in the object's BTF,
# make it another object), built, its watcher's pins renamed to ours.
B2=$SCRATCH/tree2
mkdir -p "$B2"
(cd "$TOP" && git ls-files -z 2>/dev/null | xargs -0 cp --parents -t "$B2" 2>/dev/null) || cp -a "$TOP/." "$B2/"
rm -rf "$B2/build"
sed -i '1a // another build, for tests/t-bpf-pinned.sh' "$B2/lib/bpf/scan/iter.bpf.c"
if ! make -C "$B2" -j2 BUILD=build SANITIZE= build/umount-helper >"$SCRATCH/b2.log" 2>&1; then
	not_ok "a second build of the tree"
	diag "$(tail -n 20 "$SCRATCH/b2.log")"
	finish
fi
check "the second build has another build id" test "$(cat "$B2/build/bpf/iter.id.h")" != "$(cat "$TOP/$BUILD/bpf/iter.id.h")"
"$B2/build/umount-helper" watch --no-record --no-journal --duration 300 >"$SCRATCH/w2.out" 2>&1 &
W_PID=$!
STARTED_PIDS+=("$W_PID")
wait_for "grep -q 'explain: its BPF scan' '$SCRATCH/w2.out'" 100
theirs=$(ls -d "$PIN_ROOT"/scan-*)
ours=$PIN_ROOT/scan-$(sed -n 's/.*"\(.*\)".*/\1/p' "$TOP/$BUILD/bpf/iter.id.h")
mv "$theirs" "$ours"
not_used "another build's programs under this build's name" "the pinned BPF scan is of another build"
mv "$ours" "$theirs"
stop_watch
finish
