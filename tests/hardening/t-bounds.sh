# Resource bounds and awkward names: one process with 100,000 descriptors
# on the mount is summarised, not printed 100,000 times; 20,000 processes
# and a walk of 3,000,000 memory maps do not break the time budget; a path too long for /proc, a file really named
# "... (deleted)", tabs.
. "$(dirname "$0")/../lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/mnt
mount_tmpfs "$M"
echo data >"$M/file"

# --- 100,000 descriptors ------------------------------------------------------------
# One file table holds at most RLIMIT_NOFILE descriptors (20,000 here, and
# no CAP_SYS_RESOURCE to raise it): the fixture spreads the rest over
# threads with their own tables.
HOLDER_WAIT=600 hold many many "$M/file" 100000; P_MANY=$HOLDER_PID
# What is tested here is the summary, not the speed: a budget that a
# loaded machine cannot exhaust, and the time as a diagnostic.
t0=$(date +%s%N)
text=$("$UMH" explain --timeout 120 "$M"); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "100,000 fds on the mount: explained in ${ms} ms"
check_eq "100,000 fds: held" 32 "$rc"
check "100,000 fds: the text stays short ($(wc -l <<<"$text") lines)" test "$(wc -l <<<"$text")" -lt 60
check_contains "100,000 fds: the rest is counted" "$text" "... and 99980 more references"
check "100,000 fds: in one process" test "$(ls /proc/$P_MANY/task | wc -l)" -ge 2
json=$("$UMH" explain --timeout 120 --json "$M")
check_json "100,000 fds: JSON lists them all, for programs" "$json" "[.holders[] | select(.pid == $P_MANY)] | length == 100000"
kill "$P_MANY"

# --- awkward names ------------------------------------------------------------------------
: >"$M/really (deleted)"
printf 'x' >"$M/tab	name"
hold named open "$M/really (deleted)"; P_NAMED=$HOLDER_PID
hold tab open "$M/tab	name"
cp "$M/file" "$M/gone (deleted)"
hold gone unlinked "$M/gone (deleted)"; P_GONE=$HOLDER_PID
json=$("$UMH" explain --json "$M"); text=$("$UMH" explain "$M")
check_json "a file named '... (deleted)' is not taken for deleted" "$json" \
	"[.holders[] | select(.pid == $P_NAMED and .path == \"$M/really (deleted)\" and (.deleted | not))] | length == 1"
check_json "a deleted file named '... (deleted)' keeps its name" "$json" \
	"[.holders[] | select(.pid == $P_GONE and .path == \"$M/gone (deleted)\" and .deleted)] | length == 1"
check_contains "a tab in a name prints as \\t" "$text" 'tab\tname'

# A working directory deeper than /proc can print: d_path gives up at a
# page (4 kB), so readlink fails; the holder is still real, and named.
start_holder "$READY/deep" bash -c 'cd "$1" || exit 1
	d=$(printf "d%.0s" $(seq 250))
	for i in $(seq 20); do mkdir "$d" && cd "$d" || exit 1; done
	touch "$0"; exec sleep 1000' "$READY/deep" "$M"
P_DEEP=$HOLDER_PID
json=$("$UMH" explain --json "$M"); text=$("$UMH" explain "$M")
check_json "a cwd deeper than /proc can print is still reported" "$json" \
	"[.holders[] | select(.pid == $P_DEEP and .kind == \"cwd\" and .path == null)] | length == 1"
check_contains "and the text says why it has no path" "$text" "(a path too long for /proc to show)"

# --- 20,000 processes ---------------------------------------------------------------------
HOLDER_WAIT=1200 hold spawn spawn 20000; P_SPAWN=$HOLDER_PID
check "20,000 processes are running" test "$(ls /proc | grep -c '^[0-9]')" -gt 20000
t0=$(date +%s%N)
json=$("$UMH" explain --timeout 1 --json "$M"); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "20,000 processes: a 1 s budget holds (${ms} ms)" test "$ms" -lt 1500
check_json "20,000 processes: what it says is true: held, or incomplete" "$json" \
	'(.busy == true) or (.complete == false)'
diag "20,000 processes, 1 s budget: $(jq -c '{complete, scan}' <<<"$json")"
t0=$(date +%s%N)
json=$("$UMH" explain --json "$M"); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "20,000 processes, default budget: ${ms} ms, $(jq -c '{complete, scan}' <<<"$json")"
kill "$P_SPAWN"
# Its children die with it, but not at once: until they are gone, each
# pgrep below reads 20,000 processes, and on a loaded machine (CI) the
# polling missed the walk thread's whole life.
wait_for "test \"\$(ls /proc | grep -c '^[0-9]')\" -lt 5000" 600 ||
	diag "the 20,000 processes were still exiting: $(ls /proc | grep -c '^[0-9]') processes"

# --- 3,000,000 memory maps ------------------------------------------------------------
if need_feature bpf-scan "the BPF scan's walk of 3,000,000 memory maps"; then
	# 51 processes with 60,000 mappings each.  An iterator's read() gives up
	# with EAGAIN after a million objects that wrote nothing, and the walk goes
	# on at the next read: the BPF scan must not take that for a failure.
	hold mmap mmap "$M/file"; P_MMAP=$HOLDER_PID
	hold fd2 open "$M/file"; P_FD=$HOLDER_PID
	HOLDER_WAIT=600 hold mappings mappings 60000 50; P_MAPS=$HOLDER_PID
	check "3,000,000 memory maps are there" test "$(wc -l <"/proc/$P_MAPS/maps")" -gt 60000
	json=$("$UMH" explain --json "$M")
	diag "3,000,000 maps, default budget: $(jq -c '{complete, scan}' <<<"$json")"
	check_json "3,000,000 maps: the BPF scan walks them all" "$json" '.scan.method == "bpf" and .complete == true'
	check_json "3,000,000 maps: and finds the one on the mount" "$json" \
		"[.holders[] | select(.pid == $P_MMAP and .kind == \"mmap\")] | length == 1"

	# The walks run in threads named umh-walk, which hold no capability: one
	# may outlive the scan (below), and the process that prints keeps none.
	"$UMH" explain --json "$M" >/dev/null &
	P_EXPLAIN=$!
	caps= i=0
	while [ -z "$caps" ] && [ $((i++)) -lt 300 ]; do
		for t in $(pgrep -P "$P_EXPLAIN" | sed 's|.*|/proc/&/task/*|'); do
			[ "$(cat "$t/comm" 2>/dev/null)" = umh-walk ] || continue
			caps=$(awk '/^CapEff:/ { print $2 }' "$t/status" 2>/dev/null)
			[ -n "$caps" ] && break
		done
		sleep 0.01
	done
	wait "$P_EXPLAIN"
	[ -n "$caps" ] || diag "no thread named umh-walk was seen while explain ran (polled $i times)"
	check_eq "a BPF walk runs in a thread that holds no capability" 0000000000000000 "$caps"

	# Nothing stops a walk in the kernel, but the scan stops waiting for it:
	# a walk of the maps longer than the budget (a second here; behind
	# processes that fork without pause on a loaded machine, seconds for each)
	# leaves the scan on time, with what the other walks found and the maps
	# named as not read.
	t0=$(date +%s%N)
	json=$("$UMH" explain --json --timeout 0.5 "$M"); rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	diag "3,000,000 maps, 0.5 s budget: ${ms} ms, $(jq -c '{complete, incomplete, skipped, scan}' <<<"$json")"
	check "a walk of the maps longer than the budget: the budget holds (${ms} ms)" test "$ms" -lt 1000
	check_eq "a walk of the maps longer than the budget: still held" 32 "$rc"
	check_json "a walk of the maps longer than the budget: the descriptor is found" "$json" \
		"[.holders[] | select(.pid == $P_FD and .kind == \"fd\")] | length == 1"
	check_json "a walk of the maps longer than the budget: the maps are named as not read" "$json" \
		'.complete == false and ([.skipped[] | select(.what == "memory mappings (BPF scan)")] | length == 1)'
	check_json "a walk of the maps longer than the budget: no reference is blamed on the kernel" "$json" \
		'.unexplained_refs == null'
	text=$("$UMH" explain --timeout 0.5 "$M")
	check_contains "a walk of the maps longer than the budget: the text says so" "$text" "memory mappings (BPF scan)"
	kill "$P_MAPS" "$P_MMAP" "$P_FD"
fi
finish
