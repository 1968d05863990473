#!/bin/bash
# make demo: a busy mount, what umount, fuser and lsof say about it, and
# what umount-helper explains.  Runs in a private mount namespace: the
# /mnt it mounts exists only there, and everything is cleaned up at the end.
set -u
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it mounts a tmpfs and sets up a loop device in a private namespace)" >&2
	exit 1
fi
if [ -z "${UMH_DEMO_NS:-}" ]; then
	export UMH_DEMO_NS=1
	exec unshare --mount --propagation private -- bash "$0" "$@"
fi

UMH=$PWD/build/umount-helper
HOLDER=$PWD/build/tests/fixtures/holder
T=$(mktemp -d /tmp/umh-demo.XXXXXX)
PIDS=()
LOOP=

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '\033[36m# %s\033[0m\n' "$*"; eval "$@"; echo "[exit status $?]"; }
cleanup() {
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	umount -l /mnt 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
started() { PIDS+=("$1"); }
wait_ready() { for _ in $(seq 50); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "demo: a holder did not start" >&2; exit 1; }

bold "1. A tmpfs on /mnt (private mount namespace), and five kinds of holder"
mount -t tmpfs demo /mnt
mkdir /mnt/data /mnt/work
echo "started" >/mnt/data/app.log
cp /bin/true /mnt/data/libdemo.so
truncate -s 8M /mnt/disk.img

mkfifo "$T/fifo"
bash -c 'cd /mnt/data && read -r _' 0<>"$T/fifo" & started $!
echo "  a shell cd'd into /mnt/data                      pid $!"
tail -f /mnt/data/app.log >/dev/null & started $!
echo "  tail -f /mnt/data/app.log (an open descriptor)    pid $!"
"$HOLDER" "$T/mmap" mmap /mnt/data/libdemo.so & started $!; wait_ready "$T/mmap"
echo "  a process that mmapped libdemo.so, then closed it pid $!"
"$HOLDER" "$T/thread" thread-cwd /mnt/work & started $!; wait_ready "$T/thread"
echo "  a thread that did unshare(CLONE_FS) + chdir       pid $! (its leader's cwd is elsewhere)"
LOOP=$(losetup -f --show /mnt/disk.img)
echo "  loop device $LOOP backed by /mnt/disk.img"
sleep 0.3

bold "2. umount says only that it is busy"
show umount /mnt

bold "3. fuser and lsof match by device number, and miss some"
# fuser complains once per descriptor of pid 1 (unreadable here): count those.
printf '\033[36m# %s\033[0m\n' "fuser -vm /mnt"
fuser -vm /mnt >"$T/fuser.out" 2>&1; rc=$?
grep -v 'Cannot stat file /proc/1/' "$T/fuser.out"
echo "[exit status $rc; and $(grep -c 'Cannot stat file /proc/1/' "$T/fuser.out") lines of 'Cannot stat file /proc/1/fd/N: Permission denied']"
show lsof -w /mnt
echo "(Neither names the loop device, and neither names the thread: its own cwd"
echo " is in task/TID/cwd, which they do not read.)"

bold "4. umount-helper explain /mnt"
show "$UMH" explain /mnt

bold "5. Timing, same run"
for cmd in "$UMH explain /mnt >/dev/null" "fuser -m /mnt >/dev/null 2>&1" "lsof -w /mnt >/dev/null 2>&1"; do
	t0=$(date +%s%N)
	eval "$cmd"
	printf '  %-40s %5d ms\n' "${cmd%% >*}" $(( ($(date +%s%N) - t0) / 1000000 ))
done

bold "6. Following the remedies"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
PIDS=()
losetup -d "$LOOP" && LOOP=
show "$UMH" explain /mnt
show umount /mnt
