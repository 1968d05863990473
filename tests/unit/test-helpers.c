/* The small helpers every layer shares (lib/base): growing arrays, strings
 * that may be absent or come from fixed fields, the clocks, and the read of
 * a child's pipe within a deadline, the reaping of the child. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/child.h"
#include "base/clock.h"
#include "base/grow.h"
#include "base/str.h"
#include "unit.h"

static void test_grow(void)
{
	int *v = NULL;
	size_t n = 0, cap = 0, reallocs = 0;
	for (int i = 0; i < 1000; i++) {
		size_t before = cap;
		if (UMH_GROW(v, cap, n + 1, 16) < 0)
			break;
		reallocs += cap != before;
		v[n++] = i;
	}
	CHECK(n == 1000 && v[999] == 999, "1000 elements appended one at a time");
	CHECK(cap == 1024 && reallocs == 7, "capacity doubles from 16 (16..1024: 7 allocations, got %zu, cap %zu)",
	      reallocs, cap);
	CHECK(UMH_GROW(v, cap, 10, 16) == 0 && cap == 1024, "room already there: nothing changes");
	CHECK(UMH_GROW(v, cap, 5000, 16) == 0 && cap == 8192, "room for many at once: doubled until it fits");
	int *keep = v;
	size_t keep_cap = cap;
	CHECK(UMH_GROW(v, cap, SIZE_MAX / 2 + 2, 16) == -ENOMEM && v == keep && cap == keep_cap,
	      "a size that cannot be: -ENOMEM, the array untouched");
	free(v);
}

static void test_strings(void)
{
	CHECK(umh_strcmp_null(NULL, "a") < 0 && umh_strcmp_null("a", NULL) > 0 && umh_strcmp_null(NULL, NULL) == 0,
	      "NULL orders first");
	CHECK(umh_strcmp_null("a", "b") < 0, "strings order as strcmp");
	CHECK(umh_streq_null(NULL, NULL) && !umh_streq_null(NULL, "") && umh_streq_null("x", "x"),
	      "streq_null: absent equals absent only");
	CHECK(!umh_streq_known(NULL, NULL) && !umh_streq_known(NULL, "loaded") && umh_streq_known("x", "x"),
	      "streq_known: what is not known matches nothing");

	/* A task's comm fills its 16 bytes with no NUL when it is 16 long. */
	const char comm16[16] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' };
	char wide[17], narrow[16], tiny[4];
	umh_copy_field(wide, sizeof(wide), comm16, sizeof(comm16));
	CHECK_STR(wide, "abcdefghijklmnop", "a full 16-byte field: all of it, terminated");
	umh_copy_field(narrow, sizeof(narrow), comm16, sizeof(comm16));
	CHECK_STR(narrow, "abcdefghijklmno", "into 16 bytes: cut to 15 and terminated");
	umh_copy_field(tiny, sizeof(tiny), "bash", 16);
	CHECK_STR(tiny, "bas", "cut to fit");
	umh_copy_field(wide, sizeof(wide), "sh\0garbage", 10);
	CHECK_STR(wide, "sh", "stops at the field's NUL");
	umh_copy_field(wide, sizeof(wide), "line one\nline two", 8);
	CHECK_STR(wide, "line one", "a span of text: its length only");
}

static void test_clocks(void)
{
	int64_t a = umh_now_ns(), b = umh_now_ns();
	CHECK(a > 0 && b >= a, "the monotonic clock does not go back");
	int64_t boot = umh_boot_ns();
	CHECK(boot >= a, "the boot clock counts at least the monotonic time (and sleep)");
	int64_t wall = umh_wall_ns(), then = umh_boot_to_wall_ns(boot - 1000000000);
	CHECK(llabs((wall - then) - 1000000000) < 50000000, "a boot time 1 s ago is 1 s ago on the wall clock");
	CHECK(umh_clock_ns(CLOCK_MONOTONIC) >= b, "umh_clock_ns reads any clock");
}

static void test_child_read(void)
{
	int p[2];
	if (pipe(p) < 0) {
		CHECK(false, "pipe: %s", strerror(errno));
		return;
	}
	char buf[16];
	CHECK(write(p[1], "hello", 5) == 5, "written");
	CHECK(umh_child_read(p[0], umh_now_ns() + 1000000000, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5),
	      "what is there is read");
	int64_t t0 = umh_now_ns();
	ssize_t r = umh_child_read(p[0], t0 + 50000000, buf, sizeof(buf));
	int64_t waited = umh_now_ns() - t0;
	CHECK(r == -ETIME && waited >= 50000000 && waited < 1000000000,
	      "nothing to read: -ETIME at the deadline (waited %lld ms)", (long long)(waited / 1000000));
	CHECK(umh_child_read(p[0], umh_now_ns() - 1, buf, sizeof(buf)) == -ETIME, "a deadline passed: -ETIME at once");
	close(p[1]);
	CHECK(umh_child_read(p[0], 0, buf, sizeof(buf)) == 0, "the writer gone: 0, the end (no deadline)");
	close(p[0]);
}

/* A child that closed its pipe but takes its time to exit (a loaded
 * machine) is waited for until the caller's deadline, not taken for dead
 * after 100 ms; one that does not exit by then is left running. */
static void test_child_reap(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		usleep(300000);
		_exit(7);
	}
	CHECK(pid > 0, "fork");
	if (pid < 0)
		return;
	int status = 0;
	int64_t t0 = umh_now_ns();
	int r = umh_child_reap(pid, t0 + 5000000000LL, &status);
	int64_t waited = umh_now_ns() - t0;
	CHECK(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7,
	      "a child that exits 300 ms later is reaped before the deadline (%d after %lld ms)", r,
	      (long long)(waited / 1000000));

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	t0 = umh_now_ns();
	r = umh_child_reap(pid, 0, &status);
	waited = umh_now_ns() - t0;
	CHECK(r == -EAGAIN && waited >= 100000000 && waited < 2000000000,
	      "no deadline: 100 ms at least, then -EAGAIN while it runs (waited %lld ms)", (long long)(waited / 1000000));
	kill(pid, SIGKILL);
	/* Dying takes a moment too: more than the 100 ms on a loaded machine. */
	CHECK(umh_child_reap(pid, umh_now_ns() + 5000000000LL, &status) == 0 && WIFSIGNALED(status),
	      "killed: reaped");
}

int main(void)
{
	test_grow();
	test_strings();
	test_clocks();
	test_child_read();
	test_child_reap();
	UNIT_EXIT();
}
