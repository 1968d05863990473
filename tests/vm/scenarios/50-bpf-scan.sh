#!/bin/bash
# The BPF scan on Debian's kernel (6.1): the same CO-RE objects as on the
# development kernel load here, and find the same holders as the procfs
# scan, on NFS and on tmpfs; a descriptor in flight is found too.
. "$VM_REPO/tests/vm/guest/lib.sh"
need_feature bpf-scan || exit 1

FIX=$VM_REPO/build/tests/fixtures
R=$(mktemp -d)
same_holders() { # DESC TARGET
	local a b
	run -t 30 "$UMH" explain --json "$2"; a=$RUN_OUT
	check_eq "$1: explain exits 32" 32 "$RUN_RC"
	check_contains "$1: the BPF scan ran" "$(jq -r .scan.method <<<"$a")" bpf
	run -t 30 "$UMH" explain --json --no-bpf "$2"; b=$RUN_OUT
	# (Only the BPF scan has the count: what it shows unexplained, the
	# dentry walk names as kernel-ref.)
	local norm='[.holders[] | select(.kind != "scm-inflight" and .kind != "kernel-ref")] | sort_by(.pid, .kind, .tid, .fd, .path) | tostring'
	check_eq "$1: BPF and procfs scans report the same holders" "$(jq -r "$norm" <<<"$b")" "$(jq -r "$norm" <<<"$a")"
	check_eq "$1: every kind was found" "$3" "$(jq -r '[.holders[].kind] | unique | join(" ")' <<<"$a")"
}
start() { # READY-NAME MODE PATH...
	local n=$1; shift
	start_holder "$R/$n" "$FIX/holder" "$R/$n" "$@" || not_ok "holder $n $* started"
}

mkdir -p /tmp/t && mount -t tmpfs t /tmp/t && at_exit "umount -l /tmp/t"
mkdir /tmp/t/d; for f in a b g h i j; do echo x >/tmp/t/$f; done
start a open /tmp/t/a; start b open-rw /tmp/t/b; start d cwd /tmp/t/d; start g mmap /tmp/t/g
start h thread-fd /tmp/t/h; start tc thread-cwd /tmp/t/d; start i uring /tmp/t/i; start j scm /tmp/t/j
# (No io_uring holder here: the holder registers its file, but 6.1's fdinfo
# names registered files differently; both scans read that fdinfo.  The
# registered file still holds the mount: the count shows it, and the walk of
# the mount's dentries names the file.)
same_holders "tmpfs" /tmp/t "cwd fd kernel-ref mmap scm-inflight thread-cwd thread-fd"
run -t 30 "$UMH" explain --json /tmp/t
check_eq "tmpfs: the descriptor in flight is found" /tmp/t/j "$(jq -r '.holders[] | select(.kind == "scm-inflight") | .path' <<<"$RUN_OUT")"
check_eq "tmpfs: the io_uring's registered file, which 6.1's fdinfo does not name, is named by the dentry walk" \
	"/tmp/t/i 1 reference that nothing found explains" \
	"$(jq -r '.holders[] | select(.kind == "kernel-ref") | [.path, .detail] | join(" ")' <<<"$RUN_OUT")"

nfs_server_start || { not_ok "start the NFS server"; exit 1; }
nfs_export_files
nfs_mount nfs vers=3 || exit 1
start na open /mnt/dir/file; start nd cwd /mnt/dir; start nm mmap /mnt/big
same_holders "NFSv3" /mnt "cwd fd mmap"
