#!/bin/sh
# nfs-wrapper.sh install|uninstall NAME...: puts our helper in the place of
# the distribution's /sbin/NAME (umount.nfs, umount.nfs4), or puts the
# original back.  Run by `make install-nfs-wrapper`; the environment says
# where (see umount-helper/install.mk):
#   DESTDIR      staging root ("" for the real one)
#   HELPERDIR    where libmount looks for helpers (/sbin)
#   TARGET       our installed binary, as the link should name it
#   DPKG_DIVERT  auto | yes | no
#
# The original is moved aside to NAME.distrib, where the helper looks for it
# (and where dpkg-divert puts a diverted file by default), never copied:
# uninstall renames it back, so it is restored byte for byte, link or file.
# With dpkg-divert the move is a diversion owned by "umount-helper": a new
# nfs-common then unpacks its umount.nfs as umount.nfs.distrib and the
# wrapper stays.  On a merged-/usr system (/sbin -> usr/sbin) the other
# spelling of the path is diverted too, as Debian's DEP17 asks, so that a
# package that moves its files to /usr/sbin is still diverted.
set -eu
action=$1; shift
: "${DESTDIR=}" "${HELPERDIR:=/sbin}" "${TARGET:?}" "${DPKG_DIVERT:=auto}"
PACKAGE=umount-helper

use_dpkg=false
case $DPKG_DIVERT in
auto) [ -z "$DESTDIR" ] && command -v dpkg-divert >/dev/null 2>&1 && use_dpkg=true ;;
yes) use_dpkg=true ;;
no) ;;
*) echo "nfs-wrapper.sh: DPKG_DIVERT must be auto, yes or no" >&2; exit 1 ;;
esac

divert() { # dpkg-divert ARGS..., rooted at DESTDIR when staging
	if [ -n "$DESTDIR" ]; then dpkg-divert --root "$DESTDIR" "$@"; else dpkg-divert "$@"; fi
}

# The other spelling of HELPERDIR on a merged-/usr system, or nothing.
alias_dir() {
	case $HELPERDIR in
	/sbin | /bin) [ -L "$DESTDIR$HELPERDIR" ] && echo "/usr$HELPERDIR" ;;
	/usr/sbin | /usr/bin) [ -L "$DESTDIR${HELPERDIR#/usr}" ] && echo "${HELPERDIR#/usr}" ;;
	esac
	return 0
}

exists() { [ -e "$1" ] || [ -L "$1" ]; }
is_ours() { [ -L "$1" ] && [ "$(readlink "$1")" = "$TARGET" ]; }
diverted_by_us() { [ "$(divert --listpackage "$1" 2>/dev/null)" = "$PACKAGE" ]; }

install_one() {
	name=$1 path=$HELPERDIR/$1 file=$DESTDIR$HELPERDIR/$1
	if is_ours "$file"; then
		echo "$path: already our wrapper"
		return 0
	fi
	if exists "$file.distrib" && ! { $use_dpkg && diverted_by_us "$path"; }; then
		echo "nfs-wrapper.sh: $path.distrib exists already: not overwriting it" >&2
		return 1
	fi
	if $use_dpkg; then
		divert --package "$PACKAGE" --divert "$path.distrib" --rename --add "$path"
		other=$(alias_dir)
		[ -z "$other" ] || divert --package "$PACKAGE" --divert "$other/$name.distrib" --rename --add "$other/$name"
	elif exists "$file"; then
		mv "$file" "$file.distrib"
	fi
	ln -s "$TARGET" "$file"
	echo "$path -> $TARGET (the original: $path.distrib)"
}

uninstall_one() {
	name=$1 path=$HELPERDIR/$1 file=$DESTDIR$HELPERDIR/$1
	if exists "$file" && ! is_ours "$file"; then
		echo "nfs-wrapper.sh: $path is not our wrapper: leaving it alone" >&2
		return 1
	fi
	rm -f "$file"
	if $use_dpkg && diverted_by_us "$path"; then
		other=$(alias_dir)
		# The alias first: it records the same file under its other
		# name, and its removal must not be the one that renames.
		[ -z "$other" ] || ! diverted_by_us "$other/$name" ||
			divert --package "$PACKAGE" --divert "$other/$name.distrib" --no-rename --remove "$other/$name"
		divert --package "$PACKAGE" --divert "$path.distrib" --rename --remove "$path"
	elif exists "$file.distrib"; then
		mv "$file.distrib" "$file"
	fi
	echo "$path restored"
}

for name in "$@"; do
	case $action in
	install) install_one "$name" ;;
	uninstall) uninstall_one "$name" ;;
	*) echo "usage: nfs-wrapper.sh install|uninstall NAME..." >&2; exit 1 ;;
	esac
done
