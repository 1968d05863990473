#!/bin/bash
# Debian's real systemd as PID 1 of a throw-away container, for tests.
#
# The container is a new pid + mount + uts + ipc + net + cgroup namespace whose
# root is an overlay of the host's root (lower=/, upper and work on a tmpfs
# that exists only inside the container's mount namespace), with its own
# /proc, a writable /sys (so that systemd supports device units, as on a
# real host), a private cgroup2 hierarchy at /sys/fs/cgroup, a minimal /dev
# and tmpfs /run and /tmp.  systemd boots a minimal target (journald, and
# dbus-daemon when SD_DBUS=1), not the host's default target.
#
# Use it sourced:
#     . tests/systemd/container.sh
#     sd_start || exit 1          # sets SD_PID, SD_ROOT, SD_SYSTEM_BUS, SD_JOURNAL_DIR
#     sd_exec systemctl status    # runs a command inside (all its namespaces)
#     sd_stop                     # poweroff, SIGKILL after a timeout, remove cgroups
# or executed, for a person:
#     tests/systemd/container.sh shell      # boots, opens a shell inside, stops after it
#
# From outside the container:
#   - D-Bus to its systemd, two ways:
#     1. the manager's private socket, $SD_ROOT/run/systemd/private: a direct
#        (peer) connection, no bus daemon, every signal sent unasked, root
#        only.  systemd refuses a peer whose pid it cannot see ("Incoming
#        private connection from unprivileged client, refusing"; SO_PEERCRED
#        gives it pid 0), so the socket must be connect()ed by a process in
#        the container's pid namespace: lib/systemd/cause.c's
#        umh_sd_connect_pid($SD_PID) does that (fork, setns, fork, connect)
#        and hands the connected socket to sd-bus.  busctl cannot use it
#        (it says Hello, a direct connection has no bus); systemctl can,
#        from inside:  sd_exec systemctl ...
#     2. with SD_DBUS=1 the container also runs dbus-daemon; its system bus
#        works from outside as it is (Subscribe() needed for signals):
#            SD_SYSTEM_BUS=unix:path=$SD_ROOT/run/dbus/system_bus_socket
#            busctl --address=$SD_SYSTEM_BUS ...
#        or x-machine-unix:pid=$SD_PID (sd-bus enters the namespaces itself).
#   - its journal: journald there keeps a volatile journal (Storage=volatile)
#     under /run/log/journal:   journalctl -D "$SD_JOURNAL_DIR"
#     (sd_journal_open_directory() on the same path).
#
# Settings (environment): SD_BOOT_TIMEOUT (s, default 30), SD_STOP_TIMEOUT
# (s, default 10), SD_DBUS (0/1, default 0), SD_LOG_LEVEL (systemd's, default info),
# SD_KEEP_CONSOLE (path: copy the container's console output there on stop),
# SD_LOWER (the overlay's lower layer, default /: an overlay does not cross
# mount points, so it must be the whole tree as one file system; the QEMU
# guest, whose / is a tmpfs with bind mounts, gives its 9p share of the
# host's root, /run/vm-hostroot).
#
# Everything is found and ended by pid; the namespaces take every mount with
# them when their last process exits, so nothing is left on the host but
# the empty cgroup directories, which sd_stop removes.

SD_SELF=$(readlink -f "${BASH_SOURCE[0]}")
SD_PID=""          # host pid of the container's systemd (its PID 1)
SD_UNSHARE_PID=""  # host pid of the unshare(1) process that waits for it
SD_CGROUP=""       # host path of the container's cgroup2 directory
SD_TMP=""          # host directory the container's tmpfs is mounted on (inside only)
SD_ROOT=""         # /proc/$SD_PID/root
SD_SYSTEM_BUS=""   # its dbus-daemon's address (SD_DBUS=1)
SD_JOURNAL_DIR=""
SD_BOOT_MS=""

_sd_log() { echo "# container: $*" >&2; }

# The cgroup2 hierarchy of the host: its mount point and our own cgroup in it.
_sd_cgroup2_dir() {
	local mnt own
	# The type follows the "-" after the optional fields (none in the
	# QEMU guest, "shared:N" on a host that systemd booted).
	mnt=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)
	if [ -z "$mnt" ]; then
		_sd_log "no cgroup2 hierarchy mounted on the host (looked in /proc/self/mountinfo);"
		_sd_log "mount one, e.g. 'mount -t cgroup2 none /sys/fs/cgroup/unified'"
		return 1
	fi
	own=$(sed -n 's/^0::\(.*\)$/\1/p' /proc/self/cgroup)
	echo "$mnt${own%/}"
}

# The init of the container: runs as PID 1 of the new pid namespace, in the
# new mount namespace, then becomes systemd.  $1: the host tmp directory.
# Each program started costs time in the QEMU guest (tests/vm, ~0.1-0.5 s
# under emulation): what bash can do itself, it does.
_sd_init() {
	set -eu
	local D=$1 R n
	mount --make-rprivate /
	mount -t tmpfs -o mode=0755,size=512m umh-sd "$D"
	R=$D/root
	mkdir -p "$D/upper" "$D/work" "$R"
	mount -t overlay -o "lowerdir=${SD_LOWER:-/},upperdir=$D/upper,workdir=$D/work" umh-sd-root "$R"

	# API file systems, like systemd-nspawn gives a container.
	mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
	mount -t sysfs -o nosuid,nodev,noexec sysfs "$R/sys"
	mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"
	# A BPF filesystem of its own, as systemd mounts on a host (the
	# watch service pins explain's programs there).
	mount -t bpf -o nosuid,nodev,noexec,mode=0700 bpf "$R/sys/fs/bpf"
	mount -t tmpfs -o mode=0755,nosuid,size=4m umh-sd-dev "$R/dev"
	# The device nodes, copied (one program for all, where a bind mount
	# each would take two); autofs: for automount units.
	local devs=()
	for n in null zero full random urandom tty autofs; do
		[ -c "/dev/$n" ] && devs+=("/dev/$n")
	done
	cp -a "${devs[@]}" "$R/dev/"
	: >"$R/dev/console"
	mkdir -p "$R/dev/pts" "$R/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
	(cd "$R/dev" && ln -s pts/ptmx ptmx && ln -s /proc/self/fd fd &&
		ln -s /proc/self/fd/0 stdin && ln -s /proc/self/fd/1 stdout && ln -s /proc/self/fd/2 stderr)
	# The console is a plain file: systemd's status lines land there,
	# readable from outside as /proc/PID/root/dev/console.
	: >"$D/console"
	mount --bind "$D/console" "$R/dev/console"
	mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m tmpfs "$R/run"
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
	# systemd listens to udev's device events only if udev seems to run
	# (/run/udev/control exists, or /dev is a devtmpfs).  No udevd runs
	# here; tests/systemd/fake-udev-event speaks for it, and only inside
	# the container's own network namespace.
	local E=$R/etc/systemd
	mkdir -p "$R/run/udev" "$E/journald.conf.d" "$E/system.conf.d" "$E/system-generators"
	: >"$R/run/udev/control"

	# The container's own configuration, in the overlay's upper layer.
	local uuid
	read -r uuid </proc/sys/kernel/random/uuid
	rm -f "$R/etc/machine-id"
	echo "${uuid//-/}" >"$R/etc/machine-id"
	echo umh-sd >"$R/etc/hostname"
	echo umh-sd >/proc/sys/kernel/hostname   # this UTS namespace's
	: >"$R/etc/fstab"
	_sd_write "$E/journald.conf.d/umh-sd.conf" <<-'EOF'
	[Journal]
	Storage=volatile
	ReadKMsg=no
	ForwardToSyslog=no
	ForwardToKMsg=no
	ForwardToConsole=no
	ForwardToWall=no
	RateLimitBurst=0
	EOF
	_sd_write "$E/system.conf.d/umh-sd.conf" <<-'EOF'
	[Manager]
	DefaultTimeoutStartSec=15s
	DefaultTimeoutStopSec=5s
	ShowStatus=no
	EOF
	local wants="systemd-journald.service systemd-journald-dev-log.socket"
	[ "${SD_DBUS:-0}" = 1 ] && wants="$wants dbus.socket dbus.service"
	_sd_write "$E/system/umh-test.target" <<-EOF
	[Unit]
	Description=umount-helper test container
	Wants=$wants
	After=$wants
	AllowIsolate=yes
	EOF
	# The host's enabled units are not wanted here, and nothing may touch
	# the host's devices: no udev trigger (udev is not even installed on
	# the development machine, but be sure).  An empty unit file masks the
	# unit, as a link to /dev/null does (and costs no program).
	for n in systemd-udev-trigger.service systemd-udevd.service \
		systemd-udevd-control.socket systemd-udevd-kernel.socket \
		systemd-modules-load.service systemd-sysctl.service \
		systemd-binfmt.service systemd-random-seed.service \
		systemd-timesyncd.service systemd-pstore.service systemd-journald-audit.socket \
		postgresql.service getty@tty1.service console-getty.service \
		e2scrub_reap.service; do
		: >"$E/system/$n"
	done
	# Generators run at boot and at every daemon-reload; only the fstab
	# one matters here (t-watch.sh writes /etc/fstab).  An empty file in
	# /etc/systemd/system-generators masks the others (getty, postgresql,
	# rpc_pipefs, ... would bring in units of the host's).
	for n in /lib/systemd/system-generators/*; do
		[ -e "$n" ] || continue
		n=${n##*/}
		[ "$n" = systemd-fstab-generator ] || : >"$E/system-generators/$n"
	done

	cd "$R"
	mkdir -p .umh-oldroot
	pivot_root . .umh-oldroot
	umount -l /.umh-oldroot
	rmdir /.umh-oldroot
	cd /
	exec env -i container=umh-sd-test PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		TERM=dumb LANG=C.UTF-8 \
		/lib/systemd/systemd --unit=umh-test.target --log-target=journal \
		--log-level="${SD_LOG_LEVEL:-info}" --show-status=no
}
# _sd_write FILE: stdin to FILE, without starting cat.
_sd_write() {
	local l
	while IFS= read -r l; do printf '%s\n' "$l"; done >"$1"
}

# sd_exec CMD...: runs CMD inside the container (all its namespaces, its
# root), with a clean environment.  Bounded by SD_EXEC_TIMEOUT (s, default 20).
sd_exec() {
	[ -n "$SD_PID" ] || { _sd_log "sd_exec: no container"; return 125; }
	timeout -k 2 "${SD_EXEC_TIMEOUT:-20}" nsenter -t "$SD_PID" -m -p -u -i -n -C -r -w \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# sd_state: systemctl is-system-running inside, or nothing.
sd_state() { SD_EXEC_TIMEOUT=5 sd_exec systemctl is-system-running 2>/dev/null; }

# sd_start: boots the container and waits until its systemd is up.
sd_start() {
	local parent cg i t0 st
	[ "$(id -u)" = 0 ] || { _sd_log "must be root"; return 1; }
	[ -x /lib/systemd/systemd ] || { _sd_log "systemd is not installed (/lib/systemd/systemd)"; return 1; }
	parent=$(_sd_cgroup2_dir) || return 1
	SD_TMP=$(mktemp -d /tmp/umh-sd.XXXXXX) || return 1
	cg="$parent/${SD_TMP##*/}"
	mkdir "$cg" || { _sd_log "cannot create cgroup $cg"; return 1; }
	SD_CGROUP=$cg
	t0=$(date +%s%N)
	# The subshell enters the new cgroup, then becomes unshare, which forks
	# the container's PID 1 (so the cgroup namespace is rooted at $cg).
	# --kill-child: if unshare dies, the container dies with it; and
	# unshare dies with this shell (--pdeathsig), even if it is SIGKILLed.
	(
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
		exec setpriv --pdeathsig KILL -- \
			unshare --pid --mount --uts --ipc --net --cgroup --fork --kill-child \
			--propagation private -- \
			env SD_DBUS="${SD_DBUS:-0}" SD_LOG_LEVEL="${SD_LOG_LEVEL:-info}" SD_LOWER="${SD_LOWER:-/}" \
			bash "$SD_SELF" __init "$SD_TMP"
	) </dev/null >"$SD_TMP.log" 2>&1 &
	SD_UNSHARE_PID=$!
	# The container's PID 1 is unshare's only child.
	for ((i = 0; i < 50; i++)); do
		SD_PID=$(cat "/proc/$SD_UNSHARE_PID/task/$SD_UNSHARE_PID/children" 2>/dev/null | awk '{print $1}')
		[ -n "$SD_PID" ] && break
		kill -0 "$SD_UNSHARE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$SD_PID" ]; then
		_sd_log "the container's init did not start:"
		sed -e 's/^/# /' "$SD_TMP.log" >&2
		sd_stop
		return 1
	fi
	SD_ROOT=/proc/$SD_PID/root
	SD_SYSTEM_BUS=unix:path=$SD_ROOT/run/dbus/system_bus_socket
	SD_JOURNAL_DIR=$SD_ROOT/run/log/journal
	# Until systemd is up: its private socket answers and it says running
	# (or degraded: some unit failed, which the tests look at themselves).
	for ((i = 0; i < ${SD_BOOT_TIMEOUT:-30} * 10; i++)); do
		if ! kill -0 "$SD_PID" 2>/dev/null; then
			_sd_log "the container's systemd died while booting:"
			sed -e 's/^/# /' "$SD_TMP.log" >&2
			sd_stop
			return 1
		fi
		if [ -S "$SD_ROOT/run/systemd/private" ]; then
			st=$(sd_state)
			case $st in
			running | degraded)
				SD_BOOT_MS=$((($(date +%s%N) - t0) / 1000000))
				_sd_log "systemd is $st after ${SD_BOOT_MS} ms (pid $SD_PID)"
				return 0 ;;
			esac
		fi
		sleep 0.1
	done
	_sd_log "systemd did not come up within ${SD_BOOT_TIMEOUT:-30} s (state: ${st:-none})"
	sd_exec systemctl list-jobs --no-pager >&2 2>&1
	sd_stop
	return 1
}

# sd_stop: powers the container off, kills it if it does not stop in time,
# waits for every process of it, removes its cgroups and tmp files.  With
# SD_STOP_TIMEOUT=0, kills it at once (in QEMU an orderly poweroff takes ~6 s,
# and a throw-away container keeps nothing that needs one).
sd_stop() {
	local i
	if [ -n "$SD_PID" ] && kill -0 "$SD_PID" 2>/dev/null; then
		if [ -n "${SD_KEEP_CONSOLE:-}" ]; then
			cp "$SD_ROOT/dev/console" "$SD_KEEP_CONSOLE" 2>/dev/null
		fi
		[ "${SD_STOP_TIMEOUT:-10}" = 0 ] ||
			SD_EXEC_TIMEOUT=5 sd_exec systemctl poweroff --no-block >/dev/null 2>&1
		for ((i = 0; i < ${SD_STOP_TIMEOUT:-10} * 10; i++)); do
			kill -0 "$SD_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$SD_PID" 2>/dev/null; then
			[ "${SD_STOP_TIMEOUT:-10}" = 0 ] ||
				_sd_log "systemd did not power off within ${SD_STOP_TIMEOUT:-10} s: SIGKILL to pid $SD_PID"
			# Killing a pid namespace's init kills every process in it.
			kill -KILL "$SD_PID" 2>/dev/null
		fi
	fi
	if [ -n "$SD_UNSHARE_PID" ]; then
		for ((i = 0; i < 50; i++)); do
			kill -0 "$SD_UNSHARE_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SD_UNSHARE_PID" 2>/dev/null
		wait "$SD_UNSHARE_PID" 2>/dev/null
	fi
	if [ -n "$SD_CGROUP" ] && [ -d "$SD_CGROUP" ]; then
		# Every process of the container is gone once its cgroups are empty.
		for ((i = 0; i < 50; i++)); do
			[ -z "$(find "$SD_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && break
			sleep 0.1
		done
		find "$SD_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$SD_CGROUP" ] && _sd_log "could not remove cgroup $SD_CGROUP"
	fi
	if [ -n "$SD_TMP" ]; then
		rmdir "$SD_TMP" 2>/dev/null
		rm -f "$SD_TMP.log"
	fi
	SD_PID="" SD_UNSHARE_PID="" SD_CGROUP="" SD_TMP="" SD_ROOT=""
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	__init) shift; _sd_init "$@" ;;
	shell)
		trap sd_stop EXIT
		sd_start || exit 1
		echo "container: systemd pid $SD_PID; private socket $SD_ROOT/run/systemd/private (see umh_sd_connect_pid);" \
			"system bus (SD_DBUS=1) $SD_SYSTEM_BUS; journal $SD_JOURNAL_DIR" >&2
		SD_EXEC_TIMEOUT=86400 sd_exec bash -l
		;;
	*) echo "usage: $0 shell   (or source it and use sd_start / sd_exec / sd_stop)" >&2; exit 2 ;;
	esac
fi
