# Shared by the drop-in tests (t-helper*, t-frontend*, t-install*,
# t-completion*): sourced after lib.sh and enter_private_ns.

# A scratch directory on a tmpfs of our own (private namespace: it goes
# away with the test), world-readable so that another user can reach the
# mounts made below it, and without nosuid so that set-user-ID copies run.
make_scratch() {
	SCRATCH=$(mktemp -d /tmp/umh-dropin.XXXXXX)
	mount -t tmpfs -o mode=0755 scratch "$SCRATCH"
	at_exit "umount -l '$SCRATCH'; rmdir '$SCRATCH'"
}

# A configuration file with a generous time budget: a loaded machine must
# not turn a test of what is printed into a test of speed.  Extra lines in
# "$@".  Sets and exports UMOUNT_HELPER_CONF.
make_conf() {
	UMOUNT_HELPER_CONF=$SCRATCH/umount-helper.conf
	{ echo "timeout = 60"; printf '%s\n' "$@"; } >"$UMOUNT_HELPER_CONF"
	export UMOUNT_HELPER_CONF
}

# Makes our program reachable as NAME in $SCRATCH/bin (a link: the name
# decides what it does): umount.TYPE is the lean helper, as installed (it
# execs the tool beside it for all but a plain unmount), anything else the
# tool.  Prints the path.
link_as() {
	local prog=$UMH
	[[ $1 == umount.* ]] && prog=$LEAN
	mkdir -p "$SCRATCH/bin"
	ln -sf "$prog" "$SCRATCH/bin/$1"
	echo "$SCRATCH/bin/$1"
}

# Puts an overlay on /usr/sbin (what /sbin links to on Debian 12; and /sbin
# itself where it is a directory), inside this test's mount namespace only,
# so that libmount's helper lookup in /sbin finds what the test puts in
# $SBIN.  The host's /sbin is never touched.  Without overlayfs the
# test cannot go on: it ends, failing, with a sentence that says so.
overlay_sbin() {
	local dir=/usr/sbin
	need_feature overlay "helpers found in /sbin (an overlay on $dir)" || finish
	[ -L /sbin ] || dir=/sbin
	mkdir -p "$SCRATCH/sbin-up" "$SCRATCH/sbin-work"
	mount -t overlay overlay -o "lowerdir=$dir,upperdir=$SCRATCH/sbin-up,workdir=$SCRATCH/sbin-work" "$dir"
	SBIN=$dir
}

# new_tmpfs NAME: a fresh tmpfs at $SCRATCH/NAME; prints its path.
new_tmpfs() {
	mkdir -p "$SCRATCH/$1"
	mount -t tmpfs -o mode=0755 "src-$1" "$SCRATCH/$1"
	echo "$SCRATCH/$1"
}

# run_capture VAR COMMAND...: runs COMMAND, sets VAR_out, VAR_err, VAR_rc.
run_capture() {
	local var=$1; shift
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" >"$o" 2>"$e"
	printf -v "${var}_rc" %s "$?"
	printf -v "${var}_out" %s "$(cat "$o")"
	printf -v "${var}_err" %s "$(cat "$e")"
	rm -f "$o" "$e"
}

# strace_tree LOG SYSCALLS COMMAND...: COMMAND under strace, its children
# included, tracing the comma-separated SYSCALLS into LOG; its stdout and
# stderr go to LOG.out and LOG.err.  (LeakSanitizer cannot run under
# ptrace: it would fail the run, and its own thread would count as a
# process started; leaks are the other tests'.)
strace_tree() {
	local log=$1 calls=$2; shift 2
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o "$log" -e "trace=$calls" "$@" \
		>"$log.out" 2>"$log.err"
}

is_mounted() { findmnt -n --mountpoint "$1" >/dev/null; }
is_unmounted() { ! is_mounted "$1"; }

# A stand-in for nfs-utils' umount.nfs, as the original helper of
# umount.tmpfs (beside $SCRATCH/bin/umount.tmpfs, where the wrapper looks):
# it says what it ran with on stdout, unmounts, and for any failure prints
# its own words on stderr and exits 16, as nfs-utils does.  Sets FAKE.
make_fake_original() {
	FAKE=$SCRATCH/bin/umount.tmpfs.distrib
	mkdir -p "$SCRATCH/bin"
	cat >"$FAKE" <<'SH'
#!/bin/sh
echo "original ran with: $*"
umount -i "$1" 2>/dev/null && exit 0
echo "umount.fake: $1: device is busy" >&2
exit 16
SH
	chmod +x "$FAKE"
}
