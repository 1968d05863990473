#!/bin/bash
# Processes holding an NFSv3 mount the three ways a process can: its working
# directory, an open file descriptor, a mapping whose descriptor is closed.
# Each alone keeps umount failing with "device is busy", and here -- unlike
# the kernel-side holder of 10-seed -- lsof and fuser do find it.
#
# `umount /mnt` runs through our wrapper (installed as /sbin/umount.nfs, in
# front of nfs-utils' helper): nfs-utils' stdout, first line of stderr and
# status (16) are what they are without it -- the baseline, taken in the
# first case with nfs-utils alone -- and the explanation that follows names
# each holder, as `umount-helper explain --json` does.
. "$VM_REPO/tests/vm/guest/lib.sh"

# lsof_pids OUTPUT: the PID column of lsof's table.
lsof_pids() { awk 'NR > 1 { print $2 }' <<<"$1"; }

# The holders of the current case: "KIND PID PATH" lines, and the lines the
# text report must have for them (set by add_holder).
HOLDERS=() TEXT_LINES=()
add_holder() { # KIND PID
	local kind=$1 pid=$2
	case $kind in
	cwd)
		HOLDERS+=("cwd $pid /mnt/dir")
		TEXT_LINES+=("$(text_pid_line "$pid" sleep "sleep 1000")"
			"$(text_ref_line cwd /mnt/dir)"
			"    → make it leave /mnt, or end it: kill $pid");;
	fd)
		HOLDERS+=("fd $pid /mnt/dir/file")
		TEXT_LINES+=("$(text_pid_line "$pid" sleep "sleep 1000")"
			"$(text_ref_line "fd 3 (r)" /mnt/dir/file)"
			"    → make it close what it holds, or end it: kill $pid");;
	mmap)
		HOLDERS+=("mmap $pid /mnt/big")
		TEXT_LINES+=("$(text_pid_line "$pid" holdmap "$VM_BIN/bin/holdmap /mnt/big /tmp/ready.mmap")"
			"$(text_ref_line "mmap (r)" /mnt/big)"
			"    → make it close what it holds, or end it: kill $pid");;
	esac
}

# What lsof and fuser say about the holders (pids in "$@").
check_lsof_fuser() { # CASE LETTER PID...
	local c=$1 letter=$2 pids p; shift 2
	run lsof /mnt
	pids=$(lsof_pids "$RUN_OUT")
	for p; do check_word "$c: lsof /mnt lists pid $p" "$pids" "$p"; done
	# fuser prints the pids on stdout and the access letters on stderr.
	run_split fuser -m /mnt
	for p; do check_word "$c: fuser -m /mnt lists pid $p" "$RUN_STDOUT" "$p"; done
	[ -n "$letter" ] && check_contains "$c: fuser -m marks it '$letter'" "$RUN_STDERR" "$letter"
	return 0
}

# Assertions about build/umount-helper: umount through the wrapper, then
# explain --json.  BASE_RC, BASE_OUT, BASE_ERR: the baseline.
check_umount_helper() { # CASE
	local c=$1 n=${#HOLDERS[@]} id want text line json procs
	id=$(mnt_id)
	want=$(printf '%s\n' "${HOLDERS[@]}" | sort)
	procs="$n processes"; [ "$n" = 1 ] && procs="1 process"
	nfs_wrapper_on || return 1

	run_split umount /mnt
	check_eq "$c: wrapped: umount /mnt still exits 16" 16 "$RUN_RC"
	check_eq "$c: wrapped: the same status as without the wrapper" "$BASE_RC" "$RUN_RC"
	check_same_file "$c: wrapped: stdout byte for byte as without the wrapper" "$BASE_OUT" "$RUN_OUT_FILE"
	head -n 1 "$RUN_ERR_FILE" >"$VM_TMP/err.1"
	check_same_file "$c: wrapped: the first line of stderr byte for byte as without the wrapper" \
		"$BASE_ERR" "$VM_TMP/err.1"
	text=$(after_first_line "$RUN_STDERR")
	check_eq "$c: wrapped: then the explanation: /mnt is held by $procs" "/mnt is held by $procs." \
		"$(first_line "$text")"
	check_line "$c: wrapped: ... on this mount" "$text" "  (mount id $id, nfs from 127.0.0.1:/export)"
	for line in "${TEXT_LINES[@]}"; do
		check_line "$c: wrapped: the explanation has: ${line#"${line%%[! ]*}"}" "$text" "$line"
	done
	check_eq "$c: wrapped: the explanation names exactly these holders (kind, pid, path)" "$want" \
		"$(report_text_holders "$text")"
	check_eq "$c: wrapped: /mnt is still the same mount" "$id" "$(mnt_id)"

	run "$UMH" explain --json /mnt
	json=$RUN_OUT
	check_eq "$c: explain --json exits 32 (held)" 32 "$RUN_RC"
	check_eq "$c: explain --json: the same holders as the wrapper's text" "$want" "$(report_json_holders "$json")"
	check_eq "$c: explain --json: each matched by mount id ($n)" "$n" \
		"$(jq -r "[.holders[] | select(.mount_id == $id and .matched_by == \"mount-id\")] | length" <<<"$json")"
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_wrapper_off || exit 1

for kind in cwd fd mmap; do
	say "--- $kind"
	nfs_mount nfs vers=3 || exit 1
	case $kind in
	cwd) hold_cwd /mnt/dir; letter=c;;
	fd) hold_fd /mnt/dir/file; letter=;;
	mmap) hold_mmap /mnt/big; letter=m;;
	esac || { not_ok "$kind: start the holder"; continue; }
	pid=$HOLDER_PID
	say "holder ($kind): pid $pid"
	HOLDERS=() TEXT_LINES=()
	add_holder "$kind" "$pid"

	if [ "$kind" = cwd ]; then
		say "(the baseline: nfs-utils' umount.nfs alone)"
		run_split umount /mnt
		BASE_RC=$RUN_RC BASE_OUT=$RUN_OUT_FILE BASE_ERR=$RUN_ERR_FILE
		check_eq "$kind: without the wrapper, umount /mnt says the device is busy" \
			"umount.nfs: /mnt: device is busy" "$RUN_STDERR"
		check_eq "$kind: without the wrapper, umount /mnt exits 16" 16 "$RUN_RC"
	fi
	check_lsof_fuser "$kind" "$letter" "$pid"
	check_umount_helper "$kind"

	stop_holder "$pid"
	run_split umount /mnt
	check_eq "$kind: once the holder is gone, umount /mnt (wrapped) succeeds" 0 "$RUN_RC"
	check_empty "$kind: ... and prints nothing" "$RUN_STDOUT$RUN_STDERR"
done

# All three at once.
say "--- all"
nfs_mount nfs vers=3 || exit 1
hold_cwd /mnt/dir && p_cwd=$HOLDER_PID &&
	hold_fd /mnt/dir/file && p_fd=$HOLDER_PID &&
	hold_mmap /mnt/big && p_mmap=$HOLDER_PID || { not_ok "all: start the holders"; exit 1; }
HOLDERS=() TEXT_LINES=()
add_holder cwd "$p_cwd"
add_holder fd "$p_fd"
add_holder mmap "$p_mmap"
check_lsof_fuser all "" "$p_cwd" "$p_fd" "$p_mmap"
check_umount_helper all
for p in $p_cwd $p_fd $p_mmap; do stop_holder "$p"; done
run_split umount /mnt
check_eq "all: once the holders are gone, umount /mnt (wrapped) succeeds" 0 "$RUN_RC"
check_empty "all: ... and prints nothing" "$RUN_STDOUT$RUN_STDERR"
