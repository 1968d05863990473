#!/bin/bash
# Installing (issue item 6), all into DESTDIR staging directories: make
# install puts the tool, the lean helper, man pages and completions in place; make
# install-umount the set-user-ID front end; make install-nfs-wrapper moves a
# staged copy of nfs-common's helpers aside (plain renames, and dpkg-divert
# with the staging root's own dpkg database) and links ours in; and
# uninstall-nfs-wrapper restores the originals byte for byte.
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$TOP/tests/dropin-lib.sh"
make_scratch
MAKE=(make --no-print-directory -C "$TOP")

D=$SCRATCH/root
"${MAKE[@]}" install DESTDIR="$D" PREFIX=/usr/local >"$SCRATCH/log" 2>&1
check "make install" test $? = 0
for f in bin/umount-helper share/man/man8/umount-helper.8 share/man/man8/umount-helper-wrapper.8 \
	share/man/man5/umount-helper.conf.5 share/bash-completion/completions/umount-helper \
	share/zsh/site-functions/_umount-helper share/zsh/site-functions/_umount_helper_targets; do
	check "make install: /usr/local/$f" test -s "$D/usr/local/$f"
done
check "make install: the binary runs" grep -q "^umount-helper " <<<"$("$D/usr/local/bin/umount-helper" --version)"
check_eq "make install: the tool is not set-user-ID" 755 "$(stat -c %a "$D/usr/local/bin/umount-helper")"
lean=$D/usr/local/libexec/umount-helper/umount-helper-lean
check_eq "make install: the lean helper, in libexec, not set-user-ID" 755 "$(stat -c %a "$lean")"
if [ -n "${UMH_UNDER_ASAN:-}" ]; then
	# The sanitizers' build links it dynamically (lean.mk): their runtimes
	# and the C library's, and nothing of the tool's (libmount, libbpf...).
	check_eq "make install: the lean helper needs no shared library but the sanitizers' and the C runtime's" "" \
		"$(ldd "$lean" 2>&1 | awk '/=>/ { print $1 }' | grep -vxE 'lib(asan|ubsan|c|m|gcc_s|stdc\+\+)\.so\.[0-9]+')"
else
	check "make install: the lean helper needs no shared library" sh -c "! ldd '$lean' 2>&1 | grep -q '=>'"
fi

"${MAKE[@]}" install-umount DESTDIR="$D" PREFIX=/usr/local >>"$SCRATCH/log" 2>&1
check "make install-umount" test $? = 0
check_eq "install-umount: set-user-ID root, like util-linux's" "4755 root" "$(stat -c '%a %U' "$D/usr/local/sbin/umount")"
check "install-umount: it is the front end" grep -q "^umount from umount-helper" <<<"$("$D/usr/local/sbin/umount" -V)"
check_eq "install, install-umount: the only set-user-ID file is umount (never the tool's name)" "./usr/local/sbin/umount" \
	"$(cd "$D" && find . -perm -4000)"
check "install-umount: its completions" test -s "$D/usr/local/share/bash-completion/completions/umount" -a \
	-s "$D/usr/local/share/zsh/site-functions/_umount-helper-umount"
"${MAKE[@]}" uninstall-umount uninstall DESTDIR="$D" PREFIX=/usr/local >>"$SCRATCH/log" 2>&1
check_eq "uninstall: nothing left but directories" "" "$(find "$D" ! -type d)"

# --- the nfs wrapper -----------------------------------------------------------
# A staged copy of nfs-common's files, on a merged-/usr layout as Debian 12.
stage_nfs_common() {
	rm -rf "$D" && mkdir -p "$D/usr/sbin" "$D/var/lib/dpkg"
	ln -s usr/sbin "$D/sbin"
	cp -a /usr/sbin/mount.nfs "$D/usr/sbin/mount.nfs"
	ln -s mount.nfs "$D/usr/sbin/mount.nfs4"
	ln -s mount.nfs "$D/usr/sbin/umount.nfs"
	ln -s mount.nfs "$D/usr/sbin/umount.nfs4"
	: >"$D/var/lib/dpkg/diversions"
}
# What nfs-common installed: every file and link in sbin with its type,
# mode, owner, size, mtime, link target and checksum.  (Directories change
# their mtime with any rename in them; they are not what is restored.)
snapshot() {
	(cd "$D" && find ./sbin/ ./usr/sbin ! -type d -print0 | sort -z | xargs -0 stat -c '%n %F %a %U %s %Y %N' &&
		find ./sbin/ ./usr/sbin -type f -print0 | sort -z | xargs -0 sha256sum)
}
wrapper() { "${MAKE[@]}" "$1" DESTDIR="$D" PREFIX=/usr DPKG_DIVERT="$2" >>"$SCRATCH/log" 2>&1; }

for divert in no yes; do
	stage_nfs_common
	before=$(snapshot)
	wrapper install-nfs-wrapper $divert
	check "dpkg-divert=$divert: make install-nfs-wrapper" test $? = 0
	for n in umount.nfs umount.nfs4; do
		check_eq "dpkg-divert=$divert: /sbin/$n is our link, to the lean helper" \
			/usr/libexec/umount-helper/umount-helper-lean "$(readlink "$D/sbin/$n")"
		check_eq "dpkg-divert=$divert: the original moved aside" mount.nfs "$(readlink "$D/sbin/$n.distrib")"
	done
	check "dpkg-divert=$divert: mount.nfs itself untouched" cmp -s /usr/sbin/mount.nfs "$D/sbin/mount.nfs"
	if [ $divert = yes ]; then
		check_eq "dpkg-divert: diverted, by umount-helper" umount-helper \
			"$(dpkg-divert --root "$D" --listpackage /sbin/umount.nfs)"
		check_eq "dpkg-divert: a new nfs-common would unpack umount.nfs4 aside" /sbin/umount.nfs4.distrib \
			"$(dpkg-divert --root "$D" --truename /sbin/umount.nfs4)"
		check_eq "dpkg-divert: the /usr/sbin spelling too (merged /usr)" /usr/sbin/umount.nfs.distrib \
			"$(dpkg-divert --root "$D" --truename /usr/sbin/umount.nfs)"
	else
		check_eq "plain renames: no diversion recorded" "" "$(cat "$D/var/lib/dpkg/diversions")"
	fi
	wrapper install-nfs-wrapper $divert
	check "dpkg-divert=$divert: installing twice is harmless" test $? = 0 -a "$(readlink "$D/sbin/umount.nfs.distrib")" = mount.nfs

	wrapper uninstall-nfs-wrapper $divert
	check "dpkg-divert=$divert: make uninstall-nfs-wrapper" test $? = 0
	rm -rf "$D/usr/share" "$D/usr/bin" "$D/usr/libexec"
	after=$(snapshot)
	check_eq "dpkg-divert=$divert: the originals restored byte for byte" "$before" "$after"
	[ $divert = yes ] && check_eq "dpkg-divert: no diversion left" "" "$(grep -v '^$' "$D/var/lib/dpkg/diversions")"
done

# Something else already at umount.nfs.distrib: refuse, change nothing.
stage_nfs_common
echo "not ours" >"$D/sbin/umount.nfs.distrib"
before=$(snapshot)
wrapper install-nfs-wrapper no
check "an existing umount.nfs.distrib: install refuses" test $? != 0
check_eq "an existing umount.nfs.distrib: left alone" "$before" "$(snapshot)"
# Something else than our link at umount.nfs: uninstall leaves it alone.
stage_nfs_common
before=$(snapshot)
wrapper uninstall-nfs-wrapper no
check "not wrapped: uninstall leaves the originals alone" test "$before" = "$(snapshot)"
finish
