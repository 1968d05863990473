# The watcher's systemd service: `make install` installs it (and
# `make uninstall` removes it) in UNITDIR, with ExecStart= pointing at
# $(BINDIR).  systemd searches /usr/local/lib/systemd/system as well as
# /usr/lib/systemd/system, so PREFIX decides.
UNITDIR    ?= $(PREFIX)/lib/systemd/system
WATCH_UNIT := systemd/umount-helper-watch.service

.PHONY: install-watch-unit uninstall-watch-unit
install: install-watch-unit
uninstall: uninstall-watch-unit

install-watch-unit: $(WATCH_UNIT)
	$(INSTALL) -d $(DESTDIR)$(UNITDIR)
	sed -e 's|^ExecStart=/usr/local/bin/umount-helper |ExecStart=$(BINDIR)/umount-helper |' $(WATCH_UNIT) \
		>$(DESTDIR)$(UNITDIR)/umount-helper-watch.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/umount-helper-watch.service.tmp
	mv $(DESTDIR)$(UNITDIR)/umount-helper-watch.service.tmp $(DESTDIR)$(UNITDIR)/umount-helper-watch.service

uninstall-watch-unit:
	rm -f $(DESTDIR)$(UNITDIR)/umount-helper-watch.service
