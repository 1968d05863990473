#!/bin/bash
# A dead server: holders on an NFSv3 mount, then the server stops answering.
# lsof hangs (it stat()s what it looks at, and a hard mount waits for the
# server forever); a tool that explains a busy mount must not.
. "$VM_REPO/tests/vm/guest/lib.sh"

# Assertions about build/umount-helper for this case go here (it must
# answer, in bounded time, without the server).
check_umount_helper() {
	umh_explain /mnt
	# later: finishes within a few seconds, exit 32, holders cwd and fd
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
# actimeo=0: without it the attribute cache answers stat() for up to 3 s
# (files) and 30-60 s (directories) after the last reply, and whether lsof
# hangs would depend on timing.  A mount in use for a while has no fresher
# cache than this.
nfs_mount nfs vers=3,actimeo=0 || exit 1
hold_cwd /mnt/dir && p_cwd=$HOLDER_PID &&
	hold_fd /mnt/dir/file && p_fd=$HOLDER_PID || { not_ok "start the holders"; exit 1; }
say "holders: cwd $p_cwd, fd $p_fd"

at_exit nfs_server_revive
nfs_server_kill
check_eq "the server is killed (nfsd threads 0, mountd gone, port 2049 dropped)" 0 $?
run cat /proc/fs/nfsd/threads
# Nothing answers on the NFS port: a connection attempt is neither
# accepted nor refused (rpcinfo would ask rpcbind, which is alive).
run -t 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2049'
check_cmd "nothing answers on 127.0.0.1:2049 (connect still waiting after 3 s)" test "$RUN_RC" = 124 -o "$RUN_RC" = 137

run -t 3 lsof /mnt
check_cmd "lsof /mnt does not finish within 3 s (killed by timeout)" test "$RUN_RC" = 124 -o "$RUN_RC" = 137
# For the record: psmisc's fuser avoids stat() on NFS and may still answer.
run -t 3 fuser -m /mnt
run -t 3 umount /mnt
say "(umount of a busy mount whose server is dead: status $RUN_RC)"

check_umount_helper

# Leave a guest that can go on and power off: no holder, no mount, a server.
stop_holder "$p_cwd"
stop_holder "$p_fd"
run umount -f -l /mnt
check_eq "umount -f -l /mnt gets rid of the mount" 0 "$RUN_RC"
nfs_server_revive
check_eq "the server comes back" 0 $?
