#include "explain/refs.h"

#include <linux/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "bpf/scan/iter.h"
#include "bpf/refcount/mntcount-load.h"

void umh_refs_init(struct umh_refs *r, uint64_t target)
{
	*r = (struct umh_refs){ .target = target, .count_before = -1, .count_after = -1, .children_pin = -1 };
}

void umh_refs_free(struct umh_refs *r)
{
	umh_mntcount_close(r->counter);
	r->counter = NULL;
	free(r->objs);
	r->objs = NULL;
	r->n_objs = r->cap_objs = 0;
}

int umh_refs_children_pin(const char *release)
{
	unsigned int major = 0, minor = 0;
	if (sscanf(release, "%u.%u", &major, &minor) != 2)
		return -1;
	return major < 6 || (major == 6 && minor < 17);
}

int umh_refs_note(struct umh_refs *r, uint64_t mnt_id, enum umh_ref_what what, uint64_t cookie)
{
	if (mnt_id != r->target)
		return 0;
	if (UMH_GROW(r->objs, r->cap_objs, r->n_objs + 1, 32) < 0)
		return -ENOMEM;
	r->objs[r->n_objs++] = (struct umh_ref_obj){ .cookie = cookie, .what = what };
	return 0;
}

int umh_refs_note_iter(struct umh_refs *r, const struct umh_iter_rec *rec)
{
	switch (rec->kind) {
	case UMH_REC_FD:
	case UMH_REC_THREAD_FD:
	case UMH_REC_EXE:
	case UMH_REC_MMAP:
		return umh_refs_note(r, rec->mnt_id, UMH_REF_FILE, rec->obj);
	case UMH_REC_CWD:
	case UMH_REC_THREAD_CWD:
		return umh_refs_note(r, rec->mnt_id, UMH_REF_PWD, rec->obj);
	case UMH_REC_ROOT:
	case UMH_REC_THREAD_ROOT:
		return umh_refs_note(r, rec->mnt_id, UMH_REF_ROOT, rec->obj);
	default:
		return 0; /* io_uring descriptors, sockets: on other mounts */
	}
}

static int cmp_obj(const void *a, const void *b)
{
	const struct umh_ref_obj *x = a, *y = b;
	if (x->what != y->what)
		return x->what < y->what ? -1 : 1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* Distinct (what, cookie) pairs: a file shared by fds of several processes
 * is one reference; an fs_struct's cwd and root are one each. */
static int64_t distinct_objects(const struct umh_refs *r)
{
	if (!r->n_objs)
		return 0;
	struct umh_ref_obj *v = malloc(r->n_objs * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, r->objs, r->n_objs * sizeof(*v));
	qsort(v, r->n_objs, sizeof(*v), cmp_obj);
	int64_t n = 1;
	for (size_t i = 1; i < r->n_objs; i++)
		n += cmp_obj(&v[i - 1], &v[i]) != 0;
	free(v);
	return n;
}

/* A loop device's backing file, or a file registered with an io_uring, is
 * the very struct file a process handed over (LOOP_CONFIGURE and
 * IORING_REGISTER_FILES take a descriptor).  One struct file has one path,
 * so a holder with another path is another file; one with the same path
 * may be the same file, and nothing here tells which. */
static const struct umh_holder *same_path(const struct umh_report *rep, const struct umh_holder *h)
{
	for (size_t i = 0; i < rep->n_holders; i++) {
		const struct umh_holder *o = &rep->holders[i];
		if (o == h || o->mnt_id != h->mnt_id || !o->path || !h->path || strcmp(o->path, h->path) != 0)
			continue;
		enum umh_kind_refs refs = umh_kind_info(o->kind)->refs;
		if (refs == UMH_KREFS_FILE || refs == UMH_KREFS_HANDED_FILE)
			return o;
	}
	return NULL;
}

static int64_t unknown(struct umh_refcount *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* OUT->why points to a buffer of this thread, valid until its next call:
 * umh_report_set_refs() copies it. */
static int64_t unknown(struct umh_refcount *out, const char *fmt, ...)
{
	static __thread char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	out->why = why;
	out->count = -1; /* one number without the other would invite a guess */
	return -1;
}

int64_t umh_refs_tally(const struct umh_refs *r, const struct umh_report *rep, struct umh_refcount *out)
{
	*out = (struct umh_refcount){ .count = -1, .mounted = 1 };
	if (r->count_before < 0)
		return unknown(out, "%s", r->why[0] ? r->why : "it was not read");
	if (!r->noted)
		return unknown(out, "the holders were found through /proc, which does not tell which descriptors "
				    "share one open file");
	if (r->incomplete)
		return unknown(out, "%s", r->incomplete);
	if (r->count_after != r->count_before)
		return unknown(out, "it changed while the scan ran (%lld, then %lld)", (long long)r->count_before,
			       (long long)r->count_after);
	out->count = r->count_before;

	int64_t explained = distinct_objects(r);
	if (explained < 0)
		return unknown(out, "%s", strerror((int)-explained));
	if (r->children && r->children_pin < 0)
		return unknown(out, "whether its %u child mounts hold references to it depends on the kernel's "
				    "release, which could not be read", r->children);
	explained += r->children_pin > 0 ? r->children : 0;
	for (size_t i = 0; i < rep->n_holders; i++) {
		const struct umh_holder *h = &rep->holders[i];
		if (h->mnt_id != r->target)
			continue;
		const struct umh_kind_info *kind = umh_kind_info(h->kind);
		const struct umh_holder *twin;
		switch (kind->refs) {
		case UMH_KREFS_HANDED_FILE:
			if ((twin = same_path(rep, h)))
				return unknown(out, "%s %s and %s %s are the same path, and may be one open file",
					       umh_kind_name(h->kind), h->object ? h->object : h->path,
					       umh_kind_name(twin->kind), twin->object ? twin->object : twin->path);
			explained++;
			break;
		case UMH_KREFS_ONE:
			explained++;
			break;
		case UMH_KREFS_UNCOUNTABLE:
			return unknown(out, "%s", kind->refs_why);
		case UMH_KREFS_FILE:
		case UMH_KREFS_FS:
		case UMH_KREFS_CHILD_MOUNT:
		case UMH_KREFS_NONE:
			/* Counted by cookie above (processes, files in
			 * flight), or by the kernel's own list (child
			 * mounts); a copy in another namespace is another
			 * mount. */
			break;
		}
	}
	out->explained = explained;
	int64_t left = out->count - out->mounted - explained;
	if (left < 0)
		return unknown(out, "the kernel counts %lld, fewer than the %lld references found: it changed as it "
				    "was read, or something found holds none",
			       (long long)r->count_before, (long long)(explained + out->mounted));
	return left;
}
