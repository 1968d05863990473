#include "explain/refs.h"

#include <linux/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

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

int umh_refs_note(struct umh_refs *r, uint64_t mnt_id, enum umh_ref_what what, uint64_t cookie, uint64_t dentry)
{
	if (UMH_GROW(r->objs, r->cap_objs, r->n_objs + 1, 32) < 0)
		return -ENOMEM;
	r->objs[r->n_objs++] = (struct umh_ref_obj){ .cookie = cookie, .dentry = dentry, .mnt_id = mnt_id, .what = what };
	return 0;
}

int umh_refs_note_iter(struct umh_refs *r, const struct umh_iter_rec *rec)
{
	switch (rec->kind) {
	case UMH_REC_FD:
	case UMH_REC_THREAD_FD:
	case UMH_REC_EXE:
	case UMH_REC_MMAP:
		return umh_refs_note(r, rec->mnt_id, UMH_REF_FILE, rec->obj, rec->dentry);
	case UMH_REC_CWD:
	case UMH_REC_THREAD_CWD:
		return umh_refs_note(r, rec->mnt_id, UMH_REF_PWD, rec->obj, rec->dentry);
	case UMH_REC_ROOT:
	case UMH_REC_THREAD_ROOT:
		return umh_refs_note(r, rec->mnt_id, UMH_REF_ROOT, rec->obj, rec->dentry);
	case UMH_REC_UPROBE:
		/* A tracefs uprobe holds its path itself, whoever uses it. */
		if (rec->sub & UMH_UPROBE_TRACEFS)
			return 0;
		return umh_refs_note(r, rec->mnt_id, UMH_REF_PATH, rec->obj, rec->dentry);
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

/* The objects noted, sorted, one of each (what, cookie): a file shared by
 * fds of several processes is one reference; an fs_struct's cwd and root
 * are one each.  Returns their number, or -ENOMEM. */
static ssize_t distinct(const struct umh_refs *r, struct umh_ref_obj **out)
{
	*out = NULL;
	if (!r->n_objs)
		return 0;
	struct umh_ref_obj *v = malloc(r->n_objs * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, r->objs, r->n_objs * sizeof(*v));
	qsort(v, r->n_objs, sizeof(*v), cmp_obj);
	size_t n = 1;
	for (size_t i = 1; i < r->n_objs; i++)
		if (cmp_obj(&v[n - 1], &v[i]) != 0)
			v[n++] = v[i];
	*out = v;
	return (ssize_t)n;
}

/* The references to the target the objects noted hold. */
static int64_t distinct_objects(const struct umh_refs *r)
{
	struct umh_ref_obj *v;
	ssize_t n = distinct(r, &v);
	if (n < 0)
		return n;
	int64_t on_target = 0;
	for (ssize_t i = 0; i < n; i++)
		on_target += v[i].mnt_id == r->target;
	free(v);
	return on_target;
}

static int cmp_dentry(const void *a, const void *b)
{
	const struct umh_dentry_refs *x = a, *y = b;
	return x->dentry < y->dentry ? -1 : x->dentry > y->dentry;
}

int umh_refs_dentries(const struct umh_refs *r, struct umh_dentry_refs **out)
{
	*out = NULL;
	struct umh_ref_obj *v;
	ssize_t n = distinct(r, &v);
	if (n <= 0)
		return (int)n;
	struct umh_dentry_refs *d = malloc((size_t)n * sizeof(*d));
	if (!d) {
		free(v);
		return -ENOMEM;
	}
	size_t m = 0;
	for (ssize_t i = 0; i < n; i++)
		if (v[i].dentry)
			d[m++] = (struct umh_dentry_refs){ .dentry = v[i].dentry, .refs = 1 };
	free(v);
	qsort(d, m, sizeof(*d), cmp_dentry);
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		if (k && d[k - 1].dentry == d[i].dentry)
			d[k - 1].refs++;
		else
			d[k++] = d[i];
	}
	*out = d;
	return (int)k;
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
