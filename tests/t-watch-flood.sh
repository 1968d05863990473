#!/bin/bash
# An unprivileged flood of umount calls cannot blind the watcher (issue 12):
# while uid 65534 calls umount2("/nonexistent") as fast as it can in the
# watched namespace, and umount2 on a busy tmpfs of its own in a user and
# mount namespace it made (EBUSY, over and over), root unmounts a tmpfs:
# the watcher still says who did it, loses no call, and its CPU stays low.
# The kernel side keeps the failures other than EBUSY, and the successes
# that cannot reach the watched table, to itself; nobody's EBUSY calls are
# rate-bounded, and examined within nobody's allowance.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
S=$SCRATCH
RETRY=$FIX/umount-retry
[ -x "$RETRY" ] || { not_ok "test program $RETRY is built (make test-programs)"; finish; }
chmod 755 "$S"

W_STATE=$S/state
"$UMH" watch -v --state-dir "$W_STATE" --no-journal --explain-timeout 20 >"$S/w.out" 2>"$S/w.err" &
W_PID=$!
STARTED_PIDS+=("$W_PID")
wait_for "grep -q '^  record:' '$S/w.out' 2>/dev/null" 100 || diag "watch did not start: $(cat "$S/w.err")"
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$W_PID/stat"; }
HZ=$(getconf CLK_TCK)
ev() { jq -c --arg t "$1" 'select(.event == "unmount" and .mount.target == $t)' "$W_STATE/events.jsonl" 2>/dev/null | tail -n 1; }

mkdir -p "$S/a"
mount -t tmpfs tmpfs "$S/a"
wait_for "grep -qF ' $S/a (' '$S/w.out'" 50

# The floods, for 6 s: nobody has no privilege here (every call fails before
# the kernel looks at a mount), and all of it in its own namespaces.
FLOOD_S=6
as_nobody timeout "$FLOOD_S" "$RETRY" -k /nonexistent 1000000000 0 >/dev/null &
F1=$!
as_nobody unshare -Urm sh -c 'mount -t tmpfs nobodys /mnt && cd /mnt && exec timeout "$1" "$2" -k /mnt 1000000000 0' \
	sh "$FLOOD_S" "$RETRY" >/dev/null 2>"$S/f2.err" &
F2=$!
STARTED_PIDS+=("$F1" "$F2")
sleep 1
c0=$(cpu_ticks)
sh -c 'echo $$ >"$1/a.pid"; exec umount "$1/a"' sh "$S"
P=$(cat "$S/a.pid")
check "root's unmount during the flood is recorded" wait_for "[ -n \"\$(ev '$S/a')\" ]" 50
check_json "... attributed to root's umount, not 'unknown'" "$(ev "$S/a")" \
	".by == \"process\" and .caller.pid == $P and .caller.comm == \"umount\" and .caller.uid == 0"
check_not_contains "... and no call was lost" "$(cat "$S/w.out")" "could not be traced (too many at once)"
wait "$F1" "$F2"
c1=$(cpu_ticks)
diag "the watcher's CPU during the ${FLOOD_S} s flood: $((c1 - c0)) ticks ($HZ a second)"
[ -s "$S/f2.err" ] && diag "nobody's EBUSY loop: $(cat "$S/f2.err")"
check "the watcher's CPU during the flood: under 0.5 s for $((FLOOD_S - 1)) s" test $((c1 - c0)) -lt $((HZ / 2))

# nobody's failures on its own busy mount: rate-bounded, bursts, and at most
# its allowance of examinations.
sleep 2
kill -TERM "$W_PID"
wait "$W_PID"
check_eq "the watcher stops cleanly" 0 "$?"
stop=$(tail -n 1 "$W_STATE/events.jsonl")
diag "watch-stop: $stop"
check_json "the flood stayed in the kernel: millions of calls filtered there, none lost" "$stop" \
	'.event == "watch-stop" and .calls_filtered >= 100000 and .calls_lost == 0'
check_json "nobody's EBUSY calls beyond 50 a second were held back" "$stop" '.calls_rate_limited >= 1000'
n=$(grep -c "umount calls over the rate bound (50 a second for one uid, 100 for root's failures) were not traced" "$S/w.out")
check "... and the watcher said so, once or twice, not a line per call or per second ($n)" test "$n" -ge 1 -a "$n" -le 2
mine=$(jq -c 'select(.event == "failed-unmount" and .target == "/mnt" and .caller.uid == 65534 and .caller.comm == "umount-retry")' \
	"$W_STATE/events.jsonl")
diag "nobody's bursts: $(jq -c '{attempts, state, examined, not_traced_at_most}' <<<"$mine")"
check "nobody's EBUSY loop: written as one burst or a few (one per 10 s it lasts)" \
	test "$(grep -c . <<<"$mine")" -ge 1 -a "$(grep -c . <<<"$mine")" -le 3
check_json "... counted, over its rate bound, examined in its own namespace" "$(head -n 1 <<<"$mine")" \
	'.rate_limited == true and .attempts <= 400 and .examined == true and .mount.source == "nobodys" and .mount.mntns != .mntns'
finish
