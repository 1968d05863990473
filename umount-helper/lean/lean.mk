# The lean helper (umount-helper/lean/main.c): build/umount-helper-lean, the
# program /sbin/umount.TYPE links to.  It links the C library only -- no
# LDLIBS: an object of libumh.a that needs more fails the link here, which
# is the point -- and the few objects of the program it shares with the tool.
# Statically: util-linux starts it for every unmount, and the dynamic
# loader's work was a tenth of util-linux's own cost (bench/bench.sh's helper
# table); it uses getopt, stdio and a few system calls of the C library, no
# NSS, locale or dlopen.  Not under the sanitizers, which need the dynamic
# loader.
LEAN_OBJS := $(addprefix $(OBJ)/umount-helper/lean/,main.o wrap.o) \
	$(addprefix $(OBJ)/umount-helper/,config.o handover.o helper-args.o helper-find.o)
LEAN_LDFLAGS := $(if $(filter 1,$(SANITIZE)),,-static-pie)

all: $(LEAN)
test-programs: $(LEAN)

$(LEAN): $(LEAN_OBJS) $(LIBUMH)
	$(CC) $(LDFLAGS) $(LEAN_LDFLAGS) -o $@ $(LEAN_OBJS) $(LIBUMH)

# Where each finds the other once installed (umount-helper/helper-find.h).
$(OBJ)/umount-helper/helper-find.o: override CPPFLAGS += -DUMH_TOOL_PATH='"$(BINDIR)/umount-helper"' \
	-DUMH_LEAN_PATH='"$(LIBEXECDIR)/umount-helper-lean"'
