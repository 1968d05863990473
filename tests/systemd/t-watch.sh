#!/bin/bash
# umount-helper watch and explain against a real systemd (Debian's, as PID 1
# of a throw-away container: container.sh), no mocks:
#
#   (a) a mount unit BindsTo= (and After=) a never-started unit: a tmpfs
#       mounted there vanishes;
#   (b) a drop-in StopWhenUnneeded=yes on a unit known only from mountinfo:
#       it vanishes;
#   (c) the seed's `mount -t ramfs /dev/nonexistent /hello/kitty`: it stays
#       on systemd 252 (Requires=, a tentative device);
#   (d) -o x-systemd.device-bound on a loop device, then udev (faked)
#       reports it removed: it vanishes;
#   (e) an ordinary umount by a process, and one run as a transient service;
#       `systemctl stop` (on request);
#   (f) a path never mounted;
#   (g) unmounts that fail (EBUSY): a program calling umount2 50 times, 50 ms
#       apart, run as a transient unit (containerd's way), and umount(8) run
#       by a shell in another (kubelet's way): one entry per burst, the unit
#       as caller, the holders; the journal entry read back with
#       journalctl -o json; explain reading the record afterwards;
# with the watcher running (its line, its record, its journal entry, explain
# and the umount front end afterwards), then without it (explain from
# systemd's journal and the unit's state, honest about what it cannot know),
# then the watcher as the shipped service inside the container.  And the
# warnings explain gives about a mounted target that systemd would stop:
# BindsTo= an inactive unit, a unit file or /etc/fstab changed on disk.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/container.sh"
. "$(dirname "$0")/sd-lib.sh"

FUE=${FUE:-$TOP/$BUILD/tests/systemd/fake-udev-event}
RETRY=$FIX/umount-retry
WORK=$(mktemp -d /tmp/umh-sd-watch.XXXXXX)
at_exit "rm -rf '$WORK'"

sd_watchdog 240 "the systemd watch test"
# (d) unplugs a loop device's node (faked by udev): the kernel must have
# them; and the watcher names callers through the umount tracepoints.
need_feature overlay "the container (its root is an overlay)" || finish
need_feature loop "(d), a device-bound mount whose device goes" || finish
need_feature bpf-tracepoints "the watcher's callers" || finish

for p in "$UMH" "$FUE" "$RETRY"; do
	[ -x "$p" ] || { not_ok "test program $p is built (make test-programs)"; finish; }
done
for c in jq unshare nsenter losetup journalctl; do
	command -v "$c" >/dev/null || { not_ok "$c is installed (tools/packages/systemd.txt)"; finish; }
done

at_exit sd_stop
if ! sd_start; then
	not_ok "Debian's systemd boots as PID 1 of a container"
	finish
fi
ok "Debian's systemd boots as PID 1 of a container ($(sd_exec systemctl --version | head -n 1))"

# journal MATCH...: the container's journal, JSON lines.
journal() { journalctl -D "$SD_JOURNAL_DIR" -o json --no-pager "$@" 2>/dev/null; }

unit_file never-started.service $'[Unit]\nDescription=never started\n[Service]\nExecStart=/bin/sleep infinity\n'
unit_file mnt-b.mount $'[Unit]\nBindsTo=never-started.service\nAfter=never-started.service\n[Mount]\nWhat=tmpfs\nWhere=/mnt/b\nType=tmpfs\n'
unit_file mnt-u.mount.d/50-unneeded.conf $'[Unit]\nStopWhenUnneeded=yes\n'
# The risk: BindsTo= without After= a unit whose start is skipped by a
# failed condition: the mount stays, bound to an inactive unit (README, a3).
unit_file cond.service $'[Unit]\nConditionPathExists=/nonexistent\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep infinity\n'
unit_file mnt-c.mount $'[Unit]\nBindsTo=cond.service\n[Mount]\nWhat=tmpfs\nWhere=/mnt/c\nType=tmpfs\n'
unit_file mnt-r.mount $'[Mount]\nWhat=tmpfs\nWhere=/mnt/r\nType=tmpfs\n'
unit_file umh-e2.service $'[Unit]\nDefaultDependencies=no\n[Service]\nType=oneshot\nExecStart=/bin/umount /mnt/e2\n'
sd_exec sh -c 'echo "tmpfs /mnt/f tmpfs defaults 0 0" >/etc/fstab'
sd_exec systemctl daemon-reload
sd_exec mkdir -p /mnt/b /mnt/u /hello/kitty /mnt/d /mnt/e /mnt/e2 /mnt/s /mnt/c /mnt/r /mnt/f /mnt/never /run/umh
# The program, inside: a copy in the container's /run (its /tmp is its own,
# and a checkout may well be under the host's /tmp), and the front end.
IN_UMH=/run/umh/umount-helper
cp "$UMH" "$SD_ROOT$IN_UMH"
ln -s umount-helper "$SD_ROOT/run/umh/umount"
STATE_IN=/run/umh-state        # the record, as the container sees it
STATE=$SD_ROOT$STATE_IN        # ... and as we do

# A loop device node for (d), and the fake udev that unplugs it.
loop=$(losetup -f 2>/dev/null || echo /dev/loop0)
n=${loop#/dev/loop}
sys=$(readlink -f "/sys/dev/block/7:$n")
sd_exec mknod "$loop" b 7 "$n"
cp "$FUE" "$SD_ROOT/run/umh/fake-udev-event"
cp "$RETRY" "$SD_ROOT/run/umh/umount-retry"
# sd_active UNIT: until systemd has the unit active (it learns of a mount
# from its mount table a few ms after the mount: a stop or a device event
# before that would find nothing to stop).
sd_active() { wait_for "[ \"\$(sd_exec systemctl is-active $1)\" = active ]" 50; }
# unplug: udev (faked) says the device is gone; only once systemd holds the
# device as tentative (found in the mount table), else the event finds
# nothing to remove and the mount stays.
unplug() {
	wait_for "[ \"\$(sd_exec systemctl show -p SubState --value dev-loop$n.device)\" = tentative ]" 50
	sd_exec /run/umh/fake-udev-event remove "$sys" SUBSYSTEM=block "DEVNAME=$loop" DEVTYPE=disk MAJOR=7 "MINOR=$n"
}

# rec TARGET T0: the watcher's newest record event about TARGET after T0 (µs).
rec() {
	jq -c --arg t "$1" --argjson t0 "$2" 'select(.event == "unmount" and .mount.target == $t and .t_us >= $t0)' \
		"$STATE/events.jsonl" 2>/dev/null | tail -n 1
}
# vanish NAME WHERE CMD...: runs CMD (which makes systemd unmount WHERE),
# waits until WHERE is gone and the watcher recorded it.  Sets E (the
# event), T0.  The cause is read when systemd's stop job appears and races
# with its end (10-40 ms, tests/systemd/README.md); on a loaded machine the
# read can come too late (the event then says in_time false): only then is
# the whole scenario tried again, at most 3 times.
vanish() {
	local name=$1 where=$2 try
	shift 2
	for try in 1 2 3; do
		T0=$(now_us)
		"$@"
		wait_gone "$where" || { diag "$name: $where did not vanish"; E=""; return 1; }
		wait_for "[ -n \"\$(rec $where $T0)\" ]" 30 || { diag "$name: not recorded: $(tail -n 3 "$WORK/watch.out")"; E=""; return 1; }
		E=$(rec "$where" "$T0")
		jq -e '.systemd.in_time != false' <<<"$E" >/dev/null && return 0
		diag "$name: try $try: the cause was read after the stop job was over: $E"
	done
}
line_of() { grep -F " $1 (" "$WORK/watch.out" | tail -n 1; }
# what E says of its mount, as the line starts: "/mnt/b (tmpfs, mount id 87)";
# systemd may unmount it before the watcher read the table once (then the
# unmount is known from the call, the type from the unit systemd stopped).
what_of() {
	jq -r 'if .short_lived then "\(.mount.target) (\(.mount.fstype), a mount that came and went between two reads of the mount table)" else "\(.mount.target) (\(.mount.fstype), mount id \(.mount.id))" end' <<<"${E:-null}"
}

# === with the watcher ================================================================
"$UMH" watch -N "$SD_PID" --state-dir "$STATE" --explain-timeout 20 >"$WORK/watch.out" 2>"$WORK/watch.err" &
W_PID=$!
STARTED_PIDS+=("$W_PID")
wait_for "grep -q '^  record:' '$WORK/watch.out'" 100 || diag "watch did not start: $(cat "$WORK/watch.err")"
h=$(cat "$WORK/watch.out")
check_contains "watch -N: the container's mount namespace" "$h" "Watching the mount namespace of pid $SD_PID"
check_contains "watch -N: callers traced" "$h" "callers: traced (umount system call tracepoints)"
check_contains "watch -N: it asks the container's systemd, on its private socket" "$h" \
	"systemd: asked at the private socket of systemd pid $SD_PID when it stops a mount unit"
check_contains "watch -N: it writes to the container's journal" "$h" "journal: /proc/$SD_PID/root/run/systemd/journal/socket"

# --- (a) BindsTo= a never-started unit -----------------------------------------------------
vanish a /mnt/b sd_exec mount -t tmpfs tmpfs /mnt/b
check_json_of "(a) the umount(2) was systemd's: /bin/umount -c in mnt-b.mount's cgroup, child of the container's PID 1" "$E" \
	".by == \"systemd\" and .how == \"direct\" and .caller.comm == \"umount\" and .caller.cmdline == \"/bin/umount /mnt/b -c\" and .caller.unit == \"mnt-b.mount\" and (.caller.cgroup | endswith(\"/system.slice/mnt-b.mount\")) and .caller.parents[0].comm == \"systemd\" and .caller.parents[0].ns_pid == 1 and .caller.parents[0].pid == $SD_PID"
check_json_of "(a) the cause, read at JobNew: bound to never-started.service, inactive" "$E" \
	'.systemd.unit == "mnt-b.mount" and .systemd.cause == "binds-to-inactive" and .systemd.related_unit == "never-started.service" and .systemd.related_state == "inactive" and .systemd.evidence == "caller" and .systemd.job_id > 0'
check_contains "(a) the watcher's line names systemd, the unit and the cause" "$(line_of /mnt/b)" \
	"$(what_of) unmounted by systemd (pid $SD_PID, PID 1 of its pid namespace) via mnt-b.mount: it is bound (BindsTo=) to never-started.service, which is inactive"
wait_for "[ -n \"\$(journal MESSAGE_ID=82f7ee45fc0b465a974ec916ff902b0a UMOUNT_HELPER_TARGET=/mnt/b)\" ]" 30
j=$(journal MESSAGE_ID=82f7ee45fc0b465a974ec916ff902b0a UMOUNT_HELPER_TARGET=/mnt/b | tail -n 1)
check_json_of "(a) the container's journal has the watcher's entry, with its fields" "$j" \
	'.OBJECT_SYSTEMD_UNIT == "mnt-b.mount" and .UMOUNT_HELPER_BY == "systemd" and .UMOUNT_HELPER_CAUSE == "binds-to-inactive" and .UMOUNT_HELPER_RELATED_UNIT == "never-started.service" and (.MESSAGE | test("unmounted by systemd .* via mnt-b.mount: it is bound"))'
out=$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/b); rc=$?
check_eq "(a) explain /mnt/b: exit 2 (not mounted)" 2 "$rc"
check_json_of "(a) explain /mnt/b names systemd, the unit and the cause, from the watcher's record" "$out" \
	'.vanished.known == true and .vanished.source == "watcher" and .vanished.by == "systemd" and .vanished.unit == "mnt-b.mount" and .vanished.cause == "binds-to-inactive" and .vanished.related_unit == "never-started.service" and .vanished.probable == false'
out=$("$UMH" explain -N "$SD_PID" --state-dir "$STATE" /mnt/b 2>/dev/null)
diag "\$ umount-helper explain /mnt/b"$'\n'"$out"
check_contains "(a) explain /mnt/b, text: the sentence" "$out" \
	"unmounted by systemd (pid $SD_PID, PID 1 of its pid namespace) via mnt-b.mount: it is bound (BindsTo=) to never-started.service, which is inactive."
err=$(sd_exec env UMOUNT_HELPER_STATE_DIR=$STATE_IN /run/umh/umount /mnt/b 2>&1); rc=$?
diag "\$ umount /mnt/b   # the front end"$'\n'"$err"
check_eq "(a) umount /mnt/b (the front end, inside): util-linux's status" 32 "$rc"
check_eq "(a) ... util-linux's message first" "umount: /mnt/b: not mounted." "$(head -n 1 <<<"$err")"
check_contains "(a) ... then who and why" "$(sed -n 2p <<<"$err")" \
	"umount: /mnt/b: At $(date +%Y-%m-%d) "
check_contains "(a) ... naming the cause" "$(sed -n 2p <<<"$err")" \
	"via mnt-b.mount: it is bound (BindsTo=) to never-started.service, which is inactive."

# --- (b) StopWhenUnneeded=yes ------------------------------------------------------------------
vanish b /mnt/u sd_exec mount -t tmpfs tmpfs /mnt/u
check_json_of "(b) by systemd, through mnt-u.mount's /bin/umount" "$E" \
	'.by == "systemd" and .caller.unit == "mnt-u.mount" and .caller.parents[0].ns_pid == 1'
check_json_of "(b) the cause: stop-when-unneeded" "$E" \
	'.systemd.unit == "mnt-u.mount" and .systemd.cause == "stop-when-unneeded" and .systemd.related_unit == null'
check_contains "(b) the line" "$(line_of /mnt/u)" \
	"via mnt-u.mount: it has StopWhenUnneeded=yes and no active unit wants, requires or binds to it"
out=$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/u)
check_json_of "(b) explain /mnt/u: systemd, mnt-u.mount, stop-when-unneeded" "$out" \
	'.vanished.source == "watcher" and .vanished.by == "systemd" and .vanished.unit == "mnt-u.mount" and .vanished.cause == "stop-when-unneeded"'

# --- (c) the seed: ramfs from /dev/nonexistent stays ---------------------------------------------
T0=$(now_us)
sd_exec mount -t ramfs /dev/nonexistent /hello/kitty
sleep 1.5
check "(c) mount -t ramfs /dev/nonexistent /hello/kitty stays mounted on systemd 252" mounted /hello/kitty
check_eq "(c) the watcher saw no unmount of it" "" "$(rec /hello/kitty "$T0")"
out=$("$UMH" explain --json -N "$SD_PID" /hello/kitty); rc=$?
check_eq "(c) explain: mounted, nothing holds it (exit 0)" 0 "$rc"
check_json_of "(c) explain: systemd was asked, and plans nothing for it (Requires= a tentative device)" "$out" \
	'.warnings == []'
sd_exec sh -c 'echo $$ >/run/umh/c.pid; exec umount /hello/kitty'
wait_for "[ -n \"\$(rec /hello/kitty $T0)\" ]" 30
check_json_of "(c) its umount by a process is that process's, not systemd's" "$(rec /hello/kitty "$T0")" \
	".by == \"process\" and .caller.ns_pid == $(cat "$SD_ROOT/run/umh/c.pid") and .systemd == null"

# --- (d) x-systemd.device-bound, the device unplugged --------------------------------------------
sd_exec mount -t ramfs -o x-systemd.device-bound "$loop" /mnt/d
check_eq "(d) mnt-d.mount BindsTo=dev-loop$n.device" "dev-loop$n.device" "$(sd_exec systemctl show mnt-d.mount -p BindsTo --value)"
redo_d() {
	mounted /mnt/d || sd_exec mount -t ramfs -o x-systemd.device-bound "$loop" /mnt/d
	sd_active mnt-d.mount
	unplug
}
vanish d /mnt/d redo_d
check_json_of "(d) by systemd, through mnt-d.mount" "$E" '.by == "systemd" and .caller.unit == "mnt-d.mount"'
check_json_of "(d) the cause: bound to the device, which is gone" "$E" \
	".systemd.cause == \"binds-to-inactive\" and .systemd.related_unit == \"dev-loop$n.device\" and (.systemd.reason | endswith(\"which is inactive (the device is not present)\"))"
out=$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/d)
check_json_of "(d) explain /mnt/d: systemd, the device" "$out" \
	".vanished.by == \"systemd\" and .vanished.cause == \"binds-to-inactive\" and .vanished.related_unit == \"dev-loop$n.device\""

# --- (e) an ordinary umount; one in a transient service; systemctl stop --------------------------
sd_exec mount -t tmpfs tmpfs /mnt/e
T0=$(now_us)
sd_exec sh -c 'echo $$ >/run/umh/e.pid; exec umount /mnt/e'
P=$(cat "$SD_ROOT/run/umh/e.pid")
wait_for "[ -n \"\$(rec /mnt/e $T0)\" ]" 30
E=$(rec /mnt/e "$T0")
check_json_of "(e) umount by a process: that process (its pid in the container, comm, arguments), not systemd" "$E" \
	".by == \"process\" and .caller.ns_pid == $P and .caller.comm == \"umount\" and .caller.cmdline == \"umount /mnt/e\" and .caller.parents[0].comm == \"nsenter\" and .systemd == null"
check_contains "(e) the line names it" "$(line_of /mnt/e)" "unmounted by umount (pid $(jq .caller.pid <<<"${E:-null}"), $P in its pid namespace, uid 0) as 'umount /mnt/e', child of nsenter"
out=$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/e)
check_json_of "(e) explain /mnt/e: that process" "$out" \
	".vanished.by == \"process\" and .vanished.event.caller.ns_pid == $P and .vanished.unit == null"

sd_exec mount -t tmpfs tmpfs /mnt/e2
T0=$(now_us)
sd_exec systemctl start umh-e2.service
wait_for "[ -n \"\$(rec /mnt/e2 $T0)\" ]" 30
check_json_of "(e) umount run as a transient service: the service's process, not a systemd stop" "$(rec /mnt/e2 "$T0")" \
	'.by == "process" and .caller.unit == "umh-e2.service" and .caller.parents[0].comm == "systemd" and .caller.parents[0].ns_pid == 1 and .systemd == null'

sd_exec mount -t tmpfs tmpfs /mnt/s
sd_active mnt-s.mount
T0=$(now_us)
sd_exec systemctl stop mnt-s.mount
wait_for "[ -n \"\$(rec /mnt/s $T0)\" ]" 30
# The stop job of a plain tmpfs is over in a few ms: a read that lost the
# race says so (its state went away while it was read) instead.
check_json_of "(e) systemctl stop: systemd, on request (no dependency explains it)" "$(rec /mnt/s "$T0")" \
	'.by == "systemd" and .systemd.unit == "mnt-s.mount" and .systemd.cause == "unknown" and ((.systemd.sentence | test("on request")) or .systemd.in_time == false or .systemd.consistent == false)'

# --- (f) a path never mounted ----------------------------------------------------------------------
out=$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/never); rc=$?
check_eq "(f) explain of a path never mounted: exit 2" 2 "$rc"
check_json_of "(f) ... says nothing is known, and why: the watcher saw nothing, systemd's journal has nothing" "$out" \
	'.vanished.known == false and .vanished.source == "none" and (.vanished.sentence | test("has watched this mount namespace since .* and saw no unmount of it")) and (.vanished.sentence | test("systemd.s journal has no unmount of mnt-never.mount"))'

# --- (g) unmounts that fail with EBUSY ----------------------------------------------------------------
FAILED_ID=09ece473646848888da6a70861ad6aa1
# frec TARGET T0: the watcher's failed-unmount entries about TARGET after T0 (µs).
frec() {
	jq -c --arg t "$1" --argjson t0 "$2" 'select(.event == "failed-unmount" and .target == $t and .t_us >= $t0)' \
		"$STATE/events.jsonl" 2>/dev/null
}
# run_unit UNIT CMD...: CMD as a transient service, until it is over
# (systemd-run --wait needs a D-Bus daemon, which this container has not).
run_unit() {
	local unit=$1
	shift
	sd_exec systemd-run --quiet --unit="$unit" "$@" &&
		wait_for "! sd_exec systemctl is-active --quiet $unit" 100
}
sd_exec mkdir -p /mnt/busy
sd_exec mount -t tmpfs busy /mnt/busy
sd_exec systemd-run --quiet --unit=umh-holder.service --property=WorkingDirectory=/mnt/busy /bin/sleep infinity
wait_for "[ \"\$(sd_exec systemctl is-active umh-holder.service)\" = active ]" 50
T0=$(now_us)
run_unit umh-retry.service /run/umh/umount-retry /mnt/busy 50 50
check_eq "(g) umh-retry.service (umount2 50 times, 50 ms apart) failed: the mount is busy" failed \
	"$(sd_exec systemctl is-failed umh-retry.service)"
wait_for "[ -n \"\$(frec /mnt/busy $T0)\" ]" 250
E=$(frec /mnt/busy "$T0" | tail -n 1)
check_json_of "(g) one entry for the 50 failed calls, the transient unit as caller" "$E" \
	'.attempts == 50 and .state == "ended" and .caller.comm == "umount-retry" and .caller.cmdline == "/run/umh/umount-retry /mnt/busy 50 50" and .caller.unit == "umh-retry.service" and (.caller.cgroup | endswith("/system.slice/umh-retry.service")) and .caller.parents[0].comm == "systemd" and .caller.parents[0].ns_pid == 1'
check_json_of "(g) ... examined in the container's namespace: held by umh-holder.service's sleep (its working directory)" "$E" \
	".examined == true and .mount.mntns == $(stat -L -c %i "/proc/$SD_PID/ns/mnt") and .mount.source == \"busy\" and .holders_total == 1 and .holders[0].comm == \"sleep\" and .holders[0].kind == \"cwd\""
check_contains "(g) the watcher's line: who, how often, what held it" "$(grep -F 'umount of /mnt/busy by umount-retry' "$WORK/watch.out" | tail -n 1)" \
	"in umh-retry.service failed 50 times (EBUSY, target is busy) between "
sleep 1.5
check_eq "(g) the burst collapsed: one entry" 1 "$(frec /mnt/busy "$T0" | wc -l)"
wait_for "[ -n \"\$(journal MESSAGE_ID=$FAILED_ID UMOUNT_HELPER_TARGET=/mnt/busy)\" ]" 30
J=$(journal MESSAGE_ID=$FAILED_ID UMOUNT_HELPER_TARGET=/mnt/busy | tail -n 1)
diag "journalctl -o json MESSAGE_ID=$FAILED_ID:"$'\n'"$(jq -c 'del(.UMOUNT_HELPER_EVENT, .MESSAGE)' <<<"${J:-null}")"
check_json_of "(g) journalctl -o json: the entry's fields" "$J" \
	'.UMOUNT_HELPER_ATTEMPTS == "50" and .UMOUNT_HELPER_TARGET == "/mnt/busy" and .UMOUNT_HELPER_SOURCE == "busy" and .UMOUNT_HELPER_FSTYPE == "tmpfs" and .UMOUNT_HELPER_CALLER_COMM == "umount-retry" and .UMOUNT_HELPER_CALLER_UNIT == "umh-retry.service" and .OBJECT_SYSTEMD_UNIT == "umh-retry.service" and .UMOUNT_HELPER_CALLER_UID == "0" and .PRIORITY == "4" and .SYSLOG_IDENTIFIER == "umount-helper"'
check_json_of "(g) ... the holders as JSON, the message with the report and its remedy" "$J" \
	'(.UMOUNT_HELPER_HOLDERS | fromjson | length == 1 and .[0].kind == "cwd" and .[0].comm == "sleep") and (.MESSAGE | test("failed 50 times")) and (.MESSAGE | test("→ make it leave /mnt/busy")) and (.UMOUNT_HELPER_EVENT | fromjson | .event == "failed-unmount" and .attempts == 50)'
T1=$(now_us)
run_unit umh-kube.service /bin/sh -c 'umount /mnt/busy; exit 0'
wait_for "[ -n \"\$(frec /mnt/busy $T1)\" ]" 250
check_json_of "(g) umount(8) run by a shell (kubelet's way): umount, child of sh, in umh-kube.service" "$(frec /mnt/busy "$T1" | tail -n 1)" \
	'.attempts == 1 and .caller.comm == "umount" and .caller.cmdline == "umount /mnt/busy" and .caller.parents[0].comm == "sh" and .caller.unit == "umh-kube.service" and .holders[0].comm == "sleep"'
out=$("$UMH" explain -N "$SD_PID" --state-dir "$STATE" /mnt/busy)
diag "\$ umount-helper explain -N $SD_PID /mnt/busy"$'\n'"$out"
check_contains "(g) explain afterwards: the earlier attempts, from the record" "$out" \
	"umount-helper watch saw earlier attempts to unmount it fail:"
check_contains "(g) ... the transient unit's 50" "$out" "in umh-retry.service failed 50 times (EBUSY, target is busy)"
check_json_of "(g) explain --json: both bursts under failed_unmounts" \
	"$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/busy)" \
	'[.failed_unmounts[] | select(.caller.unit == "umh-retry.service" or .caller.unit == "umh-kube.service")] | length == 2'
sd_exec systemctl stop umh-holder.service
sd_exec systemctl reset-failed umh-retry.service
sd_exec umount /mnt/busy

# --- mount-time risk: explain warns about a mounted target systemd would stop ------------------------
sd_exec mount -t tmpfs tmpfs /mnt/c
sleep 1
check "(risk) /mnt/c, BindsTo= a unit whose start was skipped (a failed condition), stays mounted" mounted /mnt/c
check_eq "(risk) ... and cond.service is inactive" inactive "$(sd_exec systemctl is-active cond.service)"
out=$("$UMH" explain --json -N "$SD_PID" /mnt/c); rc=$?
check_eq "(risk) explain /mnt/c: exit 0 (nothing holds it)" 0 "$rc"
check_json_of "(risk) explain /mnt/c warns: systemd would stop it, bound to cond.service" "$out" \
	'[.warnings[] | select(.kind == "binds-to-inactive" and .unit == "mnt-c.mount" and .related_unit == "cond.service")] | length == 1'
check_contains "(risk) ... and says so in words" "$("$UMH" explain -N "$SD_PID" /mnt/c)" \
	"warning: systemd would stop mnt-c.mount, which unmounts /mnt/c: it is bound (BindsTo=) to cond.service, which is inactive."
check_json_of "(risk) --no-systemd: not asked, no warnings" "$("$UMH" explain --json --no-systemd -N "$SD_PID" /mnt/c)" \
	'has("warnings") | not'

sd_exec systemctl start mnt-r.mount
unit_file mnt-r.mount $'[Mount]\nWhat=tmpfs\nWhere=/mnt/r\nType=tmpfs\nOptions=size=1m\n'
sd_exec touch -d '+2 seconds' /run/systemd/system/mnt-r.mount
check_eq "(risk) mnt-r.mount's file changed on disk: NeedDaemonReload=yes" yes \
	"$(sd_exec systemctl show mnt-r.mount -p NeedDaemonReload --value)"
check_json_of "(risk) explain /mnt/r warns: its unit file changed, daemon-reload" "$("$UMH" explain --json -N "$SD_PID" /mnt/r)" \
	'[.warnings[] | select(.kind == "need-daemon-reload" and .unit == "mnt-r.mount" and (.sentence | test("systemctl daemon-reload")))] | length == 1'

sd_exec systemctl start mnt-f.mount
sd_exec sh -c 'echo "tmpfs /mnt/f tmpfs defaults,size=2m 0 0" >/etc/fstab; touch -d "+2 seconds" /etc/fstab'
check_json_of "(risk) /etc/fstab edited, no daemon-reload: explain /mnt/f says so" "$("$UMH" explain --json -N "$SD_PID" /mnt/f)" \
	'[.warnings[] | select(.kind == "need-daemon-reload" and (.sentence | startswith("/etc/fstab changed since systemd last read it")))] | length == 1'
check_json_of "(risk) a plain mount, nothing planned: no warnings" "$(sd_exec mount -t tmpfs tmpfs /mnt/e; "$UMH" explain --json -N "$SD_PID" /mnt/e)" \
	'.warnings == []'
sd_exec umount /mnt/e /mnt/c /mnt/r /mnt/f

# --- the watcher stops cleanly -------------------------------------------------------------------
kill -TERM "$W_PID"
wait "$W_PID"
check_eq "watch: SIGTERM, exit 0" 0 "$?"
check_json_of "watch: the record ends with watch-stop" "$(tail -n 1 "$STATE/events.jsonl")" '.event == "watch-stop" and .reason == "TERM"'

# === without the watcher: systemd's journal and the unit's state ===================================
# sd_vanish UNIT WHERE N CMD...: CMD makes systemd unmount WHERE; waits
# until it is gone and systemd's journal has N "Unmounted" entries of UNIT.
sd_vanish() {
	local unit=$1 where=$2 count=$3
	shift 3
	"$@"
	wait_gone "$where"
	wait_for "[ \$(journal UNIT=$unit MESSAGE_ID=9d1aaa27d60140bd96365438aad20286 | wc -l) -ge $count ]" 30
}
sd_vanish mnt-b.mount /mnt/b 2 sd_exec mount -t tmpfs tmpfs /mnt/b
out=$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/b)
check_json_of "(a, no watcher) explain: systemd unmounted it (its journal), the cause probable (the unit's state now)" "$out" \
	'.vanished.known == true and .vanished.source == "systemd" and .vanished.by == "systemd" and .vanished.unit == "mnt-b.mount" and .vanished.probable == true and .vanished.cause == "binds-to-inactive" and .vanished.related_unit == "never-started.service" and .vanished.systemd.journal_stop == true and .vanished.systemd.job_id > 0'
check_json_of "(a, no watcher) ... and says honestly what it cannot know" "$out" \
	'(.vanished.sentence | test("systemd did not log why, but now it is bound \\(BindsTo=\\) to never-started.service, which is inactive: most likely that is why")) and (.vanished.sentence | test("umount-helper watch was not running then"))'
check_json_of "(a, no watcher) ... not the watcher's older record of an earlier unmount" "$out" '.vanished.event == null'

sd_vanish mnt-u.mount /mnt/u 2 sd_exec mount -t tmpfs tmpfs /mnt/u
check_json_of "(b, no watcher) explain: systemd; the drop-in's StopWhenUnneeded=yes, from disk (the collected unit lost it)" \
	"$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/u)" \
	'.vanished.source == "systemd" and .vanished.probable == true and .vanished.cause == "stop-when-unneeded" and (.vanished.sentence | test("/run/systemd/system/mnt-u.mount.d/50-unneeded.conf sets StopWhenUnneeded=yes"))'

# Once in some runs on a heavily loaded machine the faked removal was not
# acted on (the device stayed tentative, the mount stayed; not understood,
# not seen with the watcher running or in 15 rounds alone): it is sent once
# more then, and said.
mount_d_unplug() {
	sd_exec mount -t ramfs -o x-systemd.device-bound "$loop" /mnt/d && sd_active mnt-d.mount && unplug
	wait_gone /mnt/d 20 && return 0
	diag "(d, no watcher) the faked removal was not acted on; sending it again"
	unplug
}
sd_vanish mnt-d.mount /mnt/d 2 mount_d_unplug
check_json_of "(d, no watcher) explain: systemd unmounted it; why is not known (systemd never logs it for a device removal)" \
	"$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/d)" \
	'.vanished.source == "systemd" and .vanished.by == "systemd" and .vanished.cause == null and (.vanished.sentence | test("why is not known"))'

# systemd at debug level logs the reason: explain quotes it.
sd_exec systemd-analyze log-level debug
sd_vanish mnt-b.mount /mnt/b 3 sd_exec mount -t tmpfs tmpfs /mnt/b
sd_exec systemd-analyze log-level info
check_json_of "(a, debug level) explain quotes systemd's own reason line" \
	"$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/b)" \
	'.vanished.source == "systemd" and .vanished.probable == false and .vanished.cause == "binds-to-inactive" and .vanished.related_unit == "never-started.service" and (.vanished.sentence | test("its journal says why: \"mnt-b.mount: Unit is stopped because bound to inactive unit never-started.service.\""))'

check_json_of "(f, no watcher) a path never mounted" "$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/never)" \
	'.vanished.known == false and (.vanished.sentence | test("ran since .* \\(pid [0-9]+, now stopped\\) and recorded no unmount of it; systemd.s journal has no unmount of mnt-never.mount"))'

# === the shipped service, inside the container ========================================================
sed -e "s|^ExecStart=/usr/local/bin/umount-helper |ExecStart=$IN_UMH |" "$TOP/systemd/umount-helper-watch.service" \
	>"$SD_ROOT/run/systemd/system/umount-helper-watch.service"
sd_exec systemctl daemon-reload
check "the service starts (Type=notify: ready once it watches)" sd_exec systemctl start umount-helper-watch.service
check_eq "the service is running" active "$(sd_exec systemctl is-active umount-helper-watch.service)"
T0=$(now_us)
sd_exec mount -t tmpfs tmpfs /mnt/b
wait_gone /mnt/b
wait_for "[ -n \"\$(journal _SYSTEMD_UNIT=umount-helper-watch.service MESSAGE_ID=82f7ee45fc0b465a974ec916ff902b0a UMOUNT_HELPER_TARGET=/mnt/b)\" ]" 30
j=$(journal _SYSTEMD_UNIT=umount-helper-watch.service MESSAGE_ID=82f7ee45fc0b465a974ec916ff902b0a UMOUNT_HELPER_TARGET=/mnt/b | tail -n 1)
check_json_of "the service's journal entry: systemd (pid 1), mnt-b.mount, the cause" "$j" \
	'(.MESSAGE | test("unmounted by systemd \\(pid 1\\) via mnt-b.mount: it is bound \\(BindsTo=\\) to never-started.service")) and .UMOUNT_HELPER_CAUSE == "binds-to-inactive"'
check_contains "... and journalctl -u mnt-b.mount shows it beside systemd's own lines (OBJECT_SYSTEMD_UNIT=)" \
	"$(sd_exec journalctl -u mnt-b.mount -o cat --no-pager | tail -n 4)" "unmounted by systemd (pid 1) via mnt-b.mount: it is bound"
check_eq "... once: not also as a stdout line" 1 \
	"$(journal _SYSTEMD_UNIT=umount-helper-watch.service | jq -r .MESSAGE | grep -c '/mnt/b (tmpfs, mount id .*) unmounted by systemd')"
check_json_of "the service's record in /run/umount-helper" "$(tail -n 1 "$SD_ROOT/run/umount-helper/events.jsonl")" \
	'.event == "unmount" and .mount.target == "/mnt/b" and .by == "systemd" and .systemd.cause == "binds-to-inactive"'
# The reason as the watcher read it: while systemd's stop job ran, or, on
# a loaded machine, just after it ended, which the sentence then says
# (watch-systemd.c); both are the record's.
want="unmounted by systemd (pid 1) via mnt-b.mount: it is bound (BindsTo=) to never-started.service, which is inactive"
out=$(sd_exec "$IN_UMH" explain /mnt/b 2>&1)
if [[ "$out" == *"$want."* || "$out" == *"$want (as systemd still had it after the stop)."* ]]; then
	ok "explain inside the container reads the service's record (the default place)"
else
	not_ok "explain inside the container reads the service's record (the default place)"
	diag "expected to find: $want. (or: ... after the stop).)"
	diag "in: $out"
fi
# Its sandbox (ProtectSystem=strict, its capabilities) lets it keep
# explain's BPF scan loaded, in the container's BPF filesystem (where a
# host's systemd mounts one: container.sh does), and explain there uses it.
check_contains "the service keeps explain's BPF scan loaded" \
	"$(journal _SYSTEMD_UNIT=umount-helper-watch.service | jq -r .MESSAGE | grep 'explain: ')" \
	"explain: its BPF scan kept loaded, in /sys/fs/bpf/umount-helper/scan-"
sd_exec mkdir -p /mnt/pinned
sd_exec mount -t tmpfs tmpfs /mnt/pinned
check_contains "... explain in the container uses it" \
	"$(sd_exec env UMOUNT_HELPER_DEBUG=time "$IN_UMH" explain /mnt/pinned 2>&1 >/dev/null)" "bpf scan: the watcher's pinned programs"
sd_exec umount /mnt/pinned
sd_exec mount -t tmpfs busy /mnt/busy
sd_exec systemd-run --quiet --unit=umh-holder2.service --property=WorkingDirectory=/mnt/busy /bin/sleep infinity
wait_for "[ \"\$(sd_exec systemctl is-active umh-holder2.service)\" = active ]" 50
run_unit umh-retry2.service /run/umh/umount-retry /mnt/busy 3 50
wait_for "[ -n \"\$(journal _SYSTEMD_UNIT=umount-helper-watch.service MESSAGE_ID=$FAILED_ID UMOUNT_HELPER_TARGET=/mnt/busy)\" ]" 250
check_json_of "the service catches a failed unmount and examines it under its sandbox (its journal entry)" \
	"$(journal _SYSTEMD_UNIT=umount-helper-watch.service MESSAGE_ID=$FAILED_ID UMOUNT_HELPER_TARGET=/mnt/busy | tail -n 1)" \
	'.UMOUNT_HELPER_ATTEMPTS == "3" and .UMOUNT_HELPER_CALLER_UNIT == "umh-retry2.service" and (.UMOUNT_HELPER_HOLDERS | fromjson | length == 1 and .[0].comm == "sleep" and .[0].kind == "cwd")'
check_contains "... and journalctl -u umh-retry2.service shows it beside the unit's own lines (OBJECT_SYSTEMD_UNIT=)" \
	"$(sd_exec journalctl -u umh-retry2.service -o cat --no-pager)" "umount of /mnt/busy by umount-retry"
sd_exec systemctl reset-failed umh-retry2.service
sd_exec systemctl stop umh-holder2.service
sd_exec umount /mnt/busy
sd_exec systemctl stop umount-helper-watch.service
check_json_of "the service stops cleanly: watch-stop in its record, which stays" "$(tail -n 1 "$SD_ROOT/run/umount-helper/events.jsonl")" \
	'.event == "watch-stop" and .reason == "TERM"'
check_eq "... and its pins are gone" "" "$(sd_exec ls -A /sys/fs/bpf/umount-helper 2>/dev/null)"

# === forged entries: a user's lines in the journal are not the watcher's, nor systemd's ===========
# Anyone may write any field but the trusted ones (_UID, _PID, _SYSTEMD_UNIT:
# journald sets those).  explain believes the watcher's entries only from
# root's service (_UID=0, _SYSTEMD_UNIT=umount-helper-watch.service), and
# systemd's only from PID 1 (_PID=1, _UID=0); an event stamped later than
# now is never believed.
MNTNS_IN=$(sd_exec stat -L -c %i /proc/1/ns/mnt)
BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
forge() { sd_exec setpriv --reuid=65534 --regid=65534 --clear-groups logger --journald; }
forge <<FORGED
MESSAGE=At 2100-01-01: /mnt/b unmounted by systemd via alice-backup.service: FORGED
MESSAGE_ID=82f7ee45fc0b465a974ec916ff902b0a
UMOUNT_HELPER_TARGET=/mnt/b
UMOUNT_HELPER_MNTNS=$MNTNS_IN
UMOUNT_HELPER_BY=systemd
UMOUNT_HELPER_EVENT={"v":1,"event":"unmount","t_us":4102444800000000,"boot_id":"$BOOT_ID","mntns":$MNTNS_IN,"mount":{"target":"/mnt/b","source":"tmpfs","fstype":"tmpfs","id":1},"by":"systemd","sentence":"/mnt/b unmounted by systemd via alice-backup.service: FORGED","systemd":{"unit":"alice-backup.service"}}
FORGED
forge <<FORGED
MESSAGE=Unmounting mnt-forged.mount - /mnt/forged...
MESSAGE_ID=de5b426a63be47a7b6ac3eaac82e2f6f
UNIT=mnt-forged.mount
JOB_TYPE=stop
JOB_ID=4242
FORGED
wait_for "[ -n \"\$(journal _UID=65534 UNIT=mnt-forged.mount)\" ]" 30
check_json_of "the forged watcher entry is in the container's journal, as uid 65534's" \
	"$(journal _UID=65534 MESSAGE_ID=82f7ee45fc0b465a974ec916ff902b0a | tail -n 1)" '.UMOUNT_HELPER_TARGET == "/mnt/b"'
check_json_of "explain inside: the service's record, not the forged entry stamped 2100" \
	"$(sd_exec "$IN_UMH" explain --json /mnt/b)" \
	'.vanished.source == "watcher" and .vanished.unit == "mnt-b.mount" and (.vanished.sentence | test("FORGED") | not)'
sd_exec mkdir -p -m 0755 /run/umh-empty
check_json_of "explain inside, no record: the service's journal entry (root's, its unit), not the forged one" \
	"$(sd_exec env UMOUNT_HELPER_STATE_DIR=/run/umh-empty "$IN_UMH" explain --json /mnt/b)" \
	'.vanished.source == "journal" and .vanished.by == "systemd" and .vanished.unit == "mnt-b.mount" and .vanished.cause == "binds-to-inactive" and (.vanished.sentence | test("FORGED|alice") | not)'
check_json_of "explain inside: a user's line dressed as systemd's stop is not believed" \
	"$(sd_exec "$IN_UMH" explain --json /mnt/forged)" \
	'.vanished.known == false and .vanished.source == "none" and (.vanished.sentence | test("journal has no unmount of mnt-forged.mount"))'
check_json_of "... nor from the host (-N)" "$("$UMH" explain --json -N "$SD_PID" --state-dir "$STATE" /mnt/forged)" \
	'.vanished.known == false and .vanished.source == "none"'
# The host-side watcher's entries arrive without _UID (README): explain
# does not take them from the journal.  Without a record, /mnt/e (unmounted
# by a process: systemd's journal has nothing) is then not known.
mkdir -m 0755 "$WORK/empty"
check_json_of "from the host, no record: the host-side watcher's journal entry (no _UID) is not believed" \
	"$("$UMH" explain --json -N "$SD_PID" --state-dir "$WORK/empty" /mnt/e)" \
	'.vanished.known == false and .vanished.source == "none"'

check_eq "systemd in the container is still running" running "$(sd_state)"
# The watcher's own words for the scenarios above (VERBOSE=1 shows them).
diag "watch's stdout, all scenarios:"
diag "$(cat "$WORK/watch.out" 2>/dev/null)"
finish
