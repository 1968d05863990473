# The whole test suite again, on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer: any report fails the test it happens in (the
# sanitizers abort the program, so its test sees a crash).
cd "$(dirname "$0")/../.."
make --no-print-directory -s BUILD=build/asan SANITIZE=1 test-programs >/dev/null ||
	{ echo "not ok - the sanitizer build failed"; exit 1; }
# handle_segv=0: a test crashes the analysis on purpose and checks that it
# died of SIGSEGV; ASan's handler would turn that into an exit status.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:print_summary=1:handle_segv=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Left out: this test itself, the fuzzers (sanitized already), and suites
# that measure time or boot machines, and the package (built by debian/rules
# with its own flags).
out=$(UMH_UNDER_ASAN=1 BUILD=build/asan TESTS= TESTS_EXCLUDE="hardening/ fuzz/ vm/ bench t-deb" tests/run 2>&1)
rc=$?
passed=$(tail -n 1 <<<"$out" | grep -o '[0-9]* passed' | grep -o '[0-9]*')
[ "${passed:-0}" -gt 100 ] || rc=1 # it must have run the suite
grep -E '^(unit/|t-|[a-z]+/t-)' <<<"$out" | sed -e 's/^/# /'
if [ "$rc" = 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' <<<"$out"; then
	echo "ok - the test suite passes under ASan and UBSan ($(tail -n 1 <<<"$out" | sed 's/^make check: //'))"
else
	echo "not ok - failures under ASan/UBSan"
	grep -E 'not ok|ERROR:|runtime error:|SUMMARY' <<<"$out" | head -20 | sed -e 's/^/# /'
	exit 1
fi
