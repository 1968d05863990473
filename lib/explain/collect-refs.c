/* The target's reference count around the BPF scan, then compared with
 * what every collector found (refs.h).  The count is read just before the
 * scan and just after it: references taken or dropped meanwhile would make
 * the comparison wrong, so a count that moved is reported as unknown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/debug.h"
#include "bpf/refcount/mntcount-load.h"
#include "explain/scan.h"

static void read_count(struct umh_refs *r, int64_t *into)
{
	uint32_t children;
	int64_t count;
	if (!r->counter || umh_mntcount_read(r->counter, (uint32_t)r->target, &count, &children, r->why,
					     sizeof(r->why)) < 0) {
		/* The first failure says why; the count stays unknown. */
		umh_mntcount_close(r->counter);
		r->counter = NULL;
		r->count_before = -1;
		return;
	}
	*into = count;
	r->children = children;
}

/* UMOUNT_HELPER_DEBUG=time: what reading the count costs. */
static void debug_time(const char *what, int64_t since)
{
	if (umh_debug("time"))
		fprintf(stderr, "umount-helper: debug: mount count: %s %.1f ms\n", what,
			(double)(umh_now_ns() - since) / 1e6);
}

void umh_refs_count_before(struct umh_scan *s)
{
	struct umh_refs *r = &s->refs;
	int64_t t = umh_now_ns();
	struct utsname u;
	r->children_pin = uname(&u) == 0 ? umh_refs_children_pin(u.release) : -1;
	char what[160] = "load and first read (no program)";
	if (umh_mntcount_open(&r->counter, r->why, sizeof(r->why)) == 0) {
		snprintf(what, sizeof(what), "load and first read (%s)", umh_mntcount_way(r->counter));
		read_count(r, &r->count_before);
	}
	debug_time(what, t);
}

void umh_refs_count_after(struct umh_scan *s)
{
	struct umh_refs *r = &s->refs;
	int64_t t = umh_now_ns();
	r->noted = s->bpf_scanned;
	if (r->counter)
		read_count(r, &r->count_after);
	umh_mntcount_close(r->counter);
	r->counter = NULL;
	debug_time("second read", t);
}

int umh_collect_refs(struct umh_scan *s)
{
	struct umh_refcount c;
	pthread_mutex_lock(&s->report->lock);
	s->unexplained_refs = umh_refs_tally(&s->refs, s->report, &c);
	pthread_mutex_unlock(&s->report->lock);
	return umh_report_set_refs(s->report, &c);
}
