#!/bin/bash
# The scan at scale: PROCS processes x FDS descriptors, HELD of each on the
# target mount (2,000 x 100, 3 held, by default), then in one run:
# explain with the BPF scan, explain --no-bpf (procfs), fuser -m, and
# lsof; each timed from start to exit (BPF load and attach included), best
# of ROUNDS runs.  Not part of make check: it needs about a minute and
# 2,000 processes.  Usage: bash tests/bench/scan.sh [PROCS FDS HELD ROUNDS]
. "$(dirname "$0")/../lib.sh"
enter_private_ns "$@"
PROCS=${1:-2000} FDS=${2:-100} HELD=${3:-3} ROUNDS=${4:-3}

cc -O2 -o "$TOP/build/tests/bench-fdfarm" "$TOP/tests/bench/fdfarm.c" || exit 1
M=$(mktemp -d /tmp/umh-bench.XXXXXX); O=$(mktemp -d /tmp/umh-other.XXXXXX)
at_exit "umount -l $M; umount -l $O; rmdir $M $O"
mount -t tmpfs bench "$M"; mount -t tmpfs other "$O"
echo x >"$M/held"; echo x >"$O/other"
ulimit -n $((FDS + 64))
start_holder "$M.ready" "$TOP/build/tests/bench-fdfarm" "$M.ready" "$PROCS" "$FDS" "$HELD" "$O/other" "$M/held" ||
	{ echo "not ok - the process farm did not start"; exit 1; }
at_exit "rm -f $M.ready"

best() { # COMMAND...: prints the best wall time in ms of ROUNDS runs
	local b= t0 ms
	for ((i = 0; i < ROUNDS; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ -z "$b" ] || [ "$ms" -lt "$b" ] && b=$ms
	done
	echo "$b"
}
n=$("$UMH" explain --json "$M" | jq '[.holders[] | select(.kind == "fd")] | length')
echo "# $PROCS processes x $FDS fds, $HELD each on $M: explain finds $n fd holders"
[ "$n" = $((PROCS * HELD)) ] && echo "ok - explain finds all $n" || echo "not ok - explain finds $n of $((PROCS * HELD))"
bpf=$(best "$UMH" explain --timeout 60 "$M")
procfs=$(best "$UMH" explain --timeout 60 --no-bpf "$M")
fuser=$(best fuser -m "$M")
lsof=$(ROUNDS=1 best lsof -t "$M")
echo "# explain (BPF scan)    ${bpf} ms"
echo "# explain --no-bpf      ${procfs} ms"
echo "# fuser -m              ${fuser} ms"
echo "# lsof -t               ${lsof} ms (one run)"
echo "# BPF scan vs fuser -m: $(awk -v a="$fuser" -v b="$bpf" 'BEGIN { printf "%.1fx faster", a / b }')"
