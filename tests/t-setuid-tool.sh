#!/bin/bash
# The binary installed set-user-ID root (`make install-umount`: a copy named
# umount) is privileged only as the umount front end, as util-linux's umount
# is.  An ordinary user (uid 65534) who reaches the tool's commands under
# another name -- argv[0] chosen with exec -a, or a symlink of their own --
# gets what a copy without the bit would give them: every privileged step
# meets their own permissions.  Checked by effect, not only by words: no
# directory made as root, no namespace entered, no socket reached that only
# root may use, no BPF program loaded, no pin removed, no filesystem mounted,
# the real record left as it was, no difference between a private path that
# exists and one that does not.  Then the umount.TYPE helper, set-user-ID
# under a name the user chose: -N makes it the user first (no unmount in a
# namespace they cannot enter), and a .distrib beside that name is not run.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
SW=$FIX/sockwatch
for p in "$UMH" "$SW"; do
	[ -x "$p" ] || { not_ok "test program $p is built (make test-programs)"; finish; }
done
command -v bpftool >/dev/null || { not_ok "bpftool is installed (tools/packages/bpf.txt)"; finish; }

SUID=$SCRATCH/suid
mkdir -p "$SUID"
install -m 4755 -o root -g root "$UMH" "$SUID/umount"
check_eq "the front end is installed set-user-ID root" "4755 root" "$(stat -c '%a %U' "$SUID/umount")"

# The user's own directory, with the links they make.
UHOME=$SCRATCH/home
mkdir -m 0755 "$UHOME"
chown 65534:65534 "$UHOME"
as_nobody ln -s "$SUID/umount" "$UHOME/umount-helper"
as_nobody ln -s "$SUID/umount" "$UHOME/anything"

# Root's: a directory the user may read, not write; one they may not enter.
ROOTDIR=$SCRATCH/rootdir
PRIV=$SCRATCH/private
mkdir -m 0755 "$ROOTDIR"
mkdir -m 0700 "$PRIV"
touch "$PRIV/exists"

# A mount namespace of root's that the user may not enter, its nsfs file
# bound where they can open it, with a mount that its own fstab lets any
# user unmount.
printf 'secretfs /mnt tmpfs users,noauto 0 0\n' >"$SCRATCH/ns-fstab"
NSFILE=$SCRATCH/nsfile
touch "$NSFILE"
# (Binding a namespace file is refused when the namespace does not look
# newer than ours: each try on the next CPU, cpu_for_try in lib.sh.)
for try in 1 2 3 4 5; do
	rm -f "$SCRATCH/ns-ready"
	taskset -c "$(cpu_for_try "$try")" unshare --mount --propagation private sh -c "mount --bind '$SCRATCH/ns-fstab' /etc/fstab &&
		mount -t tmpfs secretfs /mnt && touch '$SCRATCH/ns-ready' && exec sleep 600" &
	NS_PID=$!
	STARTED_PIDS+=("$NS_PID")
	wait_for "test -e '$SCRATCH/ns-ready'" || diag "the namespace of root's did not get ready"
	mount --bind "/proc/$NS_PID/ns/mnt" "$NSFILE" 2>/dev/null && break
	kill "$NS_PID"
done
check_eq "a namespace of root's, its file where the user can open it" "$(readlink "/proc/$NS_PID/ns/mnt")" \
	"$(stat -L -c 'mnt:[%i]' "$NSFILE")"
ns_has_mnt() { nsenter -t "$NS_PID" -m findmnt -n /mnt >/dev/null; }
check "root's namespace has its users mount" ns_has_mnt

# Sockets only root may use: a datagram socket (the journal's kind) and a
# stream socket (a bus), both 0600, where the user can see them.
start_sockwatch() { # NAME KIND
	"$SW" "$2" "$SCRATCH/$1.sock" 0600 "$SCRATCH/$1.ready" >>"$SCRATCH/$1.log" 2>&1 &
	STARTED_PIDS+=($!)
	wait_for "test -e '$SCRATCH/$1.ready'" || diag "sockwatch $1 did not start: $(cat "$SCRATCH/$1.log")"
}
start_sockwatch journal dgram
start_sockwatch bus stream

# The real record's place, /run/umount-helper, on a /run of this namespace
# only, with three lines of root's watcher.
mount -t tmpfs -o mode=0755 run /run
mkdir -m 0755 /run/umount-helper
REC=/run/umount-helper/events.jsonl
for i in 1 2 3; do
	printf '{"v":1,"event":"watch-start","t_us":%d,"boot_id":"x","pid":%d,"mntns":1}\n' "$(( $(date +%s) * 1000000 - i ))" "$i"
done >"$REC"
REC_SUM=$(sha256sum "$REC")

is_bpffs() { [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; }
no_bpffs() { ! is_bpffs; }
while is_bpffs; do umount /sys/fs/bpf || break; done
PIN=/sys/fs/bpf/umount-helper/ledger/state

# run_tool VAR HOW ARGS...: the set-user-ID binary as the user, as the tool.
run_tool() {
	local var=$1 how=$2
	shift 2
	case $how in
	argv0) run_capture "$var" as_nobody bash -c 'exec -a umount-helper "$0" "$@"' "$SUID/umount" "$@" ;;
	argv0-path) run_capture "$var" as_nobody bash -c 'exec -a /usr/local/bin/umount-helper "$0" "$@"' "$SUID/umount" "$@" ;;
	symlink) run_capture "$var" as_nobody "$UHOME/umount-helper" "$@" ;;
	symlink-any) run_capture "$var" as_nobody "$UHOME/anything" "$@" ;;
	esac
}

for how in argv0 argv0-path symlink symlink-any; do
	# --- watch --------------------------------------------------------------------
	run_tool w "$how" watch --no-bpf --no-journal --state-dir "$ROOTDIR/state" --duration 0.2
	check "$how: watch --state-dir in root's directory creates nothing there" test ! -e "$ROOTDIR/state"
	check_contains "$how: ... the user's own permissions said no" "$w_out" \
		"record: none (cannot write to $ROOTDIR/state: Permission denied)"
	rm -rf "$ROOTDIR/state"

	run_tool w "$how" watch -N "$NSFILE" --no-bpf --no-journal --no-record --duration 0.2
	check_eq "$how: watch -N a namespace of root's: exit 2" 2 "$w_rc"
	check_contains "$how: ... it cannot enter it" "$w_err" "cannot enter the mount namespace $NSFILE: Operation not permitted"
	check_not_contains "$how: ... and watches nothing" "$w_out" "Watching"

	# The journal socket: an unmount while it watches would be sent there.
	: >"$SCRATCH/journal.log"
	run_tool w "$how" watch --journal-socket "$SCRATCH/journal.sock" --no-bpf --no-record --duration 1.5 &
	W=$!
	sleep 0.5
	mkdir -p "$SCRATCH/jt" && mount -t tmpfs jt "$SCRATCH/jt" && umount "$SCRATCH/jt"
	wait "$W"
	run_tool w "$how" watch --journal-socket "$SCRATCH/journal.sock" --no-bpf --no-record --duration 0.2
	check_eq "$how: watch --journal-socket root's socket: nothing reached it" "" "$(cat "$SCRATCH/journal.log")"
	check_contains "$how: ... the user may not connect to it" "$w_err" \
		"cannot connect to the journal at $SCRATCH/journal.sock: Permission denied"

	: >"$SCRATCH/bus.log"
	run_tool w "$how" watch --bus "unix:path=$SCRATCH/bus.sock" --no-bpf --no-journal --no-record --duration 0.2
	check_eq "$how: watch --bus root's socket: no connection reached it" "" "$(cat "$SCRATCH/bus.log")"
	check_contains "$how: ... systemd not asked, for the user's permissions" "$w_out" "Permission denied"

	run_tool w "$how" watch --max-events 1 --no-bpf --no-journal --duration 0.2
	check_eq "$how: watch --max-events 1 leaves root's record as it was" "$REC_SUM" "$(sha256sum "$REC" 2>&1)"
	check "$how: ... not rotated away" test ! -e "$REC.1"
	if [ "$(sha256sum "$REC" 2>&1)" != "$REC_SUM" ] || [ -e "$REC.1" ]; then
		# Put it back for the next name.
		[ -e "$REC.1" ] && head -n 3 "$REC.1" >"$REC.orig" && mv "$REC.orig" "$REC"
		rm -f "$REC.1"
	fi

	# --- ledger ---------------------------------------------------------------------
	run_tool l "$how" ledger start
	check_eq "$how: ledger start: exit 2" 2 "$l_rc"
	check "$how: ... mounts no BPF filesystem" no_bpffs
	while is_bpffs; do umount /sys/fs/bpf || break; done

	mount -t bpf -o mode=0700 bpf /sys/fs/bpf
	mkdir -p "${PIN%/*}"
	bpftool map create "$PIN" type array key 4 value 4 entries 1 name state
	run_tool l "$how" ledger stop
	check "$how: ledger stop: root's pinned ledger stays" test -e "$PIN"
	check_eq "$how: ... exit 2, for the user's permissions" "2|umount-helper: ledger stop: Permission denied" "$l_rc|$l_err"
	umount /sys/fs/bpf

	# --- doctor -------------------------------------------------------------------------
	run_tool d "$how" doctor
	check_not_contains "$how: doctor loads and runs no BPF program" "$d_out" "program loads and runs"
	check_not_contains "$how: ... not the scan's either" "$d_out" "iterators (task, task_vma, unix) load"

	# --- trace: no difference between what exists and what does not --------------------
	run_tool t1 "$how" trace --duration 0.1 "$PRIV/exists"
	run_tool t2 "$how" trace --duration 0.1 "$PRIV/nothere"
	check_eq "$how: trace on paths in root's private directory: the same answer whether they exist or not" \
		"$t1_rc|${t1_err//$PRIV\/exists/P}" "$t2_rc|${t2_err//$PRIV\/nothere/P}"

	# --- explain ----------------------------------------------------------------------------
	run_tool e "$how" explain -N "$NSFILE" /mnt
	check_eq "$how: explain -N a namespace of root's: exit 2" 2 "$e_rc"
	check_contains "$how: ... it cannot enter it" "$e_err" "cannot enter the mount namespace of $NSFILE: Operation not permitted"
done
check "root's namespace still has its mount" ns_has_mnt

# --- the umount.TYPE helper, set-user-ID, under a name the user chose ----------------------
# ns_remount: the users mount back in root's namespace, after a failure.
ns_remount() { ns_has_mnt || nsenter -t "$NS_PID" -m mount -t tmpfs secretfs /mnt; }
as_nobody ln -s "$SUID/umount" "$UHOME/umount.tmpfs"
run_capture h as_nobody "$UHOME/umount.tmpfs" /mnt -N "$NSFILE"
check "helper (symlink) -N a namespace of root's: its users mount stays there" ns_has_mnt
check_eq "helper (symlink) -N: as the user it is then, it may not use that namespace (exit 2)" \
	"2|umount.tmpfs: failed to set option -N" "$h_rc|$h_err"
ns_remount
run_capture h as_nobody bash -c 'exec -a umount.tmpfs "$0" "$@"' "$SUID/umount" /mnt -N "$NSFILE"
check "helper (exec -a) -N a namespace of root's: its users mount stays there" ns_has_mnt
check_eq "helper (exec -a) -N: the same" "2|umount.tmpfs: failed to set option -N" "$h_rc|$h_err"
ns_remount

# A .distrib beside the name: the wrapper would run it (as the user), in the
# place of the distribution's helper.  Under set-user-ID the caller does not
# choose which helper is the original.
printf '#!/bin/sh\ntouch "%s/distrib-ran"\nexit 16\n' "$UHOME" >"$UHOME/umount.tmpfs.distrib"
chmod 755 "$UHOME/umount.tmpfs.distrib"
chown 65534:65534 "$UHOME/umount.tmpfs.distrib"
run_capture h as_nobody "$UHOME/umount.tmpfs" "$SCRATCH"
check "helper: a .distrib beside a name the user chose is not run" test ! -e "$UHOME/distrib-ran"
run_capture h as_nobody bash -c 'exec -a "$1/umount.tmpfs" "$0" "$2"' "$SUID/umount" "$UHOME" "$SCRATCH"
check "helper: ... nor beside an argv[0] the user chose" test ! -e "$UHOME/distrib-ran"
finish
