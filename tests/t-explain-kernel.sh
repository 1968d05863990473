# Holders inside the kernel, which no process's file table shows: loop
# devices, swap files, binfmt_misc interpreters (flag F), child mounts.
# Each is checked in text and JSON, and each one really makes umount fail.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch

busy_then_free() { # DESC MOUNTPOINT RELEASE-COMMAND
	local out rc
	out=$(umount "$2" 2>&1); rc=$?
	check_eq "$1: umount really fails while held" 32 "$rc"
	eval "$3"
	out=$("$UMH" explain "$2"); rc=$?
	check_eq "$1: explain exits $FREE_RC once released ($FREE_VERDICT)" "$FREE_RC" "$rc"
	check "$1: umount succeeds once released" umount "$2"
}

# --- loop device --------------------------------------------------------------
if need_feature loop "the loop holder and the child mount" && need_feature ext4 "the loop holder"; then
	M=$SCRATCH/loopfs
	mount_tmpfs "$M"
	mkdir "$M/dir"
	truncate -s 16M "$M/dir/disk.img"
	mkfs.ext4 -q "$M/dir/disk.img"
	LOOP=$(losetup -f --show "$M/dir/disk.img")
	at_exit "losetup -d $LOOP"
	mkdir "$SCRATCH/media"
	mount "$LOOP" "$SCRATCH/media"
	at_exit "umount -l '$SCRATCH/media'"
	json=$("$UMH" explain --json "$M"); text=$("$UMH" explain "$M")
	check_json "loop: JSON names the device and its backing file" "$json" \
		"[.holders[] | select(.kind == \"loop\" and .object == \"$LOOP\" and .path == \"$M/dir/disk.img\" and .matched_by == \"mount-id\")] | length == 1"
	check_contains "loop: text names it" "$text" "loop device $LOOP, backed by $M/dir/disk.img"
	check_contains "loop: what is mounted from it" "$text" "mounted at $SCRATCH/media"
	check_contains "loop: remedy" "$text" "unmount what is mounted from it, then losetup -d $LOOP"
	check_json "loop: remedy in JSON" "$json" \
		"[.holders[] | select(.kind == \"loop\")][0].remedy == \"unmount what is mounted from it, then losetup -d $LOOP\""

	# Paths lie: cover the backing file's directory with another mount.  Its
	# path now leads elsewhere; the device and inode the loop driver reports
	# still point at this filesystem.
	mount -t tmpfs cover "$M/dir"
	json=$("$UMH" explain --json "$M")
	check_json "loop: found by device when its path leads to another mount" "$json" \
		"[.holders[] | select(.kind == \"loop\" and .object == \"$LOOP\")] | length == 1"
	check_json "child mount: the covering mount is a child mount" "$json" \
		"[.holders[] | select(.kind == \"child-mount\" and .object == \"$M/dir\")] | length == 1"
	check_contains "child mount: remedy" "$("$UMH" explain "$M")" "umount $M/dir first, or the whole tree: umount -R $M"
	check_json "child mount: remedy in JSON" "$json" \
		"[.holders[] | select(.kind == \"child-mount\")][0].remedy == \"umount $M/dir first, or the whole tree: umount -R $M\""
	umount "$M/dir"
	busy_then_free loop "$M" "umount '$SCRATCH/media'; losetup -d $LOOP"
fi

# --- swap file ------------------------------------------------------------------
# On a loop-mounted ext4: the kernel refuses a swap file on tmpfs.
if need_feature swap "the swap holder" && need_feature loop "the swap holder (on a loop-mounted ext4)" &&
	need_feature ext4 "the swap holder"; then
	truncate -s 64M "$SCRATCH/ext.img"
	mkfs.ext4 -q "$SCRATCH/ext.img"
	E=$SCRATCH/ext
	mkdir "$E"
	mount -o loop "$SCRATCH/ext.img" "$E"
	at_exit "umount -l '$E'"
	dd if=/dev/zero of="$E/swap file" bs=1M count=8 status=none
	chmod 600 "$E/swap file"
	mkswap -q "$E/swap file" >/dev/null
	if swapon "$E/swap file"; then
		at_exit "swapoff '$E/swap file'"
		json=$("$UMH" explain --json "$E"); text=$("$UMH" explain "$E")
		check_json "swap: JSON names the swap file" "$json" \
			"[.holders[] | select(.kind == \"swap\" and .path == \"$E/swap file\")] | length == 1"
		check_contains "swap: text and remedy" "$text" "swapoff $E/swap file"
		check_json "swap: remedy in JSON" "$json" \
			"[.holders[] | select(.kind == \"swap\")][0].remedy == \"swapoff $E/swap file\""
		busy_then_free swap "$E" "swapoff '$E/swap file'"
	else
		not_ok "swap: swapon failed here, so the swap holder cannot be tested"
	fi
fi

# --- binfmt_misc interpreter opened with flag F --------------------------------------
need_feature binfmt_misc "the binfmt holder" || finish
B=$SCRATCH/binfmt
mkdir "$B"
mount -t binfmt_misc binfmt_misc "$B"
at_exit "umount -l '$B'"
M=$SCRATCH/interp
mount_tmpfs "$M"
cp /bin/true "$M/interpreter"
NAME=umh-test-$$
echo ":$NAME:E::umhtest$$::$M/interpreter:F" >"$B/register"
at_exit "echo -1 > '$B/$NAME'"
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
json=$("$UMH" explain --json "$M"); text=$("$UMH" explain "$M")
check_json "binfmt: JSON names the entry and the interpreter" "$json" \
	"[.holders[] | select(.kind == \"binfmt\" and .object == \"$NAME\" and .path == \"$M/interpreter\")] | length == 1"
check_contains "binfmt: text and remedy" "$text" "echo -1 > /proc/sys/fs/binfmt_misc/$NAME"
check_json "binfmt: remedy in JSON" "$json" \
	"[.holders[] | select(.kind == \"binfmt\")][0].remedy == \"remove the entry: echo -1 > /proc/sys/fs/binfmt_misc/$NAME\""
# With binfmt_misc mounted nowhere in this namespace, it is read through a
# detached mount that changes no mount table.
umount /proc/sys/fs/binfmt_misc
if [ -n "${UMH_UNDER_VALGRIND:-}" ]; then
	ok "binfmt: found without binfmt_misc mounted # SKIP valgrind 3.19 does not implement fsopen(2)"
else
	before=$(cat /proc/self/mountinfo)
	json=$("$UMH" explain --json "$M")
	check_json "binfmt: found without binfmt_misc mounted" "$json" \
		"[.holders[] | select(.kind == \"binfmt\" and .object == \"$NAME\")] | length == 1"
	check_eq "binfmt: reading it mounted nothing" "$before" "$(cat /proc/self/mountinfo)"
fi
busy_then_free binfmt "$M" "echo -1 > '$B/$NAME'"
finish
