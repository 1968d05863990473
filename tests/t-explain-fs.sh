# Explain of a filesystem (explain/fs.h): every mount of it in every mount
# namespace or in none, what keeps each namespace, what holds the
# filesystem without a mount; exit 32 while anything keeps it alive, 0 once
# it is gone, 2 when nothing has that name.  Each case is made real here,
# the remedy explain gives is then run as printed, and explain must say
# the filesystem is gone.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
# Tags (LABEL=, UUID=) are resolved by libblkid, as umount(8) resolves them,
# through its cache (/run/blkid/blkid.tab), where a device probed less than
# 2 s before is not probed again (BLKID_PROBE_MIN): a loop device that had
# another filesystem a moment ago (the last case's, another test's) keeps
# its old label there, and the tag is not found (explain exits 2, as umount
# would).  Every program here starts with an empty cache instead.
export BLKID_FILE=/dev/null
new_scratch
S=$SCRATCH
mount_tmpfs "$S" scratch
mkdir -p "$READY" "$S/bin"
# The front end: our binary as "umount" (the name decides what it does).
ln -s "$UMH" "$S/bin/umount"
FRONTEND=$S/bin/umount

# new_fs NAME: an ext4 filesystem on a loop device, mounted at $S/NAME;
# sets DEV, MNT, MAJMIN and LABEL.
new_fs() {
	# (ext4 keeps 16 bytes of a label.)
	LABEL=u$$-${1:0:7}
	truncate -s 16M "$S/$1.img" && mkfs.ext4 -q -L "$LABEL" "$S/$1.img" || return 1
	DEV=$(losetup -f --show "$S/$1.img") || return 1
	at_exit "losetup -d $DEV"
	MNT=$S/$1
	mkdir -p "$MNT" && mount "$DEV" "$MNT" || return 1
	at_exit "umount -l '$MNT'"
	MAJMIN=$(lsblk -no MAJ:MIN "$DEV" | tr -d ' ')
}
ns_of() { readlink "/proc/$1/ns/mnt" | tr -dc 0-9; }
# gone DESC SPEC: explain says the filesystem is released, exit 0.
gone() {
	local json rc
	json=$("$UMH" explain --json "$2"); rc=$?
	check_eq "$1: then explain says it is gone (exit 0)" 0 "$rc"
	check_json "$1: ... alive: false, nothing holds it" "$json" \
		'.filesystem.alive == false and .busy == false and (.holders | length == 0)'
}

# --- a sleeper in a namespace made with unshare -m before the host's umount ------------
new_fs sleeper
mkdir "$MNT/dir"
start_holder "$READY/sleeper" unshare -m --propagation unchanged bash -c "touch '$READY/sleeper'; exec sleep 600"
NSP=$HOLDER_PID
wait_for "[ \"\$(ns_of $NSP)\" != \"\$(ns_of $$)\" ]"
check "sleeper: umount here succeeds" umount "$MNT"
json=$("$UMH" explain --json "$DEV"); rc=$?
text=$("$UMH" explain "$DEV")
check_eq "sleeper: explain of the device exits 32 (alive)" 32 "$rc"
check_json "sleeper: the mount in the sleeper's namespace is a holder" "$json" \
	"[.holders[] | select(.kind == \"mount\" and .object == \"$MNT\" and .mount_namespace == $(ns_of $NSP))] | length == 1"
check_json "sleeper: its namespace is described by its process" "$json" \
	"[.namespaces[] | select(.mount_namespace == $(ns_of $NSP) and (.pids | index($NSP)) and .comm == \"sleep\")] | length == 1"
check_json "sleeper: the filesystem is named" "$json" \
	".filesystem.alive == true and .filesystem.fstype == \"ext4\" and .filesystem.device == \"$DEV\""
check_json "sleeper: remedy in JSON" "$json" \
	"[.holders[] | select(.kind == \"mount\")][0].remedy == \"nsenter -t $NSP -m umount $MNT\""
check_contains "sleeper: text names the namespace and its process" "$text" "in mount namespace mnt:[$(ns_of $NSP)] of pid $NSP (sleep)"
check_contains "sleeper: text remedy" "$text" "→ nsenter -t $NSP -m umount $MNT"
for spec in "LABEL=$LABEL" "$MAJMIN" "UUID=$(blkid -s UUID -o value "$DEV")"; do
	json=$("$UMH" explain --json "$spec"); rc=$?
	check_eq "sleeper: explain $spec exits 32" 32 "$rc"
	check_json "sleeper: explain $spec finds the same mount" "$json" \
		"[.holders[] | select(.kind == \"mount\" and .object == \"$MNT\")] | length == 1"
done
out=$("$FRONTEND" --explain "$DEV" 2>&1); rc=$?
check_eq "sleeper: umount --explain DEVICE: the same exit status" 32 "$rc"
check_contains "sleeper: umount --explain DEVICE: the same words" "$out" "nsenter -t $NSP -m umount $MNT"
# The remedy, as printed.
remedy=$("$UMH" explain --json "$DEV" | jq -r '[.holders[] | select(.kind == "mount")][0].remedy')
check "sleeper: the remedy runs" bash -c "$remedy"
gone sleeper "$DEV"
kill "$NSP"

# --- umount -l with a process cd'd inside ------------------------------------------------
new_fs lazy
mkdir "$MNT/work"
hold lazy cwd "$MNT/work"; LAZY=$HOLDER_PID
check "lazy: umount -l succeeds" umount -l "$MNT"
json=$("$UMH" explain --json "$DEV"); rc=$?; text=$("$UMH" explain "$DEV")
check_eq "lazy: explain exits 32" 32 "$rc"
check_json "lazy: a detached mount" "$json" '[.other_mounts[] | select(.role == "detached")] | length == 1'
check_json "lazy: held by the process's cwd" "$json" \
	"(.other_mounts[] | select(.role == \"detached\").mount_id) as \$m | [.holders[] | select(.kind == \"cwd\" and .pid == $LAZY and .mount_id == \$m)] | length == 1"
check_contains "lazy: text says detached" "$text" "a detached mount (mount id"
check_contains "lazy: text remedy" "$text" "kill $LAZY"
check_json "lazy: the JSON remedy names the detached mount, not its root" "$json" \
	"[.holders[] | select(.kind == \"cwd\")][0].remedy == \"make it leave the detached mount, or end it: kill $LAZY\""
kill "$LAZY"; wait "$LAZY" 2>/dev/null
wait_for "! \"\$UMH\" explain \"$DEV\" >/dev/null"
gone lazy "$DEV"

# --- an open_tree(OPEN_TREE_CLONE) descriptor --------------------------------------------
new_fs tree
mkdir "$MNT/sub"
hold tree open-tree "$MNT/sub"; TREE=$HOLDER_PID
check "open_tree: umount succeeds (the clone is another mount)" umount "$MNT"
json=$("$UMH" explain --json "$DEV"); rc=$?; text=$("$UMH" explain "$DEV")
check_eq "open_tree: explain exits 32" 32 "$rc"
check_json "open_tree: an anonymous mount showing /sub" "$json" \
	'[.other_mounts[] | select(.role == "anonymous" and .root == "/sub")] | length == 1'
check_json "open_tree: held by the descriptor" "$json" \
	"[.holders[] | select(.kind == \"fd\" and .pid == $TREE)] | length == 1"
check_json "open_tree: its namespace is anonymous" "$json" '[.namespaces[] | select(.anonymous)] | length == 1'
check_contains "open_tree: text" "$text" "a detached tree (mount id"
kill "$TREE"; wait "$TREE" 2>/dev/null
gone open_tree "$DEV"

# --- a namespace kept only by an nsfs bind mount -------------------------------------------
new_fs nsfs
mkdir -p "$S/keep"
mount --bind "$S/keep" "$S/keep" && mount --make-private "$S/keep" && at_exit "umount -l '$S/keep'"
touch "$S/keep/ns"
# Binding a namespace file is refused when the namespace does not look
# newer than ours: each try on the next CPU (cpu_for_try, lib.sh).
KEEP=
for try in 1 2 3 4 5 6 7 8 9 10; do
	start_holder "$READY/nsfs" taskset -c "$(cpu_for_try "$try")" \
		unshare -m --propagation unchanged bash -c "touch '$READY/nsfs'; exec sleep 600"
	wait_for "[ \"\$(ns_of $HOLDER_PID)\" != \"\$(ns_of $$)\" ]"
	if mount --bind "/proc/$HOLDER_PID/ns/mnt" "$S/keep/ns" 2>/dev/null; then
		KEEP=$HOLDER_PID
		break
	fi
	kill "$HOLDER_PID"; wait "$HOLDER_PID" 2>/dev/null
done
check "nsfs: the namespace file is bound (try $try)" test -n "$KEEP"
KEEP_NS=$(ns_of "$KEEP")
kill "$KEEP"; wait "$KEEP" 2>/dev/null
umount "$MNT"
json=$("$UMH" explain --json "$DEV"); rc=$?; text=$("$UMH" explain "$DEV")
check_eq "nsfs: explain exits 32" 32 "$rc"
check_json "nsfs: the namespace has no process, and the nsfs mount keeps it" "$json" \
	"[.namespaces[] | select(.mount_namespace == $KEEP_NS and .processes == 0 and .kept_by.nsfs_mount == \"$S/keep/ns\")] | length == 1"
check_json "nsfs: remedy: unmount the namespace file" "$json" \
	"[.holders[] | select(.kind == \"mount\")][0].remedy == \"umount $S/keep/ns\""
check_contains "nsfs: text" "$text" "kept by the mount of its namespace file at $S/keep/ns"
check "nsfs: the remedy runs" bash -c "$(jq -r '[.holders[] | select(.kind == "mount")][0].remedy' <<<"$json")"
gone nsfs "$DEV"

# --- a namespace kept only by an open descriptor ----------------------------------------------
new_fs nsfd
start_holder "$READY/nsfd-ns" unshare -m --propagation unchanged bash -c "touch '$READY/nsfd-ns'; exec sleep 600"
IN_NS=$HOLDER_PID
wait_for "[ \"\$(ns_of $IN_NS)\" != \"\$(ns_of $$)\" ]"
FD_NS=$(ns_of "$IN_NS")
hold nsfd open "/proc/$IN_NS/ns/mnt"; FDH=$HOLDER_PID
kill "$IN_NS"; wait "$IN_NS" 2>/dev/null
umount "$MNT"
json=$("$UMH" explain --json "$DEV"); rc=$?
check_eq "ns descriptor: explain exits 32" 32 "$rc"
check_json "ns descriptor: the process with the descriptor keeps the namespace" "$json" \
	"[.namespaces[] | select(.mount_namespace == $FD_NS and .processes == 0 and .kept_by.pid == $FDH)] | length == 1"
check_json "ns descriptor: remedy" "$json" "[.holders[] | select(.kind == \"mount\")][0].remedy == \"kill $FDH\""
kill "$FDH"; wait "$FDH" 2>/dev/null
gone "ns descriptor" "$DEV"

# --- an overlay whose lower layer is on the filesystem -------------------------------------
new_fs overlay
mkdir -p "$MNT/lower" "$S/up" "$S/work" "$S/merged"
mount -t overlay umh-ov -o "lowerdir=$MNT/lower,upperdir=$S/up,workdir=$S/work" "$S/merged"
at_exit "umount -l '$S/merged'"
json=$("$UMH" explain --json --fs "$MNT"); rc=$?
check_eq "overlay: explain --fs on the mount point exits 32" 32 "$rc"
check_json "overlay: an overlay-layer holder names the overlay" "$json" \
	"[.holders[] | select(.kind == \"overlay-layer\" and .object == \"$S/merged\" and .remedy == \"umount $S/merged\")] | length == 1"
check_json "overlay: --fs names the mount it came from" "$json" \
	"(.mount_id != null) and ([.holders[] | select(.kind == \"mount\" and .object == \"$MNT\" and .remedy == \"umount $MNT\")] | length == 1)"
umount "$MNT"
json=$("$UMH" explain --json "$DEV"); rc=$?; text=$("$UMH" explain "$DEV")
check_eq "overlay: after umount, the overlay still keeps it (exit 32)" 32 "$rc"
check_contains "overlay: text" "$text" "an overlay mounted at $S/merged uses it as its lower layer 1"
check "overlay: the remedy runs" bash -c "$(jq -r '.holders[] | select(.kind == "overlay-layer").remedy' <<<"$json")"
gone overlay "$DEV"

# --- a loop device backed by a file on it ------------------------------------------------------
new_fs backing
truncate -s 1M "$MNT/inner.img"
INNER=$(losetup -f --show "$MNT/inner.img")
umount -l "$MNT"
json=$("$UMH" explain --json "$DEV"); rc=$?
check_eq "loop: explain exits 32" 32 "$rc"
check_json "loop: the loop device holds it" "$json" "[.holders[] | select(.kind == \"loop\" and .object == \"$INNER\")] | length == 1"
losetup -d "$INNER"
wait_for "! \"\$UMH\" explain \"$DEV\" >/dev/null"
gone loop "$DEV"

# --- a directory that is a mount point only in another namespace ---------------------------
mkdir -p "$S/elsewhere"
start_holder "$READY/else" unshare -m --propagation private bash -c \
	"mount -t tmpfs umh-else '$S/elsewhere' && touch '$READY/else' && exec sleep 600"
ELSE=$HOLDER_PID
json=$("$UMH" explain --json "$S/elsewhere"); rc=$?; text=$("$UMH" explain "$S/elsewhere")
check_eq "elsewhere: explain of the directory exits 32" 32 "$rc"
check_json "elsewhere: said so, with the other namespace's mount" "$json" \
	".filesystem.mount_point_elsewhere == true and ([.holders[] | select(.kind == \"mount\" and .mount_namespace == $(ns_of $ELSE))] | length == 1)"
check_contains "elsewhere: text" "$text" "is not a mount point here, but is one in another mount namespace"
check_contains "elsewhere: with that namespace's process" "$text" "of pid $ELSE"
# The kernel's side (Linux 3.18+): removing the directory here unmounts it
# there, rather than failing; explain says so.
check_contains "elsewhere: what rmdir would do" "$text" "Removing the directory here would unmount it there"
check "elsewhere: rmdir works" rmdir "$S/elsewhere"
check "elsewhere: ... and the mount in the other namespace is gone" \
	bash -c "! grep -q ' $S/elsewhere ' /proc/$ELSE/mountinfo"
kill "$ELSE"; wait "$ELSE" 2>/dev/null
mkdir -p "$S/elsewhere2"
out=$("$UMH" explain "$S/elsewhere2" 2>&1); rc=$?
check_eq "a directory nothing is mounted on: not mounted (exit 2)" 2 "$rc"

# --- the same directory through another path: rmdir says EBUSY -------------------------------
mkdir -p "$S/base/d" "$S/alias"
mount -t tmpfs umh-under "$S/base/d" && at_exit "umount -l '$S/base/d'"
mount --bind "$S/base" "$S/alias" && at_exit "umount -l '$S/alias'"
out=$(rmdir "$S/alias/d" 2>&1); rc=$?
check_contains "alias: rmdir really fails with EBUSY" "$out" "Device or resource busy"
json=$("$UMH" explain --json "$S/alias/d"); rc=$?; text=$("$UMH" explain "$S/alias/d")
check_eq "alias: explain exits 32" 32 "$rc"
check_json "alias: the mount on the directory, in this namespace" "$json" \
	"(.filesystem.directory_mount_id) as \$m | [.holders[] | select(.kind == \"mount\" and .mount_id == \$m and .object == \"$S/base/d\" and .remedy == \"umount $S/base/d\")] | length == 1"
check_contains "alias: text" "$text" "is not a mount point, but the directory it names is one, at $S/base/d"

# --- nothing by that name ------------------------------------------------------------------------
out=$("$UMH" explain /dev/umh-no-such-device 2>&1); rc=$?
check_eq "no such device: exit 2" 2 "$rc"
out=$("$UMH" explain "LABEL=umh-no-such-label-$$" 2>&1); rc=$?
check_eq "no such label: exit 2" 2 "$rc"

# --- without BPF: every namespace's mountinfo, and what it cannot see ----------------------------
new_fs text
start_holder "$READY/text" unshare -m --propagation unchanged bash -c "touch '$READY/text'; exec sleep 600"
TXT=$HOLDER_PID
wait_for "[ \"\$(ns_of $TXT)\" != \"\$(ns_of $$)\" ]"
umount "$MNT"
json=$("$UMH" explain --json --no-bpf "$DEV"); rc=$?
check_eq "--no-bpf: a mount in another namespace: exit 32" 32 "$rc"
check_json "--no-bpf: found in that namespace's mountinfo, and partial" "$json" \
	".filesystem.partial == true and ([.holders[] | select(.kind == \"mount\" and .mount_namespace == $(ns_of $TXT) and .remedy == \"nsenter -t $TXT -m umount $MNT\")] | length == 1)"
kill "$TXT"; wait "$TXT" 2>/dev/null
json=$("$UMH" explain --json --no-bpf "$DEV"); rc=$?
check_eq "--no-bpf: in no namespace: not proof that it is gone (exit 2)" 2 "$rc"
check_json "--no-bpf: says so" "$json" '.filesystem.alive == false and .filesystem.partial == true'
text=$("$UMH" explain --no-bpf "$DEV")
check_contains "--no-bpf: the text says what cannot be seen" "$text" "cannot be seen without the kernel-side walk (BPF)"
check_not_contains "--no-bpf: ... and never that it is not mounted" "$text" "$DEV is not mounted."
gone "with BPF" "$DEV"
finish
