#!/bin/bash
# The NFS server holds what it exports: once a client has used an export,
# the kernel's export cache (sunrpc's nfsd.export and nfsd.fh caches) keeps
# a reference to the exported directory, so its file system cannot be
# unmounted on the server -- no process holds it, lsof and fuser see
# nothing -- until the export is withdrawn (exportfs -u).
#
# A tmpfs at $XP, exported to 127.0.0.1 beside /export, mounted by the
# client on /mnt, read, unmounted again: the server side stays busy.
. "$VM_REPO/tests/vm/guest/lib.sh"
XP=/tmp/nfsd-export
CLIENT=127.0.0.1
CACHE=/proc/net/rpc/nfsd.export/content
EXPORTS=/proc/fs/nfsd/exports

# The line for $XP in one of the kernel's tables (tab-separated).
export_line() { awk -F '\t' -v p="$XP" '$1 == p' "$1"; }

# Assertions about build/umount-helper: explain names the export as an
# nfsd-export holder, with the remedy exportfs -u CLIENT:PATH.
check_umount_helper() {
	local id json text
	id=$(awk -v t="$XP" '$5 == t { id = $1 } END { print id }' /proc/self/mountinfo)
	run "$UMH" explain --json "$XP"
	json=$RUN_OUT
	check_eq "explain --json $XP exits 32 (held)" 32 "$RUN_RC"
	check_eq "explain --json: one holder, of kind nfsd-export" "nfsd-export" \
		"$(jq -r '[.holders[].kind] | join(",")' <<<"$json")"
	check_eq "explain --json: its path is the exported directory" "$XP" \
		"$(jq -r '.holders[] | select(.kind == "nfsd-export") | .path' <<<"$json")"
	check_eq "explain --json: its object is the client, as exportfs -u takes it" "$CLIENT" \
		"$(jq -r '.holders[] | select(.kind == "nfsd-export") | .object' <<<"$json")"
	check_contains "explain --json: its detail holds the export options (fsid=2)" \
		"$(jq -r '.holders[] | select(.kind == "nfsd-export") | .detail' <<<"$json")" "fsid=2"
	check_eq "explain --json: it pins this mount (id $id), matched by path" "$id path" \
		"$(jq -r '.holders[] | select(.kind == "nfsd-export") | "\(.mount_id) \(.matched_by)"' <<<"$json")"
	run "$UMH" explain "$XP"
	text=$RUN_OUT
	check_eq "explain: $XP is held by 1 nfsd export" "$XP is held by 1 nfsd export." "$(first_line "$text")"
	check_line "explain: names the export and the client" "$text" "  the NFS server exports $XP to $CLIENT"
	check_line "explain: the remedy is exportfs -u $CLIENT:$XP" "$text" \
		"    → exportfs -u $CLIENT:$XP, then flush the kernel's export cache: exportfs -f"
}

nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
check_cmd "the kernel's export cache is readable: $CACHE" test -r "$CACHE"
check_cmd "and the nfsd export table: $EXPORTS" test -r "$EXPORTS"
mkdir -p "$XP"
run mount -t tmpfs -o mode=755 nfsd-export "$XP"
check_eq "a tmpfs on $XP" 0 "$RUN_RC"
at_exit "mountpoint -q '$XP' && umount -l '$XP'"
echo data >"$XP/file"
at_exit "exportfs -u '$CLIENT:$XP'"
run exportfs -o rw,no_root_squash,no_subtree_check,insecure,fsid=2 "$CLIENT:$XP"
check_eq "exportfs $CLIENT:$XP" 0 "$RUN_RC"

# exportfs only writes /var/lib/nfs/etab: the kernel has no entry for the
# export until a client uses it, and nothing holds the tmpfs yet.
run cat "$CACHE"
check_empty "before any client: no entry for $XP in $CACHE" "$(export_line "$CACHE")"
run "$UMH" explain --json "$XP"
check_eq "before any client: explain $XP exits 0 (nothing holds it)" 0 "$RUN_RC"
check_eq "before any client: explain --json: no holder" 0 "$(jq -r '.holders | length' <<<"$RUN_OUT")"

# A client mounts it, reads a file, and goes away.
need_feature nfsv3 || exit 1
run mount -t nfs -o vers=3 "$CLIENT:$XP" /mnt
check_eq "the client mounts $CLIENT:$XP on /mnt" 0 "$RUN_RC"
at_exit "is_nfs_mounted && umount -f -l /mnt"
run cat /mnt/file
check_eq "the client reads the file" data "$RUN_OUT"
run umount /mnt
check_eq "the client unmounts /mnt" 0 "$RUN_RC"

# The kernel's tables, as they are now (real lines, for the record).
run cat "$CACHE"
line=$(export_line "$CACHE")
check_contains "$CACHE: an entry for $XP, client $CLIENT" "$line" "$XP	$CLIENT("
run cat "$EXPORTS"
check_contains "$EXPORTS: the same entry" "$(export_line "$EXPORTS")" "$XP	$CLIENT("
run cat /proc/net/rpc/nfsd.fh/content

# The server cannot unmount it; nothing a process holds explains why.
run_split umount "$XP"
check_eq "umount $XP (util-linux, no helper) says the target is busy" "umount: $XP: target is busy." "$RUN_STDERR"
check_eq "umount $XP exits 32" 32 "$RUN_RC"
check_cmd "$XP is still mounted" mountpoint -q "$XP"
run lsof "$XP"
check_empty "lsof $XP prints nothing" "$RUN_OUT"
run fuser -m "$XP"
check_empty "fuser -m $XP prints nothing" "$RUN_OUT"

check_umount_helper

# The remedy it gives.
run exportfs -u "$CLIENT:$XP"
check_eq "exportfs -u $CLIENT:$XP" 0 "$RUN_RC"
run cat "$CACHE"
if [ -n "$(export_line "$CACHE")" ]; then
	# Not seen so far: exportfs -u flushes the cache itself.
	say "(the entry is still cached after exportfs -u: flushing)"
	run exportfs -f
fi
check_empty "after exportfs -u: no entry for $XP in $CACHE" "$(export_line "$CACHE")"
run "$UMH" explain --json "$XP"
check_eq "after exportfs -u: explain $XP exits 0 (nothing holds it)" 0 "$RUN_RC"
run_split umount "$XP"
check_eq "after exportfs -u: umount $XP succeeds" 0 "$RUN_RC"
check_empty "after exportfs -u: umount $XP prints nothing" "$RUN_STDOUT$RUN_STDERR"
if mountpoint -q "$XP"; then not_ok "$XP is no longer mounted"; else ok "$XP is no longer mounted"; fi
