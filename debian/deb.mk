# make deb: the Debian package, left as build/umount-helper_VERSION_ARCH.deb
# (dpkg-buildpackage -us -uc -b, debhelper).  The package is built from a
# copy of the tree in build/deb/src: dpkg-buildpackage writes into debian/
# and puts its results beside the tree, and the checkout must stay as a
# fresh clone has it (make check).  Built again only when a file of the
# tree is newer than the last build (the tests and the QEMU harness ask for
# it).  Tools: tools/packages/deb.txt.
#
#   make deb && apt install ./build/umount-helper_*.deb
#   lintian build/umount-helper_*.deb    (tests/t-deb.sh runs it)
DEB_DIR   := $(BUILD)/deb
DEB_STAMP := $(DEB_DIR)/built
# The tree's files, from git where it is a checkout.
DEB_SRCS  := $(wildcard $(or $(shell git ls-files 2>/dev/null),$(shell find . -path ./.git -prune -o \
	-path ./build -prune -o -type f -print 2>/dev/null)))

.PHONY: deb
deb: deps
	@$(MAKE) --no-print-directory $(DEB_STAMP)

$(DEB_STAMP): $(DEB_SRCS)
	rm -rf $(DEB_DIR) $(BUILD)/umount-helper_*.deb
	mkdir -p $(DEB_DIR)/src
	tar -C . --exclude=./.git --exclude=./build $(if $(filter /%,$(BUILD)),,--exclude=./$(BUILD)) -cf - . | \
		tar -C $(DEB_DIR)/src -xf -
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b
	cp $(DEB_DIR)/umount-helper_*.deb $(BUILD)/
	touch $@
