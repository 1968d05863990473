#!/bin/bash
# A filesystem kept alive by a copy of its mount in another namespace, on
# Debian's kernel (6.1: device-mapper, which the development kernel lacks;
# and the kernel-side walk's older layouts: a superblock's mounts on a
# list_head, anonymous namespaces by seq, DCACHE_MOUNTED before the enum):
#   dm    ext4 on a device-mapper device, a sleeper in a namespace made with
#         unshare -m before the host's umount: `dmsetup remove` fails busy
#         until the copy is gone; explain of /dev/mapper/NAME names the
#         namespace and the remedy, which then frees it;
#   lazy  the same with umount -l and a process cd'd inside;
#   copy  explain of a mounted target names its busy copy in another
#         namespace (the small walk of explain of one mount).
. "$VM_REPO/tests/vm/guest/lib.sh"

R=$(mktemp -d)
ns_of() { local l; l=$(readlink "/proc/$1/ns/mnt"); l=${l#mnt:[}; echo "${l%]}"; }

run modprobe dm_mod
[ "$RUN_RC" = 0 ] || { not_ok "dm: load device-mapper (modprobe dm_mod)"; exit 1; }
run modprobe loop
[ "$RUN_RC" = 0 ] || { not_ok "dm: load the loop driver (modprobe loop)"; exit 1; }
mkdir -p /tmp/dm
mount -t tmpfs dm /tmp/dm && at_exit "umount -l /tmp/dm"
truncate -s 16M /tmp/dm/disk.img
LOOP=$(losetup -f --show /tmp/dm/disk.img) || { not_ok "dm: a loop device"; exit 1; }
at_exit "losetup -d $LOOP"
# No udev in the guest: dmsetup makes the device node itself.
run dmsetup --noudevsync create umh-dm --table "0 32768 linear $LOOP 0"
check_eq "dm: dmsetup create" 0 "$RUN_RC"
at_exit "dmsetup --noudevsync remove --retry umh-dm"
run dmsetup mknodes umh-dm
DM=/dev/mapper/umh-dm
run mkfs.ext4 -q "$DM"
mkdir -p /mnt/dm && mount "$DM" /mnt/dm && mkdir /mnt/dm/work || { not_ok "dm: mount it"; exit 1; }

# --- dm: a sleeper's namespace keeps it -----------------------------------------
start_holder "$R/sleeper" unshare -m --propagation private bash -c ": >$R/sleeper; exec sleep 1000" ||
	not_ok "dm: the sleeper started"
SLEEPER=$HOLDER_PID
run umount /mnt/dm
check_eq "dm: umount here succeeds" 0 "$RUN_RC"
run dmsetup --noudevsync remove umh-dm
check_eq "dm: dmsetup remove fails" 1 "$RUN_RC"
check_contains "dm: ... busy" "$RUN_OUT" "Device or resource busy"
run -t 30 "$UMH" explain "$DM"
check_eq "dm: explain exits 32 (alive)" 32 "$RUN_RC"
check_contains "dm: the namespace, by its process" "$RUN_OUT" "in mount namespace mnt:[$(ns_of "$SLEEPER")] of pid $SLEEPER (sleep)"
# (Paths in another namespace are from its top, where nsenter -m puts a
# process: here the guest's scenarios run chrooted below it.)
check_contains "dm: the remedy" "$RUN_OUT" "→ nsenter -t $SLEEPER -m umount "
run -t 30 "$UMH" explain --json "$DM"
JSON=$RUN_OUT
check_eq "dm: JSON: found by the kernel-side walk, alive, ext4" "true ext4 false" \
	"$(jq -r '"\(.filesystem.alive) \(.filesystem.fstype) \(.filesystem.partial)"' <<<"$JSON")"
check_eq "dm: JSON: one mount holder, in the sleeper's namespace" "mount $(ns_of "$SLEEPER") /mnt/dm" \
	"$(jq -r '.holders[] | "\(.kind) \(.mount_namespace) \(.object | sub("^.*(?<p>/mnt/dm)$"; "\(.p)"))"' <<<"$JSON")"
run -t 30 "$UMH" explain --no-bpf --json "$DM"
check_eq "dm: the text path finds it too" "mount $(ns_of "$SLEEPER")" \
	"$(jq -r '.holders[] | "\(.kind) \(.mount_namespace)"' <<<"$RUN_OUT")"
REMEDY=$(jq -r '.holders[0].remedy' <<<"$JSON")
run bash -c "$REMEDY"
check_eq "dm: the remedy runs: $REMEDY" 0 "$RUN_RC"
run -t 30 "$UMH" explain "$DM"
check_eq "dm: then explain says it is gone (exit 0)" 0 "$RUN_RC"
check_contains "dm: ... released" "$RUN_OUT" "no filesystem of this device is mounted or in use anywhere"
run dmsetup --noudevsync remove umh-dm
check_eq "dm: and dmsetup remove succeeds" 0 "$RUN_RC"
stop_holder "$SLEEPER"

# --- lazy: umount -l with a process inside -------------------------------------------
mkdir -p /mnt/lazy && mount -t tmpfs umh-lazy /mnt/lazy && mkdir /mnt/lazy/in
MAJMIN=$(mountpoint -d /mnt/lazy)
hold_cwd /mnt/lazy/in || not_ok "lazy: the holder started"
LAZY=$HOLDER_PID
run umount -l /mnt/lazy
run -t 30 "$UMH" explain --json "$MAJMIN"
check_eq "lazy: explain MAJ:MIN exits 32" 32 "$RUN_RC"
check_eq "lazy: a detached mount, held by the cwd" "detached cwd $LAZY" \
	"$(jq -r '"\(.other_mounts[0].role) \(.holders[0].kind) \(.holders[0].pid)"' <<<"$RUN_OUT")"
stop_holder "$LAZY"
run -t 30 "$UMH" explain "$MAJMIN"
check_eq "lazy: once it is gone, exit 0" 0 "$RUN_RC"

# --- copy: a mounted target's busy copy, found by the small walk ---------------------
mkdir -p /tmp/p && mount -t tmpfs p /tmp/p && mount --make-shared /tmp/p
mkdir /tmp/p/t && mount -t tmpfs umh-copy /tmp/p/t && mkdir /tmp/p/t/dir
at_exit "umount -l /tmp/p"
start_holder "$R/copy" unshare -m --propagation unchanged bash -c "cd /tmp/p/t/dir && : >$R/copy && exec sleep 1000" ||
	not_ok "copy: the holder started"
COPY=$HOLDER_PID
run -t 30 "$UMH" explain --json /tmp/p/t
check_eq "copy: explain exits 32" 32 "$RUN_RC"
check_eq "copy: the copy in the holder's namespace is held" "namespace-copy $(ns_of "$COPY")" \
	"$(jq -r '.holders[] | select(.kind == "namespace-copy") | "\(.kind) \(.mount_namespace)"' <<<"$RUN_OUT")"
check_eq "copy: its namespace is described" "$COPY" "$(jq -r '.namespaces[0].pids[0]' <<<"$RUN_OUT")"
stop_holder "$COPY"
