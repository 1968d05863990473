# Resource bounds and awkward names: one process with 100,000 descriptors
# on the mount is summarised, not printed 100,000 times; 20,000 processes do not break the
# time budget; a path too long for /proc, a file really named
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
finish
