#!/bin/bash
# The seed case over NFSv4: a kernel module holds a file open on an NFSv4.2
# mount; umount.nfs4 says the device is busy, lsof and fuser find nothing,
# rmmod frees the mount.  Then a process holds it too.  Our wrapper is
# installed as /sbin/umount.nfs4 the same way as umount.nfs; each umount
# runs first with nfs-utils' helper alone (the baseline), then wrapped.
. "$VM_REPO/tests/vm/guest/lib.sh"
# The report counts the mount's references (doctor: mount refcount).
need_feature refcount || exit 1

# The baseline: nfs-utils alone (BASE_RC, BASE_OUT, BASE_ERR: files).
baseline() { # CASE COMMAND...
	local c=$1; shift
	nfs_wrapper_off || return 1
	run_split "$@"
	BASE_RC=$RUN_RC BASE_OUT=$RUN_OUT_FILE BASE_ERR=$RUN_ERR_FILE
	check_eq "$c: $* says the device is busy" "umount.nfs4: /mnt: device is busy" "$RUN_STDERR"
	check_eq "$c: $* exits 16" 16 "$RUN_RC"
}
# The same command through the wrapper: what nfs-utils said, unchanged,
# then our explanation (its lines after the first: WRAPPED_TEXT).
wrapped() { # CASE COMMAND...
	local c=$1; shift
	nfs_wrapper_on || return 1
	run_split "$@"
	check_eq "$c: wrapped: $* still exits 16" 16 "$RUN_RC"
	check_eq "$c: wrapped: the same status as without the wrapper" "$BASE_RC" "$RUN_RC"
	check_same_file "$c: wrapped: stdout byte for byte as without the wrapper" "$BASE_OUT" "$RUN_OUT_FILE"
	head -n 1 "$RUN_ERR_FILE" >"$VM_TMP/err.1"
	check_same_file "$c: wrapped: the first line of stderr byte for byte as without the wrapper" \
		"$BASE_ERR" "$VM_TMP/err.1"
	WRAPPED_TEXT=$(after_first_line "$RUN_STDERR")
}

# Assertions about build/umount-helper.  CASE module: only holdfile holds
# /mnt; CASE process: a process holds /mnt/dir/file open as well.
check_umount_helper() { # CASE [PID]
	local id json
	id=$(mnt_id)
	case $1 in
	module)
		wrapped module umount /mnt || return 1
		# The reference count shows a reference no process holds,
		# and the module's data leads to it (as in 10-seed, NFSv3).
		check_eq "module: wrapped: then our explanation: held by 1 kernel module" \
			"/mnt is held by 1 kernel module." "$(first_line "$WRAPPED_TEXT")"
		check_line "module: wrapped: ... on this mount (nfs4)" "$WRAPPED_TEXT" \
			"  (mount id $id, nfs4 from 127.0.0.1:/export)"
		check_line "module: wrapped: ... holdfile holds /mnt/dir/file" "$WRAPPED_TEXT" \
			"  kernel module holdfile holds /mnt/dir/file"
		check_line "module: wrapped: ... and the remedy" "$WRAPPED_TEXT" \
			"    → unload it: rmmod holdfile (or stop what uses the module first)"
		check_line "module: wrapped: ... every reference explained" "$WRAPPED_TEXT" \
			"Every reference to this mount is accounted for: the kernel counts 2, 1 for being"
		;;
	process)
		local pid=$2 cmd
		local -A rc out err
		# Both commands first with nfs-utils alone, then both wrapped.
		for cmd in "umount /mnt" "umount.nfs4 /mnt"; do
			# shellcheck disable=SC2086
			baseline "process ($cmd)" $cmd || return 1
			rc[$cmd]=$BASE_RC out[$cmd]=$BASE_OUT err[$cmd]=$BASE_ERR
		done
		for cmd in "umount /mnt" "umount.nfs4 /mnt"; do
			BASE_RC=${rc[$cmd]} BASE_OUT=${out[$cmd]} BASE_ERR=${err[$cmd]}
			# shellcheck disable=SC2086
			wrapped "process ($cmd)" $cmd || return 1
			check_eq "process ($cmd): wrapped: then the explanation: /mnt is held by 1 process and the module" \
				"/mnt is held by 1 process and 1 kernel module." "$(first_line "$WRAPPED_TEXT")"
			check_line "process ($cmd): wrapped: ... on this mount (nfs4)" "$WRAPPED_TEXT" \
				"  (mount id $id, nfs4 from 127.0.0.1:/export)"
			check_line "process ($cmd): wrapped: ... pid $pid" "$WRAPPED_TEXT" \
				"$(text_pid_line "$pid" sleep "sleep 1000")"
			check_line "process ($cmd): wrapped: ... fd 3 on /mnt/dir/file" "$WRAPPED_TEXT" \
				"$(text_ref_line "fd 3 (r)" /mnt/dir/file)"
			check_eq "process ($cmd): wrapped: exactly that process holder" "fd $pid /mnt/dir/file" \
				"$(report_text_holders "$WRAPPED_TEXT")"
			check_line "process ($cmd): wrapped: ... and the module, through the same file" "$WRAPPED_TEXT" \
				"  kernel module holdfile holds /mnt/dir/file"
		done
		run "$UMH" explain --json /mnt
		json=$RUN_OUT
		check_eq "process: explain --json exits 32 (held)" 32 "$RUN_RC"
		check_eq "process: explain --json: the same holders" "$(printf '%s\n' "fd $pid /mnt/dir/file" "module - /mnt/dir/file")" \
			"$(report_json_holders "$json")"
		check_eq "process: explain --json: the process's file and the module's are two references" "3 2 0" \
			"$(jq -r '[.references.count, .references.explained, .unexplained_refs] | join(" ")' <<<"$json")"
		;;
	esac
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_wrapper_off || exit 1
nfs_mount nfs4 vers=4.2 || exit 1
run findmnt -n -o SOURCE,FSTYPE,OPTIONS /mnt

# Right after nfsd starts, OPEN waits for the NFSv4 grace period (10 s here).
insmod_holdfile /mnt/dir/file

say "--- the module alone"
baseline module umount /mnt
check_cmd "/mnt is still mounted" is_nfs_mounted
run lsof /mnt
check_empty "lsof /mnt prints nothing" "$RUN_OUT"
check_eq "lsof /mnt exits 1 (found nothing)" 1 "$RUN_RC"
run fuser -m /mnt
check_empty "fuser -m /mnt prints nothing" "$RUN_OUT"
check_eq "fuser -m /mnt exits 1 (found nothing)" 1 "$RUN_RC"
check_umount_helper module

say "--- the module and a process"
hold_fd /mnt/dir/file || { not_ok "start the holder"; exit 1; }
p_fd=$HOLDER_PID
say "holder (fd): pid $p_fd"
check_umount_helper process "$p_fd"

stop_holder "$p_fd"
run rmmod holdfile
check_eq "rmmod holdfile" 0 "$RUN_RC"
nfs_wrapper_on || exit 1
run_split umount /mnt
check_eq "after rmmod, umount /mnt (wrapped) succeeds" 0 "$RUN_RC"
check_empty "after rmmod, umount /mnt (wrapped) prints nothing" "$RUN_STDOUT$RUN_STDERR"
if is_nfs_mounted; then not_ok "/mnt is no longer an NFS mount"; else ok "/mnt is no longer an NFS mount"; fi
