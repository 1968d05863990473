# Output that cannot be written: a reader that goes away, a closed stdout
# or stderr.  In the unmount path (the helper) the exit status must stay
# what umount's would have been; explain reports a write error.
. "$(dirname "$0")/../lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/mnt
mount_tmpfs "$M"
hold cwd cwd "$M"
ln -s "$UMH" "$SCRATCH/umount.tmpfs"
H=$SCRATCH/umount.tmpfs

UMOUNT_HELPER_EXPLAIN=0 "$H" "$M" 2>/dev/null; base=$?
check_eq "helper: busy without explanation exits 32" 32 "$base"
"$H" "$M" 2>&1 | head -c 10 >/dev/null; rc=${PIPESTATUS[0]}
check_eq "helper: a reader that goes away (SIGPIPE) does not change the status" "$base" "$rc"
"$H" "$M" 2>&-; rc=$?
check_eq "helper: a closed stderr does not change the status" "$base" "$rc"
"$H" "$M" >&- 2>&-; rc=$?
check_eq "helper: closed stdout and stderr do not change the status" "$base" "$rc"
"$H" "$M" 2>/dev/full; rc=$?
check_eq "helper: a full stderr (ENOSPC) does not change the status" "$base" "$rc"
is_mounted() { findmnt -n "$1" >/dev/null; }
check "helper: the mount is still there" is_mounted "$M"

"$UMH" explain "$M" >/dev/full; rc=$?
check_eq "explain: the verdict (32) still shows when stdout is full" 32 "$rc"
"$UMH" explain "$M" >&-; rc=$?
check_eq "explain: the verdict (32) still shows when stdout is closed" 32 "$rc"
"$UMH" explain --json "$M" | head -c 1 >/dev/null; rc=${PIPESTATUS[0]}
check "explain: a reader that goes away ends it quietly (status $rc)" test "$rc" = 32 -o "$rc" = 141
finish
