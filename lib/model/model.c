#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/str.h"

void umh_report_init(struct umh_report *r)
{
	*r = (struct umh_report){ .unexplained_refs = -1, .refs = { .count = -1 } };
	pthread_mutex_init(&r->lock, NULL);
}

void umh_mount_clear(struct umh_mount *m)
{
	free(m->target);
	free(m->source);
	free(m->fstype);
	free(m->root);
	free(m->options);
}

void umh_process_clear(struct umh_process *p)
{
	free(p->user);
	free(p->comm);
	free(p->cmdline);
}

void umh_holder_clear(struct umh_holder *h)
{
	free(h->path);
	free(h->object);
	free(h->detail);
}

void umh_skip_clear(struct umh_skip *s)
{
	free(s->what);
	free(s->why);
}

void umh_namespace_clear(struct umh_namespace *ns)
{
	free(ns->comm);
	free(ns->cmdline);
	free(ns->cgroup);
	free(ns->unit);
	free(ns->unit_settings);
	free(ns->container);
	free(ns->kept_at);
	free(ns->kept_comm);
}

void umh_fs_clear(struct umh_fs *fs)
{
	free(fs->spec);
	free(fs->device);
	free(fs->fstype);
	free(fs->source);
}

void umh_report_free(struct umh_report *r)
{
	for (size_t i = 0; i < r->n_namespaces; i++)
		umh_namespace_clear(&r->namespaces[i]);
	free(r->namespaces);
	umh_fs_clear(&r->fs);
	for (size_t i = 0; i < r->n_mounts; i++)
		umh_mount_clear(&r->mounts[i]);
	for (size_t i = 0; i < r->n_processes; i++)
		umh_process_clear(&r->processes[i]);
	for (size_t i = 0; i < r->n_holders; i++)
		umh_holder_clear(&r->holders[i]);
	for (size_t i = 0; i < r->n_skips; i++)
		umh_skip_clear(&r->skips[i]);
	free(r->mounts);
	free(r->processes);
	free(r->holders);
	free(r->skips);
	free(r->method);
	free(r->error);
	free(r->incomplete);
	free(r->refs.why);
	pthread_mutex_destroy(&r->lock);
}

/* strdup that keeps NULL and reports failure through *failed. */
static char *dup_or_null(const char *s, bool *failed)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

static void copy_mount(void *e, bool *failed)
{
	struct umh_mount *m = e;
	m->target = dup_or_null(m->target, failed);
	m->source = dup_or_null(m->source, failed);
	m->fstype = dup_or_null(m->fstype, failed);
	m->root = dup_or_null(m->root, failed);
	m->options = dup_or_null(m->options, failed);
}

static void copy_process(void *e, bool *failed)
{
	struct umh_process *p = e;
	p->user = dup_or_null(p->user, failed);
	p->comm = dup_or_null(p->comm, failed);
	p->cmdline = dup_or_null(p->cmdline, failed);
}

static void copy_holder(void *e, bool *failed)
{
	struct umh_holder *h = e;
	h->path = dup_or_null(h->path, failed);
	h->object = dup_or_null(h->object, failed);
	h->detail = dup_or_null(h->detail, failed);
}

static void copy_skip(void *e, bool *failed)
{
	struct umh_skip *s = e;
	s->what = dup_or_null(s->what, failed);
	s->why = dup_or_null(s->why, failed);
}

static void copy_namespace(void *e, bool *failed)
{
	struct umh_namespace *ns = e;
	ns->comm = dup_or_null(ns->comm, failed);
	ns->cmdline = dup_or_null(ns->cmdline, failed);
	ns->cgroup = dup_or_null(ns->cgroup, failed);
	ns->unit = dup_or_null(ns->unit, failed);
	ns->unit_settings = dup_or_null(ns->unit_settings, failed);
	ns->container = dup_or_null(ns->container, failed);
	ns->kept_at = dup_or_null(ns->kept_at, failed);
	ns->kept_comm = dup_or_null(ns->kept_comm, failed);
}

static void clear_mount(void *e) { umh_mount_clear(e); }
static void clear_namespace(void *e) { umh_namespace_clear(e); }
static void clear_process(void *e) { umh_process_clear(e); }
static void clear_holder(void *e) { umh_holder_clear(e); }
static void clear_skip(void *e) { umh_skip_clear(e); }

/* Appends a deep copy of ITEM to the array *ARRAY of *N elements (room
 * for *CAP) of SIZE bytes, then streams it, both under the lock so that the
 * sink sees items in the order they were stored. */
static int append(struct umh_report *r, enum umh_item type, void **array, size_t *n, size_t *cap, size_t size,
		  const void *item, void (*copy)(void *, bool *), void (*clear)(void *))
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if ((ret = umh_grow(array, cap, *n + 1, size, 8)) < 0)
		goto out;
	void *e = (char *)*array + *n * size;
	memcpy(e, item, size);
	bool failed = false;
	copy(e, &failed);
	if (failed) {
		clear(e);
		ret = -ENOMEM;
		goto out;
	}
	(*n)++;
	if (r->sink)
		r->sink(r, type, e, r->sink_data);
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int umh_report_add_mount(struct umh_report *r, const struct umh_mount *m)
{
	return append(r, UMH_ITEM_MOUNT, (void **)&r->mounts, &r->n_mounts, &r->cap_mounts, sizeof(*m), m,
		      copy_mount, clear_mount);
}

int umh_report_add_process(struct umh_report *r, const struct umh_process *p)
{
	return append(r, UMH_ITEM_PROCESS, (void **)&r->processes, &r->n_processes, &r->cap_processes, sizeof(*p),
		      p, copy_process, clear_process);
}

int umh_report_add_holder(struct umh_report *r, const struct umh_holder *h)
{
	return append(r, UMH_ITEM_HOLDER, (void **)&r->holders, &r->n_holders, &r->cap_holders, sizeof(*h), h,
		      copy_holder, clear_holder);
}

int umh_report_add_skip(struct umh_report *r, int32_t pid, int err, const char *what, const char *why)
{
	struct umh_skip s = { .pid = pid, .err = err, .what = (char *)what, .why = (char *)why };
	return append(r, UMH_ITEM_SKIP, (void **)&r->skips, &r->n_skips, &r->cap_skips, sizeof(s), &s,
		      copy_skip, clear_skip);
}

int umh_report_add_namespace(struct umh_report *r, const struct umh_namespace *ns)
{
	if (ns->n_pids > UMH_NS_PIDS)
		return -EINVAL;
	return append(r, UMH_ITEM_NAMESPACE, (void **)&r->namespaces, &r->n_namespaces, &r->cap_namespaces, sizeof(*ns), ns,
		      copy_namespace, clear_namespace);
}

int umh_report_set_fs(struct umh_report *r, const struct umh_fs *fs)
{
	bool failed = false;
	struct umh_fs c = *fs;
	c.spec = dup_or_null(fs->spec, &failed);
	c.device = dup_or_null(fs->device, &failed);
	c.fstype = dup_or_null(fs->fstype, &failed);
	c.source = dup_or_null(fs->source, &failed);
	if (failed) {
		umh_fs_clear(&c);
		return -ENOMEM;
	}
	pthread_mutex_lock(&r->lock);
	umh_fs_clear(&r->fs);
	r->fs = c;
	if (r->sink)
		r->sink(r, UMH_ITEM_FS, &r->fs, r->sink_data);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

const struct umh_namespace *umh_report_namespace(const struct umh_report *r, uint64_t inum)
{
	for (size_t i = 0; inum && i < r->n_namespaces; i++)
		if (r->namespaces[i].inum == inum)
			return &r->namespaces[i];
	return NULL;
}

bool umh_role_is_fs(enum umh_mount_role role)
{
	switch (role) {
	case UMH_ROLE_FS:
	case UMH_ROLE_FS_DETACHED:
	case UMH_ROLE_FS_ANON:
	case UMH_ROLE_FS_INTERNAL:
		return true;
	default:
		return false;
	}
}

int umh_report_set_summary(struct umh_report *r, const struct umh_report *s)
{
	bool failed = false;
	char *method = dup_or_null(s->method, &failed);
	char *error = dup_or_null(s->error, &failed);
	char *incomplete = dup_or_null(s->incomplete, &failed);
	if (failed) {
		free(method);
		free(error);
		free(incomplete);
		return -ENOMEM;
	}

	pthread_mutex_lock(&r->lock);
	free(r->method);
	free(r->error);
	free(r->incomplete);
	r->method = method;
	r->error = error;
	r->incomplete = incomplete;
	r->error_code = s->error_code;
	r->finished = s->finished;
	r->known_busy = r->known_busy || s->known_busy;
	r->unexplained_refs = s->unexplained_refs;
	r->processes_scanned = s->processes_scanned;
	r->fds_scanned = s->fds_scanned;
	r->elapsed_us = s->elapsed_us;
	if (r->sink)
		r->sink(r, UMH_ITEM_SUMMARY, r, r->sink_data);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int umh_report_set_refs(struct umh_report *r, const struct umh_refcount *refs)
{
	bool failed = false;
	char *why = dup_or_null(refs->why, &failed);
	if (failed)
		return -ENOMEM;
	pthread_mutex_lock(&r->lock);
	free(r->refs.why);
	r->refs = *refs;
	r->refs.why = why;
	if (r->sink)
		r->sink(r, UMH_ITEM_REFS, &r->refs, r->sink_data);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

const struct umh_mount *umh_report_target(const struct umh_report *r)
{
	return r->n_mounts > 0 && r->mounts[0].role == UMH_ROLE_TARGET ? &r->mounts[0] : NULL;
}

const struct umh_mount *umh_report_mount(const struct umh_report *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_mounts; i++)
		if (r->mounts[i].id == id)
			return &r->mounts[i];
	return NULL;
}

static int cmp_int(int64_t a, int64_t b) { return (a > b) - (a < b); }

static int cmp_process(const void *x, const void *y)
{
	const struct umh_process *a = x, *b = y;
	return cmp_int(a->pid, b->pid);
}

static int cmp_holder(const void *x, const void *y)
{
	const struct umh_holder *a = x, *b = y;
	int c;
	if ((c = cmp_int(a->pid, b->pid)) || (c = cmp_int(a->tid, b->tid)) || (c = cmp_int(a->kind, b->kind)) ||
	    (c = cmp_int(a->fd, b->fd)) || (c = cmp_int((int64_t)a->mnt_id, (int64_t)b->mnt_id)) ||
	    (c = umh_strcmp_null(a->object, b->object)))
		return c;
	return umh_strcmp_null(a->path, b->path);
}

void umh_report_sort(struct umh_report *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->n_processes)
		qsort(r->processes, r->n_processes, sizeof(*r->processes), cmp_process);
	if (r->n_holders)
		qsort(r->holders, r->n_holders, sizeof(*r->holders), cmp_holder);
	r->sorted = true;
	pthread_mutex_unlock(&r->lock);
}

const struct umh_process *umh_report_process(const struct umh_report *r, int32_t pid)
{
	if (r->sorted) {
		struct umh_process key = { .pid = pid };
		return r->n_processes ? bsearch(&key, r->processes, r->n_processes, sizeof(key), cmp_process) : NULL;
	}
	for (size_t i = 0; i < r->n_processes; i++)
		if (r->processes[i].pid == pid)
			return &r->processes[i];
	return NULL;
}

bool umh_holder_blocks(const struct umh_report *r, const struct umh_holder *h)
{
	if (!umh_kind_info(h->kind)->blocks)
		return false;
	const struct umh_mount *m = umh_report_mount(r, h->mnt_id);
	/* A holder of a mount the report does not know cannot be judged:
	 * count it, rather than hide it. */
	return !m || m->role != UMH_ROLE_SAME_FS;
}

size_t umh_report_count_blocking(const struct umh_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_holders; i++)
		n += umh_holder_blocks(r, &r->holders[i]);
	return n;
}

bool umh_report_is_held(const struct umh_report *r)
{
	return umh_report_count_blocking(r) > 0 || r->known_busy || r->unexplained_refs > 0;
}

bool umh_report_is_free(const struct umh_report *r)
{
	return !umh_report_is_held(r) && r->finished && !r->incomplete && r->unexplained_refs == 0;
}
