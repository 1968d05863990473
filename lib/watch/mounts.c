#include "watch/mounts.h"

#include <errno.h>
#include <libmount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup-mount.h"
#include "base/str.h"
#include "model/mounttab.h"

void umh_wmount_clear(struct umh_wmount *m)
{
	free(m->target);
	free(m->source);
	free(m->fstype);
	*m = (struct umh_wmount){ 0 };
}

static int dup_str(char **dst, const char *s)
{
	*dst = NULL;
	if (s && !(*dst = strdup(s)))
		return -ENOMEM;
	return 0;
}

int umh_wmount_copy(struct umh_wmount *dst, const struct umh_wmount *src)
{
	*dst = *src;
	dst->target = dst->source = dst->fstype = NULL;
	if (dup_str(&dst->target, src->target) < 0 || dup_str(&dst->source, src->source) < 0 ||
	    dup_str(&dst->fstype, src->fstype) < 0) {
		umh_wmount_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

void umh_wtable_free(struct umh_wtable *t)
{
	for (size_t i = 0; i < t->n; i++)
		umh_wmount_clear(&t->v[i]);
	free(t->v);
	*t = (struct umh_wtable){ 0 };
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct umh_wmount *)a)->id, y = ((const struct umh_wmount *)b)->id;
	return (x > y) - (x < y);
}

static int from_table(struct libmnt_table *tb, struct umh_wtable *ret)
{
	size_t n = (size_t)mnt_table_get_nents(tb);
	if (n > UMH_WATCH_MAX_MOUNTS)
		return -E2BIG;
	struct umh_wtable t = { .v = calloc(n ? n : 1, sizeof(*t.v)) };
	if (!t.v)
		return -ENOMEM;
	_cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	while (it && t.n < n && mnt_table_next_fs(tb, it, &fs) == 0) {
		struct umh_wmount *m = &t.v[t.n++];
		m->id = (uint64_t)mnt_fs_get_id(fs);
		m->parent_id = (uint64_t)mnt_fs_get_parent_id(fs);
		umh_mount_peer_groups(fs, &m->shared, &m->master);
		if (dup_str(&m->target, mnt_fs_get_target(fs)) < 0 || dup_str(&m->source, mnt_fs_get_source(fs)) < 0 ||
		    dup_str(&m->fstype, mnt_fs_get_fstype(fs)) < 0) {
			umh_wtable_free(&t);
			return -ENOMEM;
		}
	}
	if (!it) {
		umh_wtable_free(&t);
		return -ENOMEM;
	}
	qsort(t.v, t.n, sizeof(*t.v), cmp_id);
	*ret = t;
	return 0;
}

static int parse_stream(FILE *f, struct umh_wtable *ret)
{
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
	if (!tb)
		return -ENOMEM;
	int r = mnt_table_parse_stream(tb, f, "mountinfo");
	if (r < 0)
		return r;
	return from_table(tb, ret);
}

int umh_wtable_parse(const char *text, size_t len, struct umh_wtable *ret)
{
	*ret = (struct umh_wtable){ 0 };
	if (len == 0)
		return 0;
	_cleanup_fclose_ FILE *f = fmemopen((void *)text, len, "r");
	if (!f)
		return -errno;
	return parse_stream(f, ret);
}

int umh_wtable_read(int fd, struct umh_wtable *ret)
{
	*ret = (struct umh_wtable){ 0 };
	/* A second descriptor for stdio: the same open file (its poll state
	 * is the watcher's), read from the start. */
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	_cleanup_close_ int copy = dup(fd);
	if (copy < 0)
		return -errno;
	_cleanup_fclose_ FILE *f = fdopen(copy, "re");
	if (!f)
		return -errno;
	TAKE_FD(copy);
	return parse_stream(f, ret);
}

const struct umh_wmount *umh_wtable_find(const struct umh_wtable *t, uint64_t id)
{
	struct umh_wmount key = { .id = id };
	return t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), cmp_id) : NULL;
}

static bool same_mount(const struct umh_wmount *a, const struct umh_wmount *b)
{
	return a->id == b->id && a->parent_id == b->parent_id && umh_streq_null(a->target, b->target) &&
	       umh_streq_null(a->source, b->source) && umh_streq_null(a->fstype, b->fstype);
}

int umh_wtable_diff(struct umh_wtable *old, struct umh_wtable *new, int64_t now_us, struct umh_wmount **gone,
		    size_t *n_gone, size_t *n_added)
{
	*gone = NULL;
	*n_gone = *n_added = 0;
	struct umh_wmount *g = calloc(old->n ? old->n : 1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	size_t ng = 0, added = 0;
	for (size_t i = 0; i < new->n; i++) {
		const struct umh_wmount *o = umh_wtable_find(old, new->v[i].id);
		if (o && same_mount(o, &new->v[i])) {
			new->v[i].seen_us = o->seen_us;
		} else {
			new->v[i].seen_us = now_us;
			added++;
		}
	}
	for (size_t i = 0; i < old->n; i++) {
		const struct umh_wmount *n = umh_wtable_find(new, old->v[i].id);
		if (n && same_mount(n, &old->v[i]))
			continue;
		g[ng++] = old->v[i];                 /* moved: the strings go along */
		old->v[i] = (struct umh_wmount){ .id = old->v[i].id };
	}
	*gone = g;
	*n_gone = ng;
	*n_added = added;
	return 0;
}
