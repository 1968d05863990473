#!/bin/bash
# The lean helper (umount-helper/lean/main.c, issue 17): what /sbin/umount.TYPE
# links to.  An unmount that succeeds costs one process that loads no
# library, reads no mount table and starts nothing; a distribution helper
# to wrap it runs itself; whatever else a bare umount(2) would not do the
# way util-linux does it goes to the tool, in the same process, with the
# same arguments; a busy mount's EBUSY, and the wrapped helper's failure,
# are handed over, not tried again.  strace says which process did what; t-helper-native.sh
# and the other helper tests check the words and statuses through it.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
make_conf
command -v strace >/dev/null || { not_ok "strace is installed (tools/packages/bench.txt)"; finish; }
HELPER=$(link_as umount.tmpfs)

# no_library DESC COUNT: COUNT libraries opened is 0 -- in the real build;
# the sanitizers' build links the C library dynamically (lean.mk).
no_library() {
	if [ -n "${UMH_UNDER_ASAN:-}" ]; then
		ok "$1 # SKIP the sanitizers' build of the lean helper is dynamic"
	else
		check_eq "$1" 0 "$2"
	fi
}
no_library "the lean helper loads no shared library" "$(ldd "$LEAN" 2>&1 | grep -c '=>')"

# trace LOG COMMAND...: COMMAND under strace (strace_tree, dropin-lib.sh).
trace() { strace_tree "$1" execve,openat,umount2,clone,clone3,fork,vfork "${@:2}"; }
execs() { grep -c ' execve(' "$1"; }
umounts() { grep -c ' umount2(' "$1"; }

# --- an unmount that succeeds: one execve, one umount(2), nothing read ------
F=$(new_tmpfs free)
trace "$SCRATCH/free.log" "$HELPER" "$F"; rc=$?
check_eq "free: unmounted, exit 0, silent" "0|" "$rc|$(cat "$SCRATCH/free.log.err")"
check "free: gone" is_unmounted "$F"
check_eq "free: no program run but the lean helper itself" 1 "$(execs "$SCRATCH/free.log")"
no_library "free: no library opened" "$(grep -c '\.so' "$SCRATCH/free.log")"
check_eq "free: no mount table read" 0 "$(grep -c 'mountinfo\|/proc/mounts' "$SCRATCH/free.log")"
check_eq "free: one umount(2)" 1 "$(umounts "$SCRATCH/free.log")"
check_eq "free: no process started" 0 "$(grep -c ' clone\| fork\| vfork' "$SCRATCH/free.log")"

# The same through util-linux's own umount, as installed.
overlay_sbin
ln -s "$LEAN" "$SBIN/umount.tmpfs"
F=$(new_tmpfs free2)
trace "$SCRATCH/ul.log" umount "$F"; rc=$?
check_eq "util-linux umount, free: exit 0, gone" "0|yes" "$rc|$(is_unmounted "$F" && echo yes)"
check_eq "util-linux umount, free: umount(8) and the lean helper, nothing else" 2 "$(execs "$SCRATCH/ul.log")"
lean_pid=$(awk '/execve\("\/sbin\/umount.tmpfs"/ { print $1 }' "$SCRATCH/ul.log")
no_library "util-linux umount, free: the helper opened no library" \
	"$(awk -v p="$lean_pid" '$1 == p && /\.so/' "$SCRATCH/ul.log" | wc -l)"
rm "$SBIN/umount.tmpfs"

# --- busy: umount(2) once, the verdict handed to the tool ---------------------
M=$(new_tmpfs held)
start_holder "$SCRATCH/ready" "$FIX/holder" "$SCRATCH/ready" cwd "$M"
trace "$SCRATCH/busy.log" "$HELPER" "$M"; rc=$?
busy_err=$(cat "$SCRATCH/busy.log.err")
check_eq "busy: util-linux's words, its status (32)" "32|umount: $M: target is busy." "$rc|$(head -n 1 <<<"$busy_err")"
check_contains "busy: explained" "$busy_err" "pid $HOLDER_PID holder"
check_eq "busy: umount(2) called once, not again by the tool" 1 "$(umounts "$SCRATCH/busy.log")"
check_eq "busy: the tool, exec'd by the helper in the same process" \
	"$(awk 'NR == 1 { print $1 }' "$SCRATCH/busy.log") $(readlink -f "$UMH")" \
	"$(awk '/ execve\(/ { n++ } n == 2 && / execve\(/ { print $1, $2 }' "$SCRATCH/busy.log" | sed 's/execve("\(.*\)",$/\1/')"
check "busy: still mounted" is_mounted "$M"

# The verdict is the helper's own: one set by the caller is not taken.
F=$(new_tmpfs free3)
run_capture spoof env UMOUNT_HELPER_UMOUNT_BUSY=$$ "$HELPER" "$F" -v
check_eq "a caller's UMOUNT_HELPER_UMOUNT_BUSY is ignored (-v: through the tool)" \
	"0|umount: $F unmounted" "$spoof_rc|$spoof_err"

# --- what goes to the tool, before any umount(2) ----------------------------
# tool_first LABEL ARGS...: the helper execs the tool before it calls
# umount(2) itself.
tool_first() {
	local label=$1; shift
	trace "$SCRATCH/t.log" "$@"
	check_eq "$label: the tool does it (exec before any umount(2))" "execve" \
		"$(grep -m 2 -o ' execve(\| umount2(' "$SCRATCH/t.log" | tail -n 1 | tr -d ' (')"
}
F=$(new_tmpfs f-v); tool_first "-v" "$HELPER" "$F" -v
F=$(new_tmpfs f-l); tool_first "-l" "$HELPER" "$F" -l
F=$(new_tmpfs f-N); tool_first "-N" "$HELPER" "$F" -N "/proc/$$/ns/mnt"
F=$(new_tmpfs f-rel); (cd "$SCRATCH" && tool_first "a relative path" "$HELPER" f-rel)
check "a relative path: unmounted" is_unmounted "$F"
# A table libmount would update: an entry in utab, which it removes.
F=$(new_tmpfs f-utab)
printf 'ID=1 SRC=src-f-utab TARGET=%s ROOT=/ OPTS=x-test\n' "$F" >"$SCRATCH/utab"
LIBMOUNT_UTAB=$SCRATCH/utab tool_first "a utab entry" "$HELPER" "$F"
check_eq "a utab entry: unmounted, and libmount removed the entry" "yes|" \
	"$(is_unmounted "$F" && echo yes)|$(grep -c "TARGET=$F " "$SCRATCH/utab" | grep -v '^0$')"
# A user: what the tool says as umount.tmpfs itself.
F=$(new_tmpfs f-user)
mkdir -p "$SCRATCH/tool"
ln -s "$UMH" "$SCRATCH/tool/umount.tmpfs"
chmod 755 "$SCRATCH/bin" "$SCRATCH/tool"
run_capture user_tool as_nobody "$SCRATCH/tool/umount.tmpfs" "$F"
trace "$SCRATCH/t.log" "${NOBODY[@]}" "$HELPER" "$F"; rc=$?
check_eq "a user: the tool's words and status" "$user_tool_rc|$user_tool_err" "$rc|$(cat "$SCRATCH/t.log.err")"
check_eq "a user: the tool does it" 0 "$(awk '/ execve\(/ { n++ } n == 1 && / umount2\(/' "$SCRATCH/t.log" | wc -l)"

# --- a distribution helper to wrap (nfs-utils' umount.nfs, moved aside) ----
# The lean helper runs it itself, as the tool would: an unmount that
# succeeds costs that helper and this program, not the tool's start; a
# failure that may be EBUSY goes to the tool, handed over, which explains it
# without running the helper again.
make_fake_original
W=$(new_tmpfs wrapped-free)
trace "$SCRATCH/wf.log" "$HELPER" "$W"; rc=$?
check_eq "wrapped, free: the original unmounted it; exit 0; its output alone" "0|original ran with: $W||yes" \
	"$rc|$(cat "$SCRATCH/wf.log.out")|$(cat "$SCRATCH/wf.log.err")|$(is_unmounted "$W" && echo yes)"
check_eq "wrapped, free: the original ran once" 1 "$(grep -c 'execve(".*/umount.tmpfs.distrib"' "$SCRATCH/wf.log")"
check_eq "wrapped, free: the tool never started" 0 "$(grep -c 'execve(".*/umount-helper"' "$SCRATCH/wf.log")"
W=$(new_tmpfs wrapped-held)
start_holder "$SCRATCH/ready-w" "$FIX/holder" "$SCRATCH/ready-w" cwd "$W"
trace "$SCRATCH/wb.log" "$HELPER" "$W"; rc=$?
check_eq "wrapped, busy: the original's status" 16 "$rc"
check_eq "wrapped, busy: the original ran once (the tool did not run it again)" 1 \
	"$(grep -c 'execve(".*/umount.tmpfs.distrib"' "$SCRATCH/wb.log")"
check_eq "wrapped, busy: its output, once" "original ran with: $W" "$(cat "$SCRATCH/wb.log.out")"
check_eq "wrapped, busy: its message first" "umount.fake: $W: device is busy" "$(head -n 1 "$SCRATCH/wb.log.err")"
check "wrapped, busy: then the tool's explanation names the holder" grep -q "pid $HOLDER_PID holder" "$SCRATCH/wb.log.err"
lean_pid=$(awk '/execve\(".*bin\/umount.tmpfs"/ { print $1; exit }' "$SCRATCH/wb.log")
check_eq "wrapped, busy: the tool was exec'd by the lean helper's own process" 1 \
	"$(awk -v p="$lean_pid" '$1 == p && /execve\(".*\/umount-helper"/' "$SCRATCH/wb.log" | wc -l)"
check "wrapped, busy: still mounted" is_mounted "$W"
# The tool itself as the helper, with a verdict in its environment that is
# not its own process's: ignored, the original runs.
mkdir -p "$SCRATCH/tool-w"
ln -s "$UMH" "$SCRATCH/tool-w/umount.tmpfs" && cp "$FAKE" "$SCRATCH/tool-w/umount.tmpfs.distrib"
run_capture stale env UMOUNT_HELPER_WRAPPED="1 16 1 $W" "$SCRATCH/tool-w/umount.tmpfs" "$W"
check_eq "the tool, another process's verdict in the environment: ignored, the original runs" \
	"16|original ran with: $W" "$stale_rc|$stale_out"
rm "$FAKE"

# --- installed set-user-ID by mistake: the tool never runs privileged ------
# (It would otherwise run as root without the kernel's secure mode, and read
# LD_PRELOAD.)  As nobody, a set-user-ID root copy becomes nobody before it
# execs the tool.
mkdir -p "$SCRATCH/suid"
cp "$LEAN" "$SCRATCH/suid/umount.tmpfs" && cp "$UMH" "$SCRATCH/suid/umount-helper"
chown root:root "$SCRATCH/suid/umount.tmpfs" && chmod 4755 "$SCRATCH/suid/umount.tmpfs"
chmod 755 "$SCRATCH/suid"
F=$(new_tmpfs f-suid)
strace_tree "$SCRATCH/suid.trace" setresuid,execve "${NOBODY[@]}" "$SCRATCH/suid/umount.tmpfs" "$F"
# What the lean helper's process did, after its own execve, in order.
lean_calls=$(awk '/execve\(".*suid\/umount.tmpfs"/ { p = $1 } p && $1 == p { print $2 }' "$SCRATCH/suid.trace" |
	sed 's/(.*//' | tr '\n' ' ')
check_eq "set-user-ID by mistake: it becomes nobody, then execs the tool" "execve setresuid execve " "$lean_calls"
check "... nobody: setresuid(65534, 65534, 65534)" grep -qE 'setresuid\(65534, 65534, 65534\) += 0' "$SCRATCH/suid.trace"
check "set-user-ID by mistake: the tool was run" grep -q 'execve(".*suid/umount-helper"' "$SCRATCH/suid.trace"
check "set-user-ID by mistake: nobody unmounted nothing" is_mounted "$F"

# --- no tool beside it or installed: a busy mount still gets umount's words -
mkdir -p "$SCRATCH/alone"
cp "$LEAN" "$SCRATCH/alone/umount.tmpfs"
run_capture alone "$SCRATCH/alone/umount.tmpfs" "$M"
check_eq "no tool, busy: util-linux's words and status all the same" "32|umount: $M: target is busy." \
	"$alone_rc|$(grep -v 'cannot run' <<<"$alone_err" | head -n 1)"
F=$(new_tmpfs f-alone)
run_capture alone "$SCRATCH/alone/umount.tmpfs" "$F"
check_eq "no tool, free: unmounted, silent" "0||yes" "$alone_rc|$alone_err|$(is_unmounted "$F" && echo yes)"
finish
