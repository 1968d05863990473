# Installing: `make install` (PREFIX, DESTDIR) puts the tool, the lean
# helper (in LIBEXECDIR: /sbin/umount.TYPE links to it, see
# umount-helper/lean/main.c), its man pages and its shell completions in place; the drop-in parts are separate steps,
# because each replaces something the system already has:
#
#   make install-umount         the front end as $(SBINDIR)/umount, set-user-ID
#                               root like util-linux's (UMOUNT_MODE=0755 if not)
#   make install-nfs-wrapper    nfs-common's /sbin/umount.nfs and umount.nfs4
#                               moved aside to *.distrib (with dpkg-divert when
#                               installing to / where dpkg is: package upgrades
#                               then keep the wrapper) and the lean helper
#                               linked in
#   make uninstall-nfs-wrapper  the originals put back as they were
#
# libmount looks for helpers only in /sbin:/sbin/fs.d:/sbin/fs, so HELPERDIR
# is not under PREFIX.  DPKG_DIVERT: auto (dpkg-divert when DESTDIR is empty
# and it exists), yes (also under DESTDIR, with its var/lib/dpkg), no.

BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec/umount-helper
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
HELPERDIR   ?= /sbin
UMOUNT_MODE ?= 4755
DPKG_DIVERT ?= auto
INSTALL     ?= install

MAN8 := man/umount-helper.8 man/umount-helper-wrapper.8
MAN5 := man/umount-helper.conf.5

.PHONY: install uninstall install-umount uninstall-umount install-nfs-wrapper uninstall-nfs-wrapper

install: $(PROG) $(LEAN)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	$(INSTALL) -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/umount-helper
	$(INSTALL) -m 0755 $(LEAN) $(DESTDIR)$(LIBEXECDIR)/umount-helper-lean
	$(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 completions/bash/umount-helper $(DESTDIR)$(BASHCOMPDIR)/umount-helper
	$(INSTALL) -m 0644 completions/zsh/_umount-helper completions/zsh/_umount_helper_targets $(DESTDIR)$(ZSHCOMPDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/umount-helper $(DESTDIR)$(LIBEXECDIR)/umount-helper-lean $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
		$(DESTDIR)$(BASHCOMPDIR)/umount-helper $(DESTDIR)$(ZSHCOMPDIR)/_umount-helper \
		$(DESTDIR)$(ZSHCOMPDIR)/_umount_helper_targets

# A copy, not a link: the set-user-ID bit must not reach the tool's name.
install-umount: $(PROG)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	$(INSTALL) -m $(UMOUNT_MODE) $(PROG) $(DESTDIR)$(SBINDIR)/umount
	$(INSTALL) -m 0644 completions/bash/umount $(DESTDIR)$(BASHCOMPDIR)/umount
	$(INSTALL) -m 0644 completions/zsh/_umount-helper-umount $(DESTDIR)$(ZSHCOMPDIR)/_umount-helper-umount

uninstall-umount:
	rm -f $(DESTDIR)$(SBINDIR)/umount $(DESTDIR)$(BASHCOMPDIR)/umount \
		$(DESTDIR)$(ZSHCOMPDIR)/_umount-helper-umount

NFS_WRAPPER = DESTDIR='$(DESTDIR)' HELPERDIR='$(HELPERDIR)' DPKG_DIVERT='$(DPKG_DIVERT)' \
	TARGET='$(LIBEXECDIR)/umount-helper-lean' umount-helper/nfs-wrapper.sh

install-nfs-wrapper: install
	$(NFS_WRAPPER) install umount.nfs umount.nfs4

uninstall-nfs-wrapper:
	$(NFS_WRAPPER) uninstall umount.nfs umount.nfs4
