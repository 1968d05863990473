/* The watcher's failed unmounts, the pure parts: bursts and their
 * allowances (watch/busy), and the entry composed from a burst
 * (watch/failure). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-read.h"
#include "unit.h"
#include "watch/busy.h"
#include "watch/calls.h"
#include "watch/failure.h"

#define MS (1000LL * 1000)
#define S (1000LL * MS)

static const uint64_t NS = 4026531840ULL;

static struct umh_wcall failed_call(int32_t pid, const char *path, uint32_t account, int64_t enter_ns)
{
	struct umh_wcall c = { .enter_ns = enter_ns, .tid = pid, .mntns = NS, .exited = true, .ret = -16,
			       .account = account, .uid = account };
	c.self.pid = c.self.ns_pid = pid;
	snprintf(c.self.comm, sizeof(c.self.comm), "umount-retry");
	c.target = strdup(path);
	c.path = path[0] == '/' ? strdup(path) : NULL;
	c.cmdline = strdup("umount-retry /mnt/x 50 50");
	return c;
}

static struct umh_jnode *parse(const char *s)
{
	struct umh_jnode *n = NULL;
	return umh_jparse(s, strlen(s), &n) == 0 ? n : NULL;
}

static const char held_by_sleep[] =
	"{\"target\": \"/mnt/x\", \"source\": \"src\", \"fstype\": \"tmpfs\", \"mount_id\": 42, \"busy\": true,"
	" \"holders\": [{\"kind\": \"cwd\", \"pid\": 4100, \"comm\": \"sleep\", \"path\": \"/mnt/x\", \"mount_id\": 42}],"
	" \"unexplained_refs\": null, \"text\": \"/mnt/x is held by 1 process.\\n\"}";
static const char held_by_bash[] =
	"{\"target\": \"/mnt/x\", \"source\": \"src\", \"fstype\": \"tmpfs\", \"mount_id\": 42, \"busy\": true,"
	" \"holders\": [{\"kind\": \"cwd\", \"pid\": 4200, \"comm\": \"bash\", \"path\": \"/mnt/x\", \"mount_id\": 42}],"
	" \"unexplained_refs\": null, \"text\": \"/mnt/x is held by 1 process.\\n\"}";

/* containerd's 50 tries, 50 ms apart: one burst, one examination, one
 * entry a second after the last. */
static void test_burst(void)
{
	struct umh_wbusy b;
	CHECK(umh_wbusy_init(&b) == 0, "init");
	int64_t t = 100 * S;
	bool opened = false;
	struct umh_wburst *u = NULL;
	for (int i = 0; i < 50; i++) {
		struct umh_wcall c = failed_call(4242, "/mnt/x", 0, t + i * 50 * MS);
		struct umh_wburst *k = umh_wbusy_add(&b, &c, t + i * 50 * MS, 1000000 + i * 50000, &opened);
		if (i == 0) {
			CHECK(k && opened, "the first failed call opens a burst");
			u = k;
			u->local_pid = 4242; /* as the watcher numbers it */
		} else if (i == 1) {
			CHECK(k == u && !opened, "the next one counts in it");
		}
		umh_wcall_clear(&c);
	}
	int64_t end = t + 49 * 50 * MS;
	CHECK(b.n == 1 && u->attempts == 50 && u->n_pids == 1, "fifty calls, one burst, one process");
	CHECK(umh_wbusy_next_explain(&b, t) == u && u->explaining, "its examination is due at once");
	CHECK(umh_wbusy_next_ns(&b) == 0, "while it runs, nothing else wakes the watcher");
	bool final;
	CHECK(umh_wbusy_due(&b, end + 2 * S, &final) == NULL, "no entry while it is examined");
	umh_wbusy_explained(u, parse(held_by_sleep), NULL, t + 200 * MS);
	CHECK(umh_wbusy_due(&b, end + 500 * MS, &final) == NULL, "no entry while the calls go on");
	CHECK(umh_wbusy_next_ns(&b) == end + UMH_WBUSY_IDLE_NS, "the next wake: a second after the last call");
	CHECK(umh_wbusy_due(&b, end + UMH_WBUSY_IDLE_NS, &final) == u && final, "a second after the last: the entry, final");

	struct umh_wfailure e;
	CHECK(umh_wfailure_compose(u, true, NS, &e) == 0, "compose");
	CHECK(e.sentence && strstr(e.sentence, "umount of /mnt/x by umount-retry (pid 4242, uid 0) as "
					       "'umount-retry /mnt/x 50 50' failed 50 times (EBUSY, target is busy) between "),
	      "the sentence: who, how often (%s)", e.sentence);
	CHECK(e.sentence && strstr(e.sentence, "; held then by sleep (pid 4100: cwd /mnt/x)"), "... and what held it");
	struct umh_jnode *line = e.line ? parse(e.line) : NULL;
	uint64_t attempts = 0, id = 0;
	CHECK(line && strcmp(umh_jstr(line, "event"), "failed-unmount") == 0 && umh_juint(line, "attempts", &attempts) &&
		      attempts == 50 && strcmp(umh_jstr(line, "state"), "ended") == 0 &&
		      umh_juint(umh_jget(line, "mount"), "id", &id) && id == 42 &&
		      strcmp(umh_jstr(line, "explanation"), "/mnt/x is held by 1 process.\n") == 0,
	      "the record's line: the event, the count, the mount, the report");
	CHECK(e.holders && strstr(e.holders, "\"comm\": \"sleep\""), "the holders as JSON, for the journal");
	umh_jfree(line);
	umh_wfailure_clear(&e);
	umh_wbusy_written(&b, u, true, end + UMH_WBUSY_IDLE_NS);
	CHECK(b.n == 0, "a final entry forgets the burst");
	umh_wbusy_free(&b);
}

/* A burst that goes on: an entry after a while, examined again, written
 * again when what holds it changed; then the last. */
static void test_going_on(void)
{
	struct umh_wbusy b;
	umh_wbusy_init(&b);
	int64_t t = 100 * S;
	bool opened, final;
	struct umh_wcall c = failed_call(4242, "/mnt/x", 0, t);
	struct umh_wburst *u = umh_wbusy_add(&b, &c, t, 1000000, &opened);
	umh_wcall_clear(&c);
	u->ns_fd = -1;
	umh_wbusy_next_explain(&b, t);
	umh_wbusy_explained(u, parse(held_by_sleep), NULL, t + 100 * MS);
	for (int64_t k = t + 500 * MS; k <= t + 10 * S; k += 500 * MS) {
		c = failed_call(4242, "/mnt/x", 0, k);
		umh_wbusy_add(&b, &c, k, 0, &opened);
		umh_wcall_clear(&c);
	}
	CHECK(umh_wbusy_due(&b, t + 9 * S, &final) == NULL, "9 s in: nothing written yet");
	CHECK(umh_wbusy_due(&b, t + 10 * S, &final) == u && !final, "10 s in: an entry, not final");
	umh_wbusy_written(&b, u, false, t + 10 * S);
	u->ns_fd = 99; /* held: it can be examined again (never used here) */
	CHECK(umh_wbusy_next_explain(&b, t + 10 * S + 100 * MS) == u, "... and it is examined again");
	CHECK(umh_wbusy_due(&b, t + 10 * S + 200 * MS, &final) == NULL, "the same holder: nothing new");
	umh_wbusy_explained(u, parse(held_by_bash), NULL, t + 10 * S + 300 * MS);
	CHECK(umh_wbusy_due(&b, t + 10 * S + 400 * MS, &final) == u && !final, "another holder: written again");
	umh_wbusy_written(&b, u, false, t + 10 * S + 400 * MS);
	for (int64_t k = t + 10 * S + 500 * MS; k <= t + 12 * S; k += 500 * MS) {
		c = failed_call(4242, "/mnt/x", 0, k);
		umh_wbusy_add(&b, &c, k, 0, &opened);
		umh_wcall_clear(&c);
	}
	CHECK(umh_wbusy_due(&b, t + 12 * S + 500 * MS, &final) == NULL, "half a second after the last call: not over");
	CHECK(umh_wbusy_due(&b, t + 13 * S, &final) == u && final && u->attempts == 25, "a second after: the last entry");
	u->ns_fd = -1;
	umh_wbusy_written(&b, u, true, t + 13 * S);
	umh_wbusy_free(&b);
}

/* Unmounted after all; a new burst after one that said everything;
 * another account's allowance and share. */
static void test_bounds(void)
{
	struct umh_wbusy b;
	umh_wbusy_init(&b);
	int64_t t = 100 * S;
	bool opened, final;
	struct umh_wcall c = failed_call(4242, "/mnt/x", 0, t);
	struct umh_wburst *u = umh_wbusy_add(&b, &c, t, 1000000, &opened);
	umh_wcall_clear(&c);
	umh_wbusy_next_explain(&b, t);
	umh_wbusy_explained(u, parse(held_by_sleep), NULL, t + 100 * MS);
	struct umh_wcall ok = failed_call(4242, "/mnt/x", 0, t + 200 * MS);
	ok.ret = 0;
	umh_wbusy_unmounted(&b, &ok, 1300000);
	umh_wcall_clear(&ok);
	CHECK(umh_wbusy_due(&b, t + 300 * MS, &final) == u && final, "unmounted after all: written at once");
	struct umh_wfailure e;
	umh_wfailure_compose(u, true, NS, &e);
	CHECK(e.sentence && strstr(e.sentence, "; then it was unmounted at "), "... and says so");
	umh_wfailure_clear(&e);
	umh_wbusy_written(&b, u, true, t + 300 * MS);

	/* uid 1000: its allowance of examinations, then refused with why;
	 * its share of bursts. */
	int examined = 0, refused = 0, followed = 0;
	for (int i = 0; i < 12; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/mnt/u%d", i);
		c = failed_call(5000 + i, path, 1000, t + S);
		struct umh_wburst *k = umh_wbusy_add(&b, &c, t + S, 0, &opened);
		umh_wcall_clear(&c);
		followed += k != NULL;
		struct umh_wburst *x = umh_wbusy_next_explain(&b, t + S);
		if (x) {
			examined++;
			umh_wbusy_explained(x, NULL, "test", t + S);
		} else if (k && k->why && strstr(k->why, "examined at most 4 at once, then one every 30 s")) {
			refused++;
		}
	}
	CHECK(followed == UMH_WBUSY_PER_ACCOUNT, "one uid's bursts followed at once: %d (%zu not)", followed,
	      (size_t)b.not_followed);
	CHECK(examined == UMH_WBUSY_ALLOW_USER && refused == followed - examined,
	      "its examinations: %d, then refused with the reason (%d)", examined, refused);
	c = failed_call(6000, "/mnt/root", 0, t + S);
	CHECK(umh_wbusy_add(&b, &c, t + S, 0, &opened) && umh_wbusy_next_explain(&b, t + S),
	      "root's burst meanwhile: followed and examined");
	umh_wcall_clear(&c);
	umh_wbusy_free(&b);
}

static void test_container(void)
{
	char *c = umh_container_of_cgroup("/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope");
	CHECK_STR(c, "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", "docker's scope");
	free(c);
	c = umh_container_of_cgroup("/kubepods.slice/kubepods-pod1.slice/cri-containerd-abc123.scope");
	CHECK_STR(c, "cri-containerd-abc123.scope", "containerd's under kubepods");
	free(c);
	c = umh_container_of_cgroup("/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	CHECK_STR(c, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "cgroupfs: the id");
	free(c);
	c = umh_container_of_cgroup("/system.slice/containerd.service");
	CHECK(c == NULL, "containerd itself is no container");
	free(c);
	c = umh_container_of_cgroup("/user.slice/docker-notanid.scope");
	CHECK(c == NULL, "a scope named like one, without an id, is not");
	free(c);
}

int main(void)
{
	test_burst();
	test_going_on();
	test_bounds();
	test_container();
	UNIT_EXIT();
}
