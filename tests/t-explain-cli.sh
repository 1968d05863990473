# The command line: usage errors, targets that are not mounted, several
# targets, hostile names, and an analysis that crashes or hangs.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
S=$SCRATCH

run() { OUT=$("$@" 2>"$S/err"); RC=$?; ERR=$(cat "$S/err"); }

run "$UMH" explain
check_eq "no target: exit 1" 1 "$RC"
check_contains "no target: says so" "$ERR" "no target specified"
run "$UMH" explain --bogus /
check_eq "unknown option: exit 1" 1 "$RC"
run "$UMH" explain --timeout soon /
check_eq "bad --timeout: exit 1" 1 "$RC"
check_contains "bad --timeout: says so" "$ERR" "invalid timeout: 'soon'"
run "$UMH" frobnicate
check_eq "unknown command: exit 1" 1 "$RC"
run "$UMH" explain --help
check_eq "--help: exit 0" 0 "$RC"
check_contains "--help: usage on stdout" "$OUT" "Usage:"
run "$UMH" --version
check_contains "--version" "$OUT" "umount-helper "
run "$UMH" explain "$S/does-not-exist"
check_eq "nonexistent path: exit 2" 2 "$RC"
check_contains "nonexistent path: says so" "$ERR" "does-not-exist: no such file or directory"
mkdir "$S/plain"
run "$UMH" explain "$S/plain"
check_eq "not a mount point: exit 2" 2 "$RC"
check_contains "not a mount point: says so" "$ERR" "plain: not mounted"
run "$UMH" explain --json "$S/plain"
check_json "not mounted, JSON: an object with the error" "$OUT" '.mount_id == null and (.error | test("not mounted"))'

# --- several targets ------------------------------------------------------------------
mount_tmpfs "$S/a"
mount_tmpfs "$S/b"
hold a cwd "$S/a"; PA=$HOLDER_PID
run "$UMH" explain --json "$S/a" "$S/b"
check_eq "two targets, one held: exit 32" 32 "$RC"
check_json "two targets: a JSON array of two reports" "$OUT" \
	"length == 2 and .[0].busy == true and .[1].busy == false and .[1].target == \"$S/b\""
run "$UMH" explain "$S/b"
check_eq "a free target alone: exit 0" 0 "$RC"

# --- hostile names ----------------------------------------------------------------------
H=$S/hostile
mount_tmpfs "$H"
esc=$'\e[31mred'
nl=$'line1\nline2'
bad=$'bad\xff\xfe'
: >"$H/$nl"
: >"$H/$bad"
cp /bin/sleep "$H/$esc"
hold nl open "$H/$nl"
hold bad open "$H/$bad"
"$H/$esc" 1000 & PE=$!; STARTED_PIDS+=("$PE")
wait_for "grep -q red /proc/$PE/comm"
run "$UMH" explain "$H"
check_eq "hostile: held" 32 "$RC"
check_eq "hostile: no escape character reaches the terminal" 0 "$(grep -c $'\e' <<<"$OUT")"
check_contains "hostile: ESC printed as \\x1b" "$OUT" '\x1b[31mred'
check_contains "hostile: newline in a file name printed as \\n" "$OUT" 'line1\nline2'
check_contains "hostile: invalid UTF-8 printed in hex" "$OUT" 'bad\xff\xfe'
run "$UMH" explain --json "$H"
check "hostile: JSON is valid" is_json "$OUT"
check_json "hostile: the newline name decodes exactly" "$OUT" "[.holders[] | select(.path == \"$H/line1\\nline2\")] | length == 1"
check_json "hostile: the escape in comm decodes exactly" "$OUT" "[.holders[] | select(.comm == \"\\u001b[31mred\")] | length == 1"
check_contains "hostile: invalid UTF-8 as a lone surrogate" "$OUT" 'bad\udcff\udcfe'
kill "$PE"

# --- an analysis that crashes or hangs -----------------------------------------------------
run env UMOUNT_HELPER_FAULT=crash "$UMH" explain "$S/a"
check_eq "crash: what arrived still counts: exit 32" 32 "$RC"
check_contains "crash: the holder found before the crash is shown" "$OUT" "pid $PA"
check_contains "crash: the report says the analysis died" "$OUT" "killed by signal 11"
t0=$(date +%s%N)
run env UMOUNT_HELPER_FAULT=hang "$UMH" explain --timeout 1 --json "$S/a"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "hang: the budget of 1 s is kept (${ms} ms)" test "$ms" -lt 1500
check_json "hang: incomplete, with the holder found before" "$OUT" \
	".complete == false and (.incomplete | test(\"time budget of 1.0 s\")) and (.holders | length == 1)"
check_eq "hang: no analysis process is left behind" "" "$(pgrep -f "explain --timeout 1 --json $S/a")"
mount_tmpfs "$S/c"
run env UMOUNT_HELPER_FAULT=hang-start "$UMH" explain --timeout 1 "$S/c"
check_eq "hang with nothing found yet: exit 2, not 'free'" 2 "$RC"
check_contains "hang with nothing found yet: says the scan did not finish" "$OUT" "no holder found so far, but the scan did not finish"

# --timeout is for the whole run, not for each target: ten targets whose
# analyses all hang take the budget once.
T=()
for i in 0 1 2 3 4 5 6 7 8 9; do
	mount_tmpfs "$S/t$i"
	T+=("$S/t$i")
done
t0=$(date +%s%N)
run env UMOUNT_HELPER_FAULT=hang-start "$UMH" explain --timeout 0.5 --json "${T[@]}"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "ten hanging targets, --timeout 0.5: the whole run keeps the budget (${ms} ms)" test "$ms" -lt 1500
check_eq "... exit 2: none could be examined to its end" 2 "$RC"
check_json "... a report for every target, none complete" "$OUT" 'length == 10 and all(.[]; .complete == false)'
check_json "... each says why" "$OUT" 'all(.[]; (.incomplete // .error) | test("time budget"))'
finish
