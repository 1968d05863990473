#!/bin/bash
# Helper mode, wrapping a distribution helper (issue item 2): the original
# runs with our arguments, its output and exit status untouched; only when
# it failed and the same mount is still there does the explanation follow,
# on stderr, after its message.  Real nfs-common's umount.nfs is wrapped
# through libmount's own lookup path; a stand-in that behaves like it (its
# "device is busy", exit 16) shows the busy case, which needs NFS for real.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
make_conf

# --- a stand-in for nfs-utils' helper, on a tmpfs ---------------------------
make_fake_original
HELPER=$(link_as umount.tmpfs)

M=$(new_tmpfs held)
mkdir "$M/dir"
start_holder "$SCRATCH/ready1" "$FIX/holder" "$SCRATCH/ready1" cwd "$M/dir"
id_before=$(mount_id_of "$M")

run_capture base "$FAKE" "$M" -n
run_capture wrap "$HELPER" "$M" -n
check_eq "busy: the original's exit status is passed through" "$base_rc" "$wrap_rc"
check_eq "busy: the original's stdout is untouched" "$base_out" "$wrap_out"
check_eq "busy: the original's message comes first on stderr" "$base_err" "$(head -n 1 <<<"$wrap_err")"
check_contains "busy: then the explanation names the holder" "$wrap_err" "pid $HOLDER_PID holder"
check_contains "busy: ... and what it holds" "$wrap_err" "cwd              $M/dir"
check_eq "busy: the mount is still the same mount" "$id_before" "$(mount_id_of "$M")"

# The explanation can be turned off, three ways.
printf 'explain = no\ntimeout = 60\n' >"$SCRATCH/off.conf"
run_capture off env UMOUNT_HELPER_CONF="$SCRATCH/off.conf" "$HELPER" "$M"
check_eq "explain = no: stderr is the original's alone" "$base_err" "$off_err"
check_eq "explain = no: same status" "$base_rc" "$off_rc"
run_capture off env UMOUNT_HELPER_EXPLAIN=0 "$HELPER" "$M"
check_eq "UMOUNT_HELPER_EXPLAIN=0: stderr is the original's alone" "$base_err" "$off_err"
run_capture off env UMOUNT_HELPER_FRONTEND=$BASHPID "$HELPER" "$M"
check_eq "a front end that explains itself (our parent): the helper does not" "$base_err" "$off_err"
run_capture on env UMOUNT_HELPER_FRONTEND=1 "$HELPER" "$M"
check_contains "UMOUNT_HELPER_FRONTEND naming another process is not obeyed" "$on_err" "pid $HOLDER_PID holder"

# helper.TYPE in the configuration names the original.
mv "$FAKE" "$SCRATCH/original-elsewhere"
make_conf "helper.tmpfs = $SCRATCH/original-elsewhere"
run_capture conf "$HELPER" "$M"
check_eq "helper.tmpfs = PATH: that helper is run" "original ran with: $M" "$conf_out"
check_contains "helper.tmpfs = PATH: and the failure explained" "$conf_err" "pid $HOLDER_PID holder"
mv "$SCRATCH/original-elsewhere" "$FAKE"
make_conf

# A free mount: the original unmounts it, nothing is added.
F=$(new_tmpfs free)
run_capture free "$HELPER" "$F" -v
check_eq "free: exit 0" 0 "$free_rc"
check_eq "free: only the original's output" "original ran with: $F -v" "$free_out"
check_eq "free: nothing on stderr" "" "$free_err"
check "free: unmounted" is_unmounted "$F"

# A failure with nothing found holding the mount: the explanation says the
# mount is still there, without calling it busy -- the original's status
# does not say why it failed -- and, the kernel's count read, that nothing
# else holds it now.  (A kernel module that holds a file is found: tests/vm,
# 10-seed.)
cat >"$FAKE" <<'SH'
#!/bin/sh
echo "umount.fake: $1: device is busy" >&2
exit 16
SH
U=$(new_tmpfs unheld)
run_capture still "$HELPER" "$U"
check_eq "nothing found: status 16 passed through" 16 "$still_rc"
check_eq "nothing found: stdout untouched" "" "$still_out"
check_eq "nothing found: the original's message first" "umount.fake: $U: device is busy" "$(sed -n 1p <<<"$still_err")"
check_eq "nothing found: then that the mount is still there" "$U is still mounted, and no holder was found." \
	"$(sed -n 2p <<<"$still_err")"
check_contains "nothing found: and that the kernel's count agrees, so it failed for another reason" \
	"$(tr '\n' ' ' <<<"$still_err")" \
	"The kernel's count of the mount's references agrees that nothing else holds it now (1: 1 for being mounted): the unmount failed for another reason"
check "nothing found: the mount is left alone" is_mounted "$U"

# A failure that is not a busy mount: a usage error (1) is not explained.
cat >"$FAKE" <<'SH'
#!/bin/sh
echo "usage: umount.fake dir [-fvnrlh]" >&2
exit 1
SH
run_capture usage "$HELPER" "$M" -x
check_eq "usage error (1): no explanation" "usage: umount.fake dir [-fvnrlh]" "$usage_err"
check_eq "usage error (1): status 1" 1 "$usage_rc"

# The original replaced the mount before failing: a different mount id at
# the same place, itself held.  Nothing is said about the new one.
cat >"$FAKE" <<SH
#!/bin/sh
umount -l "\$1"
mount -t tmpfs replacement "\$1"
cd "\$1" && exec 0<&- && (sleep 600 & echo \$! >"$SCRATCH/replacement.pid")
echo "umount.fake: \$1: device is busy" >&2
exit 16
SH
run_capture replaced "$HELPER" "$M"
STARTED_PIDS+=("$(cat "$SCRATCH/replacement.pid")")
check_eq "mount replaced: the original's message alone" "umount.fake: $M: device is busy" "$replaced_err"
check_eq "mount replaced: status 16" 16 "$replaced_rc"
check "mount replaced: it really is another mount" test "$(mount_id_of "$M")" != "$id_before"

# Death by a signal is repeated, so the caller sees the same wait status.
printf '#!/bin/sh\nkill -TERM $$\n' >"$FAKE"
run_capture base_sig "$FAKE" "$M"
run_capture sig "$HELPER" "$M"
check_eq "killed by SIGTERM: the same status as the original's (143)" "$base_sig_rc" "$sig_rc"

# An original that cannot run: 126, said why.
make_conf "helper.tmpfs = $SCRATCH/no-such-helper"
run_capture noexec "$HELPER" "$M"
check_eq "original missing: status 126" 126 "$noexec_rc"
check_contains "original missing: says so" "$noexec_err" "cannot run $SCRATCH/no-such-helper"
make_conf "helper.tmpfs = $UMH"
run_capture self "$HELPER" "$M"
check_eq "original is ourselves: status 126, no recursion" 126 "$self_rc"
check_contains "original is ourselves: says so" "$self_err" "is this program itself"
# The lean helper is ours too: it would exec the tool, which would run it.
make_conf "helper.tmpfs = $LEAN"
run_capture lean "$HELPER" "$M"
check_eq "original is the lean helper: status 126, no recursion" "126|1" \
	"$lean_rc|$(grep -c 'is this program itself' <<<"$lean_err")"
make_conf

# --- real nfs-common, found as util-linux finds helpers ----------------------
if [ ! -x /sbin/umount.nfs ]; then
	not_ok "nfs-common's /sbin/umount.nfs is not installed (tools/packages/dropin.txt lists it)"
	finish
fi
N=$(new_tmpfs nfs-target)
cases=("$N" "$N -h" "$N -t nfs.sub" "$N -N /proc/$$/ns/mnt" "$SCRATCH/not-there" "$N -f -l -n -v")
declare -A base_out_of base_err_of base_rc_of
for args in "${cases[@]}"; do
	run_capture b /sbin/umount.nfs $args
	base_out_of[$args]=$b_out base_err_of[$args]=$b_err base_rc_of[$args]=$b_rc
done
overlay_sbin
mv "$SBIN/umount.nfs" "$SBIN/umount.nfs.distrib"
ln -s "$LEAN" "$SBIN/umount.nfs"
check "nfs: /sbin/umount.nfs is now ours" test "$(readlink -f /sbin/umount.nfs)" = "$(readlink -f "$LEAN")"
for args in "${cases[@]}"; do
	run_capture w /sbin/umount.nfs $args
	check_eq "nfs '${args/$SCRATCH/S}': same stdout" "${base_out_of[$args]}" "$w_out"
	check_eq "nfs '${args/$SCRATCH/S}': same stderr" "${base_err_of[$args]}" "$w_err"
	check_eq "nfs '${args/$SCRATCH/S}': same status (${base_rc_of[$args]})" "${base_rc_of[$args]}" "$w_rc"
done
check "nfs: the non-NFS mount was left alone" is_mounted "$N"
finish
