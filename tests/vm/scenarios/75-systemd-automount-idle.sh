#!/bin/bash
# Scenario (h) of tests/systemd/t-systemd-fixture.sh, an automount's idle
# timeout, on a kernel that has autofs: the development kernel has none
# (CONFIG_AUTOFS_FS unset), Debian's has it as a module.  The same container
# recipe as on the host (tests/systemd/container.sh: Debian's systemd as PID
# 1 of a pid + mount namespace on an overlay root, a private cgroup2), the
# same assertions (tests/systemd/sd-automount.sh), the same sd-cause-watch
# (build/tests/systemd, make sd-test-programs).
. "$VM_REPO/tests/vm/guest/lib.sh"
TOP=$VM_REPO
. "$VM_REPO/tests/systemd/container.sh"
. "$VM_REPO/tests/systemd/sd-lib.sh"
. "$VM_REPO/tests/systemd/sd-automount.sh"

SDW=$VM_REPO/build/tests/systemd/sd-cause-watch
if [ ! -x "$SDW" ]; then
	not_ok "test program $SDW is built (make sd-test-programs)"
	exit 1
fi

# autofs is a module here; /dev/autofs appears when it is loaded.
need_feature autofs4 || exit 1
check_eq "this kernel has autofs (modprobe autofs4: /dev/autofs, autofs in /proc/filesystems)" \
	"" "$(sd_autofs_missing)"

# The guest mounts no cgroup hierarchy; the container wants a cgroup2 one
# to make its own below (it sees only that, through its cgroup namespace).
if ! mountpoint -q /sys/fs/cgroup; then
	run mount -t cgroup2 cgroup2 /sys/fs/cgroup
	at_exit "umount /sys/fs/cgroup"
fi

# Everything is slower in the emulated guest: the boot, the watcher's
# subscription, the idle timeout's round trip.
at_exit sd_stop
t0=$(now_us)
# The container's root is an overlay of the host's root: here the 9p share
# of it, whole (tests/vm/init), not the guest's / of bind mounts.
if ! SD_LOWER=/run/vm-hostroot SD_BOOT_TIMEOUT=120 sd_start; then
	not_ok "Debian's systemd boots as PID 1 of a container in the guest"
	exit 1
fi
ok "Debian's systemd boots as PID 1 of a container in the guest ($(sd_exec systemctl --version | head -n 1))"
say "timing: boot to running: $SD_BOOT_MS ms"

WATCH_READY=300 WATCH_TIMEOUT=60 SD_EXEC_TIMEOUT=60
t1=$(now_us)
sd_automount_units
t2=$(now_us)
sd_automount_idle "$VM_TMP"
t3=$(now_us)
indent "  sd-cause-watch: " "$(<"$VM_TMP/h")"

pid=$SD_PID cg=$SD_CGROUP
SD_STOP_TIMEOUT=0 sd_stop
t4=$(now_us)
check "after stop: no process of the container is left, its cgroup is removed" \
	bash -c "! kill -0 $pid 2>/dev/null && test ! -e '$cg'"
say "timing: unit files $((($t2 - t1) / 1000)) ms, scenario (h) $((($t3 - t2) / 1000)) ms," \
	"stop (SIGKILL) $((($t4 - t3) / 1000)) ms; the container, up to down: $((($t4 - t0) / 1000)) ms"
