#!/bin/bash
# Processes holding an NFSv3 mount the three ways a process can: its working
# directory, an open file descriptor, a mapping whose descriptor is closed.
# Each alone keeps umount failing with "device is busy", and here -- unlike
# the kernel-side holder of 10-seed -- lsof and fuser do find it.
. "$VM_REPO/tests/vm/guest/lib.sh"

# lsof_pids OUTPUT: the PID column of lsof's table.
lsof_pids() { awk 'NR > 1 { print $2 }' <<<"$1"; }

# Assertions about build/umount-helper for this case go here; KIND is cwd,
# fd, mmap or all, PID the holder(s).
check_umount_helper() { # KIND PID
	umh_explain /mnt
	# later: exit 32, a holder of kind "$1" with pid $2
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files

for kind in cwd fd mmap; do
	nfs_mount nfs vers=3 || exit 1
	case $kind in
	cwd) hold_cwd /mnt/dir; letter=c;;
	fd) hold_fd /mnt/dir/file; letter=;;
	mmap) hold_mmap /mnt/big; letter=m;;
	esac || { not_ok "$kind: start the holder"; continue; }
	pid=$HOLDER_PID
	say "holder ($kind): pid $pid"

	run umount /mnt
	check_eq "$kind: umount /mnt says the device is busy" "umount.nfs: /mnt: device is busy" "$RUN_OUT"
	check_eq "$kind: umount /mnt exits 16" 16 "$RUN_RC"

	run lsof /mnt
	check_word "$kind: lsof /mnt lists the holder" "$(lsof_pids "$RUN_OUT")" "$pid"
	# fuser prints the pids on stdout and the access letters on stderr.
	run sh -c 'fuser -m /mnt 2>/dev/null'
	check_word "$kind: fuser -m /mnt lists the holder" "$RUN_OUT" "$pid"
	run sh -c 'fuser -m /mnt 2>&1 >/dev/null'
	[ -n "$letter" ] && check_contains "$kind: fuser -m marks it '$letter'" "$RUN_OUT" "$letter"

	check_umount_helper "$kind" "$pid"

	stop_holder "$pid"
	run umount /mnt
	check_eq "$kind: once the holder is gone, umount /mnt succeeds" 0 "$RUN_RC"
done

# All three at once.
nfs_mount nfs vers=3 || exit 1
hold_cwd /mnt/dir && p_cwd=$HOLDER_PID &&
	hold_fd /mnt/dir/file && p_fd=$HOLDER_PID &&
	hold_mmap /mnt/big && p_mmap=$HOLDER_PID || { not_ok "all: start the holders"; exit 1; }
run umount /mnt
check_eq "all: umount /mnt says the device is busy" "umount.nfs: /mnt: device is busy" "$RUN_OUT"
check_eq "all: umount /mnt exits 16" 16 "$RUN_RC"
run lsof /mnt
pids=$(lsof_pids "$RUN_OUT")
for p in $p_cwd $p_fd $p_mmap; do
	check_word "all: lsof /mnt lists pid $p" "$pids" "$p"
done
run sh -c 'fuser -m /mnt 2>/dev/null'
for p in $p_cwd $p_fd $p_mmap; do
	check_word "all: fuser -m /mnt lists pid $p" "$RUN_OUT" "$p"
done
check_umount_helper all "$p_cwd $p_fd $p_mmap"
for p in $p_cwd $p_fd $p_mmap; do stop_holder "$p"; done
run umount /mnt
check_eq "all: once the holders are gone, umount /mnt succeeds" 0 "$RUN_RC"
