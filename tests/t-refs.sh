#!/bin/bash
# Reference accounting on this machine's kernel: where the mount's count can
# be read, a holder's reference is explained and none is left; where it
# cannot (the development kernel: no per-CPU offsets in kallsyms), the count
# is unknown -- JSON null, and one sentence why, the same reason doctor
# gives -- never a guess.  The real counts are checked under QEMU
# (tests/vm/scenarios/60-refcount.sh), on a kernel that allows reading them.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/m
mount_tmpfs "$M" refs-test
mkdir "$M/d"
hold cwd cwd "$M/d" || not_ok "cwd holder started"

doctor=$("$UMH" doctor 2>&1 | tr -s ' \n' '  ')
refcount=$(grep -oE "mount refcount (yes|no) .*; bpf_per_cpu_ptr [^;]*mnt_pcp|mount refcount (yes|no) [^.]*references" \
	<<<"$doctor")
diag "doctor: $refcount"
check "doctor has a mount refcount line" test -n "$refcount"
json=$("$UMH" explain --json "$M"); rc=$?
text=$("$UMH" explain "$M")
check_eq "explain exits 32: held by the cwd holder" 32 "$rc"
check_json "the BPF scan ran (the count is read with it)" "$json" '.scan.method == "bpf"'

if [[ $refcount == "mount refcount yes"* ]]; then
	check_json "doctor says the count can be read: explain reads it" "$json" '.references.count | type == "number"'
	check_json "one for being mounted, one for the holder's cwd" "$json" \
		'.references.count == 2 and .references.explained == 1 and .unexplained_refs == 0'
	check_contains "the report says every reference is accounted for" "$text" \
		"Every reference to this mount is accounted for"
else
	check_json "doctor says the count cannot be read: unexplained_refs is null" "$json" '.unexplained_refs == null'
	check_json "and so is the count" "$json" '.references.count == null'
	why=$(jq -r .references.why <<<"$json")
	check_contains "explain's reason is doctor's" "$refcount" "mount refcount no $why"
	check_contains "the report says the count is unknown, and why, in one sentence (a wrapped paragraph)" \
		"$(tr '\n' ' ' <<<"$text")" "The mount's reference count is unknown: $why."
	check_not_contains "and never a number of unexplained references" "$text" "not explained by anything found"
fi

# Without the BPF scan there is no count, and the report says why.
json=$("$UMH" explain --json --no-bpf "$M")
check_json "--no-bpf: unexplained_refs is null" "$json" '.unexplained_refs == null'
check_json "--no-bpf: and the reason names it" "$json" '.references.why | test("--no-bpf")'

# Nothing held: no sentence about references in the report.
kill -KILL "$HOLDER_PID"; wait "$HOLDER_PID" 2>/dev/null
text=$("$UMH" explain "$M")
check_not_contains "a free mount's report says nothing about references" "$text" "reference count"
finish
