#!/bin/bash
# umount-helper watch on this machine's kernel (no systemd here: PID 1 is
# another init; tests/systemd/t-watch.sh has the real systemd): every
# unmount attributed to the process that called umount(2) (pid, comm,
# command line, parents), lazily detached trees, relative paths, unmounts
# that propagate from another namespace, moves, failed calls, a dead FUSE
# server in the table, no BPF at all; SIGTERM/SIGINT, the record's bounds,
# -N PID, and what explain and the umount front end say afterwards.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
# Callers are attributed through the umount system call tracepoints: most
# of what follows is about them.
need_feature bpf-tracepoints "the callers of umount(2)" || finish
new_scratch
S=$SCRATCH
FE=$SCRATCH/bin/umount
mkdir -p "$SCRATCH/bin"
ln -s "$UMH" "$FE"

# watch_start NAME [ARGS...]: the watcher, text on stdout, its record in
# $SCRATCH/NAME.state; waits for its header.
watch_start() {
	local name=$1
	shift
	W_OUT=$S/$name.out W_ERR=$S/$name.err W_STATE=$S/$name.state
	"$UMH" watch -v --state-dir "$W_STATE" --no-journal "$@" >"$W_OUT" 2>"$W_ERR" &
	W_PID=$!
	STARTED_PIDS+=("$W_PID")
	# The header ends with the record's line (on stderr with --json,
	# where stdout starts with the watch-start object).
	wait_for "grep -q '^  record:\|\"watch-start\"' '$W_OUT' 2>/dev/null" 100 ||
		{ diag "watch did not start: $(cat "$W_ERR" "$W_OUT")"; return 1; }
}
watch_stop() { kill -"${1:-TERM}" "$W_PID"; wait "$W_PID"; W_RC=$?; }
# ev TARGET [TYPE]: the watcher's newest record event about TARGET.
ev() {
	jq -c --arg t "$1" --arg e "${2:-unmount}" 'select(.event == $e and .mount.target == $t)' \
		"$W_STATE/events.jsonl" 2>/dev/null | tail -n 1
}
wait_event() { wait_for "[ -n \"\$(ev '$1' ${2:-})\" ]" "${3:-50}"; }
line_of() { grep -F " $1 (" "$W_OUT" | grep -v ') mounted$' | tail -n 1; }
# seen TARGET: until the watcher has seen TARGET mounted (-v prints it): a
# mount that comes and goes between two of its reads of the table is seen
# only as a call (or, without BPF, not at all).
seen() { wait_for "grep -qF ' $1 (' '$W_OUT' '$W_ERR' 2>/dev/null" 50; }

mkdir -p "$S/a" "$S/b" "$S/r" "$S/m" "$S/m2" "$S/busy" "$S/sh" "$S/never"

# --- the header ------------------------------------------------------------------
watch_start w1
check_contains "watch says what it watches" "$(head -n 1 "$W_OUT")" "Watching this mount namespace (mnt:["
check_contains "umount calls are traced here (BPF tracepoints load on this kernel)" "$(cat "$W_OUT")" \
	"callers: traced (umount system call tracepoints)"
check_contains "no systemd here: says so, asks none" "$(cat "$W_OUT")" "systemd: not asked (PID 1 is not systemd)"
check_json "the record starts with watch-start, BPF on" "$(head -n 1 "$W_STATE/events.jsonl")" \
	".event == \"watch-start\" and .bpf == true and .pid == $W_PID"
MNTNS=$(stat -L -c %i /proc/self/ns/mnt)

# --- an ordinary umount: pid, comm, command line, parent --------------------------
mount -t tmpfs tmpfs "$S/a"
seen "$S/a"
sh -c 'echo $$ >"$1/a.pid"; exec umount "$1/a"' sh "$S"
P=$(cat "$S/a.pid")
check "the unmount of $S/a is recorded" wait_event "$S/a"
e=$(ev "$S/a")
check_json "by a process: umount, its pid, its command line" "$e" \
	".by == \"process\" and .how == \"direct\" and .match == \"path\" and .caller.pid == $P and .caller.comm == \"umount\" and .caller.cmdline == \"umount $S/a\""
check_json "its parent is this script (pid $$), in this mount namespace" "$e" \
	".caller.parents[0].pid == $$ and .caller.parents[0].comm == \"bash\" and .caller.mntns == $MNTNS and .mntns == $MNTNS"
check_json "the mount: id, tmpfs, when it appeared" "$e" \
	'.mount.fstype == "tmpfs" and .mount.id > 0 and .mount.mounted_us > 0 and .systemd == null'
check_contains "the line says who, in plain words" "$(line_of "$S/a")" \
	"$S/a (tmpfs, mount id $(jq .mount.id <<<"$e")) unmounted by umount (pid $P, uid 0) as 'umount $S/a', child of bash (pid $$)"

# --- a lazy unmount takes its children along ---------------------------------------
mount -t tmpfs tmpfs "$S/b"
mkdir "$S/b/c"
mount -t tmpfs sub "$S/b/c"
seen "$S/b/c"
sh -c 'echo $$ >"$1/b.pid"; exec umount -l "$1/b"' sh "$S"
P=$(cat "$S/b.pid")
check "the lazy unmount and what went with it are recorded" wait_event "$S/b/c"
check_json "the named mount: detached lazily (MNT_DETACH) by that umount" "$(ev "$S/b")" \
	".how == \"direct\" and .caller.flags == 2 and .caller.pid == $P"
check_json "the mount below it: taken along, the same caller" "$(ev "$S/b/c")" \
	".how == \"taken-along\" and .along_with == \"$S/b\" and .caller.pid == $P and .mount.source == \"sub\""
check_contains "... and its line says so" "$(line_of "$S/b/c")" "went along when $S/b was detached lazily (MNT_DETACH) by umount (pid $P"

# --- a relative path, as umount2(2) was given it ------------------------------------
mount -t tmpfs tmpfs "$S/r"
seen "$S/r"
# perl stays a moment, so that its working directory can still be read.
(cd "$S" && perl -e 'open(my $f, ">", "r.pid"); print $f "$$\n"; close $f; my $p = "r"; syscall(166, $p, 0) == 0 or die "umount2: $!"; sleep 1') &
PERL=$!
check "umount2(\"r\") from $S is recorded" wait_event "$S/r"
check_json "... matched by its path, made absolute from the caller's working directory" "$(ev "$S/r")" \
	".match == \"path\" and .caller.target == \"r\" and .caller.comm == \"perl\" and .caller.pid == $(cat "$S/r.pid")"
wait "$PERL"

# --- an unmount that propagates from another mount namespace -------------------------
mount -t tmpfs shared "$S/sh"
mount --make-shared "$S/sh"
mkdir "$S/sh/x"
mount -t tmpfs px "$S/sh/x"
seen "$S/sh/x"
unshare -m --propagation unchanged sh -c 'echo $$ >"$1/p.pid"; stat -L -c %i /proc/self/ns/mnt >"$1/p.ns"; exec umount "$1/sh/x"' sh "$S"
check "the propagated unmount is recorded" wait_event "$S/sh/x"
check_json "... as propagated from the other namespace, by that process" "$(ev "$S/sh/x")" \
	".how == \"propagated\" and .caller.mntns == $(cat "$S/p.ns") and .caller.mntns != $MNTNS and .caller.pid == $(cat "$S/p.pid")"
check_contains "... and the line names the namespace" "$(line_of "$S/sh/x")" \
	"unmounted by propagation from mount namespace mnt:[$(cat "$S/p.ns")]"

# --- a mount that comes and goes at once: one event, whether the table showed it or not
mkdir -p "$S/q"
mount -t tmpfs quick "$S/q" && umount "$S/q"
check "a mount that came and went at once is reported" wait_event "$S/q" "" 30
sleep 0.7 # past the time after which a call alone makes an event
check_eq "... once" 1 "$(jq -c --arg t "$S/q" 'select(.event == "unmount" and .mount.target == $t)' "$W_STATE/events.jsonl" | wc -l)"
check_json "... with its caller" "$(ev "$S/q")" '.by == "process" and .caller.comm == "umount" and (.short_lived == true or .mount.source == "quick")'

# --- a move is not an unmount ---------------------------------------------------------
mount -t tmpfs moved "$S/m"
seen "$S/m"
mount --move "$S/m" "$S/m2"
check "mount --move is recorded as a move" wait_event "$S/m" move
check_json "... to its new mount point, the same mount id, no caller" "$(ev "$S/m" move)" \
	".how == \"moved\" and .moved_to == \"$S/m2\" and .caller == null"
umount "$S/m2"

# --- a failed umount is nobody's unmount ------------------------------------------------
mount -t tmpfs tmpfs "$S/busy"
hold busy cwd "$S/busy"
umount "$S/busy" 2>/dev/null
check "umount of a busy mount fails" test -n "$(findmnt -n "$S/busy")"
kill "$HOLDER_PID"
wait "$HOLDER_PID" 2>/dev/null
sh -c 'echo $$ >"$1/busy.pid"; exec umount "$1/busy"' sh "$S"
check "the second, successful umount is recorded" wait_event "$S/busy"
check_json "... and attributed to it, not to the failed one" "$(ev "$S/busy")" ".caller.pid == $(cat "$S/busy.pid")"

# --- a dead FUSE server in the table does not stop the watcher -------------------------
if need_feature fuse "the watcher beside a dead FUSE server"; then
	F=$S/fuse
	mkdir "$F"
	start_holder "$READY/fuse" "$FIX/hangfs" "$F" "$READY/fuse"
	FS_PID=$HOLDER_PID
	at_exit "umount -l '$F'"
	wait_for "findmnt -n '$F' >/dev/null"
	kill -STOP "$FS_PID"
	mount -t tmpfs tmpfs "$S/a"
	t0=$(date +%s%N)
	umount "$S/a"
	check "with a dead FUSE mount in the table, an unmount is still reported within 2 s" wait_event "$S/a" "" 20
	diag "reported after $((($(date +%s%N) - t0) / 1000000)) ms"
	umount -l "$F"
	check "... and the dead mount's own lazy unmount too" wait_event "$F"
	kill -CONT "$FS_PID"
fi

# --- the record, read by explain ----------------------------------------------------------
out=$(UMOUNT_HELPER_STATE_DIR=$W_STATE "$UMH" explain --json "$S/r"); rc=$?
check_eq "explain of a vanished mount: exit 2 (not mounted), as before" 2 "$rc"
check_json "explain names the caller from the watcher's record" "$out" \
	".error == \"$S/r: not mounted\" and .vanished.known == true and .vanished.source == \"watcher\" and .vanished.by == \"process\" and .vanished.event.caller.comm == \"perl\""
out=$("$UMH" explain --state-dir "$W_STATE" "$S/a" 2>"$S/err"); rc=$?
check_eq "explain, text: exit 2" 2 "$rc"
check_eq "... stderr as before" "umount-helper: $S/a: not mounted" "$(cat "$S/err")"
check_contains "... stdout says when it went and who did it" "$out" "$S/a is not mounted."
check_contains "... with the watcher's sentence" "$out" "$S/a (tmpfs, mount id"
check_contains "... and where that came from" "$out" "(From the record of umount-helper watch in $W_STATE.)"
out=$("$UMH" explain --json --state-dir "$W_STATE" "$S/never")
check_json "a path never mounted, the watcher running: known false, and why" "$out" \
	".vanished.known == false and .vanished.source == \"none\" and .vanished.watcher.running == true and (.vanished.sentence | test(\"has watched this mount namespace since .* and saw no unmount of it, so it has not been mounted since then\"))"

# The front end adds the sentence after util-linux's "not mounted".
err=$(UMOUNT_HELPER_STATE_DIR=$W_STATE "$FE" "$S/busy" 2>&1); rc=$?
check_eq "umount of a vanished mount: util-linux's status (32)" 32 "$rc"
check_eq "... util-linux's message first" "umount: $S/busy: not mounted." "$(head -n 1 <<<"$err")"
check_contains "... then where it went" "$(sed -n 2p <<<"$err")" \
	"umount: $S/busy: At $(date +%Y-%m-%d) "
check_contains "... by whom" "$(sed -n 2p <<<"$err")" "unmounted by umount (pid $(cat "$S/busy.pid"), uid 0)"
err=$(UMOUNT_HELPER_STATE_DIR=$W_STATE "$FE" "$S/never" 2>&1)
check_eq "umount of a path never mounted: util-linux's message alone" "umount: $S/never: not mounted." "$err"

# --- SIGTERM: a clean stop ---------------------------------------------------------------
# (Not the failed unmounts' lines, nor the reports indented under them.)
n=$(grep -v '^[0-9:]* umount of \|^  ' "$W_OUT" | grep -c ' unmounted\| detached\| went along')
watch_stop TERM
check_eq "SIGTERM: exit 0" 0 "$W_RC"
check_contains "SIGTERM: the last line says so, with the count" "$(tail -n 1 "$W_OUT")" "stopped (TERM): $n unmounts seen."
check_json "SIGTERM: the record ends with watch-stop" "$(tail -n 1 "$W_STATE/events.jsonl")" \
	".event == \"watch-stop\" and .reason == \"TERM\" and .unmounts == $n"
out=$("$UMH" explain --json --state-dir "$W_STATE" "$S/never")
check_json "the watcher stopped: explain says it ran, and no longer" "$out" \
	'.vanished.known == false and .vanished.watcher.running == false and (.vanished.sentence | test("now stopped"))'
# A torn last line (a crash mid-write) and garbage are skipped.
printf '{"v": 1, "event": "unm' >>"$W_STATE/events.jsonl"
printf 'garbage\n\x01\x02{"event":"unmount"}\n' >>"$W_STATE/events.jsonl.1"
out=$("$UMH" explain --json --state-dir "$W_STATE" "$S/r")
check_json "a torn record is still read" "$out" '.vanished.source == "watcher" and .vanished.event.caller.comm == "perl"'

# --- SIGINT, JSON lines, the record's bound ---------------------------------------------
watch_start w2 --json --max-events 3
for i in 1 2 3 4 5 6 7; do
	mkdir -p "$S/n$i"
	mount -t tmpfs tmpfs "$S/n$i"
	umount "$S/n$i"
done
check "seven unmounts recorded" wait_event "$S/n7"
watch_stop INT
check_eq "SIGINT: exit 0" 0 "$W_RC"
check "--json: every line of stdout is a JSON object" bash -c "jq -e 'type == \"object\"' '$W_OUT' >/dev/null"
# (Failed unmounts are seen in every namespace: another test's on this
# machine may come between.)
check_eq "--json: watch-start, one unmount object per unmount, watch-stop" "watch-start unmount*7 watch-stop" \
	"$(jq -r 'select(.event != "failed-unmount") | .event' "$W_OUT" | uniq -c | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 ($1 > 1 ? "*" $1 : "") }')"
check_contains "--json: the header went to stderr" "$(cat "$W_ERR")" "Watching this mount namespace"
check "the record is bounded: at most 3 lines in events.jsonl" test "$(wc -l <"$W_STATE/events.jsonl")" -le 3
check "... and at most 3 in events.jsonl.1, the rest dropped" test "$(wc -l <"$W_STATE/events.jsonl.1")" -le 3
check_json "... the newest is kept" "$(tail -n 1 "$W_STATE/events.jsonl")" '.event == "watch-stop" and .reason == "INT"'

# --- without BPF: the unmount is still reported, the caller unknown and said why ---------
watch_start w3 --no-bpf
check_contains "--no-bpf: the header says the callers are not traced" "$(cat "$W_OUT")" \
	"callers: umount calls are not traced: --no-bpf was given"
mount -t tmpfs tmpfs "$S/a"
seen "$S/a"
umount "$S/a"
check "--no-bpf: the unmount is reported" wait_event "$S/a"
check_json "--no-bpf: by unknown, no caller, and why" "$(ev "$S/a")" \
	'.by == "unknown" and .caller == null and .no_caller == "umount calls are not traced: --no-bpf was given"'
check_contains "--no-bpf: the line says so" "$(line_of "$S/a")" "unmounted; who did it is unknown: umount calls are not traced"
watch_stop

# Without the privilege to load BPF (no CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN).
W_STATE=$S/w4.state
capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin -- -c "exec '$UMH' watch -v --state-dir '$W_STATE' --no-journal --duration 3" \
	>"$S/w4.out" 2>"$S/w4.err" &
p=$!
wait_for "grep -q '^  record:' '$S/w4.out' 2>/dev/null" 50
mount -t tmpfs tmpfs "$S/a"
wait_for "grep -qF ' $S/a (' '$S/w4.out'" 50
umount "$S/a"
wait "$p"
check_eq "without BPF privilege: watch still runs and exits 0" 0 "$?"
check_contains "... says the callers are not traced, and why" "$(cat "$S/w4.out")" "callers: umount calls are not traced: "
check_json "... and still reports the unmount, caller unknown" "$(ev "$S/a")" '.by == "unknown" and .caller == null'

# --- -N PID: another mount namespace, until its process ends ---------------------------------
unshare -m --propagation private sh -c 'mkdir -p "$1/ns"; mount -t tmpfs tmpfs "$1/ns"; echo $$ >"$1/ns.pid"; sleep 2; umount "$1/ns"; sleep 1' sh "$S" &
NSH=$!
wait_for "test -s '$S/ns.pid'"
watch_start w5 -N "$(cat "$S/ns.pid")"
check_contains "-N PID: the header names it" "$(head -n 1 "$W_OUT")" "Watching the mount namespace of pid $(cat "$S/ns.pid")"
check "-N PID: the unmount in that namespace is recorded" wait_event "$S/ns" "" 50
check_json "-N PID: ... with its caller, in that namespace" "$(ev "$S/ns")" \
	".by == \"process\" and .caller.comm == \"umount\" and .caller.parents[0].pid == $(cat "$S/ns.pid") and .mntns == .caller.mntns and .mntns != $MNTNS"
wait "$NSH"
wait_for "! kill -0 $W_PID 2>/dev/null" 50
wait "$W_PID"
check_eq "-N PID: the watcher ends, exit 0, when that process does" 0 "$?"
check_contains "-N PID: ... and says why" "$(tail -n 1 "$W_OUT")" "whose mount namespace was watched, exited"

# --- stdout gone (watch | head), no record: the watcher ends ----------------------------------
( "$UMH" watch --no-record --no-journal --duration 60 2>"$S/w6.err" | head -n 1 >"$S/w6.out"; echo "${PIPESTATUS[0]}" >"$S/w6.rc" ) &
HP=$!
STARTED_PIDS+=("$HP")
wait_for "test -s '$S/w6.out'" 50
# Its next line (this unmount) finds no reader.
mount -t tmpfs tmpfs "$S/a" && umount "$S/a"
check "stdout gone and no record: the watcher ends by itself (not at --duration)" wait_for "test -s '$S/w6.rc'" 100
check_eq "... exit 0" 0 "$(cat "$S/w6.rc" 2>/dev/null)"

# --- -N PATH as data: the record has it escaped, as the terminal does -----------------------
WEIRD=$S/$'ns\nline\e[31mred'
ln -s /proc/self/ns/mnt "$WEIRD"
"$UMH" watch -N "$WEIRD" --no-bpf --no-journal --state-dir "$S/weird.state" --duration 0.2 >"$S/weird.out" 2>&1
check_eq "-N a path with a newline and an escape: a start and a stop, one line each" 2 "$(wc -l <"$S/weird.state/events.jsonl")"
check_eq "... no escape character in the record" 0 "$(grep -c $'\e' "$S/weird.state/events.jsonl")"
check_json "... its namespace written as it is printed (\\n, \\x1b)" "$(head -n 1 "$S/weird.state/events.jsonl")" \
	".namespace == \"the mount namespace $S/ns\\\\nline\\\\x1b[31mred\""
check_contains "... and so on the terminal" "$(head -n 1 "$S/weird.out")" "the mount namespace $S/ns\\nline\\x1b[31mred"

# --- explain on a mounted target, no systemd: as before -----------------------------------
mount -t tmpfs tmpfs "$S/a"
at_exit "umount -l '$S/a'"
out=$("$UMH" explain --json "$S/a")
check_json "explain of a mounted target where PID 1 is not systemd: no warnings member" "$out" \
	'has("warnings") | not'
check_json "... and no vanished member" "$out" 'has("vanished") | not'
out=$(UMOUNT_HELPER_STATE_DIR=$S/none "$UMH" explain --json "$S/never")
check_json "a path never mounted, no record, no systemd: says so" "$out" \
	".vanished.known == false and .vanished.sentence == \"No record of it being mounted: umount-helper watch was not watching this mount namespace (nothing about it in $S/none); systemd was not asked (PID 1 is not systemd).\""

# --- documented -------------------------------------------------------------------------
man=$(MANWIDTH=200 man -l "$TOP/man/umount-helper.8" 2>/dev/null)
for o in $("$UMH" watch --help | grep -o -- '--[a-z-]*' | sort -u); do
	check_contains "umount-helper(8) documents watch $o" "$man" "$o"
done
finish
