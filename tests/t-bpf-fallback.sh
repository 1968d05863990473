#!/bin/bash
# Degrade, never fail: when BPF cannot be used, explain scans /proc, finds
# the same process holders, and exits the same way; with --verbose it says
# why BPF was not used.  Two ways to break the BPF scan: the loader is told
# to fail (UMOUNT_HELPER_FAULT=bpf), and the tool runs without CAP_BPF and
# CAP_PERFMON (setpriv drops them from the bounding set).
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
need_feature bpf-scan "the fallback from the BPF scan to /proc" || finish

M=$(mktemp -d /tmp/umh-fb.XXXXXX)
R=$(mktemp -d /tmp/umh-ready.XXXXXX)
at_exit "umount -l $M; rmdir $M; rm -rf $R"
mount -t tmpfs fallback-test "$M"
mkdir "$M/d"; echo data >"$M/f"
start_holder "$R/open" "$FIX/holder" "$R/open" open "$M/f" || not_ok "holder open"
start_holder "$R/tcwd" "$FIX/holder" "$R/tcwd" thread-cwd "$M/d" || not_ok "holder thread-cwd"

holders='[.holders[]] | sort_by(.pid, .kind, .tid, .fd) | map([.kind, .pid, .tid, .fd, .path, .access]) | tostring'
ref=$("$UMH" explain --json "$M")
check_json "reference run: BPF scan" "$ref" '.scan.method == "bpf"'
want=$(jq -r "$holders" <<<"$ref")

degraded() { # DESC, then the command that runs explain
	local desc=$1; shift
	local out rc
	out=$("$@" --json "$M"); rc=$?
	check_eq "$desc: exits 32 (held)" 32 "$rc"
	check_json "$desc: /proc was scanned" "$out" '.scan.method == "procfs"'
	check_eq "$desc: the same holders" "$want" "$(jq -r "$holders" <<<"$out")"
	out=$("$@" --verbose "$M" 2>&1)
	check_contains "$desc: --verbose says why BPF was not used" "$out" "Not inspected: the BPF scan:"
	check_contains "$desc: and that /proc was scanned instead" "$out" "/proc was scanned instead"
	check_not_contains "$desc: no libbpf noise" "$out" "libbpf"
}
degraded "loader fault" env UMOUNT_HELPER_FAULT=bpf "$UMH" explain
degraded "without CAP_BPF/CAP_PERFMON" setpriv --bounding-set -bpf,-perfmon --inh-caps -bpf,-perfmon -- "$UMH" explain

out=$(setpriv --bounding-set -bpf,-perfmon -- "$UMH" explain --verbose "$M" 2>&1)
check_contains "the reason names the missing capability" "$out" "CAP_BPF"
out=$("$UMH" explain --verbose "$M" 2>&1)
check_not_contains "with BPF working, --verbose has nothing to excuse" "$out" "the BPF scan:"
finish
