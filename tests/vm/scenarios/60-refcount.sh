#!/bin/bash
# Reference accounting on Debian's kernel (6.1), where the mount's count can
# be read two ways (the per-CPU offsets from a per-CPU map, as on the
# development kernel, and from kallsyms: CONFIG_KALLSYMS_ALL), which agree:
#   seed  a module filp_opens /mnt/dir/file on NFSv3, no ledger: the count
#         shows a reference no process holds, and the scan of module data
#         finds the module's struct file (in its data; depth=1: in an object
#         its data points to); neighbours=1, in an object next to one its
#         data points to, and depth=2, deeper than that scan looks: the walk
#         of the mount's dentries names /mnt/dir/file, 1 reference unexplained;
#   procs cwd, an fd dup'd and inherited by a child (one struct file, four
#         descriptors) of the very file the module holds, a mapping, a thread
#         with its own cwd: all explained, each counted once; with the module
#         loaded too (depth=2), exactly its one is left, and the walk still
#         names /mnt/dir/file alone (NFS's open contexts counted: one per
#         open file, the process's and the module's);
#   scm   a tmpfs file in flight in a unix socket: explained by the scm holder;
#         then a mount on top of it, which before 6.17 holds one reference.
# Each number is checked against the kernel's count and what explained it, so
# that counting a shared file twice, or missing one, fails.
. "$VM_REPO/tests/vm/guest/lib.sh"
need_feature refcount || exit 1

FIX=$VM_REPO/build/tests/fixtures
R=$(mktemp -d)

# refs DESC TARGET COUNT EXPLAINED UNEXPLAINED: explain --json, and the numbers.
refs() {
	run -t 30 "$UMH" explain --json "$2"
	REFS_JSON=$RUN_OUT
	check_eq "$1: the kernel's count" "$3" "$(jq -r .references.count <<<"$REFS_JSON")"
	check_eq "$1: references explained" "$4" "$(jq -r .references.explained <<<"$REFS_JSON")"
	check_eq "$1: unexplained_refs" "$5" "$(jq -r .unexplained_refs <<<"$REFS_JSON")"
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_mount nfs vers=3 || exit 1

# --- seed: the module's file, no ledger -------------------------------------
insmod_holdfile /mnt/dir/file
run umount /mnt
check_eq "seed: umount /mnt: device is busy" "umount.nfs: /mnt: device is busy" "$RUN_OUT"
refs "seed" /mnt 2 1 0
check_eq "seed: explain exits 32: busy" 32 "$RUN_RC"
check_eq "seed: held by module holdfile, through /mnt/dir/file, its variable held" \
	"module holdfile /mnt/dir/file an open file (struct file) in its data (held)" \
	"$(jq -r '.holders[] | [.kind, .object, .path, .detail] | join(" ")' <<<"$REFS_JSON")"
UMOUNT_HELPER_DEBUG=percpu-symbol run -t 30 "$UMH" explain --json /mnt
check_eq "seed: the count read through kallsyms (__per_cpu_offset) is the same" 2 \
	"$(jq -r .references.count <<<"$RUN_OUT")"
run rmmod holdfile

at_exit "rmmod holdfile"
run insmod "$VM_KMOD" path=/mnt/dir/file depth=1
check_eq "seed, depth 1: insmod holdfile.ko depth=1" 0 "$RUN_RC"
refs "seed, depth 1" /mnt 2 1 0
check_eq "seed, depth 1: found in an object its data points to" \
	"module holdfile /mnt/dir/file an open file (struct file) in an object its data points to (chain)" \
	"$(jq -r '.holders[] | [.kind, .object, .path, .detail] | join(" ")' <<<"$REFS_JSON")"
run rmmod holdfile

# The file in a small object that nothing in the module's data points to,
# right after one in the same slab that its data does: the module scan reads
# the object it follows to that object's end, not into the next one (it did,
# 32 words of any object, and blamed the wrong variable for the file).
run insmod "$VM_KMOD" path=/mnt/dir/file neighbours=1
check_eq "seed, neighbours: insmod holdfile.ko neighbours=1" 0 "$RUN_RC"
refs "seed, neighbours" /mnt 2 0 1
check_eq "seed, neighbours: the object next to the one with the file is not taken for it; the dentry walk names the file" \
	"kernel-ref /mnt/dir/file 1 reference that nothing found explains" \
	"$(jq -r '.holders[] | [.kind, .path, .detail] | join(" ")' <<<"$REFS_JSON")"
UMOUNT_HELPER_DEBUG=time run -t 30 "$UMH" explain /mnt
check_contains "seed, neighbours: the objects module data points to are read to their ends, the kernel's layout known" \
	"$RUN_OUT" "the objects read to their ends (the kernel's memory layout known)"
run rmmod holdfile

run insmod "$VM_KMOD" path=/mnt/dir/file depth=2
check_eq "seed, depth 2: insmod holdfile.ko depth=2" 0 "$RUN_RC"
refs "seed, depth 2" /mnt 2 0 1
check_eq "seed, depth 2: the dentry walk names the file, and only it" \
	"kernel-ref /mnt/dir/file 1 reference that nothing found explains" \
	"$(jq -r '.holders[] | [.kind, .path, .detail] | join(" ")' <<<"$REFS_JSON")"
run -t 30 "$UMH" explain /mnt
check_contains "seed, depth 2: the report says what nothing found explains" "$RUN_OUT" \
	"1 reference to this mount is not explained by anything found: the kernel counts 2"
check_contains "seed, depth 2: and that the file named carries it" "$(tr '\n' ' ' <<<"$RUN_OUT")" \
	"The file named above carries it"

# --- process holders: each struct file and fs_struct once --------------------
hold_cwd /mnt/dir || not_ok "procs: cwd holder started"
start_holder "$R/dup" bash -c 'exec 3</mnt/dir/file 4<&3; sleep 1000 & echo $! >"$1.child"; : >"$1"; wait' \
	- "$R/dup" || not_ok "procs: dup holder started"
STARTED_PIDS+=("$(cat "$R/dup.child")")
hold_mmap /mnt/big || not_ok "procs: mmap holder started"
start_holder "$R/tc" "$FIX/holder" "$R/tc" thread-cwd /mnt/dir || not_ok "procs: thread-cwd holder started"
# cwd 1, the shared file 1, the mapping 1, the thread's fs_struct 1; the module 1.
refs "procs and module" /mnt 6 4 1
check_eq "procs: four descriptors of one file are found (bash and its child, fds 3 and 4)" 4 \
	"$(jq '[.holders[] | select(.kind == "fd")] | length' <<<"$REFS_JSON")"
check_eq "procs and module: the walk names /mnt/dir/file alone, with 1 reference" \
	"/mnt/dir/file 1 reference that nothing found explains" \
	"$(jq -r '.holders[] | select(.kind == "kernel-ref") | [.path, .detail] | join(" ")' <<<"$REFS_JSON")"
run rmmod holdfile
refs "procs" /mnt 5 4 0
run -t 30 "$UMH" explain /mnt
check_contains "procs: the report says every reference is accounted for" "$RUN_OUT" \
	"Every reference to this mount is accounted for: the kernel counts 5"
for p in "${STARTED_PIDS[@]}"; do stop_holder "$p"; done
STARTED_PIDS=()
run umount /mnt
check_eq "procs: once they are gone, umount succeeds" 0 "$RUN_RC"

# --- a descriptor in flight ---------------------------------------------------
mkdir -p /tmp/rc && mount -t tmpfs rc /tmp/rc && at_exit "umount -l /tmp/rc"
echo x >/tmp/rc/j
start_holder "$R/scm" "$FIX/holder" "$R/scm" scm /tmp/rc/j || not_ok "scm: holder started"
refs "scm" /tmp/rc 2 1 0
check_eq "scm: explained by the scm-inflight holder" /tmp/rc/j \
	"$(jq -r '.holders[] | select(.kind == "scm-inflight") | .path' <<<"$REFS_JSON")"
mkdir /tmp/rc/sub && mount -t tmpfs rc-sub /tmp/rc/sub && at_exit "umount -l /tmp/rc/sub"
refs "scm and a child mount" /tmp/rc 3 2 0
