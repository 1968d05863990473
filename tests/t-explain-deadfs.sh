# A filesystem whose server never answers (a FUSE daemon stopped with
# SIGSTOP, as good as a dead NFS server): explain still finishes in under
# 2 s and names the holders, while lsof, which stats the target, hangs.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
need_feature fuse "explain on a dead file system (a FUSE server stopped)" || finish
F=$SCRATCH/fuse
mkdir "$F"
start_holder "$READY/fuse" "$FIX/hangfs" "$F" "$READY/fuse"; FS_PID=$HOLDER_PID
at_exit "umount -l '$F'"
wait_for "findmnt -n '$F' >/dev/null" || not_ok "hangfs did not mount"
hold cwd cwd "$F/dir";   P_CWD=$HOLDER_PID
hold fd open "$F/file";  P_FD=$HOLDER_PID
hold mmap mmap "$F/file"; P_MMAP=$HOLDER_PID

kill -STOP "$FS_PID"
sleep 0.3 # past the attribute cache: every lookup now waits for the server
timeout 2 stat "$F/file" >/dev/null 2>&1; rc=$?
check_eq "the server is dead: stat on it does not return within 2 s" 124 "$rc"

t0=$(date +%s%N)
json=$(timeout 10 "$UMH" explain --json "$F"); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "explain on a dead FUSE server: ${ms} ms"
check_eq "explain exits 32 (held)" 32 "$rc"
check "explain finishes in under 2 s (${ms} ms)" test "$ms" -lt 2000
check_json "explain names the cwd holder" "$json" "[.holders[] | select(.kind == \"cwd\" and .pid == $P_CWD)] | length == 1"
check_json "explain names the fd holder" "$json" "[.holders[] | select(.kind == \"fd\" and .pid == $P_FD)] | length == 1"
check_json "explain names the mmap holder" "$json" "[.holders[] | select(.kind == \"mmap\" and .pid == $P_MMAP)] | length == 1"
check_json "the scan is complete" "$json" '.complete == true'

timeout 3 lsof "$F" >/dev/null 2>&1; rc=$?
check_eq "lsof on the same mount does not finish within 3 s" 124 "$rc"
finish
