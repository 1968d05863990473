/* The watcher's pure parts: reading JSON back (json-read), the record's
 * line parser, the mount table diff, matching calls to the mounts that
 * went, and the sentences. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json-read.h"
#include "unit.h"
#include "watch/calls.h"
#include "watch/event.h"
#include "watch/match.h"
#include "watch/mounts.h"
#include "watch/record.h"

static struct umh_jnode *parse(const char *s)
{
	struct umh_jnode *n = NULL;
	return umh_jparse(s, strlen(s), &n) == 0 ? n : NULL;
}

static void test_json_read(void)
{
	struct umh_jnode *n = parse(" {\"a\": 1, \"s\": \"x\\ny\\u00e9\\ud83d\\ude00\", \"b\": true, \"n\": null,"
				    " \"arr\": [1, -2, {\"k\": \"v\"}], \"big\": 18446744073709551615, \"a\": 2} ");
	int64_t i = 0;
	uint64_t u = 0;
	CHECK(n && n->type == UMH_J_OBJ, "an object parses");
	CHECK(umh_jint(n, "a", &i) && i == 2, "a repeated key: the last wins");
	CHECK_STR(umh_jstr(n, "s"), "x\ny\xc3\xa9\xf0\x9f\x98\x80", "escapes, \\u and surrogate pairs decode to UTF-8");
	CHECK(umh_jbool(n, "b", false) && !umh_jbool(n, "n", false), "booleans; null is not true");
	CHECK(umh_juint(n, "big", &u) && u == UINT64_MAX, "a 64-bit unsigned number");
	CHECK(!umh_jint(n, "big", &i), "... which is not a signed one");
	CHECK(!umh_jstr(n, "a") && !umh_jget(n, "missing"), "wrong types and missing keys give nothing");
	const struct umh_jnode *arr = umh_jget(n, "arr");
	CHECK(arr && arr->type == UMH_J_ARR && arr->child && arr->child->next &&
		      umh_jstr(arr->child->next->next, "k") && strcmp(umh_jstr(arr->child->next->next, "k"), "v") == 0,
	      "arrays hold values in order");
	umh_jfree(n);

	/* A byte that is not UTF-8, as json.c writes it, comes back. */
	n = parse("{\"p\": \"/mnt/\\udcff\\udc80x\"}");
	CHECK_STR(n ? umh_jstr(n, "p") : NULL, "/mnt/\xff\x80x", "\\uDCxx surrogate escapes are bytes again");
	umh_jfree(n);

	static const char *const bad[] = {
		"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "\"abc", "\"\\x\"", "01", "1.", "-", "tru",
		"{\"a\": \"\\u0000\"}", "\"\\ud800\"", "\"\\udc00x\"", "{} {}", "\"raw\ttab\"", "{\"a\":1}x",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct umh_jnode *b = NULL;
		CHECK(umh_jparse(bad[k], strlen(bad[k]), &b) == -EINVAL && !b, "invalid JSON refused: '%s'", bad[k]);
	}
	char deep[200];
	memset(deep, '[', sizeof(deep));
	CHECK(umh_jparse(deep, sizeof(deep), &n) == -EINVAL, "nesting deeper than the bound is refused");

	/* Written again through json.c: the same value. */
	n = parse("{\"x\": [1, \"two\", {\"y\": false}], \"z\": null}");
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct umh_json j;
	umh_json_init(&j, f);
	umh_jwrite(&j, NULL, n);
	fclose(f);
	struct umh_jnode *again = buf ? parse(buf) : NULL;
	const struct umh_jnode *x = umh_jget(again, "x");
	CHECK(again && x && x->child && x->child->next && strcmp(x->child->next->s, "two") == 0 &&
		      umh_jget(again, "z") && umh_jget(again, "z")->type == UMH_J_NULL,
	      "a tree written again reads back the same");
	umh_jfree(again);
	umh_jfree(n);
	free(buf);
}

static int count_events(const struct umh_jnode *ev, void *userdata)
{
	(void)ev;
	(*(int *)userdata)++;
	return 0;
}

static void test_record_parse(void)
{
	const char text[] = "{\"event\":\"unmount\"}\n"
			    "garbage\n"
			    "\n"
			    "[1,2]\n"
			    "{\"event\":\"move\"}\n"
			    "{\"event\":\"torn";
	int n = 0;
	CHECK(umh_wrecord_parse(text, strlen(text), count_events, &n) == 0 && n == 2,
	      "record lines: objects read, garbage, arrays and a torn last line skipped (%d)", n);
}

static const char mi_before[] =
	"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	"30 22 0:40 / /mnt/a rw shared:5 - tmpfs tmpfs rw\n"
	"31 30 0:41 / /mnt/a/b rw - tmpfs sub rw\n"
	"32 22 0:42 / /mnt/c rw - tmpfs tmpfs rw\n"
	"33 22 0:43 / /mnt/m rw - tmpfs moved rw\n";
static const char mi_after[] =
	"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	"32 22 0:42 / /mnt/c rw - tmpfs tmpfs rw\n"
	"33 22 0:43 / /mnt/m2 rw - tmpfs moved rw\n"
	"34 22 0:44 / /mnt/new rw - tmpfs tmpfs rw\n";

static struct umh_wcall call(int32_t pid, const char *path, uint64_t mntns, int64_t enter_ns)
{
	struct umh_wcall c = { .enter_ns = enter_ns, .tid = pid, .mntns = mntns, .exited = true };
	c.self.pid = c.self.ns_pid = pid;
	snprintf(c.self.comm, sizeof(c.self.comm), "umount");
	c.target = strdup(path);
	c.path = path[0] == '/' ? strdup(path) : NULL;
	return c;
}

static void test_diff_and_match(void)
{
	struct umh_wtable before, after;
	CHECK(umh_wtable_parse(mi_before, strlen(mi_before), &before) == 0 && before.n == 5, "a table parses");
	CHECK(umh_wtable_parse(mi_after, strlen(mi_after), &after) == 0 && after.n == 4, "... and the next one");
	struct umh_wmount *gone = NULL;
	size_t n_gone = 0, n_added = 0;
	CHECK(umh_wtable_diff(&before, &after, 1000, &gone, &n_gone, &n_added) == 0, "diff");
	/* 30, 31 unmounted; 33 moved (its mount point changed: gone and new). */
	CHECK(n_gone == 3 && n_added == 2, "three gone (two unmounted, one moved), two new (%zu, %zu)", n_gone, n_added);
	CHECK(umh_wtable_find(&after, 32)->seen_us == 0 && umh_wtable_find(&after, 34)->seen_us == 1000,
	      "a mount that stayed keeps its time; a new one gets now");

	struct umh_wcalls calls = { 0 };
	calls.v = calloc(UMH_WCALLS_MAX, sizeof(*calls.v));
	calls.init_pidns = true;
	const uint64_t ns = 4026531840ULL, other = 4026532000ULL;
	calls.v[calls.n++] = call(100, "/mnt/x", ns, 5);      /* another path: not it */
	calls.v[calls.n++] = call(200, "/mnt/a", ns, 10);     /* this one */
	struct umh_wevent ev[3];
	struct umh_wmatch_in in = { .calls = &calls, .mntns = ns, .table = &after, .now_boot_ns = 20, .now_real_us = 2000 };
	CHECK(umh_wmatch(&in, gone, n_gone, ev) == 0, "match");
	const struct umh_wevent *a = NULL, *b = NULL, *m = NULL;
	for (size_t i = 0; i < n_gone; i++) {
		if (strcmp(ev[i].mount.target, "/mnt/a") == 0)
			a = &ev[i];
		else if (strcmp(ev[i].mount.target, "/mnt/a/b") == 0)
			b = &ev[i];
		else if (strcmp(ev[i].mount.target, "/mnt/m") == 0)
			m = &ev[i];
	}
	CHECK(a && a->how == UMH_WHOW_DIRECT && a->has_caller && a->caller.self.pid == 200 && strcmp(a->match, "path") == 0,
	      "the mount a call named: that call, by its path");
	CHECK(b && b->how == UMH_WHOW_TAKEN_ALONG && b->caller.self.pid == 200 && strcmp(b->along_with, "/mnt/a") == 0,
	      "the mount below it: taken along, the same call");
	CHECK(m && m->how == UMH_WHOW_MOVED && strcmp(m->moved_to, "/mnt/m2") == 0 && !m->has_caller,
	      "a mount id still there elsewhere, no call for it: moved");
	CHECK(calls.v[1].used && !calls.v[0].used, "the call used is marked, the other not");

	umh_wevent_compose(&ev[0]);
	for (size_t i = 0; i < n_gone; i++)
		umh_wevent_compose(&ev[i]);
	CHECK_STR(a ? a->sentence : NULL, "/mnt/a (tmpfs, mount id 30) unmounted by umount (pid 200, uid 0)",
		  "the sentence of a direct unmount");
	CHECK_STR(b ? b->sentence : NULL,
		  "/mnt/a/b (tmpfs from sub, mount id 31) went along when /mnt/a was unmounted by umount (pid 200, uid 0)",
		  "... of one taken along");
	CHECK_STR(m ? m->sentence : NULL, "/mnt/m (tmpfs from moved, mount id 33) moved to /mnt/m2", "... of a move");
	for (size_t i = 0; i < n_gone; i++)
		umh_wevent_clear(&ev[i]);
	free(gone);

	/* Propagation: a call in another namespace, by path; a failed call
	 * never counts; by time only when it is the only candidate. */
	struct umh_wmount g[1] = { { .id = 40, .parent_id = 22, .shared = 7 } };
	g[0].target = strdup("/mnt/p");
	calls.v[calls.n++] = call(300, "/mnt/p", other, 15);
	calls.v[calls.n] = call(301, "/mnt/p", ns, 16);
	calls.v[calls.n++].ret = -16; /* EBUSY */
	CHECK(umh_wmatch(&in, g, 1, ev) == 0 && ev[0].how == UMH_WHOW_PROPAGATED && ev[0].caller.self.pid == 300 &&
		      strcmp(ev[0].match, "path") == 0,
	      "a call of another namespace: propagated; the failed call here is not it");
	umh_wevent_clear(&ev[0]);

	struct umh_wmount r[1] = { { .id = 41, .parent_id = 22 } };
	r[0].target = strdup("/mnt/rel");
	calls.v[calls.n++] = call(400, "rel", ns, 17); /* a relative path not resolved */
	CHECK(umh_wmatch(&in, r, 1, ev) == 0 && ev[0].caller.self.pid == 400 && strcmp(ev[0].match, "time") == 0,
	      "a single call whose path is unknown: matched by time, and said so");
	umh_wevent_clear(&ev[0]);
	struct umh_wmount r2[1] = { { .id = 42, .parent_id = 22 } };
	r2[0].target = strdup("/mnt/rel2");
	calls.v[calls.n++] = call(401, "rel2", ns, 18);
	calls.v[calls.n++] = call(402, "rel3", ns, 19);
	CHECK(umh_wmatch(&in, r2, 1, ev) == 0 && !ev[0].has_caller && ev[0].how == UMH_WHOW_UNKNOWN &&
		      strcmp(ev[0].no_caller, "no umount call was seen for it") == 0,
	      "two such calls: no guess");
	umh_wevent_clear(&ev[0]);

	/* A call alone, no table change: short-lived. */
	struct umh_wcall q = call(500, "/mnt/q", ns, 1);
	struct umh_wmatch_in late = in;
	late.now_boot_ns = 1 + UMH_WMATCH_ORPHAN_NS;
	CHECK(umh_wmatch_orphan(&in, &q, &ev[0]) == 0, "a call alone is not reported at once");
	CHECK(umh_wmatch_orphan(&late, &q, &ev[0]) == 1 && ev[0].short_lived && q.used &&
		      strcmp(ev[0].mount.target, "/mnt/q") == 0,
	      "... but after a while, from the call");
	umh_wevent_clear(&ev[0]);
	umh_wcall_clear(&q);

	umh_wcalls_free(&calls);
	umh_wtable_free(&before);
	umh_wtable_free(&after);
}

int main(void)
{
	test_json_read();
	test_record_parse();
	test_diff_and_match();
	UNIT_EXIT();
}
