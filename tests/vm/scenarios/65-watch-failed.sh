#!/bin/bash
# watch on Debian's own kernel: its umount programs load there (per-thread
# state in a task storage map, the outcome, namespace and rate filters); a
# busy tmpfs that a program fails to unmount 5 times, 50 ms apart, gives one
# entry with the holder; an unprivileged loop of failing calls stays in the
# kernel while root's unmount is attributed.
. "$VM_REPO/tests/vm/guest/lib.sh"

RETRY=$VM_REPO/build/tests/fixtures/umount-retry
HOLDER=$VM_REPO/build/tests/fixtures/holder
W=$(mktemp -d /tmp/vmwatch.XXXXXX)
mkdir -p /mnt/busy /mnt/a
mount -t tmpfs busy /mnt/busy
mount -t tmpfs a /mnt/a
timeout 120 "$UMH" watch --state-dir "$W/state" --no-journal --no-systemd >"$W/out" 2>&1 &
wpid=$!
for _ in $(seq 100); do grep -q '^  record:' "$W/out" 2>/dev/null && break; sleep 0.2; done
say "$(cat "$W/out")"
check_contains "the umount tracepoints load and attach on this kernel" "$(cat "$W/out")" \
	"callers: traced (umount system call tracepoints)"

"$HOLDER" "$W/ready" cwd /mnt/busy &
hpid=$!
for _ in $(seq 50); do [ -e "$W/ready" ] && break; sleep 0.1; done
"$RETRY" /mnt/busy 5 50 >/dev/null
setpriv --reuid=65534 --regid=65534 --clear-groups -- timeout 3 "$RETRY" -k /nonexistent 1000000000 0 >/dev/null &
fpid=$!
sleep 1
sh -c 'echo $$ >"$1/a.pid"; exec umount /mnt/a' sh "$W"
wait "$fpid"
for _ in $(seq 100); do
	grep -q '"failed-unmount"' "$W/state/events.jsonl" 2>/dev/null && grep -q '"target": "/mnt/a"' "$W/state/events.jsonl" && break
	sleep 0.2
done
kill "$hpid"
kill -TERM "$wpid"
wait "$wpid"
say "$(cat "$W/out")"
f=$(jq -c 'select(.event == "failed-unmount" and .target == "/mnt/busy")' "$W/state/events.jsonl")
check_eq "one entry for the five failed calls" 1 "$(grep -c . <<<"$f")"
check_eq "... five attempts, the holder's working directory" "5 cwd $hpid" \
	"$(jq -r '"\(.attempts) \(.holders[0].kind) \(.holders[0].pid)"' <<<"$f" | head -n 1)"
u=$(jq -r 'select(.event == "unmount" and .mount.target == "/mnt/a") | "\(.by) \(.caller.pid)"' "$W/state/events.jsonl")
check_eq "root's unmount during nobody's loop of failing calls: attributed" "process $(cat "$W/a.pid")" "$u"
s=$(tail -n 1 "$W/state/events.jsonl")
check_eq "nobody's calls stayed in the kernel, none lost" "true" \
	"$(jq '.calls_filtered > 1000 and .calls_lost == 0' <<<"$s")"
umount /mnt/busy
rm -rf "$W"
