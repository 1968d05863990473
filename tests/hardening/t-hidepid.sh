# /proc mounted with hidepid=invisible: an ordinary user cannot even see
# other users' processes.  explain shows what is theirs and says, with the
# system's task count, that the rest was hidden from it.
. "$(dirname "$0")/../lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/mnt
mount_tmpfs "$M"
hold_as_two_users "$M"

# A procfs instance of our own, in this mount namespace only.
if ! mount -t proc -o hidepid=invisible proc /proc; then
	not_ok "procfs's hidepid=invisible is missing: mount -t proc -o hidepid=invisible failed (Linux 5.8 or later has it)"
	finish
fi
at_exit "umount -l /proc"
check "hidepid: root's holder is invisible to nobody" test -z "$(as_nobody ls /proc | grep -x "$P_ROOT")"
json=$(as_nobody "$UMH" explain --json "$M"); rc=$?
text=$(as_nobody "$UMH" explain "$M")
check_eq "hidepid: held by nobody's own process" 32 "$rc"
check_json "hidepid: its own holder is named" "$json" "[.holders[] | select(.pid == $P_NOBODY)] | length == 1"
check_json "hidepid: root's holder is not" "$json" "[.holders[] | select(.pid == $P_ROOT)] | length == 0"
check_json "hidepid: the hidden processes are reported as not inspected" "$json" \
	'[.skipped[] | select(.what == "other users'"'"' processes" and (.why | test("hidepid=invisible")))] | length == 1'
check_contains "hidepid: the text says so, with the task count" "$text" "tasks run on the system in all"
json=$("$UMH" explain --json "$M")
check_json "hidepid: root still sees both" "$json" "[.holders[] | select(.pid == $P_ROOT or .pid == $P_NOBODY)] | length == 2"
finish
