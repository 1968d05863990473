#include "explain/scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/debug.h"
#include "base/grow.h"
#include "model/mounttab.h"
#include "base/parse.h"

static int cmp_index(const void *a, const void *b)
{
	const struct umh_scan_index *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

int umh_scan_index(struct umh_scan *s)
{
	struct umh_scan_index *v = reallocarray(s->index, s->n_mounts ? s->n_mounts : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_mounts; i++)
		v[i] = (struct umh_scan_index){ .id = s->mounts[i].id, .i = i };
	qsort(v, s->n_mounts, sizeof(*v), cmp_index);
	s->index = v;
	s->n_index = s->n_mounts;
	return 0;
}

const struct umh_scan_mount *umh_scan_lookup(const struct umh_scan *s, uint64_t mnt_id)
{
	if (s->n_index && s->n_index == s->n_mounts) {
		struct umh_scan_index key = { .id = mnt_id };
		const struct umh_scan_index *e = bsearch(&key, s->index, s->n_index, sizeof(key), cmp_index);
		return e ? &s->mounts[e->i] : NULL;
	}
	/* A handful of mounts, mostly: a linear walk beats any index. */
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].id == mnt_id)
			return &s->mounts[i];
	return NULL;
}

bool umh_scan_has_dev(const struct umh_scan *s, unsigned int major, unsigned int minor)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].major == major && s->mounts[i].minor == minor)
			return true;
	return false;
}

int umh_scan_add_mount(struct umh_scan *s, const struct umh_mount *m)
{
	if (umh_scan_lookup(s, m->id))
		return 0;
	if (UMH_GROW(s->mounts, s->cap_mounts, s->n_mounts + 1, 8) < 0)
		return -ENOMEM;
	int r = umh_report_add_mount(s->report, m);
	if (r < 0)
		return r;
	s->mounts[s->n_mounts++] = (struct umh_scan_mount){
		.id = m->id, .major = m->major, .minor = m->minor, .role = m->role
	};
	return 0;
}

const struct umh_scan_mount *umh_scan_mount_for_path(const struct umh_scan *s, const char *path)
{
	struct libmnt_fs *fs = umh_mounttab_for_path(s->table, path);
	return fs ? umh_scan_lookup(s, (uint64_t)mnt_fs_get_id(fs)) : NULL;
}

void umh_scan_debug_time(const char *what, int64_t *t)
{
	umh_debug_time("explain", what, t);
}

bool umh_scan_out_of_time(struct umh_scan *s)
{
	if (atomic_load_explicit(&s->out_of_time, memory_order_relaxed))
		return true;
	if (s->deadline_ns && umh_now_ns() >= s->deadline_ns) {
		atomic_store(&s->out_of_time, true);
		return true;
	}
	return false;
}

struct uring_ctx {
	struct umh_scan *s;
	int32_t tid, fd;
	umh_holder_fn add;
	void *userdata;
};

static int uring_file(unsigned int index, const char *path, void *userdata)
{
	struct uring_ctx *u = userdata;
	const struct umh_scan_mount *m = umh_scan_mount_for_path(u->s, path);
	if (!m)
		return 0;
	char detail[48];
	snprintf(detail, sizeof(detail), "registered file %u", index);
	struct umh_holder h = {
		.kind = UMH_KIND_IO_URING,
		.mnt_id = m->id,
		.tid = u->tid,
		.fd = u->fd,
		.by_path = true,
		.path = (char *)path,
		.detail = detail,
	};
	return u->add(&h, u->userdata);
}

int umh_scan_uring_fdinfo(struct umh_scan *s, const char *fdinfo, int32_t tid, int32_t fd, umh_holder_fn add,
			  void *userdata)
{
	struct uring_ctx u = { .s = s, .tid = tid, .fd = fd, .add = add, .userdata = userdata };
	int r = umh_parse_uring_files(fdinfo, uring_file, &u);
	return r < 0 ? r : 0;
}
