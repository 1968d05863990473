#!/bin/bash
# The Debian package (issue 17), installed with dpkg: its maintainer scripts
# divert nfs-common's umount.nfs and umount.nfs4, the seed case then runs
# through the installed wrapper (as 10-seed-v3-kernel-open does through the
# build tree's), the front end goes in place of umount when debconf says so,
# and a purge puts every original back, byte for byte.  It boots on its own:
# tests/vm/t-vm-deb.sh.
#
# The guest's /usr, /etc and dpkg's database are the host's, read-only:
# this scenario runs in a mount namespace of its own with overlays on them,
# so that what dpkg does is seen here only and is gone when it ends.  The
# NFS server is started first, in the guest's own namespace, where the other
# scenarios find it.
. "$VM_REPO/tests/vm/guest/lib.sh"

DEB=$(ls "$VM_REPO"/build/umount-helper_*_amd64.deb 2>/dev/null | head -n 1)
if [ -z "${VM_DEB_NS:-}" ]; then
	if [ -z "$DEB" ]; then
		not_ok "build/umount-helper_VERSION_amd64.deb exists (t-vm.sh runs make deb for this scenario)"
		exit 1
	fi
	nfs_server_start || { not_ok "start the NFS server on localhost"; exit 1; }
	nfs_export_files
	# The namespace's scenario does its own cleanups; ours has none left.
	trap - EXIT
	vm_cleanup
	VM_DEB_NS=1 exec unshare --mount --propagation private bash "$0"
fi

# --- a writable system, in this namespace only ---------------------------------
overlay() { # DIR
	local d=/run/vm-deb/${1//\//_}
	mkdir -p "$d/up" "$d/work" && mount -t overlay "vm-deb${1//\//-}" \
		-o "lowerdir=$1,upperdir=$d/up,workdir=$d/work" "$1"
}
mkdir -p /run/vm-deb && mount -t tmpfs vm-deb /run/vm-deb || { not_ok "a tmpfs for the overlays"; exit 1; }
for d in /usr /etc /var/lib/systemd /var/cache; do
	overlay "$d" || { not_ok "an overlay on $d"; exit 1; }
done
# dpkg's database is read whole by every dpkg -i and --purge (160,000
# files' names in some thousands of files): a copy on the tmpfs, read
# through 9p once, not twice.
mkdir /run/vm-deb/dpkg && cp -a /var/lib/dpkg/. /run/vm-deb/dpkg/ && mount --bind /run/vm-deb/dpkg /var/lib/dpkg ||
	{ not_ok "a copy of dpkg's database"; exit 1; }
ok "dpkg's world writable in this namespace: overlays on /usr, /etc, /var/lib/systemd, /var/cache, a copy of /var/lib/dpkg"
export DEBIAN_FRONTEND=noninteractive
# man-db's trigger would index every manual page of the host, through 9p,
# for minutes; it has nothing to say about this package.
echo "man-db man-db/auto-update boolean false" | debconf-set-selections

# What nfs-common and mount installed, to compare after the purge: type,
# mode, owner, size, link target, checksum; and what dpkg records about
# umount-helper's diversions and overrides.
snapshot_file() { # PATH...
	local f
	for f; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			stat -c '%n %F %a %U %s %N' "$f"
			[ -L "$f" ] || sha256sum "$f"
		else
			echo "$f absent"
		fi
	done
}
snapshot_umount() { snapshot_file /bin/umount /bin/umount.distrib /usr/bin/umount.distrib; }
snapshot() {
	snapshot_file /sbin/umount.nfs /sbin/umount.nfs4 /sbin/umount.nfs.distrib /sbin/umount.nfs4.distrib
	snapshot_umount
	echo "diversions by umount-helper: $(dpkg-divert --list | grep -c umount-helper)"
	echo "overrides: $(dpkg-statoverride --list | grep -c umount-helper)"
}
BEFORE=$(snapshot)
BEFORE_UMOUNT=$(snapshot_umount)
say "before:"
indent "  " "$BEFORE"

# --- install ----------------------------------------------------------------------
run -t 180 dpkg -i "$DEB"
check_eq "dpkg -i $(basename "$DEB")" 0 "$RUN_RC"
run dpkg-query -W -f '${Status} ${Version}\n' umount-helper
check_contains "installed" "$RUN_OUT" "install ok installed"
for n in umount.nfs umount.nfs4; do
	check_eq "/sbin/$n diverted by umount-helper, to $n.distrib" "/sbin/$n.distrib umount-helper" \
		"$(dpkg-divert --truename "/sbin/$n") $(dpkg-divert --listpackage "/sbin/$n")"
	check_eq "/usr/sbin/$n diverted too (merged /usr)" umount-helper "$(dpkg-divert --listpackage "/usr/sbin/$n")"
	check_eq "/sbin/$n is the package's link to the lean helper" /usr/libexec/umount-helper/umount-helper-lean \
		"$(readlink "/sbin/$n")"
	check_eq "nfs-common's $n, moved aside as it was" mount.nfs "$(readlink "/sbin/$n.distrib")"
done
# (deb-systemd-helper answers only where dpkg runs it, or says it does.)
run env DPKG_MAINTSCRIPT_PACKAGE=umount-helper deb-systemd-helper is-enabled umount-helper-watch.service
check_eq "the watch service is enabled (deb-systemd-helper)" 0 "$RUN_RC"
check_cmd "... its link in multi-user.target.wants" \
	test -L /etc/systemd/system/multi-user.target.wants/umount-helper-watch.service
check_eq "the front end is off by default: /bin/umount is util-linux's" "$BEFORE_UMOUNT" "$(snapshot_umount)"
run /usr/bin/umount-helper --version
check_contains "the installed tool runs" "$RUN_OUT" "umount-helper "

# --- the seed case, through the package ---------------------------------------------
nfs_mount nfs vers=3 || exit 1
insmod_holdfile /mnt/dir/file
id=$(mnt_id)
run_split strace -f -qq -e trace=execve -o "$VM_TMP/seed.trace" umount /mnt
check_eq "seed: umount /mnt exits 16, as nfs-utils' helper does" 16 "$RUN_RC"
check_eq "seed: nfs-utils' own message first" "umount.nfs: /mnt: device is busy" "$(first_line "$RUN_STDERR")"
# What 10-seed checks line for line through the build tree's wrapper: the
# module named by the search inside the kernel, and its remedy.
check_contains "seed: then the explanation: held by the module" "$RUN_STDERR" "/mnt is held by 1 kernel module."
check_contains "seed: ... naming the mount" "$RUN_STDERR" "(mount id $id, nfs from 127.0.0.1:/export)"
check_contains "seed: ... the module and the file" "$RUN_STDERR" "kernel module holdfile holds /mnt/dir/file"
check_contains "seed: ... every reference accounted for" "$RUN_STDERR" \
	"Every reference to this mount is accounted for: the kernel counts 2"
trace=$(<"$VM_TMP/seed.trace")
check_contains "seed: libmount ran the package's /sbin/umount.nfs" "$trace" 'execve("/sbin/umount.nfs"'
check_contains "seed: which ran nfs-utils' helper, moved aside" "$trace" 'execve("/sbin/umount.nfs.distrib"'
check_contains "seed: and the installed tool explained" "$trace" 'execve("/usr/bin/umount-helper"'
check_eq "seed: /mnt is still the same mount" "$id" "$(mnt_id)"
run rmmod holdfile
run_split umount /mnt
check_eq "seed: after rmmod, umount /mnt succeeds, silently" "0||" "$RUN_RC|$RUN_STDOUT|$RUN_STDERR"

# --- the front end, on request ------------------------------------------------------
frontend() { # true|false: the debconf answer, applied
	run sh -c "echo 'umount-helper umount-helper/frontend boolean $1' | debconf-set-selections"
	run -t 120 dpkg-reconfigure -f noninteractive umount-helper
	check_eq "debconf: front end $1, dpkg-reconfigure" 0 "$RUN_RC"
}
frontend true
check_eq "front end: /bin/umount diverted by umount-helper, to /bin/umount.distrib" \
	"/bin/umount.distrib umount-helper" "$(dpkg-divert --truename /bin/umount) $(dpkg-divert --listpackage /bin/umount)"
check_eq "front end: /bin/umount is a link to it" /usr/libexec/umount-helper/umount "$(readlink /bin/umount)"
check_eq "front end: set-user-ID root (dpkg-statoverride)" "4755 root" \
	"$(stat -c '%a %U' /usr/libexec/umount-helper/umount)"
run umount -V
check_contains "front end: umount -V says it is ours" "$RUN_OUT" "umount from umount-helper"
mkdir -p /tmp/fe && mount -t tmpfs fe /tmp/fe
run_split umount /tmp/fe
check_eq "front end: it unmounts" "0|" "$RUN_RC|$RUN_STDERR"

# The purge undoes it (prerm), as dpkg-reconfigure to "no" does: the same
# function of debian/frontend.sh.
# --- purge: everything back ------------------------------------------------------
run -t 180 dpkg --purge umount-helper
check_eq "dpkg --purge umount-helper" 0 "$RUN_RC"
AFTER=$(snapshot)
check_eq "purged: nfs-common's helpers and util-linux's umount as they were, byte for byte, no diversion or override left" \
	"$BEFORE" "$AFTER"
check_cmd "purged: the service's link is gone" \
	test ! -e /etc/systemd/system/multi-user.target.wants/umount-helper-watch.service
check_eq "purged: debconf forgot the question" "" "$(debconf-show umount-helper 2>/dev/null)"
check_eq "purged: no file of the package left" "" \
	"$(ls -d /usr/bin/umount-helper /usr/libexec/umount-helper /usr/share/umount-helper 2>/dev/null)"
