#!/bin/bash
# The seed case over NFSv4: a kernel module holds a file open on an NFSv4.2
# mount; umount.nfs4 says the device is busy, lsof and fuser find nothing,
# rmmod frees the mount.
. "$VM_REPO/tests/vm/guest/lib.sh"

# Assertions about build/umount-helper for this case go here.
check_umount_helper() {
	umh_explain /mnt
	# later: exit 32, one holder of kind "kernel-open" on /mnt/dir/file
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_mount nfs4 vers=4.2 || exit 1
run findmnt -n -o SOURCE,FSTYPE,OPTIONS /mnt

# Right after nfsd starts, OPEN waits for the NFSv4 grace period (10 s here).
insmod_holdfile /mnt/dir/file

run umount /mnt
check_eq "umount /mnt says the device is busy" "umount.nfs4: /mnt: device is busy" "$RUN_OUT"
check_eq "umount /mnt exits 16" 16 "$RUN_RC"
check_cmd "/mnt is still mounted" is_nfs_mounted
# The helper itself, as mount(8) runs it.
run umount.nfs4 /mnt
check_eq "umount.nfs4 /mnt says the device is busy" "umount.nfs4: /mnt: device is busy" "$RUN_OUT"
check_eq "umount.nfs4 /mnt exits 16" 16 "$RUN_RC"

run lsof /mnt
check_empty "lsof /mnt prints nothing" "$RUN_OUT"
check_eq "lsof /mnt exits 1 (found nothing)" 1 "$RUN_RC"
run fuser -m /mnt
check_empty "fuser -m /mnt prints nothing" "$RUN_OUT"
check_eq "fuser -m /mnt exits 1 (found nothing)" 1 "$RUN_RC"

check_umount_helper

run rmmod holdfile
check_eq "rmmod holdfile" 0 "$RUN_RC"
run umount /mnt
check_eq "after rmmod, umount /mnt succeeds" 0 "$RUN_RC"
if is_nfs_mounted; then not_ok "/mnt is no longer an NFS mount"; else ok "/mnt is no longer an NFS mount"; fi
