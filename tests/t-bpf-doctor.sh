#!/bin/bash
# doctor: plain sentences about what this kernel allows, never an error
# dump, and claims that the other commands bear out: where it says the BPF
# scan loads, explain uses it; where it says neither fentry nor kprobes,
# the ledger refuses to start with a sentence, and trace falls back to the
# system call tracepoints and says so.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"

out=$("$UMH" doctor 2>/tmp/doctor.err.$$); rc=$?
err=$(cat /tmp/doctor.err.$$); rm -f /tmp/doctor.err.$$
diag "$out"
check_eq "doctor exits 0" 0 "$rc"
check_eq "doctor writes nothing to stderr (no libbpf noise)" "" "$err"
for f in "BTF" "BPF iterators" "fentry/fexit" "kprobes" "tracepoints" "ring buffer" "lockdown" "kallsyms" "mount refcount"; do
	check "doctor has a line for $f" grep -qE "^  $f +(yes|no) " <<<"$out"
done
check_contains "doctor says what explain can do" "$out" "explain "
check_not_contains "no verifier log" "$out" "processed"
check_not_contains "no libbpf prefix" "$out" "libbpf:"
yes() { grep -qE "^  $1 +yes " <<<"$out"; }
flat=$(tr -s ' \n' '  ' <<<"$out") # doctor's sentences, unwrapped

M=$(mktemp -d /tmp/umh-doc.XXXXXX)
at_exit "umount -l $M; rmdir $M"
mount -t tmpfs doctor-test "$M"
json=$("$UMH" explain --json "$M")
if yes "BPF scan"; then
	check_json "doctor says the BPF scan loads: explain uses it" "$json" '.scan.method == "bpf"'
else
	check_json "doctor says the BPF scan does not load: explain scans /proc" "$json" '.scan.method == "procfs"'
fi
# The count itself: tests/t-refs.sh (here) and the QEMU scenario 60-refcount.
if yes "mount refcount"; then
	check_contains "doctor says explain reads the count" "$flat" "explain reads the mount's reference count"
	check_contains "and looks inside the kernel for what no process explains" "$flat" \
		"send it looking inside the kernel"
	check_json "and explain does: nothing holds the new mount, and it is free" "$json" \
		'.unexplained_refs == 0 and .verdict == "free"'
else
	check_contains "doctor never guesses the reference count" "$flat" "reports them as unknown rather than guess"
	check_json "and explain reports it as unknown, and the mount not as free" "$json" \
		'.unexplained_refs == null and .verdict == "unknown"'
fi

if ! yes "fentry/fexit" && ! yes "kprobes"; then
	check_contains "neither fentry nor kprobes: doctor says the ledger cannot run" "$out" "ledger cannot run here"
	lout=$("$UMH" ledger start 2>&1); lrc=$?
	check_eq "ledger start exits 2" 2 "$lrc"
	check_contains "with a sentence about fentry" "$lout" "fentry programs"
	check_contains "and about kprobes" "$lout" "no kprobes"
	check_not_contains "and no verifier log" "$lout" "BEGIN PROG LOAD LOG"
	check "nothing is left pinned" test ! -e /sys/fs/bpf/umount-helper/ledger
	sout=$("$UMH" ledger status); src=$?
	check_eq "ledger status: not running (exit 3)" 3 "$src"
	check_eq "ledger status says so" "The open ledger is not running." "$sout"
else
	check_contains "fentry or kprobes: doctor says the ledger can run" "$out" "ledger start can keep"
	lout=$("$UMH" ledger start 2>&1); lrc=$?
	check_eq "and ledger start works: $lout" 0 "$lrc"
	mode=fentry; yes "fentry/fexit" || mode=kprobe
	check_contains "with the probes doctor named" "$lout" "with $mode probes"
	"$UMH" ledger stop >/dev/null
fi

# Without CAP_BPF/CAP_PERFMON (and CAP_SYS_ADMIN, which would do instead),
# doctor says so in a sentence, still exit 0.
out=$(setpriv --bounding-set -bpf,-perfmon,-sys_admin --inh-caps -bpf,-perfmon,-sys_admin -- "$UMH" doctor 2>&1); rc=$?
check_eq "doctor without CAP_BPF exits 0" 0 "$rc"
check_contains "it names the missing capability" "$out" "lacks CAP_BPF"
check_contains "and says explain scans /proc" "$out" "explain scans processes through /proc"
check_not_contains "no libbpf noise" "$out" "libbpf"
finish
