#!/bin/bash
# trace, live, on NFSv3: a process's open and close, then a module's
# filp_open marked kernel-open with its stack (module name included), with
# fentry and with kprobes.
. "$VM_REPO/tests/vm/guest/lib.sh"
need_feature fentry kprobes modules || exit 1

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
nfs_mount nfs vers=3 || exit 1
out=$(mktemp)
for mode in fentry kprobe; do
	opt=(); [ $mode = kprobe ] && opt=(--no-fentry)
	timeout 30 "$UMH" trace --duration 6 "${opt[@]}" /mnt >"$out" 2>&1 &
	tpid=$!
	sleep 2
	cat /mnt/dir/file >/dev/null
	insmod "$VM_KMOD" path=/mnt/dir/file
	sleep 1
	rmmod holdfile
	wait $tpid
	say "$(cat "$out")"
	t=$(cat "$out")
	check_contains "$mode: trace says which probes it uses" "$t" "with $mode."
	check_contains "$mode: a process open with its descriptor" "$t" "(cat) fd 3  /mnt/dir/file"
	check_contains "$mode: the module's open is kernel-open" "$t" "(insmod)  /mnt/dir/file  (no descriptor: held by the kernel)"
	check_contains "$mode: its stack has filp_open" "$t" "filp_open+0x"
	check_contains "$mode: and the module's function, with the module" "$t" "holdfile_init+0x"
	check_contains "$mode: named [holdfile]" "$t" "[holdfile]"
	check_contains "$mode: rmmod's release is seen" "$t" "close       pid"
done
rm -f "$out"
