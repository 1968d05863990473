#!/bin/bash
# The seed case: a kernel module holds a file open on an NFSv3 mount.
# umount says the device is busy, lsof and fuser find nothing, and only
# unloading the module frees the mount.
#
# The same `umount /mnt` runs twice: first with nfs-utils' own umount.nfs
# (the baseline), then with our wrapper installed as /sbin/umount.nfs, in
# front of nfs-utils' one (moved aside to umount.nfs.distrib).  Through the
# wrapper, stdout and the first line of stderr are byte for byte the
# baseline's, the status is the same 16, and our explanation follows.
. "$VM_REPO/tests/vm/guest/lib.sh"

# What our wrapper adds after nfs-utils' message when the scan finds no
# holder, as lib/report-text.c prints it: neither /proc nor the BPF
# iterators show a file that a module opened with filp_open() (only the open
# ledger, not running here, would have seen the open), so it says that the
# mount is still there and what it cannot see.  ID: the mount id.
expected_no_holder_report() {
	printf '%s\n' "/mnt is still mounted, and no holder was found." \
		"  (mount id $1, nfs from 127.0.0.1:/export)" \
		"What this scan cannot see, and could still hold it: a file opened inside the kernel" \
		"(by a module or a subsystem), a descriptor in flight in a unix socket, a process" \
		"that started using it after the scan."
}

# ---------------------------------------------------------------------------
# TO BE FILLED BY THE BPF WORK (kernel-open holders, issue 5): assert here
# that our explanation names /mnt/dir/file as held by no process and the
# module (holdfile) that opened it -- in the wrapper's text (WRAPPED_STDERR,
# a file) and in `explain --json /mnt` (JSON: exit 32, one holder of kind
# "kernel-open", path /mnt/dir/file).  explain now scans with BPF, but it
# sees such a file only when the open ledger ran before the module opened
# it (55-bpf-ledger-seed starts it, and checks explain alone); this
# scenario does not start it, so today nothing is asserted here: no check
# may pass for what the tool does not do.  expected_no_holder_report above
# and the checks in check_umount_helper that rely on it change then too.
check_kernel_open_holder() { # WRAPPED_STDERR JSON
	say "(kernel-open holder: not asserted here yet -- the open ledger is not running; see check_kernel_open_holder)"
}
# ---------------------------------------------------------------------------

# Assertions about build/umount-helper for this case.  BASE_*: the
# baseline run of `umount /mnt`, with nfs-utils' helper alone.
check_umount_helper() {
	local id json
	id=$(mnt_id)
	nfs_wrapper_on || return 1

	run_split umount /mnt
	local w_rc=$RUN_RC w_out=$RUN_OUT_FILE w_err=$RUN_ERR_FILE
	check_eq "wrapped: umount /mnt still exits 16" 16 "$w_rc"
	check_eq "wrapped: the same status as without the wrapper" "$BASE_RC" "$w_rc"
	check_same_file "wrapped: stdout byte for byte as without the wrapper" "$BASE_OUT" "$w_out"
	head -n 1 "$w_err" >"$VM_TMP/w_err.1"
	check_same_file "wrapped: the first line of stderr byte for byte as without the wrapper" "$BASE_ERR" "$VM_TMP/w_err.1"
	check_eq "wrapped: stderr starts with nfs-utils' own message" "umount.nfs: /mnt: device is busy" \
		"$(first_line "$RUN_STDERR")"
	{ cat "$BASE_ERR"; expected_no_holder_report "$id"; } >"$VM_TMP/expected.err"
	check_same_file "wrapped: then our explanation: still mounted, no holder found, a file opened in the kernel is possible" \
		"$VM_TMP/expected.err" "$w_err"
	check_contains "wrapped: ... it names the mount (id $id, from 127.0.0.1:/export)" "$RUN_STDERR" \
		"(mount id $id, nfs from 127.0.0.1:/export)"
	check_eq "wrapped: /mnt is still the same mount" "$id" "$(mnt_id)"

	# The same question asked directly.  Without BPF the scan finds no
	# holder, and nothing here says that umount would fail: record it,
	# and check only what is true -- this very mount, scanned to the end,
	# no process holding it.
	run "$UMH" explain --json /mnt
	json=$RUN_OUT
	local j_id j_complete j_procs
	read -r j_id j_complete j_procs <<<"$(jq -r '[.mount_id, .complete,
		([.holders[] | select(.pid != null)] | length)] | @tsv' <<<"$json")"
	check_eq "explain --json: this mount (id $id)" "$id" "${j_id:-}"
	check_eq "explain --json: the scan completed" true "${j_complete:-}"
	check_eq "explain --json: no process holds it" 0 "${j_procs:-}"
	run "$UMH" explain /mnt

	check_kernel_open_holder "$w_err" "$json"
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_wrapper_off || exit 1
nfs_mount nfs vers=3 || exit 1
# The original report mounted "localhost:/tmp"; we mount 127.0.0.1 so the
# result cannot depend on how /etc/hosts resolves localhost.
run findmnt -n -o SOURCE,FSTYPE,OPTIONS /mnt

insmod_holdfile /mnt/dir/file
run sh -c 'dmesg | grep holdfile: | tail -n 1'
check_contains "holdfile read the file from kernel space" "$RUN_OUT" "holding /mnt/dir/file open"

say "--- without the wrapper: nfs-utils' umount.nfs alone"
run_split umount /mnt
BASE_RC=$RUN_RC BASE_OUT=$RUN_OUT_FILE BASE_ERR=$RUN_ERR_FILE
check_eq "umount /mnt says the device is busy" "umount.nfs: /mnt: device is busy" "$RUN_STDERR"
check_empty "umount /mnt prints nothing on stdout" "$RUN_STDOUT"
check_eq "umount /mnt exits 16" 16 "$RUN_RC"
check_cmd "/mnt is still mounted" is_nfs_mounted

run lsof /mnt
check_empty "lsof /mnt prints nothing" "$RUN_OUT"
check_eq "lsof /mnt exits 1 (found nothing)" 1 "$RUN_RC"
run fuser -m /mnt
check_empty "fuser -m /mnt prints nothing" "$RUN_OUT"
check_eq "fuser -m /mnt exits 1 (found nothing)" 1 "$RUN_RC"
# For the record: fuser -v does report that the mount is in use, by "kernel".
run fuser -vm /mnt

say "--- with the wrapper: /sbin/umount.nfs is ours, in front of nfs-utils'"
check_umount_helper

run rmmod holdfile
check_eq "rmmod holdfile" 0 "$RUN_RC"
run_split umount /mnt
check_eq "after rmmod, umount /mnt (wrapped) succeeds" 0 "$RUN_RC"
check_empty "after rmmod, umount /mnt (wrapped) prints nothing on stdout" "$RUN_STDOUT"
check_empty "after rmmod, umount /mnt (wrapped) prints nothing on stderr" "$RUN_STDERR"
if is_nfs_mounted; then not_ok "/mnt is no longer an NFS mount"; else ok "/mnt is no longer an NFS mount"; fi
