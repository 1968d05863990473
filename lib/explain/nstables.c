#include "explain/nstables.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/procfs.h"
#include "model/mounttab.h"

void umh_ns_tables_free(struct umh_ns_tables *t)
{
	for (size_t i = 0; i < t->n; i++)
		mnt_unref_table(t->v[i].tb);
	free(t->v);
	free(t->members);
	*t = (struct umh_ns_tables){ 0 };
}

void umh_ns_tables_note(const struct umh_ns_tables *t, struct umh_ns_set *set)
{
	for (size_t i = 0; i < t->n_members; i++) {
		struct umh_namespace *ns = umh_ns_set_find(set, t->members[i].ns);
		if (ns && !ns->ours)
			umh_ns_note_pid(ns, t->members[i].pid, NULL);
	}
}

int umh_read_mntns(int procfd, const char *pid, uint64_t *ns)
{
	char path[64], link[64];
	snprintf(path, sizeof(path), "%s/ns/mnt", pid);
	if (umh_readlink(procfd, path, link, sizeof(link)) < 0)
		return -errno;
	if (sscanf(link, "mnt:[%" SCNu64 "]", ns) != 1)
		return -EINVAL;
	return 0;
}

static int add(struct umh_ns_tables *out, uint64_t ns, int32_t pid, struct libmnt_table *tb)
{
	struct umh_ns_table *v = reallocarray(out->v, out->n + 1, sizeof(*v));
	if (!v) {
		mnt_unref_table(tb);
		return -ENOMEM;
	}
	out->v = v;
	v[out->n++] = (struct umh_ns_table){ .ns = ns, .pid = pid, .tb = tb };
	return 0;
}

int umh_ns_tables_load(struct umh_scan *s, struct umh_ns_tables *out)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n;
	int r = umh_list_pids(s->procfd, &pids, &n);
	if (r < 0)
		return r;
	if (!(out->members = calloc(n ? n : 1, sizeof(*out->members))))
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", pids[i]);
		uint64_t ns;
		if (umh_read_mntns(s->procfd, pid, &ns) < 0 || ns == s->mntns)
			continue; /* gone, or not ours to see: the process scan says so */
		out->members[out->n_members++] = (struct umh_ns_member){ .pid = pids[i], .ns = ns };
		bool read = false;
		for (size_t k = 0; k < out->n && !read; k++)
			read = out->v[k].ns == ns;
		if (read)
			continue;
		struct libmnt_table *tb;
		if (umh_mounttab_read(s->procfd, pid, &tb) < 0)
			continue;
		if ((r = add(out, ns, pids[i], tb)) < 0)
			return r;
	}
	mnt_ref_table(s->table);
	return add(out, s->mntns, 0, s->table);
}
