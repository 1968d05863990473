#!/bin/bash
# umount-helper watch and the unmounts that fail with EBUSY, on this
# machine's kernel (tests/systemd/t-watch.sh has them under a real
# systemd, as a transient unit, with the journal entry):
#   - containerd's way: a program calling umount2 50 times, 50 ms apart, on
#     a busy mount: one entry for the burst, with the caller, the count and
#     what held it (the holder, the remedy); the burst collapsed;
#   - a burst that goes on while its holder changes: written again;
#   - kubelet's way: umount(8) run by a parent process;
#   - a call in another mount namespace, examined there;
#   - a mount held through its propagated copy in another namespace;
#   - explain and the umount front end reading the record afterwards;
#   - --no-explain;
#   - the watcher's CPU during a loop of 10,000 failing calls (ENOENT, then
#     EBUSY).
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
new_scratch
S=$SCRATCH
RETRY=$FIX/umount-retry
FE=$S/bin/umount
mkdir -p "$S/bin"
ln -s "$UMH" "$FE"
[ -x "$RETRY" ] || { not_ok "test program $RETRY is built (make test-programs)"; finish; }

# watch_start NAME [ARGS...]: the watcher, its record in $S/NAME.state.
watch_start() {
	local name=$1
	shift
	W_OUT=$S/$name.out W_ERR=$S/$name.err W_STATE=$S/$name.state
	# A generous budget: the examinations run at a low priority, and
	# this machine may be busy with other tests.
	"$UMH" watch --state-dir "$W_STATE" --no-journal --explain-timeout 20 "$@" >"$W_OUT" 2>"$W_ERR" &
	W_PID=$!
	STARTED_PIDS+=("$W_PID")
	wait_for "grep -q '^  record:' '$W_OUT' 2>/dev/null" 100 ||
		{ diag "watch did not start: $(cat "$W_ERR" "$W_OUT")"; return 1; }
}
watch_stop() { kill -TERM "$W_PID"; wait "$W_PID"; W_RC=$?; }
# fails TARGET: the watcher's failed-unmount entries about TARGET, one a line.
fails() { jq -c --arg t "$1" 'select(.event == "failed-unmount" and .target == $t)' "$W_STATE/events.jsonl" 2>/dev/null; }
fail_ev() { fails "$1" | tail -n 1; }
wait_fail() { wait_for "[ -n \"\$(fail_ev '$1')\" ]" "${2:-250}"; }
# The watcher's CPU time, its reaped children's included (the examinations),
# in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$W_PID/stat"; }
HZ=$(getconf CLK_TCK)
MNTNS=$(stat -L -c %i /proc/self/ns/mnt)

watch_start w1
check_contains "the header says failed unmounts are seen, in any namespace, and examined" "$(cat "$W_OUT")" \
	"failed unmounts: EBUSY, in any mount namespace, examined there within 20.0 s"

# --- containerd's way: umount2 50 times, 50 ms apart, on a busy mount ----------------
mount_tmpfs "$S/busy"
hold busy cwd "$S/busy"
HP=$HOLDER_PID
sh -c 'echo $$ >"$1/retry.pid"; exec "$2" "$1/busy" 50 50' sh "$S" "$RETRY" >"$S/retry.out"
check_eq "umount-retry: still busy after 50 tries, 50 ms apart" "attempts 50 result EBUSY" "$(cat "$S/retry.out")"
P=$(cat "$S/retry.pid")
check "the burst is recorded" wait_fail "$S/busy"
e=$(fail_ev "$S/busy")
check_json "one entry for the burst: 50 attempts, EBUSY, over" "$e" \
	'.attempts == 50 and .error == "EBUSY" and .state == "ended" and .processes == 1 and .rate_limited == false'
check_json "who tried: umount-retry, its pid, its arguments, its parent (this script)" "$e" \
	".caller.pid == $P and .caller.comm == \"umount-retry\" and .caller.cmdline == \"$RETRY $S/busy 50 50\" and .caller.result == -16 and .caller.parents[0].pid == $$ and .caller.mntns == $MNTNS"
check_json "when: the first and the last attempt, 2.4 s or more apart" "$e" \
	'(.last_us - .first_us) >= 2400000 and .t_us == .first_us'
check_json "what held it, examined in its namespace: the holder's working directory" "$e" \
	".examined == true and .held == true and .mount.fstype == \"tmpfs\" and .mount.mntns == $MNTNS and .holders_total == 1 and .holders[0].pid == $HP and .holders[0].kind == \"cwd\""
line=$(grep -F "umount of $S/busy by " "$W_OUT" | head -n 1)
check_contains "stdout: who tried, how often, when" "$line" \
	"umount of $S/busy by umount-retry (pid $P, uid 0) as '$RETRY $S/busy 50 50', child of bash (pid $$)"
check_contains "... failed 50 times" "$line" "failed 50 times (EBUSY, target is busy) between "
check_contains "... what held it then" "$line" "; held then by holder (pid $HP: cwd $S/busy)"
check_contains "... then the report, with the remedy" "$(cat "$W_OUT")" "→ make it leave $S/busy, or end it: kill $HP"
sleep 1.5
check_eq "the burst collapsed: one entry for 50 failed calls" 1 "$(fails "$S/busy" | wc -l)"

# --- explain and the front end read the record afterwards ----------------------------------
out=$("$UMH" explain --json --timeout 30 --state-dir "$W_STATE" "$S/busy"); rc=$?
check_eq "explain: held, exit 32" 32 "$rc"
check_json "explain --json: the watcher's entry, under failed_unmounts" "$out" \
	"(.failed_unmounts | length) == 1 and .failed_unmounts[0].attempts == 50 and .failed_unmounts[0].caller.pid == $P"
out=$("$UMH" explain --timeout 30 --state-dir "$W_STATE" "$S/busy")
diag "\$ umount-helper explain $S/busy"$'\n'"$out"
check_contains "explain: after the report, the earlier attempts" "$out" "umount-helper watch saw earlier attempts to unmount it fail:"
check_contains "... by whom" "$out" \
	"umount of $S/busy by umount-retry (pid $P, uid 0) as '$RETRY $S/busy 50 50', child of bash (pid $$)"
check_contains "... how often, and what held it" "$out" \
	"failed 50 times (EBUSY, target is busy) between "
check_contains "... and where that came from" "$out" "(From the record of umount-helper watch in $W_STATE.)"
err=$(UMOUNT_HELPER_STATE_DIR=$W_STATE "$FE" "$S/busy" 2>&1); rc=$?
check_eq "the umount front end: util-linux's status (32)" 32 "$rc"
check_eq "... util-linux's message first" "umount: $S/busy: target is busy." "$(head -n 1 <<<"$err")"
check_contains "... then its own explanation, then the attempts the watcher saw" "$err" \
	"umount-helper watch saw earlier attempts to unmount it fail:"
check "... and the front end's own failed call is a burst of its own" \
	wait_for "[ \$(fails '$S/busy' | wc -l) = 2 ]" 250
check_json "... one attempt, by umount" "$(fail_ev "$S/busy")" '.attempts == 1 and .caller.comm == "umount"'

# --- a burst that goes on while what holds it changes: written again ------------------------
mount_tmpfs "$S/long"
hold long1 cwd "$S/long"
H1=$HOLDER_PID
"$RETRY" "$S/long" 240 50 >/dev/null &
RP=$!
sleep 3
hold long2 cwd "$S/long"
H2=$HOLDER_PID
kill "$H1"
wait "$H1" 2>/dev/null
wait "$RP"
check "a 12 s burst: its last entry is written" wait_for "fails '$S/long' | jq -e 'select(.state == \"ended\")' >/dev/null" 250
n=$(fails "$S/long" | wc -l)
check "... after one (or two) while it went on" test "$n" -ge 2 -a "$n" -le 3
check_json "... the first, while it went on: the first holder" "$(fails "$S/long" | head -n 1)" \
	".state == \"going-on\" and .holders[0].pid == $H1"
check_json "... then the new holder, when the examination 10 s later saw it" \
	"$(fails "$S/long" | jq -s -c "[.[] | select(.holders[0].pid == $H2)] | length >= 1")" 'true'
check_json "... the last: 240 attempts in all" "$(fail_ev "$S/long")" '.state == "ended" and .attempts == 240'
kill "$H2"

# --- kubelet's way: umount(8) run by a parent process ------------------------------------------
mount_tmpfs "$S/kube"
hold kube cwd "$S/kube"
perl -e 'open(my $f, ">", "$ARGV[1]/perl.pid"); print $f "$$\n"; close $f; system("umount", $ARGV[0]); exit($? >> 8)' \
	"$S/kube" "$S" 2>/dev/null
check_eq "umount(8) run by perl: busy (32)" 32 "$?"
check "the failed umount(8) is recorded" wait_fail "$S/kube"
check_json "by umount, as perl ran it, child of perl" "$(fail_ev "$S/kube")" \
	".attempts == 1 and .caller.comm == \"umount\" and .caller.cmdline == \"umount $S/kube\" and .caller.parents[0].comm == \"perl\" and .caller.parents[0].pid == $(cat "$S/perl.pid") and .holders[0].pid == $HOLDER_PID"

# --- a call in another mount namespace, examined there ------------------------------------------
mkdir -p "$S/other"
unshare -m --propagation private sh -c 'mount -t tmpfs other "$1/other" && cd "$1/other" &&
	stat -L -c %i /proc/self/ns/mnt >"$1/other.ns" && echo $$ >"$1/other.pid" && "$2" "$1/other" 20 50 >/dev/null; sleep 1' \
	sh "$S" "$RETRY"
check "a failed call in another mount namespace is recorded" wait_fail "$S/other"
e=$(fail_ev "$S/other")
check_json "... examined in that namespace: its mount, held by the shell's working directory there" "$e" \
	".caller.mntns == $(cat "$S/other.ns") and .caller.mntns != $MNTNS and .mount.mntns == .caller.mntns and .mount.source == \"other\" and .holders[0].pid == $(cat "$S/other.pid") and .holders[0].kind == \"cwd\""

# --- held through its propagated copy in another namespace ------------------------------------
mount_tmpfs "$S/shp" shp
mount --make-shared "$S/shp"
mkdir "$S/shp/t"
mount -t tmpfs inner "$S/shp/t"
unshare -m --propagation unchanged sh -c 'cd "$1/shp/t" && echo $$ >"$1/copy.pid" && exec sleep 60' sh "$S" &
STARTED_PIDS+=($!)
wait_for "test -s '$S/copy.pid'"
CP=$(cat "$S/copy.pid")
"$RETRY" "$S/shp/t" 3 50 >/dev/null
check "a mount whose copy in another namespace is busy: the failure is recorded" wait_fail "$S/shp/t"
e=$(fail_ev "$S/shp/t")
check_json "... held by the process there, through the copy (another mount id)" "$e" \
	".held == true and ([.holders[] as \$h | select(\$h.pid == $CP and \$h.kind == \"cwd\" and \$h.mount_id != .mount.id)] | length) == 1"
check_contains "... and the remedy names the copy" "$(jq -r .explanation <<<"$e")" \
	"or unmount the copy first: nsenter -t $CP -m umount $S/shp/t"

# --- a loop of 10,000 failing calls: the watcher's CPU ----------------------------------------
c0=$(cpu_ticks)
t0=$(date +%s%N)
"$RETRY" -k "$S/nonexistent" 10000 0 >/dev/null
c1=$(cpu_ticks)
t1=$(date +%s%N)
sleep 1
c2=$(cpu_ticks)
diag "10,000 calls failing with ENOENT in $(((t1 - t0) / 1000000)) ms: the watcher used $((c2 - c0)) ticks ($HZ a second)"
check "10,000 calls failing with ENOENT: the watcher spends (almost) nothing (under 0.1 s)" \
	test $((c2 - c0)) -lt $((HZ / 10))
check_eq "... and writes nothing" "" "$(fail_ev "$S/nonexistent")"
hold busy2 cwd "$S/busy"
c0=$(cpu_ticks)
t0=$(date +%s%N)
"$RETRY" "$S/busy" 10000 0 >/dev/null
t1=$(date +%s%N)
check "10,000 calls failing with EBUSY: one more entry" wait_for "[ \$(fails '$S/busy' | wc -l) = 3 ]" 250
c1=$(cpu_ticks)
diag "10,000 calls failing with EBUSY in $(((t1 - t0) / 1000000)) ms: the watcher used $((c1 - c0)) ticks ($HZ a second), its examination included"
check "... the watcher's CPU, its examination included, under 1 s" test $((c1 - c0)) -lt "$HZ"
e=$(fail_ev "$S/busy")
check_json "... the calls beyond the rate bound were not sent, and the entry says how many more there may have been" "$e" \
	'.attempts <= 200 and .rate_limited == true and .attempts + .not_traced_at_most >= 10000 and .examined == true'
check_contains "... in its sentence too" "$(jq -r .sentence <<<"$e")" "more (calls of uid 0 over the rate bound were not traced meanwhile)"
watch_stop
check_eq "SIGTERM: exit 0" 0 "$W_RC"
stop=$(tail -n 1 "$W_STATE/events.jsonl")
check_json "the record's watch-stop counts the failed unmounts, and the calls kept in the kernel" "$stop" \
	'.event == "watch-stop" and .failed_unmounts >= 6 and .calls_filtered >= 10000 and .calls_rate_limited >= 9000 and .calls_lost == 0'
diag "watch-stop: $stop"

# --- --no-explain: counted, not examined -------------------------------------------------------
watch_start w2 --no-explain
check_contains "--no-explain: the header says so" "$(cat "$W_OUT")" "counted but not examined (--no-explain)"
"$RETRY" "$S/busy" 3 50 >/dev/null
check "--no-explain: the burst is recorded" wait_fail "$S/busy"
check_json "--no-explain: three attempts, not examined, and why" "$(fail_ev "$S/busy")" \
	'.attempts == 3 and .examined == false and .not_examined == "not examined (--no-explain)" and .mount == null'
watch_stop
finish
