# umount-helper: why can't I unmount this, and where did my mount go?
#
#   make            build/umount-helper
#   make check      install missing Debian packages (as root), build, run every test
#   make demo       the main job on a built-in scenario
#
# Sources are picked up by directory: lib/LAYER/*.c (and lib/bpf/AREA/*.c)
# is the analysis library, one folder per layer (docs/DESIGN.md; the order is
# in tools/layers, checked by tools/check-layers), umount-helper/*.c the
# program, tests/unit/*.c and tests/fixtures/*.c the test programs.  Larger areas bring their own rules in an included *.mk file and
# append to CHECK_SUITES / PROG_EXTRA_OBJS.

PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
OBJ        := $(BUILD)/obj
CC         ?= cc
PKG_CONFIG ?= pkg-config

PKGS       := mount libcap-ng
CFLAGS     ?= -O2 -g
WARNINGS   := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
override CFLAGS += -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -Ilib -I$(BUILD)
# SANITIZE=1: AddressSanitizer and UndefinedBehaviorSanitizer (use another
# BUILD directory, e.g. make BUILD=build/asan SANITIZE=1).
ifeq ($(SANITIZE),1)
override CFLAGS  += -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address,undefined
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
override CPPFLAGS += $(PKG_CFLAGS) -MMD -MP
LDLIBS     += $(PKG_LIBS) -pthread

LIB_SRCS   := $(filter-out %.bpf.c,$(wildcard lib/*/*.c lib/bpf/*/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(OBJ)/%.o)
PROG_SRCS  := $(wildcard umount-helper/*.c)
PROG_OBJS  := $(PROG_SRCS:%.c=$(OBJ)/%.o)
UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
FIX_SRCS   := $(filter-out tests/fixtures/hangfs.c,$(wildcard tests/fixtures/*.c))
FIX_BINS   := $(FIX_SRCS:%.c=$(BUILD)/%) $(BUILD)/tests/fixtures/hangfs

LIBUMH     := $(BUILD)/libumh.a
PROG       := $(BUILD)/umount-helper
LEAN       := $(BUILD)/umount-helper-lean

# Filled in by the included area makefiles.
CHECK_SUITES    :=
PROG_EXTRA_OBJS :=

.PHONY: all check demo deps test-programs clean
# Keep objects of test programs between builds.
.SECONDARY:
all: $(PROG)

-include $(wildcard */*.mk */*/*.mk)

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Made anew each time: `ar r` keeps members whose source is gone (a file
# renamed or split), and the linker may take their stale definitions.
$(LIBUMH): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(PROG): $(PROG_OBJS) $(PROG_EXTRA_OBJS) $(LIBUMH)
	$(CC) $(LDFLAGS) -o $@ $(PROG_OBJS) $(PROG_EXTRA_OBJS) $(LIBUMH) $(LDLIBS)

$(BUILD)/tests/unit/%: $(OBJ)/tests/unit/%.o $(LIBUMH)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBUMH) $(LDLIBS)

$(BUILD)/tests/fixtures/%: $(OBJ)/tests/fixtures/%.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< -pthread

# The never-answering FUSE server links libfuse3; only tests need it.
$(BUILD)/tests/fixtures/hangfs: tests/fixtures/hangfs.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -D_GNU_SOURCE $$($(PKG_CONFIG) --cflags fuse3) -o $@ $< \
		$$($(PKG_CONFIG) --libs fuse3)

test-programs: $(PROG) $(UNIT_BINS) $(FIX_BINS)

deps:
	tools/install-deps

# `make check` re-enters make after installing packages, so that pkg-config
# sees the libraries it just installed.
check: deps
	$(MAKE) --no-print-directory test-programs
	tests/run $(CHECK_SUITES)

demo: deps
	$(MAKE) --no-print-directory test-programs
	tests/demo.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
