# The mount table side: which mount a target names, copies umount takes
# along into other namespaces, bind mounts that do not block, -N.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
S=$SCRATCH

# --- a busy copy in another mount namespace ------------------------------------------
mount_tmpfs "$S/p"
mount --make-shared "$S/p"
mount_tmpfs "$S/p/t"
mkdir "$S/p/t/dir"
# A process in a new namespace whose mounts are peers of ours (propagation
# unchanged): its cwd is in the copy of the target, not in the target.
start_holder "$READY/copy" unshare -m --propagation unchanged "$FIX/holder" "$READY/copy" cwd "$S/p/t/dir"
COPY_PID=$(pgrep -P "$HOLDER_PID" -f holder || echo "$HOLDER_PID")
json=$("$UMH" explain --json "$S/p/t"); rc=$?; text=$("$UMH" explain "$S/p/t")
check_eq "copy: explain exits 32" 32 "$rc"
check_json "copy: a namespace-copy holder names the copy" "$json" \
	"[.holders[] | select(.kind == \"namespace-copy\" and .object == \"$S/p/t\")] | length == 1"
check_json "copy: the process holding the copy is named" "$json" \
	"[.holders[] | select(.kind == \"cwd\" and .pid == $COPY_PID and .path == \"$S/p/t/dir\")] | length == 1"
check_json "copy: it holds the copy, not the target" "$json" \
	".mount_id as \$t | [.holders[] | select(.kind == \"cwd\")][0].mount_id != \$t"
check_json "copy: the copy is listed among other mounts" "$json" \
	"[.other_mounts[] | select(.role == \"propagated-copy\" and .namespace_pid > 0)] | length >= 1"
check_contains "copy: text says the copy goes with it" "$text" "goes with it, and is held"
check_contains "copy: remedy via nsenter" "$text" "nsenter -t"
check_json "copy: the same remedy in JSON" "$json" \
	"[.holders[] | select(.kind == \"namespace-copy\")][0].remedy | test(\"^unmount the copy first: nsenter -t [0-9]+ -m umount $S/p/t\$\")"
check_json "copy: its holder's remedy names the copy" "$json" \
	"[.holders[] | select(.kind == \"cwd\" and .pid == $COPY_PID)][0].remedy | endswith(\"kill $COPY_PID\")"
COPY_NS=$(readlink "/proc/$COPY_PID/ns/mnt" | tr -dc 0-9)
check_contains "copy: its namespace, described" "$text" "in mount namespace mnt:[$COPY_NS] of pid $COPY_PID (holder)"
check_json "copy: the namespace in JSON, and the remedy" "$json" \
	"([.namespaces[] | select(.mount_namespace == $COPY_NS and (.pids | index($COPY_PID)))] | length == 1) and ([.holders[] | select(.kind == \"namespace-copy\" and .remedies[0].command == \"nsenter -t $COPY_PID -m umount $S/p/t\")] | length == 1)"
# The same found from every namespace's mountinfo, where BPF is not used.
json=$("$UMH" explain --json --no-bpf "$S/p/t"); rc=$?
check_eq "copy, --no-bpf: explain exits 32" 32 "$rc"
check_json "copy, --no-bpf: the same copy, held, in the same namespace" "$json" \
	"([.holders[] | select(.kind == \"namespace-copy\" and .object == \"$S/p/t\" and .mount_namespace == $COPY_NS)] | length == 1) and ([.namespaces[] | select(.mount_namespace == $COPY_NS)] | length == 1)"
out=$(umount "$S/p/t" 2>&1); rc=$?
check_eq "copy: umount really fails" 32 "$rc"
# The front end (our umount): util-linux's message, then the copy, named
# with its namespace.
mkdir -p "$S/bin" && ln -sf "$UMH" "$S/bin/umount"
out=$("$S/bin/umount" "$S/p/t" 2>&1); rc=$?
check_eq "copy: umount through the front end fails the same" 32 "$rc"
check_contains "copy: ... and names the busy copy" "$out" "its copy at $S/p/t"
check_contains "copy: ... with its namespace" "$out" "in mount namespace mnt:[$COPY_NS] of pid $COPY_PID (holder)"
# And our helper as umount.tmpfs, as util-linux's umount runs it.
ln -sf "$UMH" "$S/bin/umount.tmpfs"
out=$("$S/bin/umount.tmpfs" "$S/p/t" 2>&1); rc=$?
check_eq "copy: the helper fails the same" 32 "$rc"
check_contains "copy: ... and names the copy with its namespace" "$out" "in mount namespace mnt:[$COPY_NS] of pid $COPY_PID (holder)"
check "copy: ... and the target is still mounted" findmnt -n --mountpoint "$S/p/t"
kill "$HOLDER_PID" "$COPY_PID" 2>/dev/null; wait "$HOLDER_PID" 2>/dev/null

# The same with a private namespace: no propagation, so nothing blocks.
start_holder "$READY/private" unshare -m --propagation private "$FIX/holder" "$READY/private" cwd "$S/p/t/dir"
json=$("$UMH" explain --json "$S/p/t"); rc=$?
check_eq "private copy: explain exits $FREE_RC ($FREE_VERDICT)" "$FREE_RC" "$rc"
check_json "private copy: nothing listed as holding" "$json" '.holders | length == 0'
check "private copy: umount really succeeds" umount "$S/p/t"

# --- bind mounts of the same filesystem do not block ---------------------------------------
M=$S/orig
mount_tmpfs "$M"
mkdir "$M/d"
mkdir "$S/bind"
mount --bind "$M" "$S/bind"
at_exit "umount -l '$S/bind'"
hold bindcwd cwd "$S/bind/d"; BIND_PID=$HOLDER_PID
json=$("$UMH" explain --json "$M"); rc=$?; text=$("$UMH" explain "$M")
check_eq "bind: explain exits $FREE_RC ($FREE_VERDICT)" "$FREE_RC" "$rc"
check_json "bind: the bind mount's user is listed as not blocking" "$json" \
	"([.not_blocking[] | select(.pid == $BIND_PID and .kind == \"cwd\")] | length == 1) and (.holders | length == 0)"
check_json "bind: what does not block comes with no remedy" "$json" '[.not_blocking[] | select(.remedy)] | length == 0'
check_json "bind: the bind mount is a same-filesystem mount" "$json" \
	"[.other_mounts[] | select(.role == \"same-filesystem\" and .target == \"$S/bind\")] | length == 1"
check_contains "bind: text says not blocking" "$text" "Not blocking: the same filesystem is also mounted elsewhere"
check "bind: umount of the original succeeds" umount "$M"
kill "$BIND_PID"

# --- stacked mounts: the top one ---------------------------------------------------------
mount_tmpfs "$S/stack" lower
mkdir "$S/stack/d"
hold lower cwd "$S/stack/d"; LOWER_PID=$HOLDER_PID
mount -t tmpfs upper "$S/stack"
top=$(findmnt -n -o ID --mountpoint "$S/stack" | tail -n 1 | tr -d ' ')
json=$("$UMH" explain --json "$S/stack"); rc=$?
check_json "stack: the top mount is explained" "$json" ".mount_id == $top and .source == \"upper\""
check_eq "stack: the top one is free (exit $FREE_RC: $FREE_VERDICT)" "$FREE_RC" "$rc"
umount "$S/stack"
json=$("$UMH" explain --json "$S/stack")
check_json "stack: then the one below, held" "$json" \
	".source == \"lower\" and ([.holders[] | select(.pid == $LOWER_PID)] | length == 1)"
kill "$LOWER_PID"

# --- names that need escaping ---------------------------------------------------------------
odd="$S/with space"$'\n'"and newline"
mount_tmpfs "$odd" odd
hold odd cwd "$odd"; ODD_PID=$HOLDER_PID
json=$("$UMH" explain --json "$odd"); rc=$?; text=$("$UMH" explain "$odd")
check_eq "escaped: found by its real name" 32 "$rc"
check_eq "escaped: JSON target decodes to the real name" "$odd" "$(jq -r .target <<<"$json")"
check_contains "escaped: the newline is escaped in text" "$text" 'with space\nand newline'
check_eq "escaped: no raw newline inside a name in text" 0 "$(grep -c '^and newline' <<<"$text")"
kill "$ODD_PID"

# --- by source ---------------------------------------------------------------------------------
mount_tmpfs "$S/bysrc" "umhsrc-$$"
json=$("$UMH" explain --json "umhsrc-$$")
check_json "source: a source name resolves to its mount" "$json" ".target == \"$S/bysrc\""

# --- -N: another mount namespace -----------------------------------------------------------
start_holder "$READY/ns" unshare -m --propagation private bash -c \
	"mkdir -p '$S/nsonly' && mount -t tmpfs nsonly '$S/nsonly' && cd '$S/nsonly' && touch '$READY/ns' && exec sleep 1000"
NS_PID=$(pgrep -P "$HOLDER_PID" -x sleep || echo "$HOLDER_PID")
wait_for "[ \"\$(readlink /proc/$NS_PID/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]"
out=$("$UMH" explain "$S/nsonly" 2>&1); rc=$?
# Not a mount point here, but one in that namespace: rmdir says EBUSY, and
# explain says why (the filesystem view; t-explain-fs.sh has the rest).
check_eq "-N: a mount point only in another namespace: busy" 32 "$rc"
check_contains "-N: ... and said so" "$out" "is not a mount point here, but is one in another mount namespace"
json=$("$UMH" explain --json -N "$NS_PID" "$S/nsonly"); rc=$?
check_eq "-N PID: held in that namespace" 32 "$rc"
check_json "-N PID: the holder is named" "$json" \
	".source == \"nsonly\" and ([.holders[] | select(.kind == \"cwd\" and .pid == $NS_PID)] | length == 1)"
json=$("$UMH" explain --json -N "/proc/$NS_PID/ns/mnt" "$S/nsonly")
check_json "-N PATH: the same by namespace file" "$json" '.source == "nsonly" and (.holders | length == 1)'

# A namespace with a /proc of another pid namespace (any container): the
# procfs scan reads its own descriptors' names through the /proc it opened
# before entering, where "self" is itself.
start_holder "$READY/pidns" unshare -m -p -f --propagation private --mount-proc bash -c \
	"mkdir -p '$S/pidns' && mount -t tmpfs pidns '$S/pidns' && cd '$S/pidns' && touch '$READY/pidns' && exec sleep 1000"
PNS_PID=$(pgrep -P "$HOLDER_PID" | head -n 1) # unshare's child, bash then sleep
for scan in "" --no-bpf; do
	json=$("$UMH" explain --json $scan -N "$PNS_PID" "$S/pidns"); rc=$?
	check_eq "-N into a namespace with another pid namespace's /proc (${scan:-bpf}): held" 32 "$rc"
	check_json "-N into a namespace with another pid namespace's /proc (${scan:-bpf}): its cwd is named" "$json" \
		"[.holders[] | select(.kind == \"cwd\" and .pid == $PNS_PID and .path == \"$S/pidns\")] | length == 1"
done
finish
