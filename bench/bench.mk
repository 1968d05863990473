# The side-by-side benchmark (bench/bench.sh): umount-helper explain (BPF
# and procfs scans) against fuser -m, lsof and lsfd on a scenario it builds
# itself, plus a scale series.
#
#   make bench                    the full run, as root (a few minutes)
#   make bench BENCH_ARGS=--quick the small run that make check also does
#                                 (tests/bench/t-bench-quick.sh)
#
# Its programs: bench/farm (the scenario: a crowd of processes and holders
# of every kind), bench/nsfarm (mount namespaces holding copies),
# bench/measure (wall time and peak RSS of one run), bench/floor-helper
# (the least a umount.TYPE helper can be, for the helper table; static like
# the lean helper, except under the sanitizers) and, on x86-64,
# bench/floor-bare (the same without the C library).
# bench/umount-latency.sh, apart: what the watcher costs umount(2)
# (bench/umount-latency, with and without it).

BENCH_BINS := $(BUILD)/bench/farm $(BUILD)/bench/measure $(BUILD)/bench/floor-helper $(BUILD)/bench/nsfarm \
	$(BUILD)/bench/umount-latency

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -pthread

$(BUILD)/bench/floor-helper: bench/floor-helper.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(LEAN_LDFLAGS) -o $@ $<

# No C library, so no sanitizer either: the same flags in every build.
ifeq ($(shell uname -m),x86_64)
BENCH_BINS += $(BUILD)/bench/floor-bare
$(BUILD)/bench/floor-bare: bench/floor-bare.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -static -nostdlib -fno-stack-protector -fno-pie -no-pie -o $@ $<
endif

.PHONY: bench bench-programs
bench-programs: $(BENCH_BINS)
test-programs: bench-programs

bench: deps
	$(MAKE) --no-print-directory test-programs
	bench/bench.sh $(BENCH_ARGS)
