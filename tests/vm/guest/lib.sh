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
LEAN=$VM_REPO/build/umount-helper-lean # what /sbin/umount.nfs links to
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
# Bash's own pattern matching, not grep: every program started in the
# emulated guest costs tens of milliseconds, and a scenario makes hundreds
# of checks.
check_contains() { # DESC TEXT NEEDLE
	if [[ $2 == *"$3"* ]]; then ok "$1"; else
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
# The host tests' names (tests/lib.sh), for code a scenario shares with them
# (tests/systemd/sd-automount.sh): check lets COMMAND's output through,
# diag writes transcript, check_json compares a jq expression's value.
check() { # DESC COMMAND...
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
diag() { say "# $*"; }
check_json() { # DESC JSON JQ-EXPRESSION: the expression prints exactly "true"
	if [ "$(jq -c "$3" 2>/dev/null <<<"$2")" = true ]; then ok "$1"; else
		not_ok "$1"; say "  jq: $3"; say "  json: $2"; fi
}

# show_cmd ARG...: the command as one would type it, quoting only where needed.
show_cmd() {
	local a s="\$"
	for a; do
		if [[ -z "$a" || "$a" == *[^A-Za-z0-9_.,:=/+@%-]* ]]; then s+=" ${a@Q}"; else s+=" $a"; fi
	done
	echo "$s"
}

# indent PREFIX TEXT: TEXT for the transcript, each line after PREFIX.
indent() {
	local l
	while IFS= read -r l; do printf '%s%s\n' "$1" "$l"; done <<<"$2"
}
now_us() { echo "${EPOCHREALTIME/./}"; }

# run [-t SECONDS] COMMAND...: runs COMMAND under a timeout (30 s unless
# told), prints it, its output and its exit status for the transcript, and
# leaves them in RUN_OUT (stdout and stderr, in order), RUN_RC and RUN_MS.
RUN_SEQ=0
run() {
	local t=30 f t0
	[ "${1:-}" = -t ] && { t=$2; shift 2; }
	say "$(show_cmd "$@")"
	RUN_SEQ=$((RUN_SEQ + 1))
	f=$VM_TMP/$RUN_SEQ.log
	t0=${EPOCHREALTIME/./}
	timeout -k 2 "$t" "$@" >"$f" 2>&1
	RUN_RC=$?
	RUN_MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
	RUN_OUT=$(<"$f")
	[ -n "$RUN_OUT" ] && indent "  " "$RUN_OUT"
	say "  [exit $RUN_RC, ${RUN_MS} ms]"
}

# run_split [-t SECONDS] COMMAND...: as run, but with stdout and stderr kept
# apart, byte for byte, in the files RUN_OUT_FILE and RUN_ERR_FILE (fresh
# ones for each call, under VM_TMP); RUN_STDOUT and RUN_STDERR hold their
# text.  The transcript shows stdout lines as "1> ..." and stderr lines as
# "2> ...".
run_split() {
	local t=30 t0
	[ "${1:-}" = -t ] && { t=$2; shift 2; }
	say "$(show_cmd "$@")"
	RUN_SEQ=$((RUN_SEQ + 1))
	RUN_OUT_FILE=$VM_TMP/$RUN_SEQ.out RUN_ERR_FILE=$VM_TMP/$RUN_SEQ.err
	t0=${EPOCHREALTIME/./}
	timeout -k 2 "$t" "$@" >"$RUN_OUT_FILE" 2>"$RUN_ERR_FILE"
	RUN_RC=$?
	RUN_MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
	RUN_STDOUT=$(<"$RUN_OUT_FILE") RUN_STDERR=$(<"$RUN_ERR_FILE")
	[ -s "$RUN_OUT_FILE" ] && indent "  1> " "$RUN_STDOUT"
	[ -s "$RUN_ERR_FILE" ] && indent "  2> " "$RUN_STDERR"
	say "  [exit $RUN_RC, ${RUN_MS} ms]"
}
check_same_file() { # DESC FILE1 FILE2: byte-identical
	if cmp -s "$2" "$3"; then ok "$1"; else
		not_ok "$1"; say "  they differ:"; diff -u "$2" "$3" | sed -e 's/^/    /'; fi
}
check_line() { # DESC TEXT LINE: LINE is one whole line of TEXT
	if [[ $'\n'$2$'\n' == *$'\n'"$3"$'\n'* ]]; then ok "$1"; else
		not_ok "$1"; say "  expected the line: $3"; say "  in:"; indent "    " "$2"; fi
}
first_line() { printf '%s' "${1%%$'\n'*}"; }   # TEXT
after_first_line() { [[ $1 == *$'\n'* ]] && printf '%s' "${1#*$'\n'}"; return 0; } # TEXT
check_lt() { # DESC VALUE LIMIT: VALUE < LIMIT (integers)
	if [ "$2" -lt "$3" ] 2>/dev/null; then ok "$1"; else
		not_ok "$1"; say "  expected less than $3, got: $2"; fi
}

# --- processes and cleanups, by pid ------------------------------------------
STARTED_PIDS=()
CLEANUPS=()
# Scratch files of this scenario (run_split's), removed at exit.
VM_TMP=$(mktemp -d "/tmp/vm-$VM_SCENARIO.XXXXXX") || exit 1
CLEANUPS+=("rm -rf '$VM_TMP'")
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

# --- what this kernel has --------------------------------------------------------
# Each scenario asks for the kernel features it needs; one it lacks fails it
# with a sentence that names what is missing (tests/run's promise).
#
# need_feature FEATURE...: true when the kernel has every FEATURE; for each
# it lacks, "not-ok FEATURE is missing: WHY", and false.  FEATURE:
#   modules                     insmod (holdfile.ko)
#   nfsd nfsv3 nfsv4 autofs4    a module, loaded (modprobe) if it is not
#   bpf-scan fentry kprobes refcount   as `umount-helper doctor` finds them
#                               (vm_doctor)
# vm_doctor: `umount-helper doctor`, run once per boot (what this kernel
# allows does not change while it runs; each run costs seconds here), in the
# transcript and in RUN_OUT.
vm_doctor_once() {
	[ -s /run/vm-doctor.txt ] || "$UMH" doctor >/run/vm-doctor.txt 2>&1
}
vm_doctor() {
	vm_doctor_once
	RUN_OUT=$(</run/vm-doctor.txt)
	say "$(show_cmd "$UMH" doctor)  (once per boot: /run/vm-doctor.txt)"
	indent "  " "$RUN_OUT"
}
need_feature() {
	local f why bad=0
	for f; do
		why=$(vm_kernel_lacks "$f") || continue
		not_ok "$f is missing: $why"
		bad=1
	done
	return $bad
}
vm_kernel_lacks() { # FEATURE: prints why this kernel lacks it, or fails
	local out line
	case $1 in
	modules)
		[ -e /proc/modules ] && return 1
		echo "no /proc/modules: this kernel loads no modules" ;;
	nfsd | nfsv3 | nfsv4 | autofs4)
		# /sys/module first: a program started costs time in the guest.
		[ -d "/sys/module/$1" ] && return 1
		out=$(modprobe "$1" 2>&1) && return 1
		echo "modprobe $1 failed: $out" ;;
	bpf-scan | fentry | kprobes | refcount)
		vm_doctor_once
		case $1 in
		bpf-scan) line="BPF scan" ;;
		fentry) line="fentry/fexit" ;;
		kprobes) line=kprobes ;;
		refcount) line="mount refcount" ;;
		esac
		out=$(grep -E "^  $line +(yes|no) " /run/vm-doctor.txt)
		[[ $out =~ ^\ +$line\ +yes ]] && return 1
		echo "umount-helper doctor says: ${out:-nothing about $line}" | tr -s ' ' ;;
	*) echo "vm_kernel_lacks: unknown feature $1 (tests/vm/guest/lib.sh)" ;;
	esac
}

# --- the NFS server on localhost -------------------------------------------------
# nfsd exports /export (a tmpfs) to 127.0.0.1, NFSv3 and v4.  Idempotent, so
# each scenario can also run alone (VM_ONLY=...).
nfs_server_start() {
	local threads
	nfs_undrop
	threads=0
	[ -r /proc/fs/nfsd/threads ] && threads=$(</proc/fs/nfsd/threads)
	[ "${threads:-0}" -gt 0 ] && pgrep -x rpc.mountd >/dev/null && return 0
	need_feature nfsd || return 1
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
	[ -s /export/big ] && [ -s /export/dir/file ] && return 0
	mkdir -p /export/dir && echo something >/export/dir/file &&
		head -c 65536 /dev/zero >/export/big
}

# nfs_mount TYPE OPTIONS: mounts 127.0.0.1:/export on /mnt (unmounted again,
# forcibly and lazily, at exit if the scenario did not).
nfs_mount() {
	local v=nfsv3
	[[ $1 == nfs4 || $2 == *vers=4* ]] && v=nfsv4
	need_feature "$v" || return 1
	at_exit "is_nfs_mounted && umount -f -l /mnt"
	run mount -t "$1" -o "$2" 127.0.0.1:/export /mnt
	check_eq "mount -t $1 -o $2 127.0.0.1:/export /mnt succeeds" 0 "$RUN_RC"
	[ "$RUN_RC" = 0 ]
}
# The type and the mount id of the file system on top of /mnt, read from
# mountinfo alone (findmnt and mountpoint stat() /mnt, which hangs while the
# server is dead), by bash itself (a program costs time in the guest).
mnt_info() { # sets MNT_ID and MNT_FSTYPE (empty: nothing on /mnt)
	local id parent devno root mp rest
	MNT_ID= MNT_FSTYPE=
	while read -r id parent devno root mp rest; do
		[ "$mp" = /mnt ] || continue
		rest=${rest#* - }
		MNT_ID=$id MNT_FSTYPE=${rest%% *}
	done </proc/self/mountinfo
}
mnt_fstype() { mnt_info; echo "$MNT_FSTYPE"; }
mnt_id() { mnt_info; echo "$MNT_ID"; }
is_nfs_mounted() {
	mnt_info
	case $MNT_FSTYPE in nfs|nfs4) return 0;; esac
	return 1
}

# vm_reset: what the runner does after a scenario that failed, so that the
# next one starts from a clean guest: no module, nothing on /mnt, no
# dropped NFS traffic.
vm_reset() {
	nfs_wrapper_is_on && nfs_wrapper_script uninstall >/dev/null 2>&1
	rmmod holdfile 2>/dev/null
	while [ -n "$(mnt_fstype)" ]; do timeout 10 umount -f -l /mnt || break; done
	nfs_undrop
}

insmod_holdfile() { # PATH
	need_feature modules || return 1
	at_exit "rmmod holdfile"
	run insmod "$VM_KMOD" "path=$1"
	check_eq "insmod holdfile.ko path=$1" 0 "$RUN_RC"
}

# --- our wrapper, installed as on a real system ---------------------------------------
# util-linux's umount runs /sbin/umount.nfs (and .nfs4); on Debian 12 /sbin
# is a link to usr/sbin, and those are links to nfs-utils' mount.nfs.  The
# guest sees /usr read-only from the host, so an overlay on /usr/sbin (in
# the guest only, mounted once and left there: daemons started later run
# from it) makes it writable.  Then umount-helper/nfs-wrapper.sh -- what
# `make install-nfs-wrapper` runs; without dpkg-divert, whose database is
# the host's -- moves nfs-utils' helpers aside to *.distrib and links
# build/umount-helper-lean in their place (it execs build/umount-helper,
# beside it, for everything but a plain unmount):
#
#   umount /mnt -> libmount -> /sbin/umount.nfs (ours) -> /sbin/umount.nfs.distrib
#                                                         (nfs-utils' mount.nfs)
#
# nfs_wrapper_off puts nfs-utils' helpers back, byte for byte (the baseline
# to compare with).
sbin_overlay() {
	awk '$5 == "/usr/sbin" { for (i = 7; $i != "-"; i++); t = $(i + 1) } END { exit t != "overlay" }' \
		/proc/self/mountinfo && return 0
	mkdir -p /run/vm-sbin/up /run/vm-sbin/work &&
		mount -t overlay vm-sbin -o lowerdir=/usr/sbin,upperdir=/run/vm-sbin/up,workdir=/run/vm-sbin/work /usr/sbin
}
# nfs-wrapper.sh install|uninstall, as `make install-nfs-wrapper` runs it.
NFS_WRAPPER_SCRIPT=(env TARGET="$LEAN" HELPERDIR=/sbin DPKG_DIVERT=no sh "$VM_REPO/umount-helper/nfs-wrapper.sh")
nfs_wrapper_script() { "${NFS_WRAPPER_SCRIPT[@]}" "$1" umount.nfs umount.nfs4; }
nfs_wrapper_is_on() {
	# -ef (same file) rather than readlink: a test, not a program.
	[ -L /sbin/umount.nfs ] && [ /sbin/umount.nfs -ef "$LEAN" ] &&
		[ -L /sbin/umount.nfs4 ] && [ /sbin/umount.nfs4 -ef "$LEAN" ]
}
# The originals, where the wrapper finds them.
nfs_originals_aside() {
	[ /sbin/umount.nfs.distrib -ef /usr/sbin/mount.nfs ] && [ /sbin/umount.nfs4.distrib -ef /usr/sbin/mount.nfs ]
}
NFS_WRAPPER_CLEANUP=
nfs_wrapper_on() {
	nfs_wrapper_is_on && return 0
	if ! sbin_overlay; then
		not_ok "an overlay on /usr/sbin, to install the wrapper in"
		return 1
	fi
	if [ -z "$NFS_WRAPPER_CLEANUP" ]; then
		at_exit "nfs_wrapper_is_on && nfs_wrapper_script uninstall"
		NFS_WRAPPER_CLEANUP=1
	fi
	run "${NFS_WRAPPER_SCRIPT[@]}" install umount.nfs umount.nfs4
	if [ "$RUN_RC" = 0 ] && nfs_wrapper_is_on && nfs_originals_aside; then
		ok "wrapper on: /sbin/umount.nfs{,4} -> build/umount-helper-lean, nfs-utils' at /sbin/umount.nfs{,4}.distrib"
	else
		not_ok "wrapper on: /sbin/umount.nfs{,4} -> build/umount-helper-lean, nfs-utils' at /sbin/umount.nfs{,4}.distrib"
		return 1
	fi
}
nfs_wrapper_off() {
	if nfs_wrapper_is_on; then
		run "${NFS_WRAPPER_SCRIPT[@]}" uninstall umount.nfs umount.nfs4
		[ "$RUN_RC" = 0 ] || { not_ok "uninstall the nfs wrapper (nfs-wrapper.sh uninstall)"; return 1; }
	fi
	if [ -L /sbin/umount.nfs ] && [ /sbin/umount.nfs -ef /usr/sbin/mount.nfs ] &&
		[ -L /sbin/umount.nfs4 ] && [ /sbin/umount.nfs4 -ef /usr/sbin/mount.nfs ] &&
		[ ! -e /sbin/umount.nfs.distrib ] && [ ! -e /sbin/umount.nfs4.distrib ]; then
		return 0
	fi
	not_ok "wrapper off: /sbin/umount.nfs{,4} are nfs-utils' links to mount.nfs again"
	return 1
}

# The wrapper's time budget for its explanation is 2 s by default; a loaded
# host slows the emulated guest down by more than that at times, and a test
# of what is printed must not become a test of speed.  The scenarios that
# check what the wrapper prints give it 30 s through its documented
# configuration variable; the dead-server scenario checks the default.
VM_UMH_CONF=/run/vm-umount-helper.conf
[ -e "$VM_UMH_CONF" ] || printf 'timeout = 30\n' >"$VM_UMH_CONF"
export UMOUNT_HELPER_CONF=$VM_UMH_CONF

# Holders as the text report shows them, and as the JSON report does:
# "KIND PID PATH" per line, sorted, for comparing the two.
#   text: "  pid 356 sleep, user root: ..." then "      cwd              /mnt/dir"
report_text_holders() { # TEXT
	awk '/^  pid [0-9]+/ { pid = $2; next }
	     pid && /^      [^ ]/ { label = substr($0, 7, 16); path = substr($0, 24)
	                            split(label, w, " "); print w[1], pid, path; next }
	     !/^      / { pid = "" }' <<<"$1" | sort
}
report_json_holders() { # JSON
	jq -r '.holders[] | "\(.kind) \(.pid // "-") \(.path)"' <<<"$1" | sort
}
# The lines the text report has for process PID holding PATH as KIND, and
# the remedy it gives.
text_ref_line() { printf '      %-16s %s' "$1" "$2"; } # LABEL PATH
text_pid_line() { # PID COMM CMDLINE
	local c=$3
	[ ${#c} -gt 60 ] && c="${c:0:60}..."
	printf '  pid %s %s, user root: %s' "$1" "$2" "$c"
}

# --- our own tool ------------------------------------------------------------------
# Scenarios run $UMH (build/umount-helper, which t-vm.sh requires) directly
# and through the wrapper; their assertions about it are in one function
# each, check_umount_helper.
