# /proc mounted with hidepid=invisible: an ordinary user cannot even see
# other users' processes.  explain shows what is theirs and says, with the
# system's task count, that the rest was hidden from it.
. "$(dirname "$0")/../lib.sh"
enter_private_ns "$@"
new_scratch
chmod 755 "$SCRATCH"
M=$SCRATCH/mnt
mount_tmpfs "$M"
chmod 1777 "$M" "$READY"
mkdir -m 777 "$M/mine" "$M/theirs"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all -- "$@"; }
start_holder "$READY/nobody" as_nobody "$FIX/holder" "$READY/nobody" cwd "$M/mine"
P_NOBODY=$(pgrep -u 65534 -f "holder $READY/nobody")
hold root cwd "$M/theirs"; P_ROOT=$HOLDER_PID

# A procfs instance of our own, in this mount namespace only.
mount -t proc -o hidepid=invisible proc /proc
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
