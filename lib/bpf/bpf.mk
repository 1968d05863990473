# BPF programs: every lib/bpf/AREA/NAME.bpf.c becomes build/bpf/NAME.bpf.o
# (clang -target bpf, CO-RE against the committed lib/bpf/common/vmlinux.h)
# and a skeleton build/bpf/NAME.skel.h (bpftool gen skeleton), which C code
# includes as "bpf/NAME.skel.h" (NAME is unique across the areas).  The
# user-space loaders beside them (lib/bpf/AREA/*.c) are part of the analysis
# library like every lib/ folder.  A new program needs no rule of its own:
# drop lib/bpf/AREA/NAME.bpf.c in and include its skeleton.
#
# The programs explain loads every time (iter.bpf.c, mntcount.bpf.c) also
# get a light skeleton, build/bpf/NAME.lskel.h (bpftool gen skeleton -L): its loader program has
# the kernel do the CO-RE relocations, where libbpf would parse the kernel's
# BTF in user space first (lib/bpf/scan/scan-skel.h says why that matters).
#
# Tools come from tools/packages/bpf.txt (clang, llvm, bpftool, libbpf-dev).

CLANG      ?= clang
LLVM_STRIP ?= llvm-strip
# Debian installs bpftool in /usr/sbin, which an ordinary user's PATH lacks.
BPFTOOL    ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)

BPF_DIR    := $(BUILD)/bpf
BPF_SRCS   := $(wildcard lib/bpf/*/*.bpf.c)
BPF_NAMES  := $(notdir $(BPF_SRCS:%.bpf.c=%))
BPF_OBJS   := $(BPF_NAMES:%=$(BPF_DIR)/%.bpf.o)
BPF_SKELS  := $(BPF_NAMES:%=$(BPF_DIR)/%.skel.h)
BPF_LSKELS := $(BPF_DIR)/iter.lskel.h $(BPF_DIR)/iter-fast.lskel.h $(BPF_DIR)/mntcount.lskel.h \
	$(BPF_DIR)/sbmounts.lskel.h $(BPF_DIR)/fsview.lskel.h $(BPF_DIR)/kernrefs.lskel.h
BPF_HDRS   := $(wildcard lib/bpf/*/*.h)
vpath %.bpf.c $(sort $(dir $(BPF_SRCS)))

# -mcpu=v3: atomics that return a value, 32-bit jumps (kernels >= 5.12).
# -g keeps the BTF that CO-RE needs; strip -g then drops the DWARF, which
# would only make the skeleton (embedded in the binary) larger.
BPF_CFLAGS := -target bpf -mcpu=v3 -g -O2 -D__TARGET_ARCH_x86 -Wall -Werror -Ilib/bpf/common \
	$(shell $(PKG_CONFIG) --cflags-only-I libbpf 2>/dev/null)

override CPPFLAGS += $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LDLIBS   += $(or $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null),-lbpf) -lelf -lz

$(BPF_DIR)/%.bpf.o: %.bpf.c $(BPF_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<
	$(LLVM_STRIP) -g $@

# The scan again, for Linux 6.2 and later (lib/bpf/scan/iter.bpf.c says
# what differs): a light skeleton only, loaded where the kernel takes it.
$(BPF_DIR)/iter-fast.bpf.o: lib/bpf/scan/iter.bpf.c $(BPF_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DUMH_ITER_FAST -c -o $@ $<
	$(LLVM_STRIP) -g $@

$(BPF_DIR)/%.skel.h: $(BPF_DIR)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name umh_$(subst -,_,$*)_bpf > $@.tmp
	mv $@.tmp $@

# The scan's build id: the hash of its light skeletons, which hold all of
# the programs as the kernel gets them.  Pinned programs are used only by a
# scan of the same id (lib/bpf/scan/scan-pin.h).
$(BPF_DIR)/iter.id.h: $(BPF_DIR)/iter.lskel.h $(BPF_DIR)/iter-fast.lskel.h
	printf '#define UMH_ITER_BUILD_ID "%s"\n' "$$(cat $^ | sha256sum | cut -c1-32)" >$@.tmp
	mv $@.tmp $@

# The same for the mount-count program (lib/bpf/refcount/mntcount-pin.c).
$(BPF_DIR)/mntcount.id.h: $(BPF_DIR)/mntcount.lskel.h
	printf '#define UMH_MNTCOUNT_BUILD_ID "%s"\n' "$$(sha256sum <$< | cut -c1-32)" >$@.tmp
	mv $@.tmp $@

$(BPF_DIR)/%.lskel.h: $(BPF_DIR)/%.bpf.o
	$(BPFTOOL) gen skeleton -L $< name umh_$(subst -,_,$*)_lbpf > $@.tmp
	mv $@.tmp $@

# Any C file may include a skeleton; the first build has no dependency
# files yet, so every object waits for the skeletons.
$(LIB_OBJS) $(PROG_OBJS) $(UNIT_SRCS:%.c=$(OBJ)/%.o): | $(BPF_SKELS) $(BPF_LSKELS) $(BPF_DIR)/iter.id.h \
	$(BPF_DIR)/mntcount.id.h

# Kept: the tests and the QEMU harness load them with bpftool too.
.SECONDARY: $(BPF_OBJS) $(BPF_DIR)/iter-fast.bpf.o
.PHONY: bpf
bpf: $(BPF_SKELS) $(BPF_LSKELS) $(BPF_DIR)/iter.id.h $(BPF_DIR)/mntcount.id.h
