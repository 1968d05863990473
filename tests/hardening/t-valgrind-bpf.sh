# The BPF scan, the in-flight descriptor walk, the filesystem's walk, the
# search inside the kernel and doctor under valgrind, the scan both with
# programs it loads and with those the watcher keeps pinned
# (lib/bpf/scan/scan-pin.h)
# (memcheck, the forked analysis process included): no errors, no definite
# or indirect leaks.  libbpf's bpf(2) calls that valgrind only half knows
# are suppressed (libbpf.supp).  A long budget: valgrind makes libbpf's
# parse of the kernel's BTF take seconds.
. "$(dirname "$0")/../lib.sh"
enter_private_ns "$@"
need_feature bpf-scan "the BPF scan under valgrind" || finish
cd "$TOP"
logdir=build/valgrind-bpf
rm -rf "$logdir" && mkdir -p "$logdir"
vg() {
	valgrind --quiet --error-exitcode=99 --suppressions="$TOP/tests/hardening/libbpf.supp" --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--child-silent-after-fork=no --log-file="$TOP/$logdir/%p.log" "$UMH" "$@"
}
M=$(mktemp -d /tmp/umh-vg.XXXXXX)
R=$(mktemp -d /tmp/umh-ready.XXXXXX)
at_exit "umount -l $M; rmdir $M; rm -rf $R"
mount -t tmpfs vg-test "$M"
mkdir "$M/d"; echo x >"$M/f"; echo x >"$M/s"
# A BPF filesystem of the test's own: what watchers of other tests pin is
# not seen here, so that the first scan loads its programs.
mount -t bpf -o mode=0700 bpf /sys/fs/bpf || not_ok "a BPF filesystem of the test's own"
start_holder "$R/a" "$FIX/holder" "$R/a" open "$M/f" || not_ok "holder open"
start_holder "$R/b" "$FIX/holder" "$R/b" thread-cwd "$M/d" || not_ok "holder thread-cwd"
start_holder "$R/c" "$FIX/holder" "$R/c" scm "$M/s" || not_ok "holder scm"

json=$(vg explain --timeout 120 --json "$M"); rc=$?
check_eq "explain under valgrind exits 32" 32 "$rc"
check_json "the BPF scan ran under valgrind" "$json" '.scan.method == "bpf"'
check_json "and found the three holders" "$json" '[.holders[].kind] | sort == ["fd", "scm-inflight", "thread-cwd"]'
# The watcher's pinned programs: checked, locked, their maps cleared with
# BPF_MAP_GET_NEXT_KEY (libbpf.supp), iterators made from their links.
"$UMH" watch --no-record --no-journal --duration 300 >"$R/w.out" 2>&1 &
W_PID=$!
STARTED_PIDS+=("$W_PID")
wait_for "grep -q 'explain: its BPF scan' '$R/w.out'" 100
check_contains "the watcher keeps the scan's programs pinned" "$(cat "$R/w.out")" "explain: its BPF scan kept loaded"
json=$(UMOUNT_HELPER_DEBUG=time vg explain --timeout 120 --json "$M" 2>"$R/pinned.err"); rc=$?
check_eq "explain with the pinned programs under valgrind exits 32" 32 "$rc"
check_contains "... used the watcher's pinned programs" "$(cat "$R/pinned.err")" "bpf scan: the watcher's pinned programs"
check_json "... and found the three holders" "$json" '[.holders[].kind] | sort == ["fd", "scm-inflight", "thread-cwd"]'
kill -TERM "$W_PID" 2>/dev/null
wait "$W_PID" 2>/dev/null
# The filesystem's walk (lib/bpf/fsview): its ring buffer, its two
# iterators, the namespaces' description.
json=$(vg explain --timeout 120 --json --fs "$M"); rc=$?
check_eq "explain --fs under valgrind exits 32" 32 "$rc"
check_json "the walk found the mount here, and its holders" "$json" \
	'.filesystem.alive and .filesystem.partial == false and ([.holders[] | select(.kind == "mount")] | length == 1) and ([.holders[] | select(.kind == "fd")] | length == 1)'
# The search inside the kernel (lib/bpf/refcount/kernrefs, explain's
# collect-kernel-refs): a reference nothing else explains, an unread
# fanotify event's, makes it run its steps (tracefs, the modules' data, the
# dentry walk), and the walk names the file.
mkdir "$M/k"; echo x >"$M/k/watched"
start_holder "$R/fan" "$FIX/kholder" "$R/fan" fanotify "$M/k/watched" || not_ok "holder fanotify"
json=$(vg explain --timeout 120 --json "$M"); rc=$?
check_eq "explain with a kernel-held reference under valgrind exits 32" 32 "$rc"
check_json "the count was read, and the walk named the file the event keeps" "$json" \
	".references.count != null and ([.holders[] | select(.kind == \"kernel-ref\" and .path == \"$M/k/watched\")] | length == 1)"
vg doctor >/dev/null; rc=$?
check_eq "doctor under valgrind exits 0" 0 "$rc"
errors=$(cat "$logdir"/*.log 2>/dev/null | grep -cE '== (Invalid|Conditional|Syscall param|Mismatched|Source and destination)|definitely lost: [1-9]|indirectly lost: [1-9]')
check_eq "no valgrind errors or leaks in $(ls "$logdir" | wc -l) processes" 0 "$errors"
[ "$errors" = 0 ] || cat "$logdir"/*.log | head -40 | sed -e 's/^/# /'
finish
