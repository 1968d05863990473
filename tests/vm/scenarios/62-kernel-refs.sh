#!/bin/bash
# What keeps a path on an NFSv3 mount with no descriptor of the file, on
# Debian's kernel (6.1): uprobes on a program stored there -- registered in
# tracefs, and through a process's perf event and a BPF perf link -- and an
# unread fanotify event, which nothing names: the walk of the mount's
# dentries (on NFS: each open file's context counted) names its file.
# (uprobe_multi links are Linux 6.6 and later: tests/t-kernel-refs.sh on the
# development kernel.)
. "$VM_REPO/tests/vm/guest/lib.sh"
# The count's references left over start the search inside the kernel.
need_feature bpf-scan refcount || exit 1

FIX=$VM_REPO/build/tests/fixtures
R=$(mktemp -d)
khold() { # NAME MODE ARG...: the kernel-object holder fixture, ready
	local name=$1; shift
	start_holder "$R/$name" "$FIX/kholder" "$R/$name" "$@"
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
nfs_export_files
cp /bin/true /export/prog
echo watched >/export/watched
nfs_mount nfs vers=3 || exit 1
TRACEFS=/sys/kernel/tracing
mountpoint -q "$TRACEFS" || mount -t tracefs nodev "$TRACEFS" || not_ok "tracefs mounts"

# --- uprobes ----------------------------------------------------------------------
echo "p:umh_vm /mnt/prog:0x1000" >>"$TRACEFS/uprobe_events"
check_eq "a uprobe registered in tracefs on /mnt/prog" 0 "$?"
at_exit "echo '-:umh_vm' >>$TRACEFS/uprobe_events"
khold perf perf-uprobe /mnt/prog 0x1010 || not_ok "perf uprobe holder started"
P_PERF=$HOLDER_PID
khold link perf-link /mnt/prog 0x1020 || not_ok "perf link holder started"
P_LINK=$HOLDER_PID
khold tp perf-tracepoint "$(cat "$TRACEFS/events/uprobes/umh_vm/id")" || not_ok "perf user of the tracefs uprobe started"
P_TP=$HOLDER_PID
run umount /mnt
check_eq "uprobes: umount /mnt: device is busy" "umount.nfs: /mnt: device is busy" "$RUN_OUT"
run lsof /mnt
check_empty "uprobes: lsof /mnt prints nothing" "$RUN_OUT"
run -t 30 "$UMH" explain --json /mnt
json=$RUN_OUT
check_eq "uprobes: explain exits 32" 32 "$RUN_RC"
check_eq "uprobes: the kernel counts 1 + 3, all explained" "4 3 0" \
	"$(jq -r '[.references.count, .references.explained, .unexplained_refs] | join(" ")' <<<"$json")"
check_eq "uprobes: the tracefs probe, and the processes' perf event and link" \
	"$(printf '%s\n' "uprobe - /mnt/prog" "uprobe $P_LINK /mnt/prog" "uprobe $P_PERF /mnt/prog" | sort)" \
	"$(report_json_holders "$json")"
check_contains "uprobes: the tracefs probe names its user" \
	"$(jq -r '.holders[] | select(.object == "uprobes/umh_vm") | .detail' <<<"$json")" \
	"in use by pid $P_TP (kholder) through its perf event"
run -t 30 "$UMH" explain /mnt
check_contains "uprobes: text: the probe and its remedy" "$RUN_OUT" \
	"→ stop what uses it, then remove it: echo '-:uprobes/umh_vm' >> /sys/kernel/tracing/uprobe_events"
for p in "$P_PERF" "$P_LINK" "$P_TP"; do stop_holder "$p"; done
echo "-:umh_vm" >>"$TRACEFS/uprobe_events"
check_eq "uprobes: the tracefs probe is removed once unused" 0 "$?"

# --- an unread fanotify event: named by the dentry walk only -----------------------
# The process first: the group gets an event for every open after its mark.
hold_fd /mnt/watched || not_ok "a process holds the same file"
khold fan fanotify /mnt/watched || not_ok "fanotify holder started"
P_FAN=$HOLDER_PID
run -t 30 "$UMH" explain --json /mnt
json=$RUN_OUT
check_eq "fanotify: the event's reference is the one nothing explains" "3 1 1" \
	"$(jq -r '[.references.count, .references.explained, .unexplained_refs] | join(" ")' <<<"$json")"
check_eq "fanotify: the walk names /mnt/watched, 1 reference (the process's open file and its NFS context explained)" \
	"/mnt/watched 1 reference that nothing found explains" \
	"$(jq -r '.holders[] | select(.kind == "kernel-ref") | [.path, .detail] | join(" ")' <<<"$json")"
stop_holder "$P_FAN"
run -t 30 "$UMH" explain --json /mnt
check_eq "fanotify: once the group is closed, the process's file is all" "2 1 0" \
	"$(jq -r '[.references.count, .references.explained, .unexplained_refs] | join(" ")' <<<"$RUN_OUT")"
for p in "${STARTED_PIDS[@]}"; do stop_holder "$p"; done
STARTED_PIDS=()
run -t 30 "$UMH" explain --json /mnt
check_eq "released: explain exits 0, free" "0 free" "$RUN_RC $(jq -r .verdict <<<"$RUN_OUT")"
