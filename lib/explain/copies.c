/* The target's propagated copies: the mounts umount(2) takes along, in
 * this namespace and in others, which make it fail when they are busy.
 *
 * umount propagates through the target's parent's peers and slaves: a copy
 * is a mount of the same filesystem, on the same directory (the same
 * dentry), under a mount that receives from the parent's peer group.
 *
 * Where BPF can run, the kernel says which mounts the filesystem has, in
 * every namespace (bpf/fsview: the superblock's own list), with the peer
 * groups and the mount point of each: one walk, as long as the filesystem
 * has mounts.  Elsewhere every namespace's mountinfo is read and matched
 * as text, which costs every namespace times its mounts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "base/cleanup-mount.h"
#include "base/parse.h"
#include "bpf/fsview/fsview-load.h"
#include "explain/nstables.h"
#include "explain/scan.h"
#include "model/mounttab.h"


/* What the search needs of the target, copied: the report's array of
 * mounts moves when a copy is added to it. */
struct target {
	uint64_t id, parent_id;
	unsigned int major, minor;
	char *path, *root, *fstype, *source;
	uint64_t parent_group; /* the parent's peer group */
	struct libmnt_fs *parent;
};

static void target_free(struct target *t)
{
	free(t->path);
	free(t->root);
	free(t->fstype);
	free(t->source);
}

static int target_of(struct umh_scan *s, struct target *t)
{
	const struct umh_mount *m = umh_report_target(s->report);
	if (!m)
		return -EINVAL;
	*t = (struct target){ .id = m->id, .parent_id = m->parent_id, .major = m->major, .minor = m->minor };
	if ((m->target && !(t->path = strdup(m->target))) || (m->root && !(t->root = strdup(m->root))) ||
	    (m->fstype && !(t->fstype = strdup(m->fstype))) || (m->source && !(t->source = strdup(m->source))))
		return -ENOMEM;
	return 0;
}

/* --- from the kernel --------------------------------------------------------------- */

static bool receives_from(const struct umh_fsv_mount *h, uint64_t group)
{
	if (h->parent_group == group)
		return true;
	for (size_t i = 0; i < UMH_FSV_MASTERS; i++)
		if (h->parent_masters[i] == group)
			return true;
	return false;
}

static int copies_bpf(struct umh_scan *s, const struct target *t, char *why, size_t size)
{
	_cleanup_(umh_fsv_closep) struct umh_fsv *f = NULL;
	int r = umh_fsv_open(false, &f, why, size);
	if (r < 0)
		return r;
	_cleanup_(umh_fsv_found_free) struct umh_fsv_found found = { 0 };
	if ((r = umh_fsv_by_dev(f, t->major, t->minor, &found, why, size)) < 0)
		return r;
	const struct umh_fsv_mnt *self = NULL;
	for (size_t i = 0; i < found.n_mounts && !self; i++)
		if (found.mounts[i].h.mnt_id == t->id)
			self = &found.mounts[i];
	if (!self) {
		snprintf(why, size, "the mount walk did not find mount %llu among its filesystem's",
			 (unsigned long long)t->id);
		return -ENOENT;
	}
	if (found.result.status == UMH_FSV_TRUNCATED)
		umh_report_add_skip(s->report, 0, 0, "copies of the mount in other mount namespaces",
				    "its filesystem has more mounts than the walk goes through");

	/* The copies, and their namespaces' processes. */
	size_t n = 0;
	for (size_t i = 0; i < found.n_mounts; i++) {
		const struct umh_fsv_mount *h = &found.mounts[i].h;
		bool copy = h->kind == UMH_FSV_REC_MOUNT && h->ns_state == UMH_FSV_NS_ATTACHED && h->mnt_id != t->id &&
			    h->mountpoint == self->h.mountpoint && receives_from(h, t->parent_group);
		found.mounts[i].h.kind = copy ? UMH_FSV_REC_MOUNT : 0;
		if (copy && !umh_ns_set_get(&s->namespaces, h->ns_inum))
			return -ENOMEM;
		n += copy;
	}
	if (!n)
		return 0;
	if ((r = umh_fsv_tasks(f, s->mntns, false, &found, why, size)) < 0)
		return r;
	for (size_t i = 0; i < found.n_tasks; i++) {
		struct umh_namespace *ns = umh_ns_set_find(&s->namespaces, found.tasks[i].ns_inum);
		if (ns && !ns->ours)
			umh_ns_note_pid(ns, found.tasks[i].pid, found.tasks[i].comm);
	}
	for (size_t i = 0; i < found.n_mounts; i++) {
		const struct umh_fsv_mnt *c = &found.mounts[i];
		if (c->h.kind != UMH_FSV_REC_MOUNT)
			continue;
		const struct umh_namespace *ns = umh_ns_set_find(&s->namespaces, c->h.ns_inum);
		struct umh_mount m = {
			.id = c->h.mnt_id,
			.parent_id = c->h.parent_id,
			.major = t->major,
			.minor = t->minor,
			.shared = c->h.group,
			.master = c->h.master,
			.mntns = c->h.ns_inum == s->mntns ? 0 : c->h.ns_inum,
			.ns_pid = ns && ns->n_pids ? ns->pids[0] : 0,
			.role = UMH_ROLE_COPY,
			.target = c->path,
			.source = t->source,
			.fstype = t->fstype,
			.root = c->root,
		};
		if ((r = umh_scan_add_mount(s, &m)) < 0)
			return r;
	}
	return 0;
}

/* --- from every namespace's mountinfo ------------------------------------------------ */

static bool in_groups(const uint64_t *g, size_t n, uint64_t id)
{
	for (size_t i = 0; id && i < n; i++)
		if (g[i] == id)
			return true;
	return false;
}

/* The peer groups that receive propagation from GROUP: the group itself,
 * and, transitively, the shared groups of its slaves. */
static int propagation_groups(const struct umh_ns_tables *tabs, uint64_t group, uint64_t **ret, size_t *n)
{
	uint64_t *g = malloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	g[0] = group;
	*n = 1;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < tabs->n; i++) {
			struct libmnt_fs *fs;
			umh_foreach_fs(tabs->v[i].tb, fs) {
				uint64_t shared, master;
				umh_mount_peer_groups(fs, &shared, &master);
				if (!in_groups(g, *n, master) || !shared || in_groups(g, *n, shared))
					continue;
				uint64_t *ng = reallocarray(g, *n + 1, sizeof(*g));
				if (!ng) {
					free(g);
					return -ENOMEM;
				}
				g = ng;
				g[(*n)++] = shared;
				grew = true;
			}
		}
	}
	*ret = g;
	return 0;
}

/* PATH relative to BASE ("" when equal), or NULL when not below it. */
static const char *path_below(const char *path, const char *base)
{
	if (!umh_path_under(path, base))
		return NULL;
	return strcmp(base, "/") == 0 ? path : path + strlen(base);
}

static char *path_join(const char *base, const char *rest)
{
	char *p;
	if (asprintf(&p, "%s%s", strcmp(base, "/") == 0 && *rest ? "" : base, rest) < 0)
		return NULL;
	return p;
}

/* The target's copy under candidate parent C, if C's namespace has one:
 * a child of C, at the place that corresponds to the target's mount point,
 * showing the same directory of the same filesystem. */
static struct libmnt_fs *copy_under(struct libmnt_table *tb, struct libmnt_fs *c, const char *fs_path,
				    const struct target *t)
{
	const char *rest = path_below(fs_path, mnt_fs_get_root(c));
	if (!rest)
		return NULL;
	_cleanup_free_ char *where = path_join(mnt_fs_get_target(c), rest);
	if (!where)
		return NULL;

	struct libmnt_fs *fs;
	umh_foreach_fs(tb, fs) {
		dev_t dev = mnt_fs_get_devno(fs);
		if (mnt_fs_get_parent_id(fs) == mnt_fs_get_id(c) && mnt_fs_streq_target(fs, where) &&
		    major(dev) == t->major && minor(dev) == t->minor &&
		    strcmp(mnt_fs_get_root(fs) ?: "", t->root ?: "") == 0)
			return fs;
	}
	return NULL;
}

static int copies_text(struct umh_scan *s, const struct target *t)
{
	/* The target's mount point inside the parent's filesystem. */
	const char *rest = path_below(t->path, mnt_fs_get_target(t->parent));
	if (!rest)
		return 0;
	_cleanup_free_ char *fs_path = path_join(mnt_fs_get_root(t->parent), rest);
	if (!fs_path)
		return -ENOMEM;

	/* Our own namespace can hold copies too (a shared parent bind-mounted
	 * elsewhere in it): its table is among them. */
	_cleanup_(umh_ns_tables_free) struct umh_ns_tables tabs = { 0 };
	int r = umh_ns_tables_load(s, &tabs);
	if (r < 0)
		return r;
	_cleanup_free_ uint64_t *groups = NULL;
	size_t ngroups;
	if ((r = propagation_groups(&tabs, t->parent_group, &groups, &ngroups)) < 0)
		return r;

	for (size_t i = 0; i < tabs.n; i++) {
		struct libmnt_fs *c;
		umh_foreach_fs(tabs.v[i].tb, c) {
			uint64_t shared, master;
			umh_mount_peer_groups(c, &shared, &master);
			if (c == t->parent || !(in_groups(groups, ngroups, shared) || in_groups(groups, ngroups, master)))
				continue;
			struct libmnt_fs *copy = copy_under(tabs.v[i].tb, c, fs_path, t);
			if (!copy || (uint64_t)mnt_fs_get_id(copy) == t->id)
				continue;
			struct umh_mount m;
			umh_mount_from_fs(copy, UMH_ROLE_COPY, &m);
			bool ours = tabs.v[i].ns == s->mntns;
			m.mntns = ours ? 0 : tabs.v[i].ns;
			m.ns_pid = tabs.v[i].pid;
			if (!ours && !umh_ns_set_get(&s->namespaces, tabs.v[i].ns))
				return -ENOMEM;
			if ((r = umh_scan_add_mount(s, &m)) < 0)
				return r;
		}
	}
	umh_ns_tables_note(&tabs, &s->namespaces);
	return 0;
}

int umh_collect_copies(struct umh_scan *s, bool bpf, char *why, size_t size)
{
	_cleanup_(target_free) struct target t = { 0 };
	int r = target_of(s, &t);
	if (r < 0)
		return r;
	struct libmnt_fs *fs;
	t.parent = NULL;
	umh_foreach_fs(s->table, fs) {
		if ((uint64_t)mnt_fs_get_id(fs) == t.parent_id) {
			t.parent = fs;
			break;
		}
	}
	if (!t.parent || t.parent_id == t.id)
		return 0;
	uint64_t pmaster;
	umh_mount_peer_groups(t.parent, &t.parent_group, &pmaster);
	/* umount(2) propagates through the parent's peers and slaves; a
	 * private or slave-only parent has none. */
	if (!t.parent_group)
		return 0;
	if (bpf) {
		r = copies_bpf(s, &t, why, size);
		if (r == 0 || r == -ENOMEM)
			return r;
	}
	r = copies_text(s, &t);
	if (r < 0 && r != -ENOMEM)
		umh_report_add_skip(s->report, 0, -r, "copies of the mount in other mount namespaces",
				    "could not read the other namespaces' mount tables");
	return r == -ENOMEM ? r : 0;
}
