# Privileges: an ordinary user sees what is theirs and is told what was not
# inspected; each phase of the analysis runs with only the capabilities it
# needs, the printing process with none.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/shared
mount_tmpfs "$M"
hold_as_two_users "$M"

json=$(as_nobody "$UMH" explain --json "$M"); rc=$?
check_eq "nobody: held (its own process holds it)" 32 "$rc"
check_json "nobody: its own holder is named" "$json" "[.holders[] | select(.pid == $P_NOBODY)] | length == 1"
check_json "nobody: root's holder is not described" "$json" "[.holders[] | select(.pid == $P_ROOT)] | length == 0"
check_not_contains "nobody: nothing of root's process leaks" "$json" "$READY/root"
check_json "nobody: root's process is counted as not inspected" "$json" \
	"[.skipped[] | select(.pid == $P_ROOT and .why == \"permission denied\")] | length == 1"
text=$(as_nobody "$UMH" explain "$M")
check_contains "nobody: the text says what was not inspected" "$text" "Not inspected (no permission)"

json=$("$UMH" explain --json "$M")
check_json "root: both holders are named" "$json" \
	"[.holders[] | select(.pid == $P_ROOT or .pid == $P_NOBODY)] | length == 2"

# Capabilities per phase (CapEff from /proc/thread-self/status):
#   scan:   CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_CHECKPOINT_RESTORE (40)
#   report: nothing
dbg=$(UMOUNT_HELPER_DEBUG=caps "$UMH" explain "$M" 2>&1 >/dev/null)
check_contains "caps: the scan phase keeps only what it needs" "$dbg" "phase scan: CapEff:	0000010000080004"
check_contains "caps: the printing process has none" "$dbg" "phase report: CapEff:	0000000000000000"
check_contains "caps: setup adds CAP_SYS_CHROOT (18) and CAP_SYS_ADMIN (21)" "$dbg" "phase setup: CapEff:	00000100002c0004"
finish
