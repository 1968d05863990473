#!/bin/bash
# What keeps a path on a mount where lsof and fuser see no descriptor of the
# file.  Each made `umount` fail with "target is busy" here, and explain named
# none before.
#   1. through an object only a process holds: a uprobe through a perf event
#      (the uprobe PMU, as libbpf attaches), through a BPF link (a perf link,
#      its perf event's descriptor closed; a uprobe_multi link), a unix socket
#      bound there: named with the process, its descriptor and the remedy;
#   2. inside the kernel, with no process: a uprobe registered in tracefs
#      (uprobe_events), named with its event and the remedy, and with the
#      process that uses it through a perf event;
#   3. what nothing names: a socket bound from another network namespace, an
#      unread fanotify event: the dentry walk names the file that carries the
#      reference.
# Each explains exactly its references of the mount's count.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
need_feature bpf-scan "what a process holds through kernel objects" || finish
need_feature refcount "the references nothing explains, and the search inside the kernel they start" || finish
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
check_contains "text: the bound socket" "$text" "$M/app.sock, bound there"
check_contains "text: the remedy for a bound socket" "$text" \
	"it keeps a unix socket bound there: close that socket, or end it: kill $P_SOCK"

# --- 2. a uprobe registered in tracefs, and a process that uses it ----------------
TRACEFS=/sys/kernel/tracing
mountpoint -q "$TRACEFS" || mount -t tracefs nodev "$TRACEFS" || not_ok "tracefs mounts (CONFIG_UPROBE_EVENTS)"
EV=umh_kr_$$
echo "p:$EV $M/prog:0x1030" >>"$TRACEFS/uprobe_events" || not_ok "a uprobe is registered in tracefs"
at_exit "echo '-:$EV' >>'$TRACEFS/uprobe_events' 2>/dev/null"
json=$("$UMH" explain --json "$M")
text=$("$UMH" explain "$M")
diag "$text"
check_json "tracefs: the uprobe is named by its event, with no process" "$json" \
	"[.holders[] | select(.kind == \"uprobe\" and .pid == null and .object == \"uprobes/$EV\" and .path == \"$M/prog\" and (.detail | test(\"registered in tracefs .uprobe_events., at offset 0x1030\")))] | length == 1"
check_json "tracefs: it explains the one reference more" "$json" \
	'.references.count == 6 and .references.explained == 5 and .unexplained_refs == 0'
check_contains "tracefs: the remedy removes the event" "$text" \
	"→ remove it: echo '-:uprobes/$EV' >> /sys/kernel/tracing/uprobe_events"
khold tp perf-tracepoint "$(cat "$TRACEFS/events/uprobes/$EV/id")" || not_ok "a perf event on the tracefs uprobe started"
P_TP=$HOLDER_PID
json=$("$UMH" explain --json "$M")
text=$("$UMH" explain "$M")
check_json "tracefs, in use: the process that uses it through a perf event is named in the probe's detail" "$json" \
	"[.holders[] | select(.kind == \"uprobe\" and .pid == null and (.detail | test(\"in use by pid $P_TP .kholder. through its perf event, fd [0-9]+\")))] | length == 1"
check_json "tracefs, in use: the perf event holds no reference of its own (the probe does)" "$json" \
	".references.count == 6 and .unexplained_refs == 0 and ([.holders[] | select(.pid == $P_TP)] | length == 0)"
check_contains "tracefs, in use: stop the user first" "$text" "→ stop what uses it, then remove it: echo '-:uprobes/$EV'"
kill -KILL "$P_TP"; wait "$P_TP" 2>/dev/null
echo "-:$EV" >>"$TRACEFS/uprobe_events" || not_ok "the tracefs uprobe is removed"

# --- 3. what nothing names: the dentry walk ---------------------------------------
mkdir "$M/run"
echo x >"$M/run/watched"
khold netns bind-netns "$M/run/app.sock" || not_ok "a socket bound from another network namespace"
P_NETNS=$HOLDER_PID
# A file an io_uring holds registered (its descriptor closed): found by its
# own collector, by path, and not named again by the walk.  Before the
# fanotify group, which would get an event for these opens too.
echo x >"$M/run/ring"
hold uring uring "$M/run/ring" || not_ok "an io_uring holder started"
khold fan fanotify "$M/run/watched" || not_ok "an unread fanotify event"
json=$("$UMH" explain --json "$M"); rc=$?
text=$("$UMH" explain "$M")
diag "$text"
check_eq "unnamed: exit 32" 32 "$rc"
check_json "unnamed: 2 references of the count nothing explains" "$json" \
	'.references.count == 8 and .references.explained == 5 and .unexplained_refs == 2'
check_json "the walk names the socket file, and says what a socket file may be held by" "$json" \
	"[.holders[] | select(.kind == \"kernel-ref\" and .path == \"$M/run/app.sock\" and (.detail | test(\"^1 reference that nothing found explains .a unix socket file\")))] | length == 1"
check_json "the walk names the file the fanotify event keeps" "$json" \
	"[.holders[] | select(.kind == \"kernel-ref\" and .path == \"$M/run/watched\" and .detail == \"1 reference that nothing found explains\")] | length == 1"
check_json "and nothing else: the held files' own dentries, the io_uring's file, the directories, are explained" \
	"$json" '([.holders[] | select(.kind == "kernel-ref")] | length) == 2 and ([.holders[] | select(.kind == "io_uring")] | length) == 1'
check_contains "text: the headline counts them" "$text" "2 files with unexplained references"
check_contains "text: the paragraph says the files above carry them" "$(tr '\n' ' ' <<<"$text")" \
	"The files named above carry them"
check_not_contains "text: never 'by no process' for what a process may hold" "$text" "by no process"

# Released: free, and umount succeeds.
for p in "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
STARTED_PIDS=()
# The io_uring's files go a moment after its process (lib.sh).
explain_once_free "$M" --json
json=$OUT rc=$RC
check_eq "released: exit 0" 0 "$rc"
check_json "released: free, the kernel counts 1" "$json" '.verdict == "free" and .references.count == 1'
check "released: umount succeeds" umount "$M"
finish
