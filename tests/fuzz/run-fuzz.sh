#!/bin/bash
# Runs every fuzz target for FUZZ_SECONDS, starting from its committed seed
# corpus (tests/fuzz/corpus/TARGET) and growing a working corpus in
# build/fuzz/corpus/TARGET.  Prints one TAP line per target with the runs
# and corpus size; a crash fails it and leaves the reproducer in build/fuzz/.
set -u
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
failed=0
for bin in build/fuzz/fuzz-*; do
	[ -x "$bin" ] || continue
	name=${bin##*/}
	work=build/fuzz/corpus/$name
	mkdir -p "$work"
	log=build/fuzz/$name.log
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="build/fuzz/$name-" \
		"$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*')
	size=$(find "$work" -type f | wc -l)
	if [ "$rc" = 0 ]; then
		echo "ok - $name: ${runs:-?} runs in ${seconds} s, corpus of $size inputs"
	else
		echo "not ok - $name: exit $rc"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -5 | sed -e 's/^/# /'
		failed=1
	fi
done
exit $failed
