#!/bin/bash
# Where did my mount go?  Against a real systemd (Debian's, as PID 1 of a
# throw-away container, tests/systemd/container.sh), no mocks:
#
#   (a) a mount unit BindsTo= (and After=) a never-started unit: a tmpfs
#       mounted there vanishes; without After=, systemd starts the bound
#       unit instead and the mount stays.
#   (b) a drop-in StopWhenUnneeded=yes on a unit known only from
#       /proc/self/mountinfo: the mount vanishes.
#   (c) the seed's `mount -t ramfs /dev/nonexistent /hello/kitty`: on
#       systemd 252 it stays (Requires=, and the device is "tentative").
#   (d) x-systemd.device-bound: BindsTo= the device.  On /dev/nonexistent it
#       stays (tentative device); on a real device node that udev then
#       reports removed, it vanishes, while a Requires=-only mount stays.
#   (e) an ordinary umount by a process: systemd makes no job.
#   (f) systemctl stop; (g) a Conflicts=; (h) an automount's idle timeout
#       (sd-automount.sh: it needs autofs; on a kernel without, this test
#       checks that systemd refuses it, and QEMU runs it on Debian's kernel:
#       tests/vm/scenarios/75-systemd-automount-idle.sh).
#
# For each stop, sd-cause-watch (lib/systemd/cause.c) reads the cause over
# D-Bus when the JobNew signal arrives, and the test asserts its kind and
# related unit; the journal is checked for what it says at systemd's default
# log level and at debug level.  Timings are printed as "# timing:" lines.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/container.sh"
. "$(dirname "$0")/sd-lib.sh"
. "$(dirname "$0")/sd-automount.sh"

SDW=${SDW:-$TOP/$BUILD/tests/systemd/sd-cause-watch}
FUE=${FUE:-$TOP/$BUILD/tests/systemd/fake-udev-event}
WORK=$(mktemp -d /tmp/umh-sd-test.XXXXXX)
at_exit "rm -rf '$WORK'"

# Everything below has its own timeout, and the watchdog ends the whole
# script after 150 s.
sd_watchdog 150 "the systemd fixture test"
need_feature overlay "the container (its root is an overlay)" || finish

for p in "$SDW" "$FUE"; do
	if [ ! -x "$p" ]; then
		not_ok "test program $p is built (make sd-test-programs)"
		finish
	fi
done
for c in jq unshare nsenter losetup; do
	command -v "$c" >/dev/null || { not_ok "$c is installed (tools/packages/systemd.txt)"; finish; }
done

at_exit sd_stop
# With dbus-daemon, so that the system-bus path is tested too (f).
if ! SD_DBUS=1 sd_start; then
	not_ok "Debian's systemd boots as PID 1 of a container"
	finish
fi
ok "Debian's systemd boots as PID 1 of a container ($(sd_exec systemctl --version | head -n 1))"
diag "timing: boot to running: $SD_BOOT_MS ms"
check_eq "its PID 1 is systemd" "systemd" "$(sd_exec cat /proc/1/comm)"


# stop_scenario NAME UNIT WHERE SETUP TRIGGER: SETUP (a command, may be
# empty), start the watcher, TRIGGER (a command) makes systemd unmount WHERE.
# Sets SC_GONE (WHERE vanished), SC_WATCHED (the watcher saw the job through)
# and SC_TIME (0/1: the cause was read while the stop job was there), T0.
# The read races with the stop job (10-40 ms); on a loaded machine it can
# lose: then the whole scenario is tried again, up to 3 times.
stop_scenario() {
	local name=$1 unit=$2 where=$3 setup=$4 trigger=$5 try
	for try in 1 2 3; do
		SC_GONE=0 SC_WATCHED=0 SC_TIME=0
		[ -z "$setup" ] || eval "$setup"
		WATCH_GC=1 watch_start "$WORK/$name" "$unit" || return 0
		T0=$(now_us)
		eval "$trigger"
		wait_gone "$where" && SC_GONE=1
		watch_wait && SC_WATCHED=1
		[ "$SC_GONE$SC_WATCHED" = 11 ] || return 0
		in_time "$WORK/$name" && { SC_TIME=1; return 0; }
		diag "$name: try $try: the cause was read after the stop was over: $(cause_of "$WORK/$name")"
	done
}
event_t() { jq -r "select(.event == \"$2\") | .t_us" "$1" | head -n 1; }

# journal UNIT: the container's journal for that unit, one JSON object a line.
journal() { journalctl -D "$SD_JOURNAL_DIR" -o json --no-pager "UNIT=$1" 2>/dev/null; }
# journal_line UNIT TEXT: the first entry whose MESSAGE is TEXT, as "ID|PRIORITY".
journal_line() {
	journal "$1" | jq -r --arg m "$2" 'select(.MESSAGE == $m) | "\(.MESSAGE_ID // "-")|\(.PRIORITY)"' | head -n 1
}

# check_vanish_journal UNIT WHERE LEVEL-NOTE: the lines systemd logs about a
# stop at its default (info) level, with their MESSAGE_IDs.
check_stop_journal() {
	local unit=$1 where=$2 l
	wait_for "[ -n \"\$(journal_line $unit 'Unmounted $unit - $where.')\" ]" 30
	l=$(journal_line "$unit" "Unmounting $unit - $where...")
	check_eq "journal: \"Unmounting $unit - $where...\" (UNIT_STOPPING, priority info)" \
		"de5b426a63be47a7b6ac3eaac82e2f6f|6" "$l"
	l=$(journal_line "$unit" "$unit: Deactivated successfully.")
	check_eq "journal: \"$unit: Deactivated successfully.\" (UNIT_SUCCESS)" \
		"7ad2d189f7e94e70a38c781354912448|6" "$l"
	l=$(journal_line "$unit" "Unmounted $unit - $where.")
	check_eq "journal: \"Unmounted $unit - $where.\" (UNIT_STOPPED)" \
		"9d1aaa27d60140bd96365438aad20286|6" "$l"
}

# timings OUT T0: mount-to-vanish and the garbage-collection window.
timings() {
	local out=$1 t0=$2 jn jr ur c
	jn=$(event_t "$out" JobNew) jr=$(event_t "$out" JobRemoved) ur=$(event_t "$out" UnitRemoved)
	c=$(cause_of "$out" | jq -r '.read_us // empty')
	[ -n "$jn" ] && [ -n "$jr" ] && [ -n "$c" ] || return 0
	diag "timing: $3: mount to JobNew $(((jn - t0) / 1000)) ms, to JobRemoved $(((jr - t0) / 1000)) ms; cause read in $((c / 1000)) ms; UnitRemoved $((${ur:-$jr} - jr)) us after JobRemoved (as received)"
}

sd_exec mkdir -p /mnt/b /mnt/b2 /mnt/u /hello/kitty /mnt/dn /mnt/d /mnt/r /mnt/e /mnt/f /mnt/g

# --- (a) BindsTo= a never-started unit ---------------------------------------
diag "(a) mnt-b.mount: BindsTo=never-started.service, After=never-started.service"
unit_file never-started.service $'[Unit]\nDescription=never started\n[Service]\nExecStart=/bin/sleep infinity\n'
unit_file mnt-b.mount $'[Unit]\nBindsTo=never-started.service\nAfter=never-started.service\n[Mount]\nWhat=tmpfs\nWhere=/mnt/b\nType=tmpfs\n'
# (a2) the same without After=: systemd starts the bound unit retroactively.
unit_file startable.service $'[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep infinity\n'
unit_file mnt-b2.mount $'[Unit]\nBindsTo=startable.service\n[Mount]\nWhat=tmpfs\nWhere=/mnt/b2\nType=tmpfs\n'
# (b) a drop-in on a unit that has no file of its own.
unit_file mnt-u.mount.d/50-unneeded.conf $'[Unit]\nStopWhenUnneeded=yes\n'
# (g) a service that conflicts with a mount.
unit_file conflicter.service $'[Unit]\nConflicts=mnt-g.mount\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep infinity\n'
sd_exec systemctl daemon-reload
check_eq "never-started.service is inactive" inactive "$(sd_exec systemctl is-active never-started.service)"

stop_scenario a mnt-b.mount /mnt/b "" "sd_exec mount -t tmpfs tmpfs /mnt/b"
check_eq "(a) mount -t tmpfs tmpfs /mnt/b succeeds and then vanishes" 1 "$SC_GONE"
check_eq "(a) the watcher saw the stop job and its unit collected" 1 "$SC_WATCHED"
check_eq "(a) the cause was read while the stop job was there" 1 "$SC_TIME"
c=$(cause_of "$WORK/a")
check_json_of "(a) JobNew for mnt-b.mount (id, job path)" "$(jq -c 'select(.event == "JobNew")' "$WORK/a" | head -n 1)" \
	'.unit == "mnt-b.mount" and (.id > 0) and (.job | startswith("/org/freedesktop/systemd1/job/"))'
check_json_of "(a) cause: binds-to-inactive, never-started.service, inactive" "$c" \
	'.kind == "binds-to-inactive" and .related_unit == "never-started.service" and .related_state == "inactive" and .related_job == null'
check_json_of "(a) the sentence names systemd, the unit and the cause" "$c" \
	'.sentence == "systemd stopped mnt-b.mount because it is bound (BindsTo=) to never-started.service, which is inactive"'
check_json_of "(a) read while the stop job was there, before collection" "$c" \
	'.facts.job_type == "stop" and .facts.gone == false and (.facts.active_state == "active" or .facts.active_state == "deactivating") and .facts.invocation_id != null and .facts.id == "mnt-b.mount"'
check_json_of "(a) state at JobNew: BindsTo, What/Where, not StopWhenUnneeded" "$c" \
	'.facts.binds_to == ["never-started.service"] and .facts.what == "tmpfs" and .facts.where == "/mnt/b" and .facts.stop_when_unneeded == false'
# Read last in the batch: may come after the unit was collected, then the
# reader says so (consistent == false) and they are not checked.
check_json_of "(a) ... and, if read in time, SourcePath, FragmentPath, NeedDaemonReload" "$c" \
	'(.facts.consistent | not) or (.facts.source_path == "/proc/self/mountinfo" and .facts.fragment_path == "/run/systemd/system/mnt-b.mount" and .facts.need_daemon_reload == false)'
jq -e '.facts.consistent' <<<"$c" >/dev/null || diag "(a) read only partly in time (consistent: false)"
timings "$WORK/a" "$T0" "(a)"
check_stop_journal mnt-b.mount /mnt/b
check_not_contains "(a) at the default log level the journal does not say why" \
	"$(journal mnt-b.mount | jq -r .MESSAGE)" "bound to inactive"
diag "(a) state at JobNew: $c"

sd_exec mount -t tmpfs tmpfs /mnt/b2
sleep 1
check "(a2) without After=, the mount stays: systemd starts the bound unit instead" mounted /mnt/b2
check_eq "(a2) ... and startable.service was started" active "$(sd_exec systemctl is-active startable.service)"
sd_exec umount /mnt/b2

# --- (b) drop-in StopWhenUnneeded=yes -------------------------------------------
diag "(b) mnt-u.mount: only /proc/self/mountinfo and a drop-in StopWhenUnneeded=yes"
stop_scenario b mnt-u.mount /mnt/u "" "sd_exec mount -t tmpfs tmpfs /mnt/u"
check_eq "(b) mount -t tmpfs tmpfs /mnt/u succeeds and then vanishes" 1 "$SC_GONE"
check_eq "(b) the watcher saw the stop job and its unit collected" 1 "$SC_WATCHED"
check_eq "(b) the cause was read while the stop job was there" 1 "$SC_TIME"
c=$(cause_of "$WORK/b")
check_json_of "(b) cause: stop-when-unneeded" "$c" '.kind == "stop-when-unneeded" and .related_unit == null'
check_json_of "(b) the sentence names systemd, the unit and the cause" "$c" \
	'.sentence == "systemd stopped mnt-u.mount because it has StopWhenUnneeded=yes and no active unit wants, requires or binds to it"'
check_json_of "(b) state at JobNew: a stop job, StopWhenUnneeded, nothing needs it" "$c" \
	'.facts.job_type == "stop" and .facts.stop_when_unneeded == true and .facts.required_by == [] and .facts.wanted_by == [] and .facts.bound_by == []'
check_json_of "(b) ... and, if read in time, the drop-in, no unit file, SourcePath" "$c" \
	'(.facts.consistent | not) or (.facts.drop_in_paths == ["/run/systemd/system/mnt-u.mount.d/50-unneeded.conf"] and .facts.fragment_path == null and .facts.source_path == "/proc/self/mountinfo")'
jq -e '.facts.consistent' <<<"$c" >/dev/null || diag "(b) read only partly in time (consistent: false)"
timings "$WORK/b" "$T0" "(b)"
check_stop_journal mnt-u.mount /mnt/u
check_not_contains "(b) at the default log level the journal does not say why" \
	"$(journal mnt-u.mount | jq -r .MESSAGE)" "not needed anymore"
diag "(b) state at JobNew: $c"

# --- (a) and (b) again with systemd logging at debug level -------------------------
sd_exec systemd-analyze log-level debug
for s in b u; do
	WATCH_GC=1 watch_start "$WORK/dbg-$s" "mnt-$s.mount"
	sd_exec mount -t tmpfs tmpfs "/mnt/$s"
	wait_gone "/mnt/$s"
	watch_wait
done
sd_exec systemd-analyze log-level info
wait_for "journal mnt-u.mount | grep -q 'Collecting'" 30
l=$(journal mnt-b.mount | jq -r 'select(.MESSAGE | test("bound to inactive")) | "\(.MESSAGE)|\(.MESSAGE_ID // "none")|\(.PRIORITY)|\(.CODE_FUNC)"' | head -n 1)
check_eq "(a) at debug level: the reason, with no MESSAGE_ID" \
	"mnt-b.mount: Unit is stopped because bound to inactive unit never-started.service.|none|7|manager_dispatch_stop_when_bound_queue" "$l"
l=$(journal mnt-u.mount | jq -r 'select(.MESSAGE | test("not needed")) | "\(.MESSAGE)|\(.MESSAGE_ID // "none")|\(.PRIORITY)|\(.CODE_FUNC)"' | head -n 1)
check_eq "(b) at debug level: the reason, with no MESSAGE_ID" \
	"mnt-u.mount: Unit is not needed anymore.|none|7|manager_dispatch_stop_when_unneeded_queue" "$l"
# The garbage-collection window, from systemd's own (debug) timestamps.
for u in mnt-b.mount mnt-u.mount; do
	gc=$(journal "$u" | jq -rs --arg u "$u" '
		(map(select(.MESSAGE | test("Job [0-9]+ " + $u + "/stop finished"))) | last | .__MONOTONIC_TIMESTAMP | tonumber) as $done |
		(map(select(.MESSAGE == $u + ": Collecting.")) | map(.__MONOTONIC_TIMESTAMP | tonumber) | map(select(. >= $done)) | first) as $gc |
		(map(select(.MESSAGE | test("Installed new job " + $u + "/stop"))) | last | .__MONOTONIC_TIMESTAMP | tonumber) as $new |
		"stop job installed to finished \(($done - $new) / 1000 | floor) ms, finished to collected \($gc - $done) us"')
	diag "timing: $u at debug level: $gc"
	check "$u was collected after its stop job (journal, debug level)" grep -q "collected [0-9]" <<<"$gc"
done

# --- (c) the seed: ramfs from /dev/nonexistent ------------------------------------------
diag "(c) mount -t ramfs /dev/nonexistent /hello/kitty"
WATCH_TIMEOUT=5 watch_start "$WORK/c" hello-kitty.mount
sd_exec mount -t ramfs /dev/nonexistent /hello/kitty
check "(c) mount -t ramfs /dev/nonexistent /hello/kitty succeeds" mounted /hello/kitty
sleep 1.5
check "(c) ... and does not vanish on systemd 252" mounted /hello/kitty
p=$(sd_exec systemctl show hello-kitty.mount -p Requires -p BindsTo --value | tr '\n' ' ')
check_contains "(c) its unit Requires= the device (not BindsTo=)" "$p" "dev-nonexistent.device"
check_eq "(c) its unit has no BindsTo=" "" "$(sd_exec systemctl show hello-kitty.mount -p BindsTo --value)"
check_eq "(c) the device unit is tentative (found in mountinfo, not by udev)" "activating tentative" \
	"$(sd_exec systemctl show dev-nonexistent.device -p ActiveState -p SubState --value | tr '\n' ' ' | sed 's/ $//')"
check_eq "(c) systemd made no job for it" "" "$(jq -r 'select(.event == "JobNew") | .unit' "$WORK/c")"
kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID" 2>/dev/null
sd_exec umount /hello/kitty

# --- (d) x-systemd.device-bound ----------------------------------------------------
diag "(d) x-systemd.device-bound: BindsTo= the device"
sd_exec mount -t ramfs -o x-systemd.device-bound /dev/nonexistent /mnt/dn
sleep 1
check_eq "(d) on /dev/nonexistent: its unit BindsTo=dev-nonexistent.device" dev-nonexistent.device \
	"$(sd_exec systemctl show mnt-dn.mount -p BindsTo --value)"
check "(d) ... and it stays: the device is tentative, not inactive" mounted /mnt/dn
sd_exec umount /mnt/dn

# A real device node (an unused loop device; ramfs never opens it), then udev
# reports the device removed, as when a disk is unplugged.  First a mount
# that only Requires= it (the default): it stays.  Then, alone on the device
# (else the device flips back to tentative at once, from the other mount), a
# device-bound one: it goes.
if need_feature loop "(d) on a real device node"; then
	loop=$(losetup -f 2>/dev/null || echo /dev/loop0)
	n=${loop#/dev/loop}
	sys=$(readlink -f "/sys/dev/block/7:$n")
	sd_exec mknod "$loop" b 7 "$n"
	# The container's /tmp is its own: bring the program to its /run.
	cp "$FUE" "$SD_ROOT/run/umh-fake-udev-event"
	unplug() {
		sd_exec /run/umh-fake-udev-event remove "$sys" SUBSYSTEM=block "DEVNAME=$loop" DEVTYPE=disk \
			MAJOR=7 "MINOR=$n"
	}
	sd_exec mount -t ramfs "$loop" /mnt/r
	check_eq "(d) on $loop without the option: mnt-r.mount Requires=dev-loop$n.device" "dev-loop$n.device" \
		"$(sd_exec systemctl show mnt-r.mount -p Requires --value | tr ' ' '\n' | grep '^dev-')"
	check "(d) udev (faked) reports $sys removed" unplug
	sleep 1
	check "(d) ... the Requires=-only mount stays" mounted /mnt/r
	sd_exec umount /mnt/r

	sd_exec mount -t ramfs -o x-systemd.device-bound "$loop" /mnt/d
	check_eq "(d) on $loop with x-systemd.device-bound: mnt-d.mount BindsTo=dev-loop$n.device" "dev-loop$n.device" \
		"$(sd_exec systemctl show mnt-d.mount -p BindsTo --value)"
	stop_scenario d mnt-d.mount /mnt/d "mounted /mnt/d || sd_exec mount -t ramfs -o x-systemd.device-bound $loop /mnt/d" unplug
	check_eq "(d) when udev (faked) reports $sys removed, the device-bound mount vanishes" 1 "$SC_GONE"
	check_eq "(d) the watcher saw its stop job" 1 "$SC_WATCHED"
	check_eq "(d) the cause was read while the stop job was there" 1 "$SC_TIME"
	c=$(cause_of "$WORK/d")
	check_json_of "(d) cause: binds-to-inactive, dev-loop$n.device" "$c" \
		".kind == \"binds-to-inactive\" and .related_unit == \"dev-loop$n.device\" and .related_state == \"inactive\" and .unit == \"mnt-d.mount\""
	# What= is cleared as soon as systemd has seen the mount leave mountinfo,
	# which can be before the stop job ends.
	check_json_of "(d) What= is the device (or already cleared)" "$c" ".facts.what == \"$loop\" or .facts.what == null"
	check_json_of "(d) the sentence says the device is gone" "$c" \
		".sentence == \"systemd stopped mnt-d.mount because it is bound (BindsTo=) to dev-loop$n.device, which is inactive (the device is not present)\""
	timings "$WORK/d" "$T0" "(d) device removal"
	diag "(d) state at JobNew: $c"
fi

# --- (e) an ordinary umount by a process ----------------------------------------
sd_exec mount -t tmpfs tmpfs /mnt/e
WATCH_TIMEOUT=2 watch_start "$WORK/e" mnt-e.mount
sd_exec umount /mnt/e
watch_wait
check_eq "(e) umount by a process: systemd makes no job (the caller is not systemd)" "" \
	"$(jq -r 'select(.event == "JobNew") | .unit' "$WORK/e")"

# --- (f) systemctl stop, watched through the container's system bus ----------------
# dbus-daemon's socket works from outside as it is; the watcher Subscribe()s,
# and the reader Ref()s the unit while it reads, so it cannot be collected.
sd_exec mount -t tmpfs tmpfs /mnt/f
WATCH_BUS=$SD_SYSTEM_BUS watch_start "$WORK/f" mnt-f.mount
sd_exec systemctl stop mnt-f.mount
check "(f) systemctl stop mnt-f.mount unmounts it" wait_gone /mnt/f
check "(f) the watcher on the system bus saw the job" watch_wait
c=$(cause_of "$WORK/f")
check_json_of "(f) cause: unknown, on request (or read too late to say)" "$c" \
	'.kind == "unknown" and ((.sentence | test("on request")) or .facts.job_id == 0)'
# Ref() goes through dbus-daemon too: on a loaded machine it can arrive after
# the unit was collected (then it pins a fresh copy, and the read says gone).
check_json_of "(f) on the bus the unit was pinned (Ref) while read: complete, or said to be gone" "$c" \
	'.facts.pinned == true and (.facts.gone or (.facts.consistent and .facts.source_path == "/proc/self/mountinfo"))'
jq -e '.facts.gone' <<<"$c" >/dev/null && diag "(f) the Ref() came after the unit was collected"

# --- (g) Conflicts= -------------------------------------------------------------------
sd_exec mount -t tmpfs tmpfs /mnt/g
watch_start "$WORK/g" mnt-g.mount
sd_exec systemctl start conflicter.service
check "(g) starting a unit that Conflicts= with mnt-g.mount unmounts it" wait_gone /mnt/g
watch_wait
# Read a few ms late, conflicter.service has finished starting: both count.
check_json_of "(g) cause: conflict with conflicter.service, being started or just started" "$(cause_of "$WORK/g")" \
	'.kind == "conflict" and .related_unit == "conflicter.service" and (.related_job == "start" or .related_state == "active")'
sd_exec systemctl stop conflicter.service

# --- (h) automount idle timeout ---------------------------------------------------------
# Where this kernel has no autofs, systemd refuses automount units; the
# scenario then runs in QEMU (tests/vm), on Debian's kernel, and this test
# checks that systemd here agrees that it cannot.
sd_automount_units
no_autofs=$(sd_autofs_missing)
if [ -z "$no_autofs" ]; then
	sd_automount_idle "$WORK"
else
	out=$(sd_exec systemctl start mnt-a.automount 2>&1) && rc=0 || rc=$?
	if [ "$rc" != 0 ] && [[ $out == *"not supported on this system"* ]] &&
		[ -f "$TOP/tests/vm/scenarios/$SD_AUTOMOUNT_VM.sh" ]; then
		ok "(h) automount idle timeout: not here, this kernel has no autofs ($no_autofs) and systemd refuses mnt-a.automount; it runs in QEMU on Debian's kernel instead: vm/$SD_AUTOMOUNT_VM (tests/vm/scenarios/$SD_AUTOMOUNT_VM.sh)"
	else
		not_ok "(h) this kernel has no autofs ($no_autofs): systemd refuses mnt-a.automount, and the QEMU scenario vm/$SD_AUTOMOUNT_VM exists"
		diag "systemctl start mnt-a.automount: exit $rc: $out"
	fi
fi

# --- a path never mounted ---------------------------------------------------------------
c=$(timeout 10 "$SDW" --bus "pid:$SD_PID" --read /never/mounted | tail -n 1)
check_json_of "a path never mounted: unknown, systemd has no such unit" "$c" \
	'.unit == "never-mounted.mount" and .kind == "unknown" and .facts.gone == true and (.sentence | test("has no never-mounted.mount loaded"))'

# --- a long mount point: the unit name systemd shortens with a hash -----------------------
long=/mnt/$(printf -- '-%.0s' $(seq 80))
sd_exec mkdir -p "$long"
sd_exec mount -t tmpfs tmpfs "$long"
theirs=$(sd_exec systemctl list-units --all -t mount --no-legend --plain | awk '{print $1}' | grep '_[0-9a-f]\{16\}\.mount$')
c=$(timeout 10 "$SDW" --bus "pid:$SD_PID" --read "$long" | tail -n 1)
check_eq "a mount point whose unit name is too long: our name is systemd's, and it is that mount" \
	"$theirs|active|$long" "$(jq -r '"\(.unit)|\(.facts.active_state)|\(.facts.where)"' <<<"${c:-null}")"
check_contains "... a shortened name" "$theirs" "_b39155bbf47a83ae.mount"
sd_exec umount "$long"

# --- the container is healthy and goes away cleanly ------------------------------------
check_eq "systemd in the container is still running" running "$(sd_state)"
pid=$SD_PID cg=$SD_CGROUP tmp=$SD_TMP
sd_stop
check "after stop: no process of the container is left" bash -c "! kill -0 $pid 2>/dev/null"
check "after stop: its cgroup is removed" test ! -e "$cg"
check "after stop: its directory is removed, nothing mounted there" \
	bash -c "test ! -e '$tmp' && ! grep -q '$tmp' /proc/self/mountinfo"
finish
