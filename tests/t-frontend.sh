#!/bin/bash
# The umount front end (issue item 5): every util-linux umount option with
# util-linux's semantics.  Each case is set up twice, identically; the
# system's util-linux umount runs on one, ours on the other, and their
# stdout, stderr, exit status and the resulting mount table are compared.
# Where the target is busy, ours adds the explanation after util-linux's
# text (unless -q).  Then --explain, and the single explanation when a
# helper is involved.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
make_conf
FE=$(link_as umount)
UL=/usr/bin/umount
T=$SCRATCH/t

# --- setups: each makes mounts below $T -------------------------------------
BUSY_PIDS=()
hold() { (cd "$1" && exec sleep 600) & BUSY_PIDS+=($!); STARTED_PIDS+=($!); }
teardown() {
	local p
	for p in "${BUSY_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	BUSY_PIDS=()
	while findmnt -rn -o TARGET | grep -q "^$T"; do
		umount -i -l "$(findmnt -rn -o TARGET | grep "^$T" | tail -n 1)" || break
	done
	for l in $(losetup -n -O NAME -j "$SCRATCH/disk.img" 2>/dev/null); do losetup -d "$l"; done
	rm -rf "$T"
}
tmpfs_at() { mkdir -p "$1" && mount -t tmpfs -o "size=${2:-1040k}" "src-${1##*/}" "$1"; }
setup_none() { mkdir -p "$T/dir"; }
setup_free() { tmpfs_at "$T/m"; }
setup_busy() { tmpfs_at "$T/m"; hold "$T/m"; }
setup_tree() { tmpfs_at "$T/m"; tmpfs_at "$T/m/a"; tmpfs_at "$T/m/a/b"; tmpfs_at "$T/m/c"; }
setup_tree_busy() { setup_tree; hold "$T/m/a/b"; }
setup_binds() { tmpfs_at "$T/m"; mkdir -p "$T/b1" "$T/b2"; mount --bind "$T/m" "$T/b1"; mount --bind "$T/m" "$T/b2"; }
setup_all() { tmpfs_at "$T/x" 1044k; tmpfs_at "$T/y" 1044k; tmpfs_at "$T/z"; }
setup_loop() {
	mkdir -p "$T/m"
	[ -f "$SCRATCH/disk.img" ] || { truncate -s 4M "$SCRATCH/disk.img" && mkfs.ext2 -q "$SCRATCH/disk.img"; }
	mount -o loop "$SCRATCH/disk.img" "$T/m"
}
setup_ns() {
	tmpfs_at "$T/m"
	unshare --mount --propagation private sleep 600 & NS_PID=$!
	BUSY_PIDS+=($NS_PID) STARTED_PIDS+=($NS_PID)
	wait_for "[ \$(readlink /proc/$NS_PID/ns/mnt) != \$(readlink /proc/self/ns/mnt) ]"
}

table() { findmnt -rn -o TARGET,SOURCE,FSTYPE,VFS-OPTIONS | grep "^$T" | sort; losetup -n -O BACK-FILE -j "$SCRATCH/disk.img" 2>/dev/null; }

# compare MODE DESC SETUP ARGS...: MODE is "exact" (all output equal) or
# "busy" (ours: util-linux's stderr, then the explanation).
compare() {
	local mode=$1 desc=$2 setup=$3; shift 3
	local args=("${@//@NS@/${NS_PID:-}}")
	$setup; args=("${@//@NS@/${NS_PID:-}}")
	run_capture ul "$UL" "${args[@]}"; local ul_table; ul_table=$(table); teardown
	$setup; args=("${@//@NS@/${NS_PID:-}}")
	run_capture fe "$FE" "${args[@]}"; local fe_table; fe_table=$(table); teardown
	# getopt names the program by its argv[0]: the paths differ.
	ul_err=${ul_err//$UL:/umount:} fe_err=${fe_err//$FE:/umount:}
	check_eq "$desc: exit status" "$ul_rc" "$fe_rc"
	check_eq "$desc: stdout" "$ul_out" "$fe_out"
	check_eq "$desc: mount table after" "$ul_table" "$fe_table"
	if [ "$mode" = exact ]; then
		check_eq "$desc: stderr" "$ul_err" "$fe_err"
	else
		check_eq "$desc: util-linux's stderr first" "$ul_err" "$(head -n "$(wc -l <<<"$ul_err")" <<<"$fe_err")"
		check_contains "$desc: then the explanation" "$fe_err" "is held by"
	fi
}

compare exact "not mounted" setup_none "$T/dir"
compare exact "not found" setup_none "$T/nothing"
compare exact "-q, not mounted" setup_none -q "$T/dir"
compare exact "free" setup_free "$T/m"
compare exact "-v, free" setup_free -v "$T/m"
compare exact "--verbose via a source" setup_free --verbose src-m
compare busy "busy" setup_busy "$T/m"
compare exact "-q, busy: no explanation" setup_busy -q "$T/m"
compare busy "-i, busy" setup_busy -i "$T/m"
compare exact "--fake" setup_free --fake "$T/m"
compare exact "-l, busy" setup_busy -l "$T/m"
compare exact "-f, free" setup_free -f "$T/m"
compare busy "-r, busy" setup_busy -r "$T/m"
compare exact "-n, free" setup_free -n "$T/m"
compare exact "-c, free" setup_free -c "$T/m"
compare exact "-R, a tree" setup_tree -R -v "$T/m"
compare busy "-R, a tree held deep down" setup_tree_busy -R "$T/m"
compare exact "-A, every bind mount" setup_binds -A "$T/b1"
compare exact "-a -t -O, two of three" setup_all -a -v -t tmpfs -O size=1044k
if need_feature loop "umount -d" && need_feature ext2 "umount -d"; then
	compare exact "-d, a loop device freed" setup_loop -d "$T/m"
fi
compare exact "-N, another namespace" setup_ns -N @NS@ "$T/m"
compare exact "-a with a target" setup_none -a "$T/dir"
compare exact "-a -A: exclusive" setup_none -a -A
compare exact "-R -r: exclusive" setup_none -R -r "$T/dir"
compare exact "-t -R: exclusive" setup_none -t tmpfs -R "$T/dir"
compare exact "no target" setup_none
compare exact "unknown option" setup_none --no-such-option

run_capture ulh "$UL" --help
run_capture feh "$FE" --help
for o in $(grep -o -- ' --[a-z-]*' <<<"$ulh_out"); do
	check_contains "--help lists $o" "$feh_out" " $o"
done
check_contains "--help lists --explain" "$feh_out" "--explain"
run_capture fev "$FE" -V
check_contains "-V: util-linux's form, with libmount's version" "$fev_out" "umount from umount-helper "

# --- --explain --------------------------------------------------------------
setup_busy
run_capture ex "$FE" --explain "$T/m"
check_eq "--explain, held: exit 32" 32 "$ex_rc"
check_contains "--explain, held: the report on stdout" "$ex_out" "is held by 1 process"
check "--explain: nothing unmounted" is_mounted "$T/m"
run_capture exj "$FE" --explain --json "$T/m"
check_json "--explain --json" "$exj_out" '.busy == true and (.holders | length) == 1'
teardown
setup_free
run_capture ex "$FE" --explain "$T/m"
check_eq "--explain, free: exit 0" 0 "$ex_rc"
check "--explain, free: still mounted" is_mounted "$T/m"
teardown
setup_none
run_capture ex "$FE" --explain "$T/dir"
check_eq "--explain, not mounted: exit 2" 2 "$ex_rc"
run_capture ex "$FE" --json "$T/dir"
check_eq "--json without --explain: usage error" 1 "$ex_rc"
teardown

# --- one explanation, whoever unmounts ---------------------------------------
overlay_sbin
count() { grep -c "is held by" <<<"$1"; }
ln -s "$LEAN" "$SBIN/umount.tmpfs"        # our helper, native
setup_busy
run_capture one "$FE" "$T/m"
check_eq "our native helper under the front end: exit 32" 32 "$one_rc"
check_eq "our native helper under the front end: explained once" 1 "$(count "$one_err")"
run_capture q "$FE" -q "$T/m"
check_eq "-q: the helper does not explain either" 0 "$(count "$q_err")"
run_capture off env UMOUNT_HELPER_EXPLAIN=0 "$FE" "$T/m"
check_eq "UMOUNT_HELPER_EXPLAIN=0: no explanation" 0 "$(count "$off_err")"
run_capture ul "$UL" "$T/m"
check_eq "the helper alone under util-linux: explained once" 1 "$(count "$ul_err")"

printf '#!/bin/sh\necho "umount.fake: $1: device is busy" >&2\nexit 16\n' >"$SBIN/umount.tmpfs.distrib"
chmod +x "$SBIN/umount.tmpfs.distrib"  # our helper, wrapping
run_capture wr "$FE" "$T/m"
check_eq "our wrapping helper under the front end: its status" 16 "$wr_rc"
check_eq "our wrapping helper under the front end: its message first" "umount.fake: $T/m: device is busy" "$(head -n 1 <<<"$wr_err")"
check_eq "our wrapping helper under the front end: explained once" 1 "$(count "$wr_err")"

rm "$SBIN/umount.tmpfs"
mv "$SBIN/umount.tmpfs.distrib" "$SBIN/umount.tmpfs"  # a helper that is not ours
run_capture foreign "$FE" "$T/m"
check_eq "a foreign helper under the front end: its status" 16 "$foreign_rc"
check_eq "a foreign helper under the front end: the front end explains, once" 1 "$(count "$foreign_err")"
teardown

# A helper that fails on a mount nothing visible holds (as when a kernel
# module holds a file on NFS): the front end says that the mount is still
# there, without calling it busy -- once, whether it ran the helper itself
# or ours wrapping it.
still() { grep -c "is still mounted, and no holder was found." <<<"$1"; }
setup_free
run_capture nf "$FE" "$T/m"
check_eq "a foreign helper failing, nothing held: its status" 16 "$nf_rc"
check_eq "a foreign helper failing, nothing held: still mounted, said once" 1 "$(still "$nf_err")"
mv "$SBIN/umount.tmpfs" "$SBIN/umount.tmpfs.distrib"
ln -s "$LEAN" "$SBIN/umount.tmpfs"
run_capture nw "$FE" "$T/m"
check_eq "our wrapping helper failing, nothing held: its status" 16 "$nw_rc"
check_eq "our wrapping helper failing, nothing held: its message first" "umount.fake: $T/m: device is busy" \
	"$(head -n 1 <<<"$nw_err")"
check_eq "our wrapping helper failing, nothing held: still mounted, said once" 1 "$(still "$nw_err")"
check "nothing held: still mounted" is_mounted "$T/m"
teardown
finish
