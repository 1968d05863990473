# umount-helper's front end as umount, or not.  Sourced by the maintainer
# scripts: postinst applies the debconf answer, prerm turns it off before the
# package goes away.
#
# On: the front end (shipped 0755, out of PATH, as
# /usr/libexec/umount-helper/umount) made set-user-ID root with
# dpkg-statoverride, as util-linux's umount is; /bin/umount diverted to
# /bin/umount.distrib (and its /usr/bin spelling on a merged-/usr system, so
# that a mount package that ships it there is diverted still); a link to the
# front end in its place.  Off: all of it undone, in the opposite order; the
# original comes back by rename, byte for byte.  Both may run any number of
# times.  Quiet on stdout: debconf owns it in the postinst.

UMH_FRONTEND=/usr/libexec/umount-helper/umount
UMH_PACKAGE=umount-helper

umh_ours() { [ -L "$1" ] && [ "$(readlink "$1")" = "$UMH_FRONTEND" ]; }
umh_diverted_by_us() { [ "$(dpkg-divert --listpackage "$1")" = "$UMH_PACKAGE" ]; }
# The /usr spelling of /bin/umount where /bin is a link (merged /usr), or nothing.
umh_alias() { [ -L /bin ] && echo /usr/bin/umount || true; }

umh_frontend_on() {
	dpkg-statoverride --list "$UMH_FRONTEND" >/dev/null ||
		dpkg-statoverride --quiet --update --add root root 4755 "$UMH_FRONTEND"
	dpkg-divert --quiet --package "$UMH_PACKAGE" --divert /bin/umount.distrib --rename --add /bin/umount
	alias=$(umh_alias)
	[ -z "$alias" ] ||
		dpkg-divert --quiet --package "$UMH_PACKAGE" --divert "$alias.distrib" --rename --add "$alias"
	if ! umh_ours /bin/umount; then
		ln -s "$UMH_FRONTEND" /bin/umount.umh-new
		mv -T /bin/umount.umh-new /bin/umount
	fi
}

umh_frontend_off() {
	if umh_ours /bin/umount; then
		rm -f /bin/umount
	fi
	# The alias first, without a rename: it names the same file as
	# /bin/umount, whose removal is the one that renames it back.
	alias=$(umh_alias)
	if [ -n "$alias" ] && umh_diverted_by_us "$alias"; then
		dpkg-divert --quiet --package "$UMH_PACKAGE" --divert "$alias.distrib" --no-rename --remove "$alias"
	fi
	if umh_diverted_by_us /bin/umount; then
		dpkg-divert --quiet --package "$UMH_PACKAGE" --divert /bin/umount.distrib --rename --remove /bin/umount
	fi
	if [ "$(dpkg-statoverride --list "$UMH_FRONTEND")" = "root root 4755 $UMH_FRONTEND" ]; then
		dpkg-statoverride --quiet --remove "$UMH_FRONTEND"
		chmod 0755 "$UMH_FRONTEND"
	fi
}
