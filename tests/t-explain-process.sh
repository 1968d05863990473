# Process holders, each kind reproduced with a real process or thread, and
# checked in the text and the JSON output.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/mnt
mount_tmpfs "$M"
mkdir "$M/dir"
echo data >"$M/file"
cp "$M/file" "$M/gone"
cp /bin/sleep "$M/sleepx"
mount_tmpfs "$SCRATCH/other"
echo x >"$SCRATCH/other/file"

hold fd open "$M/file";           P_FD=$HOLDER_PID
hold rw open-rw "$M/file";        P_RW=$HOLDER_PID
hold opath opath "$M/file";       P_OPATH=$HOLDER_PID
hold unlinked unlinked "$M/gone"; P_UNL=$HOLDER_PID
hold cwd cwd "$M/dir";            P_CWD=$HOLDER_PID
hold root root "$M";              P_ROOT=$HOLDER_PID
hold mmap mmap "$M/file";         P_MMAP=$HOLDER_PID
hold tcwd thread-cwd "$M/dir";    P_TCWD=$HOLDER_PID
hold tfd thread-fd "$M/file";     P_TFD=$HOLDER_PID
P_URING=
if need_feature io_uring "the io_uring holder"; then
	hold uring uring "$M/file"; P_URING=$HOLDER_PID
fi
hold elsewhere open "$SCRATCH/other/file"; P_OTHER=$HOLDER_PID
"$M/sleepx" 1000 & P_EXE=$!; STARTED_PIDS+=("$P_EXE")
wait_for "grep -q sleepx /proc/$P_EXE/cmdline"

json=$("$UMH" explain --json "$M"); rc=$?
text=$("$UMH" explain "$M")
check_eq "explain exits 32 when the mount is held" 32 "$rc"
check_json "JSON says busy" "$json" '.busy == true and .complete == true'
check_json "JSON names the target" "$json" ".target == \"$M\" and .fstype == \"tmpfs\""

# kind pid jq-condition text-fragment
expect() {
	local kind=$1 pid=$2 cond=$3 frag=$4
	check_json "$kind: pid $pid in JSON" "$json" \
		"[.holders[] | select(.kind == \"$kind\" and .pid == $pid and ($cond))] | length == 1"
	check_contains "$kind: pid $pid in text" "$text" "$frag"
}
expect fd "$P_FD" ".fd == 4 and .access == \"r\" and .path == \"$M/file\" and .matched_by == \"mount-id\"" "fd 4 (r)"
expect fd "$P_RW" '.access == "rw"' "fd 4 (rw)"
expect fd "$P_OPATH" '.access == "path"' "fd 4 (path)"
expect fd "$P_UNL" ".deleted == true and .path == \"$M/gone\"" "$M/gone (deleted)"
expect cwd "$P_CWD" ".path == \"$M/dir\"" "cwd              $M/dir"
expect root "$P_ROOT" ".path == \"$M\"" "root             $M"
expect mmap "$P_MMAP" ".path == \"$M/file\" and .access == \"r\"" "mmap (r)         $M/file"
expect exe "$P_EXE" ".path == \"$M/sleepx\"" "exe              $M/sleepx"
[ -z "$P_URING" ] || expect io_uring "$P_URING" ".fd == 4 and .path == \"$M/file\" and .matched_by == \"path\"" "io_uring fd 4"

# Threads: the thread is named, and the leader is not (its cwd and table
# are its own).
tcwd_tid=$(jq "[.holders[] | select(.kind == \"thread-cwd\" and .pid == $P_TCWD)][0].tid" <<<"$json")
check "thread-cwd: the thread, not the leader" test "$tcwd_tid" != null -a "$tcwd_tid" != "$P_TCWD"
check_contains "thread-cwd in text" "$text" "thread $tcwd_tid cwd"
check_json "thread-cwd: the leader's own cwd is not reported" "$json" \
	"[.holders[] | select(.pid == $P_TCWD and .kind == \"cwd\")] | length == 0"
tfd_tid=$(jq "[.holders[] | select(.kind == \"thread-fd\" and .pid == $P_TFD)][0].tid" <<<"$json")
check "thread-fd: the thread, not the leader" test "$tfd_tid" != null -a "$tfd_tid" != "$P_TFD"
check_contains "thread-fd in text" "$text" "thread $tfd_tid fd"
check_json "thread-fd: not also reported as a leader fd" "$json" \
	"[.holders[] | select(.pid == $P_TFD and .kind == \"fd\")] | length == 0"

# Remedies.
check_contains "remedy for a process" "$text" "kill $P_FD"
check_contains "remedy for a cwd" "$text" "make it leave $M, or end it: kill $P_CWD"
check_contains "remedy for an executable" "$text" "it runs a program from $M"
check_contains "umount -l is offered" "$text" "umount -l $M would detach it now"
# JSON carries the same remedies, each holder its process's.
check_json "remedy in JSON for a descriptor" "$json" \
	"[.holders[] | select(.pid == $P_FD)] | all(.remedy == \"make it close what it holds, or end it: kill $P_FD\")"
check_json "remedy in JSON for a cwd" "$json" \
	"[.holders[] | select(.pid == $P_CWD)][0].remedy == \"make it leave $M, or end it: kill $P_CWD\""
check_json "remedy in JSON for an executable" "$json" \
	"[.holders[] | select(.pid == $P_EXE)][0].remedy == \"it runs a program from $M: end it: kill $P_EXE\""
check_json "remedy in JSON for an io_uring" "$json" \
	"[.holders[] | select(.pid == $P_URING)][0].remedy | startswith(\"its io_uring holds registered files\")"
check_json "every blocking holder has a remedy in JSON" "$json" '[.holders[] | select(.remedy == null)] | length == 0'

# Nothing else: not the holder of another filesystem, not ourselves.
check_json "a holder of another filesystem is not listed" "$json" \
	"[.holders[], .not_blocking[] | select(.pid == $P_OTHER)] | length == 0"
check_json "every holder is one we started" "$json" \
	"[.holders[].pid] - [$P_FD,$P_RW,$P_OPATH,$P_UNL,$P_CWD,$P_ROOT,$P_MMAP,$P_TCWD,$P_TFD,${P_URING:+$P_URING,}$P_EXE] | length == 0"

# The same answer when the scan runs on one thread.
json1=$("$UMH" explain --json --workers 1 "$M")
check_eq "one worker finds the same holders" \
	"$(jq -c '[.holders[] | [.kind,.pid,.tid,.fd,.path]] | sort' <<<"$json")" \
	"$(jq -c '[.holders[] | [.kind,.pid,.tid,.fd,.path]] | sort' <<<"$json1")"

# Once every holder is gone, explain says so, and umount succeeds.
for p in "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
# The io_uring's files go a moment after its process (lib.sh).
explain_once_free "$M"
out=$OUT rc=$RC
check_eq "explain exits $FREE_RC when nothing holds it ($FREE_VERDICT)" "$FREE_RC" "$rc"
if [ "$FREE_RC" = 0 ]; then
	check_contains "and says umount should succeed" "$out" "nothing holds it; umount should succeed"
else
	check_contains "and says that without the count it cannot call it free" "$out" \
		"no holder found, but that does not make it free"
fi
# The same moment for umount.
check "umount then succeeds" wait_for "umount '$M' 2>/dev/null" 30
finish
