#!/bin/bash
# make bench: how long each tool takes to say what holds a mount, and whether
# what it says is right.  Side by side, in one run, on one scenario:
#
#   umount-helper explain            (the BPF iterator scan, its default here), with
#                                    the watcher running, which keeps its programs
#                                    loaded (as the package's service does), and without
#   umount-helper explain --no-bpf   (the procfs scan)
#   fuser -m MOUNT,  lsof -t MOUNT,  lsfd -Q 'MNTID == ID'
#
# The scenario (bench/farm): PROCS processes with FDS descriptors each on a
# file of another tmpfs; among them one holder of the target tmpfs of each
# kind (fd, cwd, mmap, exe, a thread's own cwd, a thread's own file table, an
# io_uring's registered file, a descriptor in flight in a unix socket), plus
# a loop device backed by a file on it, and a decoy: a process holding a
# file through a bind mount of the same filesystem elsewhere, which does
# not block the unmount.  K = the holders; "found" counts how many of them a
# tool names (by pid for the tools that print pids), "wrong" the processes
# it names that hold nothing on the target.
#
# Timing: each command runs under bench/measure (wall time from fork to
# reaping, peak RSS and CPU time of its whole process tree); one untimed run
# of every tool first (warm caches: the same state for all), then REPS
# rounds, the tools taking turns within each round, so that a change of
# load hits all of them alike.  The timed runs are the runs whose output is
# counted.
#
# Then a scale series (--scale): the same holders among 200, 2,000 and
# 20,000 processes of FDS descriptors each; the median of --scale-reps runs
# (one run for a tool whose warm-up took over --slow seconds), and the cost
# of each 1,000 more descriptors between sizes: equal slopes, linear growth.
# Then helper mode on unmounts that succeed, against util-linux alone, in
# --helper-reps paired rounds (50).
# Then mount namespaces (--ns): a host with NS-MOUNTS mounts and NS-COUNT
# more mount namespaces that hold copies of them (bench/nsfarm; one copy of
# the target held by a process in its namespace, and the target by one in
# ours): explain of the held mount, of its filesystem (--fs), and what
# people do today to find the namespaces that keep a filesystem (grep -l
# over every /proc/PID/mountinfo, findmnt -N in each namespace lsns lists,
# fuser -m), each with how many of the namespaces and holders it found;
# and explain's time against its time on a mount no other namespace has a
# copy of, measured in the same rounds.
#
# Then what finding references held inside the kernel costs (--dentries):
# a tmpfs of that many files, one of them kept by something no scan names
# (an unread fanotify event), so that explain looks inside the kernel: the
# loaded modules' data (where the kernel has modules) and the walk of the
# mount's dentries; the same mount held by a process, which needs neither,
# for comparison; each walk's own time from UMOUNT_HELPER_DEBUG=time.
#
#   bench/bench.sh [--quick] [--procs N] [--fds M] [--reps R] [--each H]
#                  [--scale "N1 N2 ..."] [--scale-reps R] [--slow SECONDS]
#                  [--no-helper] [--helper-reps R] [--ns-mounts M]
#                  [--ns-count N] [--no-ns] [--only-ns] [--dentries N]
#                  [--results FILE]
#
# --quick: 50 x 20, one round, scale 20 and 50, 3 helper rounds, 50 mounts
# x 10 namespaces, 2,000 dentries (make check runs it).  --only-ns: the
# mount namespaces alone.
# --each H: every process also holds H descriptors on the target.
# --results FILE: the numbers, one line each (tests/bench/t-bench-quick.sh).
# Runs as root, in a private mount namespace; kills what it started, by pid,
# also on Ctrl-C.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
UMH=${UMH:-$BUILD/umount-helper}
LEAN=${LEAN:-$BUILD/umount-helper-lean}
FARM=$BUILD/bench/farm
NSFARM=$BUILD/bench/nsfarm
MEASURE=$BUILD/bench/measure
FLOOR=$BUILD/bench/floor-helper
BARE=$BUILD/bench/floor-bare # x86-64 only (bench.mk)
export LC_ALL=C

PROCS=2000 FDS=100 REPS=5 EACH=0 SCALE="200 2000 20000" SCALE_REPS=3 SLOW=10 RESULTS= HELPER=1 HELPER_REPS=50 DENTRIES=100000
NS=1 NS_MOUNTS=2000 NS_COUNT=300 ONLY_NS=0
KINDS=fd,cwd,mmap,exe,thread-cwd,thread-fd,uring,scm
usage() { sed -n 's/^#   //p; s/^# --/--/p' "$0"; }
ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--quick) PROCS=50 FDS=20 REPS=1 SCALE="20 50" SCALE_REPS=1 HELPER_REPS=3 NS_MOUNTS=50 NS_COUNT=10 DENTRIES=2000; shift ;;
	--procs) PROCS=$2; shift 2 ;;
	--fds) FDS=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--each) EACH=$2; shift 2 ;;
	--scale) SCALE=$2; shift 2 ;;
	--scale-reps) SCALE_REPS=$2; shift 2 ;;
	--slow) SLOW=$2; shift 2 ;;
	--no-helper) HELPER=0; shift ;;
	--helper-reps) HELPER_REPS=$2; shift 2 ;;
	--dentries) DENTRIES=$2; shift 2 ;;
	--ns-mounts) NS_MOUNTS=$2; shift 2 ;;
	--ns-count) NS_COUNT=$2; shift 2 ;;
	--no-ns) NS=0; shift ;;
	--only-ns) ONLY_NS=1 SCALE= HELPER=0 DENTRIES=0; shift ;;
	--results) RESULTS=$(realpath -m "$2"); shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 1 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "bench: it mounts, starts thousands of processes and attaches a loop device: run as root" >&2
	exit 1
fi
KHOLDER=$BUILD/tests/fixtures/kholder
for f in "$UMH" "$LEAN" "$FARM" "$NSFARM" "$MEASURE" "$FLOOR" "$KHOLDER"; do
	[ -x "$f" ] || { echo "bench: $f is missing: make test-programs" >&2; exit 1; }
done
if [ -z "${UMH_BENCH_NS:-}" ]; then
	export UMH_BENCH_NS=1
	exec unshare --mount --propagation private -- bash "$0" "${ARGS[@]}"
fi

# --- cleanup, by pid ------------------------------------------------------------
FARM_PID= NSFARM_PIDS= LOOP= W= WATCH_PID= KPID=
stop_watch() {
	[ -n "$WATCH_PID" ] || return 0
	kill -TERM "$WATCH_PID" 2>/dev/null # it removes its pins, then exits
	wait "$WATCH_PID" 2>/dev/null
	WATCH_PID=
}
stop_kholder() {
	[ -n "$KPID" ] || return 0
	kill -KILL "$KPID" 2>/dev/null
	wait "$KPID" 2>/dev/null
	KPID=
}
stop_nsfarm() {
	local p
	for p in $NSFARM_PIDS; do kill -TERM "$p" 2>/dev/null; done # each kills its processes by pid, then exits
	for p in $NSFARM_PIDS; do wait "$p" 2>/dev/null; done
	NSFARM_PIDS=
}
stop_farm() {
	[ -n "$FARM_PID" ] || return 0
	kill -TERM "$FARM_PID" 2>/dev/null # it kills its processes by pid, then exits
	wait "$FARM_PID" 2>/dev/null
	FARM_PID=
}
cleanup() {
	trap - EXIT INT TERM HUP
	stop_watch
	stop_farm
	stop_nsfarm
	stop_kholder
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	if [ -n "$W" ]; then
		umount -l "$W/bind" "$W/target" "$W/other" "$W/dentries" 2>/dev/null
		umount -l "${SBIN:-/nonexistent}" 2>/dev/null # the helper's overlay, this namespace only
		umount -l "$W" 2>/dev/null
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

# --- the scenario -----------------------------------------------------------------
W=$(mktemp -d /tmp/umh-bench.XXXXXX)
mount -t tmpfs bench-scratch "$W" || exit 1
M=$W/target O=$W/other B=$W/bind OUT=$W/out
mkdir -p "$M" "$O" "$B" "$OUT"
mount -t tmpfs bench-target "$M" && mount -t tmpfs bench-other "$O" || exit 1
mkdir "$M/decoy" && touch "$M/decoy/file" "$O/other" && mount --bind "$M/decoy" "$B" || exit 1
MNT_ID=$(findmnt -n -o ID --mountpoint "$M" | tail -n 1 | tr -d ' ')
truncate -s 1M "$M/disk.img"
LOOP=$(losetup -f --show "$M/disk.img" 2>/dev/null) ||
	{ LOOP=; echo "bench: no loop device here: the loop holder is left out" >&2; }
# io_uring may be switched off (kernel.io_uring_disabled=2): leave it out then.
if [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 2 ]; then
	KINDS=${KINDS/,uring/}
	echo "bench: io_uring is disabled here: the io_uring holder is left out" >&2
fi
ulimit -n "$(ulimit -Hn)"

ALL_KINDS=$KINDS${LOOP:+,loop}
K=$(tr ',' '\n' <<<"$ALL_KINDS" | grep -c .)

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
fmt_int() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"$1"; } # 20000 -> 20,000
plural() { [ "$1" = 1 ] && echo "$1 $2" || echo "$1 ${2}s"; }

# start_farm N: the crowd of N processes with the holders and the decoy;
# sets SETUP_MS, EXPECTED ("kind pid" lines) and HOLDER_PIDS.  Fails, and
# says why, when N processes cannot exist here.
start_farm() {
	local n=$1 t0 tasks max
	tasks=$(ls /proc | grep -c '^[0-9]')
	max=$(cat /proc/sys/kernel/pid_max)
	if [ $((tasks + n + 64)) -gt "$max" ]; then
		echo "bench: $n processes do not fit under pid_max $max ($tasks running)" >&2
		return 1
	fi
	if [ "$FDS" -gt $(($(ulimit -n) - 64)) ]; then
		echo "bench: $FDS descriptors a process exceed RLIMIT_NOFILE ($(ulimit -n))" >&2
		return 1
	fi
	rm -f "$W/manifest"
	t0=$(date +%s%N)
	local each=()
	[ "$EACH" -gt 0 ] && each=(-e "$EACH")
	"$FARM" -k "$KINDS" "${each[@]}" -d "$B/file" "$W/manifest" "$n" "$FDS" "$O/other" "$M" &
	FARM_PID=$!
	while [ ! -e "$W/manifest" ]; do
		if ! kill -0 "$FARM_PID" 2>/dev/null; then
			wait "$FARM_PID" 2>/dev/null
			FARM_PID=
			echo "bench: the farm of $n processes did not start" >&2
			return 1
		fi
		sleep 0.05
	done
	SETUP_MS=$((($(date +%s%N) - t0) / 1000000))
	EXPECTED=$(grep -v -e '^crowd ' -e '^decoy ' "$W/manifest")
	[ -n "$LOOP" ] && EXPECTED+=$'\n'"loop 0"
	HOLDER_PIDS=" $(awk '$1 != "crowd" && $1 != "decoy" { printf "%s ", $2 }' "$W/manifest")"
}

# --- the tools --------------------------------------------------------------------
TOOLS=(pinned bpf procfs fuser lsof lsfd)
declare -A NAME=(
	[pinned]="umount-helper explain"
	[bpf]="  ... programs loaded by it"
	[procfs]="umount-helper explain --no-bpf"
	[fuser]="fuser -m"
	[lsof]="lsof -t"
	[lsfd]="lsfd -Q 'MNTID == N'"
)
# A budget no size here reaches (the default is 10 s): what is measured is
# a finished scan.  --json: the output that is counted.
UMH_ARGS=(explain --json --timeout 600)
command_of() { # KEY: sets CMD
	case $1 in
	pinned | bpf) CMD=("$UMH" "${UMH_ARGS[@]}" "$M") ;;
	procfs) CMD=("$UMH" "${UMH_ARGS[@]}" --no-bpf "$M") ;;
	fuser) CMD=(fuser -m "$M") ;;
	lsof) CMD=(lsof -t "$M") ;;
	lsfd) CMD=(lsfd -n -o PID -Q "MNTID == $MNT_ID") ;;
	esac
}
AVAILABLE=()
for t in "${TOOLS[@]}"; do
	command_of "$t"
	if command -v "${CMD[0]}" >/dev/null; then AVAILABLE+=("$t"); else echo "bench: ${CMD[0]} is not installed: left out" >&2; fi
done

# The watcher, as the package's service runs it, keeping explain's BPF scan
# and its count reader loaded (lib/bpf/common/pins.h); on a BPF filesystem of the benchmark's
# own, in its mount namespace, so that nothing else on the machine sees its
# pins or removes them.  Stopped before the helper table: it traces every
# unmount.
PINS_WHERE=
if [ "$ONLY_NS" = 0 ] && mount -t bpf -o mode=0700 bench-bpf /sys/fs/bpf 2>/dev/null; then
	"$UMH" watch --no-record --no-journal >"$W/watch.out" 2>&1 &
	WATCH_PID=$!
	for ((i = 0; i < 200; i++)); do
		grep -q 'explain: its BPF scan' "$W/watch.out" && break
		sleep 0.05
	done
	PINS_WHERE=$(sed -n 's/.*explain: its BPF scan kept loaded, in //p' "$W/watch.out")
fi
if [ "$ONLY_NS" = 0 ] && [ -z "$PINS_WHERE" ]; then
	echo "bench: the watcher did not keep explain's BPF scan loaded ($(grep 'explain:' "$W/watch.out" 2>/dev/null)):" \
		"the watcher's row is left out" >&2
	kept=()
	for t in "${AVAILABLE[@]}"; do [ "$t" = pinned ] || kept+=("$t"); done
	AVAILABLE=("${kept[@]}")
fi

# The holders a tool's output names, as "kind pid" lines ("pid N" for the
# tools that print pids: a holder counts as found when its pid is printed).
named() { # KEY OUTPUT-FILE
	case $1 in
	pinned | bpf | procfs)
		jq -r '.holders[] | "\(.kind) \(.pid // 0)"' "$2" 2>/dev/null |
			sed -e 's/^io_uring /uring /' -e 's/^scm-inflight /scm /'
		;;
	*) grep -o '[0-9]\+' "$2" | sort -un | sed 's/^/pid /' ;;
	esac
}
# is_named KIND PID NAMES: whether the holder is among NAMES.  The file in
# flight and the loop device belong to no process: matched by kind.
is_named() {
	case $1 in
	scm | loop) grep -q "^$1 " <<<"$3" ;;
	*) grep -qx -e "$1 $2" -e "pid $2" <<<"$3" ;;
	esac
}
# count KEY OUTPUT-FILE: sets FOUND (of the K expected), MISSED (their
# kinds) and WRONG (processes named that hold nothing on the target).
count() {
	local names kind pid
	names=$(named "$1" "$2")
	FOUND=0 WRONG=0 MISSED=
	while read -r kind pid; do
		[ -n "$kind" ] || continue
		if is_named "$kind" "$pid" "$names"; then FOUND=$((FOUND + 1)); else MISSED+="${MISSED:+,}$kind"; fi
	done <<<"$EXPECTED"
	while read -r kind pid; do
		[ -n "$pid" ] && [ "$pid" != 0 ] || continue
		[[ "$HOLDER_PIDS" == *" $pid "* ]] || WRONG=$((WRONG + 1))
	done < <(awk '{ print $1, $2 }' <<<"$names" | sort -u -k2,2)
	if [[ $1 == pinned || $1 == bpf || $1 == procfs ]] && [ "$(jq -r .complete "$2" 2>/dev/null)" != true ]; then
		echo "bench: ${NAME[$1]}: the scan did not finish: $(jq -r .incomplete "$2" 2>/dev/null)" >&2
	fi
}

# run KEY: one timed run; appends to the tool's lists.
declare -A WALLS CPUS RSS FOUNDS WRONGS MISS STATUS ROUNDS
run() {
	local key=$1 out=$OUT/$1 line wall rss st cpu
	command_of "$key"
	# The BPF scan with programs of its own: told not to use the watcher's.
	local debug=
	[ "$key" = bpf ] && debug=load
	line=$(UMOUNT_HELPER_DEBUG=$debug "$MEASURE" "$out" "${CMD[@]}") || return 1
	read -r wall rss st cpu <<<"$line"
	case $key:$st in
	pinned:32 | bpf:32 | procfs:32 | fuser:[01] | lsof:[01] | lsfd:0) ;;
	*) echo "bench: ${NAME[$key]} exited with status $st: $(head -c 300 "$out.err")" >&2 ;;
	esac
	count "$key" "$out"
	WALLS[$key]+="$wall " CPUS[$key]+="$cpu " RSS[$key]="$((rss > ${RSS[$key]:-0} ? rss : ${RSS[$key]:-0}))"
	FOUNDS[$key]+="$FOUND " WRONGS[$key]+="$WRONG " STATUS[$key]=$st MISS[$key]=$MISSED
	LAST_WALL=$wall
}
reset() { WALLS=() CPUS=() RSS=() FOUNDS=() WRONGS=() STATUS=() MISS=(); }
min_of() { tr ' ' '\n' <<<"$1" | grep . | sort -n | head -n 1; }
max_of() { tr ' ' '\n' <<<"$1" | grep . | sort -n | tail -n 1; }
median_of() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ms() { awk -v us="$1" 'BEGIN { printf (us < 100000 ? "%.1f" : "%.0f"), us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf (a / b < 10 ? "%.1fx" : "%.0fx"), a / b; else printf "-" }'; }
result() { [ -z "$RESULTS" ] || echo "$*" >>"$RESULTS"; }
[ -z "$RESULTS" ] || : >"$RESULTS"

# measure_all REPS SLOW-SECONDS: a warm-up run of each tool, then REPS
# rounds; a tool whose warm-up took longer than SLOW-SECONDS (0: no limit)
# runs once more only.
measure_all() {
	local reps=$1 slow=$2 r t
	reset
	for t in "${AVAILABLE[@]}"; do
		run "$t"
		ROUNDS[$t]=$reps
		[ "$slow" != 0 ] && [ "$LAST_WALL" -gt $((slow * 1000000)) ] && ROUNDS[$t]=1
	done
	reset
	for ((r = 1; r <= reps; r++)); do
		for t in "${AVAILABLE[@]}"; do
			[ "$r" -le "${ROUNDS[$t]}" ] && run "$t"
		done
	done
}

# --- 1. side by side ---------------------------------------------------------------
if [ "$ONLY_NS" = 0 ]; then
	kinds_text=$(tr ',' ' ' <<<"$ALL_KINDS" | sed 's/uring/io_uring/; s/scm/fd-in-flight/')
	start_farm "$PROCS" || exit 1
	echo "umount-helper benchmark: what holds $M (tmpfs, mount id $MNT_ID)?"
	echo "  $(fmt_int "$PROCS") processes x $(fmt_int "$FDS") descriptors on another tmpfs" \
		"($(fmt_int $((PROCS * FDS))) in all)$([ "$EACH" -gt 0 ] && echo ", each also $EACH on the target")"
	echo "  K=$K holders of the target: $kinds_text"
	echo "  a decoy: a process with a file open on a bind mount of the same tmpfs (holds nothing umount needs)"
	echo "  setup: $(fmt_int "$PROCS") processes started in $(ms $((SETUP_MS * 1000))) ms (not part of any timing)"
	echo "  $(plural "$REPS" "timed run") of each tool after one untimed warm-up run, tools taking turns;" \
		"$(nproc) CPUs, load average $(loadavg)"
	if [ -n "$PINS_WHERE" ]; then
		# Which programs a scan used, as it says itself.
		dbg=$(UMOUNT_HELPER_DEBUG=time "$UMH" "${UMH_ARGS[@]}" "$M" 2>&1 >/dev/null)
		used=$(sed -n 's/.*bpf scan: \(the watcher.s pinned programs\|load\).*/\1/p' <<<"$dbg")
		count_used=$(sed -n 's/.*mount count: load and first read (\(.*\)) .*/\1/p' <<<"$dbg")
		echo "  umount-helper watch runs, keeping explain's programs loaded in $PINS_WHERE" \
			"and $(sed -n 's/.*explain: its mount-count program kept loaded, in //p' "$W/watch.out");" \
			"explain uses $used, and for the count $count_used"
		result "pinned where=$PINS_WHERE used=$(tr ' ' _ <<<"$used")"
	fi
	echo
	measure_all "$REPS" 0
	base=$(median_of "${WALLS[pinned]:-}") pbase=$(median_of "${WALLS[procfs]:-}")
	printf '%-31s %9s %9s %9s %8s %9s %9s %6s %5s\n' "" "wall ms" "wall ms" "CPU ms" "max RSS" "ratio to" "ratio to" "" ""
	printf '%-31s %9s %9s %9s %8s %9s %9s %6s %5s\n' tool min median median MB "explain" "procfs" found wrong
	for t in "${AVAILABLE[@]}"; do
		med=$(median_of "${WALLS[$t]}") min=$(min_of "${WALLS[$t]}") cpu=$(median_of "${CPUS[$t]}")
		found=$(min_of "${FOUNDS[$t]}") wrong=$(max_of "${WRONGS[$t]}")
		printf '%-31s %9s %9s %9s %8s %9s %9s %6s %5s\n' "${NAME[$t]}" "$(ms "$min")" "$(ms "$med")" "$(ms "$cpu")" \
			"$(awk -v k="${RSS[$t]}" 'BEGIN { printf "%.1f", k / 1024 }')" "$(ratio "$med" "$base")" \
			"$(ratio "$med" "$pbase")" "$found/$K" "$wrong"
		result "main $t procs=$PROCS fds=$FDS min_us=$min median_us=$med cpu_us=$cpu maxrss_kb=${RSS[$t]} found=$found k=$K wrong=$wrong missed=${MISS[$t]:-none} status=${STATUS[$t]}"
	done
	if [ -n "$base" ] && [ -n "${WALLS[fuser]:-}" ]; then
		echo
		echo "fuser -m took $(ratio "$(median_of "${WALLS[fuser]}")" "$base") the time of umount-helper explain," \
			"$(ratio "$(median_of "${WALLS[fuser]}")" "$pbase") that of the procfs scan (medians)."
		result "versus fuser_over_explain=$(ratio "$(median_of "${WALLS[fuser]}")" "$base") fuser_over_procfs=$(ratio "$(median_of "${WALLS[fuser]}")" "$pbase")"
	fi
	echo
	echo "load average after: $(loadavg).  found: holders named, of K (the least of all runs);"
	echo "wrong: processes named that hold nothing on the target (the most of all runs)."
	echo "Who found what:"
	for t in "${AVAILABLE[@]}"; do
		got=$(tr ',' '\n' <<<"$ALL_KINDS" | grep -vxF -f <(tr ',' '\n' <<<"${MISS[$t]:-}" | grep .) | tr '\n' ' ')
		printf '  %-31s found: %s%s\n' "${NAME[$t]}" "${got:-none }" "${MISS[$t]:+; missed: ${MISS[$t]//,/ }}"
	done
	stop_farm
fi

# --- 2. the scale series -------------------------------------------------------------
if [ -n "$SCALE" ]; then
	echo
	echo "Scale: $(fmt_int "$FDS") descriptors a process, the same K=$K holders and decoy; median wall ms of" \
		"$(plural "$SCALE_REPS" run) after a warm-up (1 when the warm-up took over $SLOW s)"
	sizes=() setups=()
	declare -A SMED SFOUND
	for n in $SCALE; do
		start_farm "$n" || { echo "  $(fmt_int "$n") processes: left out"; continue; }
		sizes+=("$n") setups+=("$(fmt_int "$n") in $(ms $((SETUP_MS * 1000))) ms")
		measure_all "$SCALE_REPS" "$SLOW"
		for t in "${AVAILABLE[@]}"; do
			SMED[$t:$n]=$(median_of "${WALLS[$t]}") SFOUND[$t:$n]=$(min_of "${FOUNDS[$t]}")
			result "scale $t procs=$n fds=$FDS median_us=${SMED[$t:$n]} cpu_us=$(median_of "${CPUS[$t]}") runs=${ROUNDS[$t]} found=${SFOUND[$t:$n]} k=$K wrong=$(max_of "${WRONGS[$t]}") missed=${MISS[$t]:-none}"
		done
		stop_farm
	done
	line=$(printf '%-31s' "processes:")
	for n in "${sizes[@]}"; do line+=$(printf ' %10s' "$(fmt_int "$n")"); done
	for ((i = 1; i < ${#sizes[@]}; i++)); do
		line+=$(printf ' %19s' "$(fmt_int "${sizes[i - 1]}")-$(fmt_int "${sizes[i]}")")
	done
	echo "$line"
	line=$(printf '%-31s' "descriptors:")
	for n in "${sizes[@]}"; do line+=$(printf ' %10s' "$(fmt_int $((n * FDS)))"); done
	for ((i = 1; i < ${#sizes[@]}; i++)); do line+=$(printf ' %19s' "ms per 1,000 fds"); done
	echo "$line"
	for t in "${AVAILABLE[@]}"; do
		line=$(printf '%-31s' "${NAME[$t]}")
		for n in "${sizes[@]}"; do line+=$(printf ' %10s' "$(ms "${SMED[$t:$n]}")"); done
		for ((i = 1; i < ${#sizes[@]}; i++)); do
			a=${sizes[i - 1]} b=${sizes[i]}
			line+=$(printf ' %19s' "$(awk -v ta="${SMED[$t:$a]}" -v tb="${SMED[$t:$b]}" -v fa=$((a * FDS)) \
				-v fb=$((b * FDS)) 'BEGIN { printf "%.3f", (tb - ta) / 1000 / ((fb - fa) / 1000) }')")
		done
		echo "$line"
	done
	line="holders found (of $K) at each size:"
	for t in "${AVAILABLE[@]}"; do
		f=
		for n in "${sizes[@]}"; do f+="${SFOUND[$t:$n]}/"; done
		line+=" ${NAME[$t]%% -Q*} ${f%/};"
	done
	echo "${line%;}"
	echo "setup (not timed): ${setups[*]}; load average now $(loadavg)"
fi

# --- 3. helper mode, when the unmount succeeds ------------------------------------------
# What `umount DIR` costs with umount-helper as /sbin/umount.tmpfs (an
# overlay on /usr/sbin, in this mount namespace only) against util-linux
# unmounting by itself, with the crowd running: a helper that scanned
# anything would grow with it.  tests/t-helper-noscan.sh proves there is no
# scan (no process started, no /proc/PID read, no BPF), t-helper-lean.sh
# that the lean helper, what /sbin/umount.TYPE links to when installed,
# loads no library and starts nothing.  The floor: a static program that
# only calls umount(2) (bench/floor-helper.c), what any helper costs; and
# on x86-64 the same without the C library (bench/floor-bare.c), what
# util-linux's fork and the kernel's exec of any helper cost at the least.
# And what the package installs for NFS: the lean helper in front of a
# distribution's helper (there nfs-utils' umount.nfs, moved aside; here the
# static floor program as /sbin/umount.tmpfs.distrib), against that helper
# alone: what wrapping adds to an unmount that succeeds.
#
# Paired: HELPER_REPS rounds after an untimed one, every variant once in
# each round, in turn, /sbin/umount.tmpfs switched between them; "paired"
# is the median of the rounds' ratios to util-linux alone (a load that
# comes and goes hits both runs of a pair), beside the ratio of medians.
stop_watch
if [ "$HELPER" = 1 ]; then
	echo
	start_farm "$PROCS" || exit 1
	F=$W/free
	mkdir -p "$F" "$W/sbin-up" "$W/sbin-work"
	SBIN=/usr/sbin # what /sbin links to where /usr is merged
	[ -L /sbin ] || SBIN=/sbin
	mount -t overlay overlay -o "lowerdir=$SBIN,upperdir=$W/sbin-up,workdir=$W/sbin-work" "$SBIN" || exit 1
	HKEYS=(uli ul lean tool floor wrap direct)
	[ -x "$BARE" ] && HKEYS+=(bare)
	declare -A HLABEL=(
		[uli]="umount -i (util-linux, no helper)"
		[ul]="umount, no umount.tmpfs (util-linux alone)"
		[lean]="umount, /sbin/umount.tmpfs = umount-helper-lean"
		[tool]="umount, /sbin/umount.tmpfs = umount-helper"
		[floor]="umount, /sbin/umount.tmpfs = only umount(2)"
		[wrap]="... wrapped by umount-helper-lean (as umount.nfs)"
		[bare]="... the same, without the C library"
		[direct]="umount-helper-lean as umount.tmpfs, directly"
	)
	declare -A HWALLS=() HCPUS=()
	# helper_run KEY: one timed unmount of a fresh tmpfs; sets WALL.
	helper_run() {
		local key=$1 line rss st cpu cmd=(umount)
		rm -f "$SBIN/umount.tmpfs" "$SBIN/umount.tmpfs.distrib"
		case $key in
		uli) cmd=(umount -i) ;;
		lean | direct) ln -s "$LEAN" "$SBIN/umount.tmpfs" ;;
		wrap) ln -s "$LEAN" "$SBIN/umount.tmpfs" && ln -s "$FLOOR" "$SBIN/umount.tmpfs.distrib" ;;
		tool) ln -s "$UMH" "$SBIN/umount.tmpfs" ;;
		floor) ln -s "$FLOOR" "$SBIN/umount.tmpfs" ;;
		bare) ln -s "$BARE" "$SBIN/umount.tmpfs" ;;
		esac
		[ "$key" = direct ] && cmd=("$SBIN/umount.tmpfs")
		mount -t tmpfs bench-free "$F" || return 1
		line=$("$MEASURE" "$OUT/helper" "${cmd[@]}" "$F")
		read -r WALL rss st cpu <<<"$line"
		[ "$st" = 0 ] || echo "bench: ${HLABEL[$key]}: exit status $st: $(head -c 200 "$OUT/helper.err")" >&2
		findmnt -n --mountpoint "$F" >/dev/null && { echo "bench: ${HLABEL[$key]} left $F mounted" >&2; umount -l "$F"; }
		CPU=$cpu
	}
	declare -A RATIOS=()
	WRAP_RATIOS=
	for ((r = 0; r <= HELPER_REPS; r++)); do
		declare -A round=()
		for k in "${HKEYS[@]}"; do
			helper_run "$k" || exit 1
			round[$k]=$WALL
			[ "$r" -gt 0 ] && HWALLS[$k]+="$WALL " HCPUS[$k]+="$CPU "
		done
		[ "$r" -gt 0 ] || continue
		for k in "${HKEYS[@]}"; do
			RATIOS[$k]+="$(awk -v a="${round[$k]}" -v b="${round[ul]}" 'BEGIN { printf "%.3f", a / b }') "
		done
		WRAP_RATIOS+="$(awk -v a="${round[wrap]}" -v b="${round[floor]}" 'BEGIN { printf "%.3f", a / b }') "
	done
	rm -f "$SBIN/umount.tmpfs" "$SBIN/umount.tmpfs.distrib"
	umount -l "$SBIN"
	echo "Helper mode, unmounts that succeed ($(fmt_int "$PROCS") processes running; $HELPER_REPS rounds after an" \
		"untimed one, each variant once a round, in turn; load average $(loadavg)):"
	printf '  %-48s %9s %9s %9s %10s %9s\n' "" "wall ms" "wall ms" "CPU ms" "ratio to" "ratio to"
	printf '  %-48s %9s %9s %9s %10s %9s\n' "" min median median "alone" "alone,"
	printf '  %-48s %9s %9s %9s %10s %9s\n' "" "" "" "" "(medians)" "paired"
	ul_med=$(median_of "${HWALLS[ul]}")
	for k in "${HKEYS[@]}"; do
		med=$(median_of "${HWALLS[$k]}") min=$(min_of "${HWALLS[$k]}") cpu=$(median_of "${HCPUS[$k]}")
		paired=-
		[ "$k" = ul ] || paired=$(tr ' ' '\n' <<<"${RATIOS[$k]}" | grep . | sort -g |
			awk '{ v[NR] = $1 } END { printf "%.2fx", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
		printf '  %-48s %9s %9s %9s %10s %9s\n' "${HLABEL[$k]}" "$(ms "$min")" "$(ms "$med")" "$(ms "$cpu")" \
			"$(awk -v a="$med" -v b="$ul_med" 'BEGIN { printf "%.2fx", a / b }')" "$paired"
		result "helper $k min_us=$min median_us=$med cpu_us=$cpu ratio_paired=${paired%x} label=$(tr ' ' _ <<<"${HLABEL[$k]}")"
	done
	wrap_paired=$(tr ' ' '\n' <<<"$WRAP_RATIOS" | grep . | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "  Wrapping a distribution's helper, as the package wraps nfs-utils' umount.nfs, costs ${wrap_paired}x" \
		"that helper alone (paired): the lean helper's exec and one fork more."
	result "helper-wrap ratio_paired=$wrap_paired"
	stop_farm
fi

# --- 4. mount namespaces -----------------------------------------------------------------
# start_nsfarm NAME MOUNTS NAMESPACES: a scenario (bench/nsfarm) in $W/NAME;
# sets NS_T (the target), NS_HOLDERS (" PID PID "), NS_WANT (the namespaces
# with a mount of the target: ours and every other) and SETUP_MS.
start_nsfarm() {
	local t0=$(date +%s%N) dir=$W/$1 pid
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	"$NSFARM" "$dir/manifest" "$dir/top" "$2" "$3" &
	pid=$!
	NSFARM_PIDS+=" $pid"
	while [ ! -e "$dir/manifest" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			echo "bench: the namespace farm ($2 mounts, $3 namespaces) did not start" >&2
			return 1
		fi
		sleep 0.05
	done
	SETUP_MS=$((($(date +%s%N) - t0) / 1000000))
	NS_T=$(sed -n 's/^target //p' "$dir/manifest")
	NS_HOLDERS=" $(awk '$1 == "holder" || $1 == "copy-holder" { printf "%s ", $2 }' "$dir/manifest")"
	NS_WANT=$(($3 + 1))
}
NS_TOOLS=(nsbpf nsprocfs nsfs grep findmnt fuser)
declare -A NS_NAME=(
	[base]="umount-helper explain, no namespace"
	[nsbpf]="umount-helper explain"
	[nsprocfs]="umount-helper explain --no-bpf"
	[nsfs]="umount-helper explain --fs"
	[grep]="grep -l ' T ' /proc/*/mountinfo"
	[findmnt]="lsns + findmnt -N per namespace"
	[fuser]="fuser -m"
)
ns_command() { # KEY: sets CMD
	case $1 in
	base) CMD=("$UMH" "${UMH_ARGS[@]}" "$NS_BASE_T") ;;
	nsbpf) CMD=("$UMH" "${UMH_ARGS[@]}" "$NS_T") ;;
	nsprocfs) CMD=("$UMH" "${UMH_ARGS[@]}" --no-bpf "$NS_T") ;;
	nsfs) CMD=("$UMH" "${UMH_ARGS[@]}" --fs "$NS_T") ;;
	grep) CMD=(bash -c 'grep -l -F " $1 " /proc/[0-9]*/mountinfo 2>/dev/null; exit 0' _ "$NS_T") ;;
	findmnt) CMD=(bash -c 'lsns -t mnt -n -o PID | while read -r p; do
		findmnt -N "$p" -n -o TARGET --mountpoint "$1" >/dev/null && echo "ns $p"; done; exit 0' _ "$NS_T") ;;
	fuser) CMD=(fuser -m "$NS_T") ;;
	esac
}
# ns_count KEY OUTPUT-FILE: sets NS_FOUND (namespaces with a mount of the
# target the tool named, or -) and NS_HELD (holders it named, of 2, or -).
ns_count() {
	local key=$1 out=$2 p
	NS_FOUND=- NS_HELD=-
	case $key in
	nsbpf | nsprocfs | base)
		NS_FOUND=$((1 + $(jq '[.other_mounts[] | select(.role == "propagated-copy")] | length' "$out" 2>/dev/null || echo -1)))
		;;
	nsfs)
		NS_FOUND=$(jq '[.other_mounts[] | select(.role == "mount") | .mount_namespace] | unique | length' "$out" 2>/dev/null)
		;;
	grep)
		NS_FOUND=$(sed -n 's#^/proc/\([0-9]*\)/mountinfo$#\1#p' "$out" | while read -r p; do
			readlink "/proc/$p/ns/mnt"; done | sort -u | grep -c .)
		;;
	findmnt) NS_FOUND=$(grep -c '^ns ' "$out") ;;
	esac
	case $key in
	nsbpf | nsprocfs | nsfs | fuser)
		local pids
		if [ "$key" = fuser ]; then pids=$(grep -o '[0-9]\+' "$out"); else pids=$(jq -r '.holders[].pid // empty' "$out" 2>/dev/null); fi
		NS_HELD=0
		for p in $(sort -u <<<"$pids"); do [[ $NS_HOLDERS == *" $p "* ]] && NS_HELD=$((NS_HELD + 1)); done
		;;
	esac
}
# ns_measure KEY: one run; appends to NS_WALLS[KEY] etc.
declare -A NS_WALLS NS_CPUS NS_FOUNDS NS_HELDS NS_ST
ns_measure() {
	local key=$1 line wall rss st cpu
	ns_command "$key"
	line=$("$MEASURE" "$OUT/$key" "${CMD[@]}") || return 1
	read -r wall rss st cpu <<<"$line"
	ns_count "$key" "$OUT/$key"
	NS_WALLS[$key]+="$wall " NS_CPUS[$key]+="$cpu " NS_FOUNDS[$key]+="$NS_FOUND " NS_HELDS[$key]+="$NS_HELD "
	NS_ST[$key]=$st
}
ns_reset() { NS_WALLS=() NS_CPUS=() NS_FOUNDS=() NS_HELDS=() NS_ST=(); }
if [ "$NS" = 1 ]; then
	echo
	# Both scenarios at once, taking turns, so that a change of load hits
	# both alike: the namespaces first, then the baseline's mounts, which
	# those namespaces (made before them) do not have a copy of.
	start_nsfarm ns "$NS_MOUNTS" "$NS_COUNT" || exit 1
	ns_setup=$SETUP_MS
	start_nsfarm base "$NS_MOUNTS" 0 || exit 1
	NS_BASE_T=$NS_T
	NS_T=$(sed -n 's/^target //p' "$W/ns/manifest")
	NS_HOLDERS=" $(awk '$1 == "holder" || $1 == "copy-holder" { printf "%s ", $2 }' "$W/ns/manifest")"
	NS_WANT=$((NS_COUNT + 1))
	echo "Mount namespaces: $(fmt_int "$NS_MOUNTS") mounts, and $(fmt_int "$NS_COUNT") more mount namespaces that each hold a copy"
	echo "  of them ($(fmt_int $((NS_MOUNTS * (NS_COUNT + 1)))) mounts in all; set up in $(ms $((ns_setup * 1000))) ms, not timed)."
	echo "  The target is held by a process here, and its copy by one in another namespace.  Beside it, the"
	echo "  baseline: as many mounts again, made after the namespaces, so that none has a copy of them."
	echo "  $(plural "$REPS" "timed run") of each after a warm-up, all taking turns; load average $(loadavg)"
	echo
	ns_reset
	for t in base "${NS_TOOLS[@]}"; do ns_measure "$t"; done # warm-up
	ns_reset
	for ((r = 1; r <= REPS; r++)); do
		for t in base "${NS_TOOLS[@]}"; do ns_measure "$t"; done
	done
	printf '%-38s %9s %9s %9s %11s %8s\n' "" "wall ms" "wall ms" "CPU ms" "namespaces" "holders"
	printf '%-38s %9s %9s %9s %11s %8s\n' tool min median median "found" "found"
	for t in base "${NS_TOOLS[@]}"; do
		med=$(median_of "${NS_WALLS[$t]}") min=$(min_of "${NS_WALLS[$t]}") cpu=$(median_of "${NS_CPUS[$t]}")
		f=$(tr ' ' '\n' <<<"${NS_FOUNDS[$t]}" | grep . | sort -n | head -n 1)
		h=$(tr ' ' '\n' <<<"${NS_HELDS[$t]}" | grep . | sort -n | head -n 1)
		want=$NS_WANT
		[ "$t" = base ] && want=1
		printf '%-38s %9s %9s %9s %11s %8s\n' "${NS_NAME[$t]}" "$(ms "$min")" "$(ms "$med")" "$(ms "$cpu")" \
			"$([ "$f" = - ] && echo - || echo "$f/$want")" "$([ "$h" = - ] && echo - || echo "$h/2")"
		[ "$t" = base ] && result "ns base mounts=$NS_MOUNTS namespaces=0 min_us=$min median_us=$med cpu_us=$cpu found_ns=$f want_ns=1 status=${NS_ST[$t]}"
		[ "$t" = base ] || result "ns $t mounts=$NS_MOUNTS namespaces=$NS_COUNT min_us=$min median_us=$med cpu_us=$cpu found_ns=$f want_ns=$NS_WANT found_holders=$h want_holders=2 status=${NS_ST[$t]}"
	done
	ns_base=$(median_of "${NS_WALLS[base]}") ns_base_cpu=$(median_of "${NS_CPUS[base]}")
	ns_now=$(median_of "${NS_WALLS[nsbpf]}") ns_now_cpu=$(median_of "${NS_CPUS[nsbpf]}")
	echo
	echo "umount-helper explain of the held mount, with $(fmt_int "$NS_COUNT") more namespaces against none: wall" \
		"$(ratio "$ns_now" "$ns_base") ($(ms "$ns_now") ms, $(ms "$ns_base") ms), CPU $(ratio "$ns_now_cpu" "$ns_base_cpu")" \
		"($(ms "$ns_now_cpu") ms, $(ms "$ns_base_cpu") ms)."
	echo "namespaces found: of those with a mount of the target (a copy, or ours); holders: the process here and"
	echo "the one in the copy's namespace (the least of all runs).  load average after: $(loadavg)"
	result "ns ratio base_us=$ns_base now_us=$ns_now base_cpu_us=$ns_base_cpu now_cpu_us=$ns_now_cpu"
	stop_nsfarm
fi

# --- 5. references held inside the kernel ----------------------------------------------
# What explain costs when the count shows a reference no process holds: it
# loads the kernel-reference programs, reads tracefs's uprobes, scans the
# loaded modules' data, then walks the mount's dentries to name the file.
if [ "$DENTRIES" -gt 0 ]; then
	echo
	D=$W/dentries
	mkdir -p "$D" && mount -t tmpfs bench-dentries "$D" || exit 1
	t0=$(date +%s%N)
	per=$(((DENTRIES + 99) / 100))
	for ((d = 0; d < 100; d++)); do
		mkdir "$D/d$d" && (cd "$D/d$d" && seq 1 "$per" | xargs touch)
	done
	made=$(find "$D" | wc -l)
	fill_ms=$((($(date +%s%N) - t0) / 1000000))
	kcycle() { # LABEL: REPS runs of explain --json, after one untimed
		local label=$1 i line wall rss st cpu walls= walk= mods=
		for ((i = 0; i <= REPS; i++)); do
			line=$(UMOUNT_HELPER_DEBUG=time "$MEASURE" "$OUT/kref" "$UMH" "${UMH_ARGS[@]}" "$D")
			read -r wall rss st cpu <<<"$line"
			[ "$st" = 32 ] || echo "bench: $label: exit status $st: $(head -c 200 "$OUT/kref.err")" >&2
			[ "$i" = 0 ] && continue
			walls+="$wall "
			walk+="$(sed -n 's/.*kernel refs: dentry walk \([0-9.]*\) ms.*/\1/p' "$OUT/kref.err") "
			mods+="$(sed -n 's/.*kernel refs: module scan \([0-9.]*\) ms.*/\1/p' "$OUT/kref.err") "
		done
		KWALL=$(median_of "$walls") KWALK=$(tr ' ' '\n' <<<"$walk" | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
		KMODS=$(tr ' ' '\n' <<<"$mods" | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
		KLAST=$OUT/kref
	}
	echo "References held inside the kernel: a tmpfs of $(fmt_int "$made") dentries (filled in $(ms $((fill_ms * 1000))) ms," \
		"not timed); $(plural "$REPS" run) each after one untimed, median:"
	printf '  %-52s %9s %12s %12s\n' "" "wall ms" "module scan" "dentry walk"
	"$KHOLDER" "$W/kready" bind "$D/d0/app.sock" &
	KPID=$!
	while [ ! -e "$W/kready" ]; do sleep 0.05; done
	kcycle "held by a process (a bound socket): no search"
	printf '  %-52s %9s %12s %12s\n' "held by a process: no kernel search" "$(ms "$KWALL")" "-" "-"
	result "kernel-refs process dentries=$made median_us=$KWALL"
	stop_kholder
	rm -f "$W/kready"
	"$KHOLDER" "$W/kready" fanotify "$D/d0/1" &
	KPID=$!
	while [ ! -e "$W/kready" ]; do sleep 0.05; done
	kcycle "held inside the kernel (an unread fanotify event)"
	named=$(jq -r '[.holders[] | select(.kind == "kernel-ref") | .path] | join(" ")' "$KLAST" 2>/dev/null)
	[ "$named" = "$D/d0/1" ] || echo "bench: the dentry walk named '$named', not $D/d0/1" >&2
	printf '  %-52s %9s %12s %12s\n' "held inside the kernel: modules, then the dentry walk" "$(ms "$KWALL")" \
		"${KMODS:+$KMODS ms}${KMODS:-no modules}" "${KWALK:-?} ms"
	result "kernel-refs walk dentries=$made median_us=$KWALL walk_ms=${KWALK:-none} modules_ms=${KMODS:-none} named=$named"
	stop_kholder
	[ -r /proc/modules ] || echo "  (this kernel has no loadable modules: the module scan is measured under QEMU," \
		"tests/vm/scenarios/10-seed-v3-kernel-open.sh)"
fi
