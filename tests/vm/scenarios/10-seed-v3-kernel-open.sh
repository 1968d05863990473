#!/bin/bash
# The seed case: a kernel module holds a file open on an NFSv3 mount.
# umount says the device is busy, lsof and fuser find nothing, and only
# unloading the module frees the mount.
. "$VM_REPO/tests/vm/guest/lib.sh"

# Assertions about build/umount-helper for this case go here.
check_umount_helper() {
	umh_explain /mnt
	# later: exit 32, one holder of kind "kernel-open" on /mnt/dir/file
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_mount nfs vers=3 || exit 1
# The original report mounted "localhost:/tmp"; we mount 127.0.0.1 so the
# result cannot depend on how /etc/hosts resolves localhost.
run findmnt -n -o SOURCE,FSTYPE,OPTIONS /mnt

insmod_holdfile /mnt/dir/file
run sh -c 'dmesg | grep holdfile: | tail -n 1'
check_contains "holdfile read the file from kernel space" "$RUN_OUT" "holding /mnt/dir/file open"

run umount /mnt
check_eq "umount /mnt says the device is busy" "umount.nfs: /mnt: device is busy" "$RUN_OUT"
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

check_umount_helper

run rmmod holdfile
check_eq "rmmod holdfile" 0 "$RUN_RC"
run umount /mnt
check_eq "after rmmod, umount /mnt succeeds" 0 "$RUN_RC"
check_empty "after rmmod, umount /mnt prints nothing" "$RUN_OUT"
if is_nfs_mounted; then not_ok "/mnt is no longer an NFS mount"; else ok "/mnt is no longer an NFS mount"; fi
