#!/bin/bash
# Reference accounting on Debian's kernel (6.1), where the mount's count can
# be read (CONFIG_KALLSYMS_ALL: the per-CPU offsets are a kallsyms symbol):
#   seed  a module filp_opens /mnt/dir/file on NFSv3, no ledger: no holder is
#         found, and explain says one reference is unexplained (the module's);
#   procs cwd, an fd dup'd and inherited by a child (one struct file, four
#         descriptors), a mapping, a thread with its own cwd: all explained,
#         each counted once; with the module loaded too, exactly its one is left;
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
refs "seed" /mnt 2 0 1
check_eq "seed: explain exits 32: busy" 32 "$RUN_RC"
check_eq "seed: no holder is found" 0 "$(jq '.holders | length' <<<"$REFS_JSON")"
run -t 30 "$UMH" explain /mnt
check_contains "seed: the report says busy, no holder" "$RUN_OUT" "/mnt is busy, but no holder was found."
check_contains "seed: and that one reference is unexplained" "$RUN_OUT" \
	"1 reference to this mount is not explained by anything found: the kernel counts 2"

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
