#!/bin/bash
# trace on the development kernel: with neither fentry nor kprobes it
# follows open*(2) and close(2) through tracepoints, says first that files
# opened inside the kernel cannot be seen, and reports a process's open
# (with its descriptor) and close of a file on the mount, and nothing for
# another mount.  (The kernel-probe modes, and kernel opens with their
# stacks, are tested in the QEMU harness: tests/vm/scenarios/57-bpf-trace.sh.)
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
need_feature bpf-trace "trace" || finish

M=$(mktemp -d /tmp/umh-trace.XXXXXX)
O=$(mktemp -d /tmp/umh-other.XXXXXX)
at_exit "umount -l $M; umount -l $O; rmdir $M $O"
mount -t tmpfs trace-test "$M"
mount -t tmpfs other "$O"
echo data >"$M/f"; echo data >"$O/g"

log=$(mktemp)
at_exit "rm -f $log"
"$UMH" trace --duration 4 "$M" >"$log" 2>&1 &
tpid=$!
STARTED_PIDS+=("$tpid")
wait_for "grep -q '^Tracing' $log" 50 || not_ok "trace started"
sleep 0.5
cat "$M/f" "$O/g" >/dev/null &
opener=$!
wait "$opener"
wait "$tpid"; rc=$?
out=$(cat "$log")
diag "$out"
check_eq "trace exits 0 after --duration" 0 "$rc"
mode=$(sed -n 's/^Tracing opens and closes on .* with \(.*\)\.$/\1/p' <<<"$out" | head -1)
check "trace names the probes it uses" test -n "$mode"
if [ "$mode" = "syscall tracepoints" ]; then
	check_contains "it says kernel opens cannot be seen" "$out" "cannot be seen here"
fi
check "the process's open, with its descriptor" grep -qE "open +pid $opener \(cat\) fd 3  $M/f\$" <<<"$out"
check "its close" grep -qE "close +pid $opener \(cat\) fd 3  $M/f\$" <<<"$out"
check_not_contains "nothing about the other mount" "$out" "$O/g"
check "a summary line" grep -qE '^[0-9]+ opens \([0-9]+ by the kernel\), [0-9]+ closes' <<<"$out"

# (CAP_SYS_ADMIN would do instead of CAP_BPF and CAP_PERFMON: drop it too.)
out=$(setpriv --bounding-set -bpf,-perfmon,-sys_admin --inh-caps -bpf,-perfmon,-sys_admin -- "$UMH" trace --duration 1 "$M" 2>&1); rc=$?
check_eq "without CAP_BPF, trace exits 2" 2 "$rc"
check_contains "with one sentence" "$out" "cannot follow opens on this kernel"
check_not_contains "and no libbpf noise" "$out" "libbpf:"
out=$("$UMH" trace /nonexistent-mount 2>&1); rc=$?
check_eq "trace of what is not mounted exits 2" 2 "$rc"
finish
