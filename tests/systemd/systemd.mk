# The systemd area: lib/systemd/cause.c (sd-bus) and the programs that test it
# against a real systemd (tests/systemd/t-systemd-fixture.sh boots one).
#
#   make sd-test-programs    build/tests/systemd/sd-cause-watch
#                            build/tests/systemd/fake-udev-event
#                            build/tests/unit/test-systemd-unit-name
#
# lib/systemd/*.c land in libumh.a like every lib/ folder, with
# lib/systemd/lazy.c: libsystemd's functions, loaded from the library when
# first called (dlopen), so that whatever links libumh.a starts without
# libsystemd and what it links.  The test programs below link the cause
# reader alone, with libsystemd itself.

SD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsystemd 2>/dev/null)
SD_LIBS   := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)

# The cause reader only (cause.c and the files it is split into, with the
# few lib/base helpers they call): the other lib/systemd/*.c (the watcher's
# and explain's) use the rest of libumh.a and are tested through the program.
SD_LIB_SRCS := lib/systemd/cause.c lib/systemd/bus.c lib/systemd/unit-name.c lib/systemd/batch.c \
	lib/systemd/facts.c lib/systemd/decide.c lib/base/str.c lib/base/strv.c lib/base/grow.c
SD_LIB_OBJS := $(SD_LIB_SRCS:%.c=$(BUILD)/sd/%.o)
SD_WATCH    := $(BUILD)/tests/systemd/sd-cause-watch

.PHONY: sd-test-programs
sd-test-programs: $(SD_WATCH) $(BUILD)/tests/systemd/fake-udev-event \
	$(BUILD)/tests/unit/test-systemd-unit-name
test-programs: sd-test-programs

# Built on their own (not through libumh.a), so that they build while the
# rest of the tree may not.
$(BUILD)/sd/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(SD_CFLAGS) $(CFLAGS) -c -o $@ $<

$(SD_WATCH): $(BUILD)/sd/tests/systemd/sd-cause-watch.o $(SD_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SD_LIBS)

$(BUILD)/tests/systemd/fake-udev-event: $(BUILD)/sd/tests/systemd/fake-udev-event.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/unit/test-systemd-unit-name: $(BUILD)/sd/tests/unit/test-systemd-unit-name.o $(SD_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(SD_LIBS)

# Their header dependencies (the top Makefile includes only $(OBJ)'s): a
# changed lib/systemd/cause.h must rebuild the test programs too.
-include $(shell find $(BUILD)/sd -name '*.d' 2>/dev/null)
