# Shared helpers for the shell tests: TAP output, private mount namespaces,
# holders started and reaped by pid, JSON checks with jq.
#
# A test script starts with:
#     . "$(dirname "$0")/lib.sh"     (or ../lib.sh from a subdirectory)
#     enter_private_ns "$@"
# and from then on runs as root in its own mount namespace, so every mount it
# makes disappears with it.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
UMH=${UMH:-$TOP/$BUILD/umount-helper}
# The lean helper: what /sbin/umount.TYPE links to (umount-helper/lean/).
LEAN=${LEAN:-$TOP/$BUILD/umount-helper-lean}
FIX=$TOP/$BUILD/tests/fixtures
export LC_ALL=C

enter_private_ns() {
	if [ -z "${UMH_TEST_NS:-}" ]; then
		export UMH_TEST_NS=1
		exec unshare --mount --propagation private -- bash "$0" "$@"
	fi
}

# --- TAP -------------------------------------------------------------------
TESTS_FAILED=0
ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; TESTS_FAILED=$((TESTS_FAILED + 1)); }
diag()   { sed -e 's/^/# /' <<<"$*"; }

# check DESC COMMAND...: passes when COMMAND exits 0.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# check_contains DESC TEXT NEEDLE: passes when TEXT contains NEEDLE (fixed string).
check_contains() {
	if grep -qF -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1"; diag "expected to find: $3"; diag "in: $2"; fi
}
check_not_contains() {
	if grep -qF -- "$3" <<<"$2"; then not_ok "$1"; diag "did not expect: $3"; diag "in: $2"; else ok "$1"; fi
}
# check_json DESC JSON JQ-EXPRESSION: passes when the expression is true.
# The expression must print exactly "true": empty input fails (jq 1.6 -e
# exits 0 when it reads no value at all).
check_json() {
	if [ "$(jq -c "$3" 2>/dev/null <<<"$2")" = true ]; then
		ok "$1"
	else
		not_ok "$1"; diag "jq: $3"; diag "json: $2"
	fi
}
# is_json TEXT: TEXT is one or more JSON values (and not empty).
is_json() { [ -n "$(jq -c true 2>/dev/null <<<"$1")" ]; }
check_eq() { # DESC EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "expected: $2"; diag "actual:   $3"; fi
}
finish() { exit $((TESTS_FAILED > 0)); }

# --- processes we start, reaped by pid ---------------------------------------
STARTED_PIDS=()
CLEANUPS=()
at_exit() { CLEANUPS+=("$*"); }
run_cleanups() {
	local p i
	for p in "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${STARTED_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[i]}" 2>/dev/null; done
	return 0
}
trap run_cleanups EXIT

# start_holder READY-FILE COMMAND...: starts COMMAND in the background and
# waits until it has created READY-FILE (the fixtures write it once they hold
# what they were asked to hold), HOLDER_WAIT tenths of a second at most (5 s
# by default).  Sets HOLDER_PID.
start_holder() {
	local ready=$1; shift
	rm -f "$ready"
	"$@" &
	HOLDER_PID=$!
	STARTED_PIDS+=("$HOLDER_PID")
	wait_for "test -e $ready" "${HOLDER_WAIT:-50}" || { diag "holder did not get ready: $*"; return 1; }
}

# cpu_for_try N: the CPU the Nth try runs on, each allowed one in turn.
# Binding a mount namespace's file is refused (EINVAL) when that namespace
# does not look newer than the caller's (mnt_ns_loop), and on 6.18 a
# namespace's id comes from a batch of ids its CPU took (gen_cookie_next):
# one made on another CPU can look older than ours however late it was
# made, one made on the CPU that made ours never does.  Tries left to the
# scheduler failed five and ten times in a row under a loaded make check;
# made on each CPU in turn, one of the first few binds.
cpu_for_try() {
	local ranges r c cpus=()
	IFS=, read -ra ranges <<<"$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)"
	for r in "${ranges[@]}"; do for ((c = ${r%-*}; c <= ${r#*-}; c++)); do cpus+=("$c"); done; done
	echo "${cpus[($1 - 1) % ${#cpus[@]}]}"
}

# wait_for SHELL-CONDITION [TENTHS]: polls until true, 5 s by default.
wait_for() {
	local i
	for ((i = 0; i < ${2:-50}; i++)); do eval "$1" && return 0; sleep 0.1; done
	return 1
}

mount_id_of() { findmnt -n -o ID --mountpoint "$1" | tail -n 1 | tr -d ' '; }

# --- scenarios ----------------------------------------------------------------
# new_scratch: a private scratch directory, removed at exit (after holders
# are killed and mounts are gone: cleanups run in reverse order).
new_scratch() {
	SCRATCH=$(mktemp -d /tmp/umh-test.XXXXXX)
	at_exit "rm -rf '$SCRATCH'"
	READY=$SCRATCH/ready
	mkdir -p "$READY"
}

# mount_tmpfs DIR [SOURCE]: a tmpfs, unmounted (lazily) at exit.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs "${2:-tmpfs}" "$1" || return 1
	at_exit "umount -l '$1'"
}

# hold NAME MODE PATH...: starts the holder fixture and waits until it holds.
hold() {
	local name=$1; shift
	start_holder "$READY/$name" "$FIX/holder" "$READY/$name" "$@"
}

# How explain answers for a mount nothing holds: exit 0 and verdict "free"
# where the kernel's count of its references confirms it (the BPF scan),
# exit 2 and "unknown" where the count cannot be read -- under valgrind the
# scenarios run the procfs scan (tests/hardening/t-valgrind.sh sets
# UMOUNT_HELPER_FAULT=bpf in its wrapper).
if [ -n "${UMH_UNDER_VALGRIND:-}" ] || [ "${UMOUNT_HELPER_FAULT:-}" = bpf ]; then
	FREE_RC=2 FREE_VERDICT=unknown
else
	FREE_RC=0 FREE_VERDICT=free
fi

# explain_once_free MOUNTPOINT [ARG...]: explain after its holders were
# killed.  An exited process's io_uring lets its registered files go a
# moment later, from a kernel work queue; until then the count holds a
# reference no process explains, or moves during the scan, and explain must
# say busy (32) or unknown (2), never free.  Asks again, for up to 5 s,
# until it exits FREE_RC; each earlier answer is checked to be 32 or 2.
# Sets OUT and RC to the last answer.
explain_once_free() {
	local m=$1 i; shift
	for ((i = 0; i < 25; i++)); do
		OUT=$("$UMH" explain "$@" "$m"); RC=$?
		[ "$RC" = "$FREE_RC" ] && return 0
		check_eq "$m: not free while the exited holders are let go (try $i)" true \
			"$([ "$RC" = 32 ] || [ "$RC" = 2 ] && echo true)"
		sleep 0.2
	done
}

# khold NAME MODE ARG...: starts the kernel-object holder fixture (kholder.c:
# uprobes through perf events and BPF links, bound unix sockets) and waits
# until it holds.
khold() {
	local name=$1; shift
	start_holder "$READY/$name" "$FIX/kholder" "$READY/$name" "$@"
}

# jq_count JSON FILTER: how many holders match a jq select() condition.
jq_count() { jq "[.holders[] | select($2)] | length" <<<"$1"; }

# as_nobody COMMAND...: runs COMMAND as uid/gid 65534, without capabilities.
# NOBODY is the same as a command prefix, for start_holder: a shell function
# run in the background would leave its child behind when killed.
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --)
as_nobody() { "${NOBODY[@]}" "$@"; }

# hold_as_two_users MOUNTPOINT: one cwd holder of nobody's (in DIR/mine) and
# one of root's (in DIR/theirs), on a tmpfs made writable for both.  Sets
# P_NOBODY and P_ROOT.
hold_as_two_users() {
	local m=$1
	chmod 755 "$SCRATCH"
	chmod 1777 "$m" "$READY"
	mkdir -m 777 "$m/mine" "$m/theirs"
	start_holder "$READY/nobody" "${NOBODY[@]}" "$FIX/holder" "$READY/nobody" cwd "$m/mine"
	P_NOBODY=$HOLDER_PID
	hold root cwd "$m/theirs"
	P_ROOT=$HOLDER_PID
}

# --- kernel features ------------------------------------------------------------
# A test whose kernel feature is missing runs where it exists (tests/vm: Debian's
# kernel under QEMU) or fails saying what is missing: never a silent skip.
#
# kernel_lacks FEATURE: when this kernel lacks FEATURE, prints why (what was
# looked at) and succeeds; fails, printing nothing, when it has it.  FEATURE:
#   loop, fuse, swap, io_uring      devices and system calls the holders use
#   overlay, binfmt_misc, ext2, ext4   file systems the tests mount
#   bpf-scan, bpf-tracepoints       BPF as `umount-helper doctor` finds it (the
#                                   scan's iterators; the system call tracepoints
#                                   that watch attaches to; bpf-trace: any probe
#   bpf-trace                       trace can follow opens with)
#   refcount                        the mount's reference count, as doctor
#                                   reads it (explain's verdict, and its
#                                   search inside the kernel, need it)
# UMH_TEST_LACK="FEATURE..." makes it say so of those (to see what a test
# says on a kernel without them: it must fail, and name them).
kernel_lacks() {
	if [[ " ${UMH_TEST_LACK:-} " == *" $1 "* ]]; then
		echo "said to be missing (UMH_TEST_LACK)"
		return 0
	fi
	case $1 in
	loop)
		if [ ! -c /dev/loop-control ]; then
			echo "no /dev/loop-control (CONFIG_BLK_DEV_LOOP)"
		elif ! _feature_out=$(losetup -f 2>&1); then
			echo "losetup -f finds no loop device: $_feature_out"
		else
			return 1
		fi ;;
	fuse)
		if [ ! -c /dev/fuse ]; then echo "no /dev/fuse (CONFIG_FUSE_FS)"; else _fs_lacks fuse; fi ;;
	swap)
		[ -e /proc/swaps ] && return 1
		echo "no /proc/swaps (CONFIG_SWAP unset)" ;;
	io_uring) _io_uring_lacks ;;
	overlay | binfmt_misc | ext2 | ext4) _fs_lacks "$1" ;;
	bpf-scan) _doctor_lacks "BPF scan" ;;
	bpf-tracepoints) _doctor_lacks tracepoints ;;
	refcount) _doctor_lacks "mount refcount" ;;
	bpf-trace)
		local t f k
		t=$(_doctor_lacks tracepoints) && f=$(_doctor_lacks fentry/fexit) && k=$(_doctor_lacks kprobes) || return 1
		echo "neither tracepoints (${t#*says: }) nor fentry (${f#*says: }) nor kprobes (${k#*says: })" ;;
	*) echo "kernel_lacks: unknown feature $1 (tests/lib.sh)"; return 0 ;;
	esac
}

# need_feature FEATURE [WHAT]: true when this kernel has FEATURE; else one
# line "not ok - FEATURE is missing: WHY" (WHAT: what cannot be tested
# without it) and false.
need_feature() {
	local why
	why=$(kernel_lacks "$1") || return 0
	not_ok "$1 is missing: $why${2:+: $2 cannot be tested here}"
	return 1
}

# _fs_lacks TYPE: TYPE is not in /proc/filesystems and cannot be loaded
# (mount(2) would load its module itself: see that it can).
_fs_lacks() {
	grep -qw "$1" /proc/filesystems && return 1
	if [ ! -e /proc/modules ]; then
		echo "no $1 in /proc/filesystems, and this kernel loads no modules"
		return 0
	fi
	modprobe -q "fs-$1" 2>/dev/null && grep -qw "$1" /proc/filesystems && return 1
	echo "no $1 in /proc/filesystems, and modprobe fs-$1 cannot load it"
}

# _io_uring_lacks: io_uring_setup(2) fails (not built, or switched off by
# kernel.io_uring_disabled): the holder fixture's io_uring hold, tried.
_io_uring_lacks() {
	local r p
	if [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null)" = 2 ]; then
		echo "kernel.io_uring_disabled is 2"
		return 0
	fi
	r=$(mktemp -u /tmp/umh-uring.XXXXXX)
	"$FIX/holder" "$r" uring /dev/null 2>"$r.err" &
	p=$!
	wait_for "[ -e $r ] || ! kill -0 $p 2>/dev/null" 50
	if [ -e "$r" ]; then
		kill -KILL "$p"; wait "$p" 2>/dev/null
		rm -f "$r" "$r.err"
		return 1
	fi
	wait "$p" 2>/dev/null
	echo "the holder fixture's io_uring_setup(2) failed: $(tr -s '\n' ' ' <"$r.err")"
	rm -f "$r.err"
}

# _doctor_lacks LINE: doctor says "no" on LINE; prints its words.  (Doctor
# is itself tested against what the other commands do: t-bpf-doctor.sh.)
_DOCTOR=
_doctor_lacks() {
	local l
	[ -n "$_DOCTOR" ] || _DOCTOR=$("$UMH" doctor 2>&1)
	# "  NAME   yes|no  words", continued on lines indented by four.
	l=$(awk -v n="$1" 'f && /^    [^ ]/ { sub(/^ +/, ""); s = s " " $0; next } f { exit }
		index($0, "  " n " ") == 1 { f = 1; s = $0 } END { print s }' <<<"$_DOCTOR" | tr -s ' ')
	case $l in
	" $1 yes "*) return 1 ;;
	" $1 no "*) echo "umount-helper doctor says: ${l# $1 no }" ;;
	*) echo "umount-helper doctor has no line for $1 (it printed: $(head -c 200 <<<"$_DOCTOR" | tr -s ' \n' '  '))" ;;
	esac
}
