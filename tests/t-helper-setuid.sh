#!/bin/bash
# Under a set-user-ID umount (issue item 4): a user unmounts a "users" mount
# of /etc/fstab; util-linux runs our helper as that user, and our helper,
# installed set-user-ID root like nfs-utils' mount.nfs, unmounts as root.
# The explanation must then show only what the user may see: their own
# processes, while another user's holders are counted, never described
# (no command line, path or descriptor).  The same for the front end
# installed set-user-ID, with --explain --json.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch

USER_UID=65534 OTHER_UID=65533
as_user() { setpriv --reuid=$USER_UID --regid=$USER_UID --clear-groups "$@"; }
as_other() { setpriv --reuid=$OTHER_UID --regid=$OTHER_UID --clear-groups "$@"; }

# Set-user-ID copies of our binary (a scratch tmpfs without nosuid), each
# under the one name it is installed set-user-ID for: the helper's and the
# front end's.  Never the tool's (t-setuid-tool.sh: what a user reaches
# through any other name).
SUID=$SCRATCH/suid
mkdir -p "$SUID"
install -m 4755 -o root -g root "$UMH" "$SUID/umount.tmpfs"
install -m 4755 -o root -g root "$UMH" "$SUID/umount"
overlay_sbin
ln -s "$SUID/umount.tmpfs" "$SBIN/umount.tmpfs"
check_eq "set-user-ID: only the helper's and the front end's names" "umount umount.tmpfs" \
	"$(find "$SUID" -perm -4000 -printf '%f\n' | sort | xargs)"

# A "users" mount in this namespace's fstab.
M=$SCRATCH/usermnt
mkdir -p "$M"
printf 'usersmount %s tmpfs users,noauto,mode=0777 0 0\n' "$M" >"$SCRATCH/fstab"
mount --bind "$SCRATCH/fstab" /etc/fstab
mount "$M"
check "the users mount is mounted" is_mounted "$M"

READY=$SCRATCH/ready
mkdir -m 1777 "$READY"
mkdir -m 0777 "$M/secret-dir-of-other"
start_holder "$READY/other" as_other "$FIX/holder" "$READY/other" cwd "$M/secret-dir-of-other"
OTHER_PID=$(pgrep -u $OTHER_UID -f "secret-dir-of-other" | head -n 1)
touch "$M/own-file" && chmod 666 "$M/own-file"
start_holder "$READY/own" as_user "$FIX/holder" "$READY/own" open "$M/own-file"
OWN_PID=$(pgrep -u $USER_UID -f "$READY/own" | head -n 1)
check "the other user's holder runs" test -n "$OTHER_PID"

# Root sees both: the test would notice a leak.
run_capture root "$UMH" explain "$M"
check_contains "root sees the other user's holder" "$root_out" "secret-dir-of-other"

# The user, through the stock set-user-ID util-linux umount and our helper.
run_capture u as_user env UMOUNT_HELPER_DEBUG=caps /usr/bin/umount "$M"
check_eq "user: util-linux's verdict, exit 32" 32 "$u_rc"
check_eq "user: util-linux's words first" "umount: $M: target is busy." "$(grep -v '^umount-helper: debug' <<<"$u_err" | head -n 1)"
check_contains "user: their own holder is described" "$u_err" "pid $OWN_PID holder, user nobody"
check_contains "user: ... with its path" "$u_err" "$M/own-file"
check_not_contains "user: no path of the other user's" "$u_err" "secret-dir-of-other"
check_not_contains "user: no command line of the other user's" "$u_err" "$READY/other"
count=$(sed -n 's/^Not inspected (no permission): \([0-9]*\) process.*/\1/p' <<<"$u_err")
check "user: the processes it may not inspect are counted ($count)" test "${count:-0}" -ge 1
check_contains "user: the analysis ran without any capability" "$u_err" "phase scan: CapEff:	0000000000000000"
check_not_contains "user: ... in every phase" "$u_err" "phase setup: CapEff:	000001"
check "user: still mounted" is_mounted "$M"

# The front end, set-user-ID: --explain as the user, in JSON.
run_capture j as_user "$SUID/umount" --explain --json "$M"
check_eq "front end --explain as the user: held (32)" 32 "$j_rc"
check_json "front end: the user's own holder is listed" "$j_out" "[.holders[].pid] | index($OWN_PID) != null"
check_json "front end: the other user's process is not" "$j_out" "[.holders[].pid] | index($OTHER_PID) == null"
check_json "front end: ... but counted among the skipped" "$j_out" "[.skipped[].pid] | index($OTHER_PID) != null"
check_not_contains "front end: no path of the other user's" "$j_out" "secret-dir-of-other"

# The front end unmounting as the user: util-linux's verdict, the same view.
run_capture f as_user "$SUID/umount" "$M"
check_eq "front end umount as the user: exit 32" 32 "$f_rc"
check_eq "front end umount as the user: util-linux's words" "umount: $M: target is busy." "$(head -n 1 <<<"$f_err")"
check_contains "front end umount as the user: own holder described" "$f_err" "pid $OWN_PID holder"
check_not_contains "front end umount as the user: the other's path is not" "$f_err" "secret-dir-of-other"
check_eq "front end umount as the user: explained once" 1 "$(grep -c 'is held by' <<<"$f_err")"

# The testing aid that makes the analysis crash is not honoured set-user-ID
# (secure_getenv): the user gets the whole explanation, through util-linux's
# umount and our helper, and through the front end.
run_capture fault as_user env UMOUNT_HELPER_FAULT=crash /usr/bin/umount "$M"
check_eq "UMOUNT_HELPER_FAULT=crash, set-user-ID helper: exit 32" 32 "$fault_rc"
check_contains "... the analysis ran to its end: the user's own holder" "$fault_err" "pid $OWN_PID holder"
check_not_contains "... it was not made to crash" "$fault_err" "killed by signal"
run_capture fault as_user env UMOUNT_HELPER_FAULT=crash "$SUID/umount" "$M"
check_contains "UMOUNT_HELPER_FAULT=crash, set-user-ID front end: the whole explanation" "$fault_err" "pid $OWN_PID holder"
check_not_contains "... it was not made to crash" "$fault_err" "killed by signal"

# Once free, the user unmounts it, silently.
kill "$OTHER_PID" "$OWN_PID"
wait_for "! pgrep -f '$READY/' >/dev/null"
run_capture free as_user /usr/bin/umount "$M"
check_eq "free: the user unmounts it, silently" "0||" "$free_rc|$free_out|$free_err"
check "free: unmounted" is_unmounted "$M"
finish
