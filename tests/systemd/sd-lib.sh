# What the real-systemd tests share (sourced after ../lib.sh and
# container.sh, or after tests/vm/guest/lib.sh in the QEMU guest): a
# watchdog, JSON checks that fail on no JSON, unit files in the container,
# its mount table and its clock, and sd-cause-watch started and waited for.

# sd_watchdog SECONDS NAME: a hung container fails the test, it does not
# hang it.  The watchdog takes its sleep along when it is ended, so nothing
# of it outlives the test (a sleep left behind would keep a pipe open).
sd_watchdog() {
	local secs=$1 name=$2
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$secs" &
		s=$!
		wait "$s"
		echo "not ok - $name took more than $secs s: killed"
		kill -TERM $$
	) &
	SD_WATCHDOG=$!
	trap 'exit 1' TERM INT
	at_exit "kill $SD_WATCHDOG 2>/dev/null; wait $SD_WATCHDOG 2>/dev/null"
}

# check_json_of DESC JSON EXPR: check_json, but an empty JSON fails (jq 1.6's
# -e exits 0 when it is given no input at all).
check_json_of() {
	if [[ $2 != *[![:space:]]* ]]; then
		not_ok "$1"
		diag "no JSON to check (expected: $3)"
	else
		check_json "$@"
	fi
}

# unit_file NAME CONTENT: writes /run/systemd/system/NAME inside (through
# /proc/PID/root: no program to start in there).
unit_file() {
	local f=$SD_ROOT/run/systemd/system/$1
	mkdir -p "${f%/*}" && printf '%s' "$2" >"$f"
}

now_us() { date +%s%6N; }
mounted() { sd_exec findmnt -n --mountpoint "$1" >/dev/null 2>&1; }
# wait_gone PATH [TENTHS]: until nothing is mounted there.
wait_gone() { wait_for "! mounted $1" "${2:-50}"; }

# watch_start OUT UNIT...: sd-cause-watch for these units until WATCH_COUNT
# (1) jobs were read and removed (and, with WATCH_GC=1, the unit collected:
# not for a unit something else references); OUT gets its JSON lines.
# SDW is the program (build/tests/systemd/sd-cause-watch); WATCH_READY
# (tenths of a second, 50) how long it may take to subscribe.
watch_start() {
	local out=$1 u args=()
	shift
	for u; do args+=(--unit "$u"); done
	rm -f "$out.ready"
	"$SDW" --bus "${WATCH_BUS:-pid:$SD_PID}" --count "${WATCH_COUNT:-1}" ${WATCH_GC:+--wait-gc} --timeout "${WATCH_TIMEOUT:-10}" \
		--ready "$out.ready" "${args[@]}" >"$out" 2>"$out.err" &
	WATCH_PID=$! WATCH_OUT=$out
	STARTED_PIDS+=("$WATCH_PID")
	wait_for "test -e $out.ready" "${WATCH_READY:-50}" || { diag "sd-cause-watch did not get ready: $(cat "$out.err")"; return 1; }
}
watch_wait() {
	local rc=0
	wait "$WATCH_PID" || rc=$?
	[ "$rc" = 0 ] || diag "sd-cause-watch exited with $rc: $(cat "$WATCH_OUT.err") $(cat "$WATCH_OUT")"
	return "$rc"
}

# cause_of OUT: the cause read for the last job seen.
cause_of() { jq -c 'select(.event == "cause")' "$1" | tail -n 1; }
# in_time OUT: that cause was read while the stop job was still there.
in_time() { jq -e '.facts.job_type == "stop"' <<<"$(cause_of "$1")" >/dev/null; }
