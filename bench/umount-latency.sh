#!/bin/bash
# What the watcher costs the unmount path: umount(2)'s latency, failing
# and succeeding (bench/umount-latency.c), without the watcher and with it
# (its BPF programs on the umount tracepoints), in turns, ROUNDS times.
#
#   bench/umount-latency.sh [ROUNDS]           as root; build first (make test-programs)
#   UMH_OTHER=path/to/umount-helper bench/umount-latency.sh
#                                              also with another build's watcher
#
# Each round prints the program's lines under a heading; compare the
# medians.  Other load on the machine shows in the means and p90s.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PROG=$BUILD/bench/umount-latency
UMH=${UMH:-$BUILD/umount-helper}
ROUNDS=${1:-3}
[ "$(id -u)" = 0 ] || { echo "umount-latency.sh: run as root" >&2; exit 1; }
[ -x "$PROG" ] && [ -x "$UMH" ] || { echo "umount-latency.sh: build first (make test-programs)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/umh-latency.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

run() { # LABEL [WATCHER-BINARY]
	local label=$1 w=${2:-} wpid=
	if [ -n "$w" ]; then
		"$w" watch --no-record --no-journal --no-systemd >"$DIR/watch.out" 2>&1 &
		wpid=$!
		for _ in $(seq 100); do grep -q '^  record:' "$DIR/watch.out" 2>/dev/null && break; sleep 0.1; done
		grep -q 'callers: traced' "$DIR/watch.out" || { echo "the watcher did not trace: $(cat "$DIR/watch.out")" >&2; }
	fi
	echo "== $label (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	unshare -m --propagation private "$PROG" "$DIR"
	if [ -n "$wpid" ]; then
		kill -TERM "$wpid"
		wait "$wpid"
	fi
}

for ((i = 1; i <= ROUNDS; i++)); do
	run "round $i: no watcher"
	run "round $i: umount-helper watch ($UMH)" "$UMH"
	[ -n "${UMH_OTHER:-}" ] && run "round $i: umount-helper watch ($UMH_OTHER)" "$UMH_OTHER"
done
