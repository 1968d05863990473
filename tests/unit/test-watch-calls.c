/* The watcher's calls, as the kernel side sends them when they return:
 * the list's bound (watch/calls), and the wait for a call that comes after
 * its table change (watch/match). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "watch/calls.h"
#include "watch/match.h"
#include "watch/mounts.h"

static const uint64_t NS = 4026531840ULL;

static struct umh_wcall ok_call(int32_t pid, const char *path, uint32_t account, int64_t enter_ns)
{
	struct umh_wcall c = { .enter_ns = enter_ns, .tid = pid, .mntns = NS, .exited = true, .account = account,
			       .uid = account };
	c.self.pid = c.self.ns_pid = pid;
	snprintf(c.self.comm, sizeof(c.self.comm), "umount");
	c.target = strdup(path);
	c.path = path[0] == '/' ? strdup(path) : NULL;
	return c;
}

/* When full, the calls list drops the least useful: matched, then from
 * another namespace, then not root's, then the oldest. */
static void test_calls_bound(void)
{
	struct umh_wcalls calls;
	CHECK(umh_wcalls_init(&calls, -1) == 0, "init");
	calls.mntns = NS;
	for (int i = 0; i < UMH_WCALLS_MAX; i++) {
		struct umh_wcall c = ok_call(i + 1, "/mnt/y", i == 5 ? 0 : 1000, i);
		c.mntns = i == 7 ? NS + 1 : NS;
		c.used = i == 9;
		umh_wcalls_keep(&calls, &c);
	}
	struct umh_wcall c = ok_call(9999, "/mnt/y", 0, 1000);
	umh_wcalls_keep(&calls, &c);
	bool has9 = false, has7 = false;
	for (size_t i = 0; i < calls.n; i++) {
		has9 |= calls.v[i].self.pid == 10;
		has7 |= calls.v[i].self.pid == 8;
	}
	CHECK(calls.n == UMH_WCALLS_MAX && !has9 && has7 && calls.lost == 0, "full: the matched call goes first, unlost");
	c = ok_call(9998, "/mnt/y", 0, 1001);
	umh_wcalls_keep(&calls, &c);
	has7 = false;
	for (size_t i = 0; i < calls.n; i++)
		has7 |= calls.v[i].self.pid == 8;
	CHECK(!has7 && calls.lost == 1, "then the one from another namespace (counted lost)");
	c = ok_call(9997, "/mnt/y", 0, 1002);
	umh_wcalls_keep(&calls, &c);
	CHECK(calls.v[0].self.pid == 2 && calls.v[5 - 1].self.pid == 6, "then the oldest not by root (pid 1 went)");
	umh_wcalls_free(&calls);
}

/* A mount gone with no call yet: the watcher waits for it; a move needs
 * none. */
static void test_unexplained(void)
{
	struct umh_wcalls calls = { 0 };
	calls.v = calloc(UMH_WCALLS_MAX, sizeof(*calls.v));
	struct umh_wmount gone[2] = { { .id = 30, .parent_id = 22 }, { .id = 31, .parent_id = 30 } };
	gone[0].target = "/mnt/a";
	gone[1].target = "/mnt/a/b";
	struct umh_wmatch_in in = { .calls = &calls, .mntns = NS, .now_boot_ns = 20 };
	CHECK(umh_wmatch_unexplained(&in, gone, 2) == 1, "a tree gone, no call: one to wait for (the top)");
	gone[0].shared = 7;
	calls.v[calls.n] = ok_call(100, "/elsewhere", 0, 5);
	calls.v[calls.n++].mntns = NS + 1;
	CHECK(umh_wmatch_unexplained(&in, gone, 2) == 1,
	      "a call elsewhere, any path, for a mount with peers: not sure, still waited for");
	calls.v[calls.n++] = ok_call(200, "/mnt/a", 0, 10);
	CHECK(umh_wmatch_unexplained(&in, gone, 2) == 0, "its call came: none");
	umh_wcalls_free(&calls);
}

int main(void)
{
	test_calls_bound();
	test_unexplained();
	UNIT_EXIT();
}
