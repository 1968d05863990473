#!/bin/bash
# What keeps a path on a mount through a kernel object only a process holds,
# where lsof and fuser see no descriptor of the file: a uprobe through a perf
# event (the uprobe PMU, as libbpf attaches), through a BPF link (a perf link,
# its perf event's descriptor closed; a uprobe_multi link), and a unix socket
# bound there.  Each made `umount` fail with "target is busy" here, and
# explain named none before.  Each is named with its process, descriptor and
# remedy, and explains exactly one reference of the mount's count.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/m
mount_tmpfs "$M" kernel-refs
cp /bin/true "$M/prog"

khold perf perf-uprobe "$M/prog" 0x1000 || not_ok "perf uprobe holder started"
P_PERF=$HOLDER_PID
khold link perf-link "$M/prog" 0x1010 || not_ok "perf link holder started"
P_LINK=$HOLDER_PID
khold multi uprobe-multi "$M/prog" 0x1020 || not_ok "uprobe_multi holder started"
P_MULTI=$HOLDER_PID
khold sock bind "$M/app.sock" || not_ok "bound socket holder started"
P_SOCK=$HOLDER_PID

if umount "$M" 2>/dev/null; then not_ok "umount of the held tmpfs fails"; mount_tmpfs "$M"; else ok "umount of the held tmpfs fails (busy)"; fi
diag "lsof: $(lsof "$M" 2>/dev/null | tail -n +2)"

json=$("$UMH" explain --json "$M"); rc=$?
text=$("$UMH" explain "$M")
diag "$text"
check_eq "explain exits 32: held" 32 "$rc"
check_json "a uprobe through a perf event: its process and descriptor" "$json" \
	"[.holders[] | select(.kind == \"uprobe\" and .pid == $P_PERF and .object == \"perf_event\" and .path == \"$M/prog\" and (.fd | type) == \"number\")] | length == 1"
check_json "a uprobe through a perf link (its perf event closed): the link and its id" "$json" \
	"[.holders[] | select(.kind == \"uprobe\" and .pid == $P_LINK and (.object | test(\"^bpf_link [0-9]+\$\")) and .path == \"$M/prog\")] | length == 1"
check_json "a uprobe_multi link" "$json" \
	"[.holders[] | select(.kind == \"uprobe\" and .pid == $P_MULTI and (.object | test(\"^bpf_link [0-9]+\$\")) and .path == \"$M/prog\")] | length == 1"
check_json "a unix socket bound there: its process and descriptor" "$json" \
	"[.holders[] | select(.kind == \"unix-socket\" and .pid == $P_SOCK and .path == \"$M/app.sock\" and (.object | test(\"^socket:\")))] | length == 1"
check_json "the kernel counts 1 + 4, and each explains one" "$json" \
	'.references.count == 5 and .references.explained == 4 and .unexplained_refs == 0'
check_contains "text: the uprobe's descriptor, file and what holds it" "$text" "uprobe fd "
check_contains "text: the remedy for a process's uprobe" "$text" \
	"its uprobe keeps the file until it closes that descriptor: stop it: kill $P_PERF"
check_contains "text: the bound socket" "$text" "$M/app.sock (bound there)"
check_contains "text: the remedy for a bound socket" "$text" \
	"it keeps a unix socket bound there: close that socket, or end it: kill $P_SOCK"

# Released: free, and umount succeeds.
for p in "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
STARTED_PIDS=()
json=$("$UMH" explain --json "$M"); rc=$?
check_eq "released: exit 0" 0 "$rc"
check_json "released: free, the kernel counts 1" "$json" '.verdict == "free" and .references.count == 1'
check "released: umount succeeds" umount "$M"
finish
