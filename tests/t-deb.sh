#!/bin/bash
# The Debian package (issue 17), on the host: `make deb` builds
# build/umount-helper_VERSION_ARCH.deb from a copy of the tree and leaves the
# checkout as it was; lintian (--pedantic, info tags too) reports nothing
# but what debian/umount-helper.lintian-overrides explains, one comment per
# override; the package holds what it should, where it should, and its
# maintainer scripts divert what they should.  Installing it, the seed case
# through it and purging it run in the QEMU guest (tests/vm/scenarios/
# 15-deb-seed.sh), where nfs-common's helpers and dpkg can be changed.
. "$(dirname "$0")/lib.sh"
new_scratch
command -v dpkg-buildpackage >/dev/null && command -v lintian >/dev/null ||
	{ not_ok "dpkg-buildpackage and lintian are installed (tools/packages/deb.txt)"; finish; }

tree_state() { git -C "$TOP" status --porcelain 2>/dev/null; }
before=$(tree_state)
make --no-print-directory -C "$TOP" deb >"$SCRATCH/log" 2>&1
rc=$?
check_eq "make deb" 0 "$rc"
[ "$rc" = 0 ] || diag "$(tail -n 30 "$SCRATCH/log")"
check_eq "make deb: the checkout is as it was (git status)" "$before" "$(tree_state)"
version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
deb=$TOP/$BUILD/umount-helper_${version}_$(dpkg --print-architecture).deb
check "make deb: $(basename "$deb") under $BUILD/" test -s "$deb"
[ -s "$deb" ] || finish

# --- lintian -------------------------------------------------------------------
# As nobody: lintian unpacks what it checks, and needs no privilege for it.
chmod 755 "$SCRATCH"
cp "$deb" "$SCRATCH/"
lint=$(cd "$SCRATCH" && as_nobody env HOME="$SCRATCH" TMPDIR="$SCRATCH" \
	lintian --pedantic --display-info --display-experimental "$SCRATCH/$(basename "$deb")" 2>&1)
check_eq "lintian: no tag, of any severity, that the overrides do not explain" "" \
	"$(grep -E '^[EWIPXO]: ' <<<"$lint")"
[ -z "$lint" ] || diag "$lint"
overrides=$TOP/debian/umount-helper.lintian-overrides
unexplained=$(awk '/^#/ { c = 1; next } /^$/ { c = 0; next } !c { print } ' "$overrides")
check_eq "lintian overrides: each one after a comment saying why" "" "$unexplained"

# --- what it holds ---------------------------------------------------------------
list=$(dpkg-deb -c "$deb" | awk '{ print $1, $6, $7, $8 }' | sed 's/ *$//')
for f in ./usr/bin/umount-helper ./usr/libexec/umount-helper/umount-helper-lean \
	./usr/share/man/man8/umount-helper.8.gz ./usr/share/man/man8/umount-helper-wrapper.8.gz \
	./usr/share/man/man5/umount-helper.conf.5.gz ./usr/share/bash-completion/completions/umount-helper \
	./usr/share/zsh/vendor-completions/_umount-helper ./lib/systemd/system/umount-helper-watch.service; do
	check "holds $f" grep -q " $f\$" <<<"$list"
done
check_contains "the front end: out of PATH, 0755 (debconf makes it set-user-ID)" "$list" \
	"-rwxr-xr-x ./usr/libexec/umount-helper/umount"
for n in umount.nfs umount.nfs4; do
	check_contains "/sbin/$n: an absolute link to the lean helper" "$list" \
		"lrwxrwxrwx ./sbin/$n -> /usr/libexec/umount-helper/umount-helper-lean"
done
check_eq "nothing set-user-ID in the package itself" "" "$(grep -E '^-..s|^-.....s' <<<"$list")"
check_eq "no front-end completion (util-linux's umount completion stays)" "" \
	"$(grep -E 'completions/umount$|_umount-helper-umount' <<<"$list")"

x=$SCRATCH/x
dpkg-deb -x "$deb" "$x" && dpkg-deb -e "$deb" "$x/DEBIAN"
check "the lean helper is a static PIE" sh -c "file '$x/usr/libexec/umount-helper/umount-helper-lean' | grep -q 'static-pie'"
check_contains "the service runs the packaged tool" "$(cat "$x/lib/systemd/system/umount-helper-watch.service")" \
	"ExecStart=/usr/bin/umount-helper watch"
check "the tool finds the lean helper where the package puts it" \
	grep -q /usr/libexec/umount-helper/umount-helper-lean "$x/usr/bin/umount-helper"
check "the lean helper finds the tool where the package puts it" \
	grep -q /usr/bin/umount-helper "$x/usr/libexec/umount-helper/umount-helper-lean"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libmount1 libbpf1 libsystemd0 libcap-ng0 debconf; do
	check_contains "depends on $lib" "$depends" "$lib"
done

# --- maintainer scripts ----------------------------------------------------------
for s in preinst postinst prerm postrm config; do
	check "$s: a shell script sh -n accepts" sh -n "$x/DEBIAN/$s"
done
pre=$(cat "$x/DEBIAN/preinst")
check_contains "preinst diverts with --package umount-helper --rename" "$pre" \
	'dpkg-divert --package umount-helper --divert "/sbin/$name.distrib" --rename --add "/sbin/$name"'
check_contains "preinst: umount.nfs and umount.nfs4" "$pre" "for name in umount.nfs umount.nfs4"
check_contains "postrm restores by rename on remove and purge's remove" "$(cat "$x/DEBIAN/postrm")" \
	'--rename --remove "/sbin/$1"'
check_contains "postinst enables the watch service (deb-systemd-helper)" "$(cat "$x/DEBIAN/postinst")" \
	"deb-systemd-helper enable 'umount-helper-watch.service'"
check_contains "postrm purges the debconf answer" "$(cat "$x/DEBIAN/postrm")" "db_purge"
check_contains "the front end is a question of low priority, no by default" \
	"$(sed -n '/^Template: umount-helper\/frontend/,/^$/p' "$x/DEBIAN/templates")" "Default: false"
finish
