#!/bin/bash
# A file descriptor in flight: sent over a unix socket with SCM_RIGHTS,
# never received, and closed by its sender.  No process has it open, so
# fuser, lsof and the procfs scan see nothing, yet umount says busy.  The
# BPF unix socket iterator finds it in the receive queue and names the
# socket and who holds the socket's receiving end.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
need_feature bpf-scan "descriptors in flight (the scan's unix socket iterator)" || finish

M=$(mktemp -d /tmp/umh-scm.XXXXXX)
R=$(mktemp -d /tmp/umh-ready.XXXXXX)
at_exit "umount -l $M; rmdir $M; rm -rf $R"
mount -t tmpfs scm-test "$M"
echo data >"$M/sent"
start_holder "$R/scm" "$FIX/holder" "$R/scm" scm "$M/sent" || not_ok "scm holder started"

out=$(umount "$M" 2>&1); rc=$?
check_eq "umount fails: the mount is busy" 32 "$rc"
check_contains "umount says target is busy" "$out" "target is busy"
check_eq "fuser -m finds no process" "" "$(fuser -m "$M" 2>/dev/null | tr -d ' ')"

json=$("$UMH" explain --json "$M"); rc=$?
check_eq "explain exits 32: held" 32 "$rc"
check_json "the BPF scan ran" "$json" '.scan.method == "bpf"'
check_json "one descriptor in flight, on $M/sent" "$json" \
	"[.holders[] | select(.kind == \"scm-inflight\" and .path == \"$M/sent\")] | length == 1"
sock=$(jq -r '.holders[] | select(.kind == "scm-inflight") | .object' <<<"$json")
recv=$(jq -r '.holders[] | select(.kind == "scm-inflight") | .detail' <<<"$json")
fd=$(sed -n 's/.*pid '"$HOLDER_PID"' fd \([0-9]*\).*/\1/p' <<<"$recv")
check_contains "it names the process holding the receiving end" "$recv" "pid $HOLDER_PID fd"
check_eq "that descriptor is the socket named" "$sock" "$(readlink "/proc/$HOLDER_PID/fd/${fd:-none}")"
text=$("$UMH" explain "$M")
check_contains "the report says a descriptor is in flight" "$text" "a descriptor in flight in a unix socket: $M/sent"

# The procfs scan cannot see it: the difference is the point.
json=$("$UMH" explain --json --no-bpf "$M")
check_json "--no-bpf does not see the descriptor in flight" "$json" \
	'[.holders[] | select(.kind == "scm-inflight")] | length == 0'

# Once the receiver reads the socket (here: its process ends), the mount is free.
kill -KILL "$HOLDER_PID"; wait "$HOLDER_PID" 2>/dev/null
wait_for "! '$UMH' explain '$M' >/dev/null" 50
json=$("$UMH" explain --json "$M"); rc=$?
check_eq "after the sockets close, explain exits 0" 0 "$rc"
check "and umount succeeds" umount "$M"
finish
