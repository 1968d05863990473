#!/bin/bash
# Reference accounting on this machine's kernel, which lists no data symbol
# in kallsyms (CONFIG_KALLSYMS_ALL unset): the per-CPU offsets come from a
# per-CPU map of the program's own, so the mount's count is read here too.
# A tmpfs with known holders of several kinds counts exactly 1 (for being
# mounted) + one per holder, however many descriptors share one open file;
# a free one counts 1.  Where the count cannot be read (--no-bpf) it is
# unknown -- JSON null, one sentence why -- never a guess.  Debian's kernel
# reads it through kallsyms too: tests/vm/scenarios/60-refcount.sh.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
M=$SCRATCH/m
mount_tmpfs "$M" refs-test
mkdir "$M/d"
echo data >"$M/d/file"
head -c 65536 /dev/zero >"$M/big"

doctor=$("$UMH" doctor 2>&1 | tr -s ' \n' '  ')
refcount=$(grep -oE "mount refcount (yes|no) [^.]*references|mount refcount (yes|no) .*; bpf_per_cpu_ptr [^;]*mnt_pcp" \
	<<<"$doctor")
diag "doctor: $refcount"
if [[ $refcount != "mount refcount yes"* ]]; then
	not_ok "this kernel gives explain no way to read a mount's reference count: $refcount"
	finish
fi
ok "doctor: the mount's reference count can be read on this kernel"
check_contains "doctor: through the per-CPU map (no data symbols in kallsyms here)" "$refcount" \
	"per-CPU offsets of a per-CPU map"

# Nothing holds it: the count is the one reference for being mounted.
json=$("$UMH" explain --json "$M"); rc=$?
check_eq "free: explain exits 0" 0 "$rc"
check_json "free: the kernel counts 1, the one for being mounted, and nothing is left" "$json" \
	'.references.count == 1 and .references.explained == 0 and .unexplained_refs == 0 and .verdict == "free"'

# From a pid namespace of its own, where explain's threads are numbered
# otherwise than the kernel numbers them (the count program's table is
# keyed by the kernel's number, which the reader learns from the program).
json=$(unshare -p -f --mount-proc "$UMH" explain --json "$M"); rc=$?
check_eq "free, explained from a pid namespace of its own: exit 0" 0 "$rc"
check_json "... the kernel counts 1 there too" "$json" '.references.count == 1 and .verdict == "free"'

# Four holders: a cwd, one file shared by two descriptors (dup), another
# file, a mapping whose descriptor is closed.  Each one reference.
hold cwd cwd "$M/d" || not_ok "cwd holder started"
start_holder "$READY/dup" bash -c 'exec 3<"$1" 4<&3; : >"$2"; exec sleep 1000' - "$M/d/file" "$READY/dup" ||
	not_ok "dup holder started"
hold open open "$M/big" || not_ok "open holder started"
hold mmap mmap "$M/big" || not_ok "mmap holder started"
json=$("$UMH" explain --json "$M"); rc=$?
text=$("$UMH" explain "$M")
check_eq "held: explain exits 32" 32 "$rc"
check_json "the BPF scan ran (the count is read with it)" "$json" '.scan.method == "bpf"'
check_json "the kernel counts 1 + 4: one per holder, the shared file once" "$json" \
	'.references.count == 5 and .references.explained == 4 and .unexplained_refs == 0'
check_eq "the two descriptors of one file are both named" 2 "$(jq_count "$json" '.kind == "fd" and (.path | endswith("/d/file"))')"
check_contains "the report says every reference is accounted for" "$text" \
	"Every reference to this mount is accounted for: the kernel counts 5"
# The same count by the way Debian's kernels also allow: the symbol.  Here
# kallsyms has no data symbols, so that way says why and the count is unknown.
json=$(UMOUNT_HELPER_DEBUG=percpu-symbol "$UMH" explain --json "$M")
check_json "the kallsyms way alone: unknown here, and why (CONFIG_KALLSYMS_ALL)" "$json" \
	'.references.count == null and (.references.why | test("KALLSYMS_ALL"))'

# Without the BPF scan there is no count, and the report says why; with
# nothing found, that is not "free".
json=$("$UMH" explain --json --no-bpf "$M")
check_json "--no-bpf: unexplained_refs is null" "$json" '.unexplained_refs == null'
check_json "--no-bpf: and the reason names it" "$json" '.references.why | test("--no-bpf")'
for p in "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
STARTED_PIDS=()
json=$("$UMH" explain --json --no-bpf "$M"); rc=$?
text=$("$UMH" explain --no-bpf "$M")
check_eq "--no-bpf, nothing found: exit 2, not 0 (the count could not confirm it)" 2 "$rc"
check_json "--no-bpf, nothing found: not busy, and the verdict is unknown, not free" "$json" \
	'.busy == false and .verdict == "unknown"'
check_not_contains "--no-bpf, nothing found: no sentence says umount will succeed" "$text" "should succeed"
check_contains "--no-bpf, nothing found: it says why it cannot call it free" "$(tr '\n' ' ' <<<"$text")" \
	"The mount's reference count is unknown: it is read with BPF, and --no-bpf was given."
check_contains "--no-bpf, nothing found: and what could still hold it" "$(tr '\n' ' ' <<<"$text")" \
	"could still hold it: a file opened inside the kernel"

# Nothing held, count read: free, and no paragraph about references.
text=$("$UMH" explain "$M"); rc=$?
check_eq "free again: exit 0" 0 "$rc"
check_contains "free again: it says so" "$text" "nothing holds it; umount should succeed."
check_not_contains "a free mount's report says nothing about references" "$text" "reference count"
finish
