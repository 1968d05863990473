# What the real-systemd tests share (sourced after ../lib.sh and
# container.sh): a watchdog, JSON checks that fail on no JSON, unit files in
# the container, its mount table and its clock.

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

# unit_file NAME CONTENT: writes /run/systemd/system/NAME inside.
unit_file() {
	sd_exec sh -c 'mkdir -p "$(dirname "$1")" && printf "%s" "$2" >"$1"' sh "/run/systemd/system/$1" "$2"
}

now_us() { date +%s%6N; }
mounted() { sd_exec findmnt -n --mountpoint "$1" >/dev/null 2>&1; }
# wait_gone PATH [TENTHS]: until nothing is mounted there.
wait_gone() { wait_for "! mounted $1" "${2:-50}"; }
