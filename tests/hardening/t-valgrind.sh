# The main scenarios with umount-helper under valgrind (memcheck, forked
# analysis processes included): no errors, no definite or indirect leaks.
# The tests that measure time are left out: valgrind is slow by design.
cd "$(dirname "$0")/../.."
make --no-print-directory -s test-programs >/dev/null || { echo "not ok - the build failed"; exit 1; }
wrapper=build/valgrind-umount-helper
logdir=build/valgrind
rm -rf "$logdir"
mkdir -p -m 1777 "$logdir" "$logdir/names" # the privilege tests run it as nobody too
# The explain scenarios run the procfs scan here (UMOUNT_HELPER_FAULT=bpf):
# under valgrind, libbpf's parse of the kernel's BTF alone takes seconds and
# the scenarios' time budgets would run out.  t-valgrind-bpf.sh checks the
# BPF scan under valgrind on its own, with a budget to match.
# The program's name decides what it does (a test's symbolic link named
# "umount" to \$UMH is the front end): the wrapper runs it under the name it
# was called by, through a link of that name to the build's binary.
cat >"$wrapper" <<EOW
#!/bin/sh
prog=$PWD/build/umount-helper
name=\${0##*/}
if [ "\$name" != "${wrapper##*/}" ]; then
	ln -s "\$prog" "$PWD/$logdir/names/\$name" 2>/dev/null || [ -L "$PWD/$logdir/names/\$name" ] || exit 4
	prog=$PWD/$logdir/names/\$name
fi
UMOUNT_HELPER_FAULT=\${UMOUNT_HELPER_FAULT:-bpf} exec valgrind --quiet --error-exitcode=99 --suppressions=$PWD/tests/hardening/libbpf.supp --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --child-silent-after-fork=no \\
	--log-file=$PWD/$logdir/%p.log "\$prog" "\$@"
EOW
chmod +x "$wrapper"
# t-explain-fs is left out: what it finds (copies in other namespaces,
# detached and anonymous mounts) only the BPF walk of the kernel's mounts
# sees, which the procfs scan here does not load; t-valgrind-bpf.sh runs
# explain --fs under valgrind with it.
out=$(UMH_UNDER_VALGRIND=1 UMH=$PWD/$wrapper TESTS=explain TESTS_EXCLUDE="deadfs cli explain-fs" tests/run 2>&1)
rc=$?
passed=$(tail -n 1 <<<"$out" | grep -o '[0-9]* passed' | grep -o '[0-9]*')
[ "${passed:-0}" -gt 50 ] || rc=1 # it must have run the scenarios
grep -E '^t-' <<<"$out" | sed -e 's/^/# /'
errors=$(cat "$logdir"/*.log 2>/dev/null | grep -cE '== (Invalid|Conditional|Syscall param|Mismatched|Source and destination)|definitely lost: [1-9]|indirectly lost: [1-9]')
runs=$(ls "$logdir"/*.log 2>/dev/null | wc -l)
if [ "$rc" = 0 ] && [ "$errors" = 0 ]; then
	echo "ok - the explain scenarios under valgrind: $runs processes checked, no errors, no leaks"
else
	echo "not ok - valgrind: test status $rc, $errors error lines"
	grep -hE 'not ok' <<<"$out" | head -20 | sed -e 's/^/# /'
	grep -lE '== (Invalid|Conditional|Syscall param)|definitely lost: [1-9]|indirectly lost: [1-9]' "$logdir"/*.log | head -3 |
		xargs -r head -40 | sed -e 's/^/# /'
	exit 1
fi
