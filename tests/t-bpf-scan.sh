#!/bin/bash
# The BPF scan and the procfs scan find the same holders.
#
# One tmpfs, one holder of every process kind (descriptors of each access
# mode, an unlinked file, cwd, root, a mapping, a thread with its own cwd,
# a thread with its own file table, an io_uring, many descriptors), then
# explain twice: by default (BPF iterators) and with --no-bpf (/proc).  The
# two holder lists must be equal field by field, and complete.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
need_feature bpf-scan "the BPF scan" || finish

M=$(mktemp -d /tmp/umh-bpf.XXXXXX)
R=$(mktemp -d /tmp/umh-ready.XXXXXX)
at_exit "umount -l $M; rmdir $M; rm -rf $R"
mount -t tmpfs scan-test "$M"
mkdir "$M/d"
for f in a b c e g h i k; do echo data >"$M/$f"; done

holders=(
	"open $M/a" "open-rw $M/b" "opath $M/c" "unlinked $M/e" "cwd $M/d" "root $M"
	"mmap $M/g" "thread-cwd $M/d" "thread-fd $M/h" "many $M/k 3"
)
kinds="cwd exe fd fd fd fd fd fd fd io_uring mmap root thread-cwd thread-fd"
if need_feature io_uring "the io_uring holder"; then
	holders+=("uring $M/i")
else
	kinds=${kinds/ io_uring/}
fi
for spec in "${holders[@]}"; do
	read -r mode _ <<<"$spec"
	# shellcheck disable=SC2086
	start_holder "$R/$mode" "$FIX/holder" "$R/$mode" $spec || not_ok "holder $mode started"
done
# A program run from the mount: its exe (and its own mappings, reported
# as exe only).
cp "$FIX/holder" "$M/holder-exe"
start_holder "$R/exe" "$M/holder-exe" "$R/exe" cwd / || not_ok "holder exe started"

bpf=$(UMOUNT_HELPER_DEBUG=time,load "$UMH" explain --json "$M" 2>"$R/debug"); bpf_rc=$?
# Which build of the programs: the fast one where the kernel takes it
# (Linux 6.2 and later; lib/bpf/scan/iter.bpf.c), the other before.  Both
# must find what /proc shows (the QEMU guest's 6.1 runs the other:
# tests/vm/scenarios/50-bpf-scan.sh).  Loaded by the scan, not a watcher's.
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
build="the build for every kernel"
[ "$kmaj" -gt 6 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -ge 2 ]; } && build="the fast build"
check_contains "Linux $kmaj.$kmin: the scan loads $build" "$(cat "$R/debug")" "bpf scan: load ($build;"
proc=$("$UMH" explain --json --no-bpf "$M"); proc_rc=$?
check_eq "explain (BPF) exits 32: held" 32 "$bpf_rc"
check_eq "explain --no-bpf exits 32: held" 32 "$proc_rc"
check_json "the default scan used BPF iterators" "$bpf" '.scan.method == "bpf"'
check_json "--no-bpf scanned /proc" "$proc" '.scan.method == "procfs"'

norm='[.holders[] | select(.kind != "scm-inflight")] | sort_by(.pid, .kind, .tid, .fd, .path) | .[]'
a=$(jq -cS "$norm" <<<"$bpf")
b=$(jq -cS "$norm" <<<"$proc")
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "both scans report the same holders"; else
	not_ok "both scans report the same holders"
	diag "$(diff <(echo "$a") <(echo "$b"))"
fi
# 14 holders: 3 fds for "many", one for every other kind.
check_eq "every holder kind was found" "$kinds" "$(jq -r '[.holders[].kind] | sort | join(" ")' <<<"$bpf")"
for kind in $(tr ' ' '\n' <<<"$kinds" | uniq); do
	check_json "BPF scan: a $kind holder" "$bpf" "[.holders[] | select(.kind == \"$kind\")] | length >= 1"
done
check_json "BPF scan: the unlinked file is marked deleted" "$bpf" \
	"[.holders[] | select(.path == \"$M/e\" and .deleted == true)] | length == 1"
check_json "BPF scan: access modes r, rw, path" "$bpf" \
	'[.holders[] | select(.kind == "fd") | .access] | (index("r") != null and index("rw") != null and index("path") != null)'

# The text report, apart from the scan statistics and the reference count
# (read with BPF only: --no-bpf says it is unknown; the BPF scan's report
# compares it with what was found; tests/t-refs.sh), is the same.
strip() {
	grep -v -e '^Not inspected' -e '^What this scan' -e '^(by a module' -e '^that started' |
		awk "/^(The mount's reference count is unknown: |Every reference to this mount)/{skip=1} /^\$/{skip=0} !skip"
}
ta=$("$UMH" explain "$M" | strip)
tb=$("$UMH" explain --no-bpf "$M" | strip)
if [ "$ta" = "$tb" ]; then ok "both scans print the same report"; else
	not_ok "both scans print the same report"
	diag "$(diff <(echo "$ta") <(echo "$tb"))"
fi
finish
