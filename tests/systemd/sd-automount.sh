# Scenario (h) of t-systemd-fixture.sh, an automount's idle timeout: the
# mount behind mnt-a.automount (TimeoutIdleSec=1) is unmounted a second
# after its last use, and sd-cause-watch reads the cause "automount-idle".
#
# systemd's automount units need autofs in the kernel.  Where the host's
# kernel has it, t-systemd-fixture.sh runs this scenario itself; where it
# does not (the development kernel: CONFIG_AUTOFS_FS unset), the QEMU
# harness runs it on Debian's kernel, tests/vm/scenarios/$SD_AUTOMOUNT_VM.sh,
# against the same container recipe (container.sh).  Sourced after
# sd-lib.sh; the assertions use the TAP helpers of tests/lib.sh, or their
# namesakes in tests/vm/guest/lib.sh.

SD_AUTOMOUNT_VM=75-systemd-automount-idle

# sd_autofs_missing: what this kernel lacks for systemd's automount units,
# as a phrase ("no /dev/autofs, ..."); nothing when it has them.  systemd
# 252 supports automount units when /dev/autofs exists; opening it loads
# the module where autofs is one (its node comes from modules.devname).
sd_autofs_missing() {
	local why=
	if [ ! -c /dev/autofs ]; then
		why="no /dev/autofs"
	elif ! : </dev/autofs 2>/dev/null; then
		why="/dev/autofs cannot be opened"
	fi
	grep -qw autofs /proc/filesystems || why="${why:+$why, }no autofs in /proc/filesystems"
	[ -z "$why" ] || echo "$why"
}

# sd_automount_units: the units of the scenario, in the container's
# /run/systemd/system.  No daemon-reload: systemd loads a unit it has not
# seen from disk when it is first asked for (a reload costs ~9 s in QEMU).
sd_automount_units() {
	mkdir -p "$SD_ROOT/mnt/a"
	unit_file mnt-a.automount $'[Automount]\nWhere=/mnt/a\nTimeoutIdleSec=1\n'
	unit_file mnt-a.mount $'[Mount]\nWhat=tmpfs\nWhere=/mnt/a\nType=tmpfs\n'
}

# sd_automount_idle WORK: the scenario's assertions (each "(h) ..."); the
# watcher's JSON lines go to WORK/h.
sd_automount_idle() {
	local work=$1 c
	sd_exec systemctl start mnt-a.automount
	WATCH_COUNT=2 watch_start "$work/h" mnt-a.mount
	sd_exec ls /mnt/a >/dev/null
	check_eq "(h) touching /mnt/a mounts it through its automount" tmpfs \
		"$(sd_exec findmnt -n -o FSTYPE --mountpoint /mnt/a | tail -n 1)"
	check "(h) after TimeoutIdleSec=1 it is unmounted" watch_wait
	check_json_of "(h) cause: automount-idle, mnt-a.automount" "$(cause_of "$work/h")" \
		'.kind == "automount-idle" and .related_unit == "mnt-a.automount" and (.sentence | test("TimeoutIdleSec=1s"))'
	c=$(jq -c 'select(.event == "cause")' "$work/h" | head -n 1)
	check_json_of "(h) the start job's read says it is no stop (or was read late)" "$c" \
		'(.kind == "unknown" and (.sentence | test("start job"))) or .facts.job_id == 0'
	in_time "$work/h" || diag "(h) the stop was read after it was over: $(cause_of "$work/h")"
	sd_exec systemctl stop mnt-a.automount
}
