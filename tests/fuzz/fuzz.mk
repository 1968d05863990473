# libFuzzer targets for every parser (tests/fuzz/fuzz-*.c), built with clang
# and AddressSanitizer + UndefinedBehaviorSanitizer.  `make fuzz` runs each
# for FUZZ_SECONDS; make check runs tests/fuzz/t-fuzz.sh, a short run of each.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ilib -Iumount-helper -I$(BUILD) -Wall -Wextra -Werror $(PKG_CFLAGS)
# The program's own parsers (the configuration file, the helper's argv).
FUZZ_PROG_SRCS := umount-helper/config.c umount-helper/helper-args.c
FUZZ_OBJ     := $(BUILD)/fuzz/obj
FUZZ_LIB     := $(BUILD)/fuzz/libumh-fuzz.a
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(LIB_SRCS:%.c=$(FUZZ_OBJ)/%.o) $(FUZZ_PROG_SRCS:%.c=$(FUZZ_OBJ)/%.o)
	$(AR) rcs $@ $^

$(BUILD)/fuzz/fuzz-%: $(FUZZ_OBJ)/tests/fuzz/fuzz-%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -pthread

.PHONY: fuzz fuzz-targets
fuzz-targets: $(FUZZ_TARGETS)

fuzz: fuzz-targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz.sh

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
