# Helpers for the scenarios that run inside the test guest, sourced by each
# tests/vm/scenarios/*.sh.  See tests/vm/README.md for the console protocol.
#
# The guest runs the host's own root, read-only, with tmpfs on /tmp, /run,
# /mnt, /export, /var/lib/nfs, /var/log; the repository is at $VM_REPO and
# its build/ is readable (holdfile.ko is $VM_KMOD).

set -u
export LC_ALL=C
VM_REPO=${VM_REPO:?run by tests/vm/guest/run-scenarios.sh}
VM_SCENARIO=${VM_SCENARIO:?run by tests/vm/guest/run-scenarios.sh}
VM_BIN=$VM_REPO/build/tests/vm
VM_KMOD=$VM_BIN/kmod/holdfile.ko
UMH=$VM_REPO/build/umount-helper
VM_FAILED=0

# --- the console protocol ------------------------------------------------------
# Assertion lines are "@@VM ok|not-ok SCENARIO DESCRIPTION"; anything else a
# scenario prints is transcript, shown by the host as TAP comments.
ok()     { echo "@@VM ok $VM_SCENARIO $*"; }
not_ok() { echo "@@VM not-ok $VM_SCENARIO $*"; VM_FAILED=$((VM_FAILED + 1)); }
say()    { echo "$*"; }

check_eq() { # DESC EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"; say "  expected: $2"; say "  actual:   $3"; fi
}
check_contains() { # DESC TEXT NEEDLE
	if grep -qF -- "$3" <<<"$2"; then ok "$1"; else
		not_ok "$1"; say "  expected to find: $3"; say "  in: $2"; fi
}
check_empty() { # DESC TEXT
	if [ -z "$2" ]; then ok "$1"; else not_ok "$1"; say "  expected no output, got: $2"; fi
}
check_word() { # DESC TEXT WORD: WORD appears in TEXT as a whole word
	if grep -qw -- "$3" <<<"$2"; then ok "$1"; else
		not_ok "$1"; say "  expected the word $3 in: $2"; fi
}
check_cmd() { # DESC COMMAND...: passes when COMMAND (run quietly) exits 0
	local desc=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}

# show_cmd ARG...: the command as one would type it, quoting only where needed.
show_cmd() {
	local a s="\$"
	for a; do
		if [[ -z "$a" || "$a" == *[^A-Za-z0-9_.,:=/+@%-]* ]]; then s+=" ${a@Q}"; else s+=" $a"; fi
	done
	echo "$s"
}

# run [-t SECONDS] COMMAND...: runs COMMAND under a timeout (30 s unless
# told), prints it, its output and its exit status for the transcript, and
# leaves them in RUN_OUT (stdout and stderr, in order), RUN_RC and RUN_MS.
run() {
	local t=30 f t0
	[ "${1:-}" = -t ] && { t=$2; shift 2; }
	say "$(show_cmd "$@")"
	f=$(mktemp)
	t0=$(date +%s%N)
	timeout -k 2 "$t" "$@" >"$f" 2>&1
	RUN_RC=$?
	RUN_MS=$((($(date +%s%N) - t0) / 1000000))
	RUN_OUT=$(cat "$f")
	rm -f "$f"
	[ -n "$RUN_OUT" ] && sed -e 's/^/  /' <<<"$RUN_OUT"
	say "  [exit $RUN_RC, ${RUN_MS} ms]"
}

# --- processes and cleanups, by pid ------------------------------------------
STARTED_PIDS=()
CLEANUPS=()
at_exit() { CLEANUPS+=("$*"); }
vm_cleanup() {
	local p i
	for p in "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${STARTED_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[i]}" >/dev/null 2>&1; done
	return 0
}
# A scenario that dies (set -u, a signal) keeps its status; one that ends
# normally fails if any assertion did.
trap 'VM_RC=$?; vm_cleanup; [ $VM_RC = 0 ] && VM_RC=$((VM_FAILED > 0)); exit $VM_RC' EXIT

wait_for() { # SHELL-CONDITION [TENTHS]: polls until true, 10 s by default
	local i
	for ((i = 0; i < ${2:-100}; i++)); do eval "$1" && return 0; sleep 0.1; done
	return 1
}

# start_holder READY-FILE COMMAND...: starts COMMAND in the background and
# waits until it has created READY-FILE.  Sets HOLDER_PID.
start_holder() {
	local ready=$1; shift
	rm -f "$ready"
	"$@" &
	HOLDER_PID=$!
	STARTED_PIDS+=("$HOLDER_PID")
	wait_for "test -e $ready" || { say "holder did not get ready: $*"; return 1; }
}
stop_holder() { # PID
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# The three ways a process holds a file system, on FILE (on the mount) and
# DIR: its working directory, an open descriptor, a mapping whose
# descriptor was closed.
hold_cwd()  { start_holder /tmp/ready.cwd  bash -c 'cd "$1" && : >/tmp/ready.cwd && exec sleep 1000' - "$1"; }
hold_fd()   { start_holder /tmp/ready.fd   bash -c 'exec 3<"$1" && : >/tmp/ready.fd && exec sleep 1000' - "$1"; }
hold_mmap() { start_holder /tmp/ready.mmap "$VM_BIN/bin/holdmap" "$1" /tmp/ready.mmap; }

# --- the NFS server on localhost -------------------------------------------------
# nfsd exports /export (a tmpfs) to 127.0.0.1, NFSv3 and v4.  Idempotent, so
# each scenario can also run alone (VM_ONLY=...).
nfs_server_start() {
	local threads
	nfs_undrop
	threads=$(cat /proc/fs/nfsd/threads 2>/dev/null)
	[ "${threads:-0}" -gt 0 ] && pgrep -x rpc.mountd >/dev/null && return 0
	modprobe nfsd || return 1
	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd || return 1
	ip link set lo up
	pgrep -x rpcbind >/dev/null || rpcbind -w || return 1
	# The NFSv4 grace period (90 s by default) blocks every OPEN after the
	# server starts; 10 s is the least nfsd accepts.  Settable only while
	# no nfsd thread runs.
	echo 10 >/proc/fs/nfsd/nfsv4gracetime 2>/dev/null
	echo 10 >/proc/fs/nfsd/nfsv4leasetime 2>/dev/null
	exportfs -o rw,no_root_squash,no_subtree_check,insecure,fsid=1 127.0.0.1:/export || return 1
	rpc.nfsd 4 || return 1
	pgrep -x rpc.mountd >/dev/null || rpc.mountd || return 1
}

# Make the server dead, as a crashed or unreachable one is: no nfsd thread,
# no mountd, and every packet to the NFS port dropped, so the client gets no
# answer at all (not even a refused connection) and a hard mount retries
# forever.
nfs_server_kill() {
	local bad=0
	: >/run/vm-nfs-dropped
	run iptables -I INPUT -p tcp --dport 2049 -j DROP; [ "$RUN_RC" = 0 ] || bad=1
	run iptables -I INPUT -p udp --dport 2049 -j DROP; [ "$RUN_RC" = 0 ] || bad=1
	run rpc.nfsd 0; [ "$RUN_RC" = 0 ] || bad=1
	run pkill -KILL -x rpc.mountd; [ "$RUN_RC" = 0 ] || bad=1
	return $bad
}
nfs_undrop() {
	[ -e /run/vm-nfs-dropped ] || return 0
	while iptables -D INPUT -p tcp --dport 2049 -j DROP 2>/dev/null; do :; done
	while iptables -D INPUT -p udp --dport 2049 -j DROP 2>/dev/null; do :; done
	rm -f /run/vm-nfs-dropped
}
nfs_server_revive() {
	nfs_undrop
	nfs_server_start
}

# Puts some files on the export: dir/file (the seed case's), and big (for
# mappings).
nfs_export_files() {
	mkdir -p /export/dir && echo something >/export/dir/file &&
		head -c 65536 /dev/zero >/export/big
}

# nfs_mount TYPE OPTIONS: mounts 127.0.0.1:/export on /mnt (unmounted again,
# forcibly and lazily, at exit if the scenario did not).
nfs_mount() {
	at_exit "is_nfs_mounted && umount -f -l /mnt"
	run mount -t "$1" -o "$2" 127.0.0.1:/export /mnt
	check_eq "mount -t $1 -o $2 127.0.0.1:/export /mnt succeeds" 0 "$RUN_RC"
	[ "$RUN_RC" = 0 ]
}
# The type of the file system on top of /mnt, read from mountinfo alone:
# findmnt and mountpoint stat() /mnt, which hangs while the server is dead.
mnt_fstype() {
	awk '$5 == "/mnt" { for (i = 7; $i != "-"; i++); t = $(i + 1) } END { print t }' /proc/self/mountinfo
}
is_nfs_mounted() {
	case $(mnt_fstype) in nfs|nfs4) return 0;; esac
	return 1
}

# vm_reset: what the runner does after a scenario that failed, so that the
# next one starts from a clean guest: no module, nothing on /mnt, no
# dropped NFS traffic.
vm_reset() {
	rmmod holdfile 2>/dev/null
	while [ -n "$(mnt_fstype)" ]; do timeout 10 umount -f -l /mnt || break; done
	nfs_undrop
}

insmod_holdfile() { # PATH
	at_exit "rmmod holdfile"
	run insmod "$VM_KMOD" "path=$1"
	check_eq "insmod holdfile.ko path=$1" 0 "$RUN_RC"
}

# --- our own tool ------------------------------------------------------------------
# umh_explain TARGET: runs `umount-helper explain --json TARGET` when the
# binary exists and has that subcommand, and leaves its output in UMH_OUT
# and UMH_RC (UMH_RC is empty when the tool is not there yet).  Scenarios
# call it where holders exist, in their check_umount_helper function: the
# one place where assertions about the tool go.
umh_has_explain() {
	[ -x "$UMH" ] || return 1
	timeout 10 "$UMH" explain --help >/dev/null 2>&1 && return 0
	timeout 10 "$UMH" --help 2>&1 | grep -qw explain
}
umh_explain() {
	UMH_OUT= UMH_RC=
	if ! umh_has_explain; then
		say "(build/umount-helper with an 'explain' subcommand not built: nothing recorded)"
		return 0
	fi
	run -t 20 "$UMH" explain --json "$1"
	UMH_OUT=$RUN_OUT UMH_RC=$RUN_RC
}
