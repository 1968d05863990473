/* Holders that are mounts: child mounts, and the mounts the scan must watch
 * besides the target — the copies umount(2) propagates to (in this or other
 * mount namespaces), which make it fail when they are busy, and other mounts
 * of the same filesystem, which do not. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "model/mounttab.h"
#include "base/parse.h"
#include "base/procfs.h"
#include "explain/scan.h"

static inline void mnt_free_iterp(struct libmnt_iter **i) { mnt_free_iter(*i); }

#define foreach_fs(tb, fs)                                                                   \
	for (_cleanup_(mnt_free_iterp) struct libmnt_iter *_it = mnt_new_iter(MNT_ITER_FORWARD); \
	     _it && mnt_table_next_fs(tb, _it, &(fs)) == 0;)

static struct libmnt_fs *find_by_id(struct libmnt_table *tb, uint64_t id)
{
	struct libmnt_fs *fs;
	foreach_fs(tb, fs) {
		if ((uint64_t)mnt_fs_get_id(fs) == id)
			return fs;
	}
	return NULL;
}

int umh_collect_child_mounts(struct umh_scan *s)
{
	const struct umh_mount *t = umh_report_target(s->report);
	struct libmnt_fs *fs;

	foreach_fs(s->table, fs) {
		if ((uint64_t)mnt_fs_get_parent_id(fs) != t->id || (uint64_t)mnt_fs_get_id(fs) == t->id)
			continue;
		_cleanup_free_ char *detail = NULL;
		if (asprintf(&detail, "mount id %d, %s from %s", mnt_fs_get_id(fs), mnt_fs_get_fstype(fs) ?: "?",
			     mnt_fs_get_source(fs) ?: "none") < 0)
			return -ENOMEM;
		struct umh_holder h = {
			.kind = UMH_KIND_CHILD_MOUNT,
			.mnt_id = t->id,
			.fd = -1,
			.object = (char *)mnt_fs_get_target(fs),
			.detail = detail,
		};
		int r = umh_report_add_holder(s->report, &h);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Other mounts of the target's filesystem in its namespace: holders of these
 * are listed, as not blocking, because fuser -m and lsof would name them. */
static int add_same_fs_mounts(struct umh_scan *s)
{
	/* Copied: adding mounts to the report may move its array. */
	const struct umh_mount *t = umh_report_target(s->report);
	const uint64_t id = t->id;
	const unsigned int maj = t->major, min = t->minor;
	struct libmnt_fs *fs;

	foreach_fs(s->table, fs) {
		dev_t dev = mnt_fs_get_devno(fs);
		if ((uint64_t)mnt_fs_get_id(fs) == id || major(dev) != maj || minor(dev) != min)
			continue;
		struct umh_mount m;
		umh_mount_from_fs(fs, UMH_ROLE_SAME_FS, &m);
		int r = umh_scan_add_mount(s, &m);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- propagated copies ------------------------------------------------------ */

struct ns_table {
	uint64_t ns;
	int32_t pid;
	struct libmnt_table *tb;
};

struct ns_tables {
	struct ns_table *v;
	size_t n;
};

static void ns_tables_free(struct ns_tables *t)
{
	for (size_t i = 0; i < t->n; i++)
		mnt_unref_table(t->v[i].tb);
	free(t->v);
}

int umh_read_mntns(int procfd, const char *pid, uint64_t *ns)
{
	char path[64], link[64];
	snprintf(path, sizeof(path), "%s/ns/mnt", pid);
	ssize_t n = readlinkat(procfd, path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	if (sscanf(link, "mnt:[%" SCNu64 "]", ns) != 1)
		return -EINVAL;
	return 0;
}

/* One table per mount namespace that some visible process is in. */
static int load_ns_tables(struct umh_scan *s, struct ns_tables *out)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n;
	int r = umh_list_pids(s->procfd, &pids, &n);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n; i++) {
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", pids[i]);
		uint64_t ns;
		if (umh_read_mntns(s->procfd, pid, &ns) < 0 || ns == s->mntns)
			continue; /* gone, or not ours to see: the process scan says so */
		bool known = false;
		for (size_t k = 0; k < out->n && !known; k++)
			known = out->v[k].ns == ns;
		if (known)
			continue;
		struct libmnt_table *tb;
		if (umh_mounttab_read(s->procfd, pid, &tb) < 0)
			continue;
		struct ns_table *v = reallocarray(out->v, out->n + 1, sizeof(*v));
		if (!v) {
			mnt_unref_table(tb);
			return -ENOMEM;
		}
		out->v = v;
		v[out->n++] = (struct ns_table){ .ns = ns, .pid = pids[i], .tb = tb };
	}
	return 0;
}

static bool in_groups(const uint64_t *g, size_t n, uint64_t id)
{
	for (size_t i = 0; id && i < n; i++)
		if (g[i] == id)
			return true;
	return false;
}

/* The peer groups that receive propagation from GROUP: the group itself,
 * and, transitively, the shared groups of its slaves. */
static int propagation_groups(struct ns_table *tabs, size_t ntabs, uint64_t group, uint64_t **ret, size_t *n)
{
	uint64_t *g = malloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	g[0] = group;
	*n = 1;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < ntabs; i++) {
			struct libmnt_fs *fs;
			foreach_fs(tabs[i].tb, fs) {
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
				    const struct umh_mount *t)
{
	const char *rest = path_below(fs_path, mnt_fs_get_root(c));
	if (!rest)
		return NULL;
	_cleanup_free_ char *where = path_join(mnt_fs_get_target(c), rest);
	if (!where)
		return NULL;

	struct libmnt_fs *fs;
	foreach_fs(tb, fs) {
		dev_t dev = mnt_fs_get_devno(fs);
		if (mnt_fs_get_parent_id(fs) == mnt_fs_get_id(c) && mnt_fs_streq_target(fs, where) &&
		    major(dev) == t->major && minor(dev) == t->minor &&
		    strcmp(mnt_fs_get_root(fs) ?: "", t->root ?: "") == 0)
			return fs;
	}
	return NULL;
}

static int add_copies(struct umh_scan *s)
{
	const struct umh_mount *t = umh_report_target(s->report);
	struct libmnt_fs *parent = find_by_id(s->table, t->parent_id);
	if (!parent || t->parent_id == t->id)
		return 0;
	uint64_t pshared, pmaster;
	umh_mount_peer_groups(parent, &pshared, &pmaster);
	/* umount(2) propagates through the parent's peers and slaves; a
	 * private or slave-only parent has none. */
	if (!pshared)
		return 0;

	/* The target's mount point inside the parent's filesystem. */
	const char *rest = path_below(t->target, mnt_fs_get_target(parent));
	if (!rest)
		return 0;
	_cleanup_free_ char *fs_path = path_join(mnt_fs_get_root(parent), rest);
	if (!fs_path)
		return -ENOMEM;

	_cleanup_(ns_tables_free) struct ns_tables tabs = { 0 };
	int r = load_ns_tables(s, &tabs);
	if (r < 0)
		return r;
	/* Our own namespace can hold copies too (a shared parent bind-mounted
	 * elsewhere in it). */
	struct ns_table *v = reallocarray(tabs.v, tabs.n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	tabs.v = v;
	v[tabs.n++] = (struct ns_table){ .ns = s->mntns, .pid = 0, .tb = s->table };
	mnt_ref_table(s->table);

	_cleanup_free_ uint64_t *groups = NULL;
	size_t ngroups;
	r = propagation_groups(tabs.v, tabs.n, pshared, &groups, &ngroups);
	if (r < 0)
		return r;

	for (size_t i = 0; i < tabs.n; i++) {
		struct libmnt_fs *c;
		foreach_fs(tabs.v[i].tb, c) {
			uint64_t shared, master;
			umh_mount_peer_groups(c, &shared, &master);
			if (c == parent || !(in_groups(groups, ngroups, shared) || in_groups(groups, ngroups, master)))
				continue;
			struct libmnt_fs *copy = copy_under(tabs.v[i].tb, c, fs_path, t);
			if (!copy || (uint64_t)mnt_fs_get_id(copy) == t->id)
				continue;
			struct umh_mount m;
			umh_mount_from_fs(copy, UMH_ROLE_COPY, &m);
			m.mntns = tabs.v[i].ns;
			m.ns_pid = tabs.v[i].pid;
			r = umh_scan_add_mount(s, &m);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int umh_collect_related_mounts(struct umh_scan *s)
{
	int r = add_same_fs_mounts(s);
	if (r < 0)
		return r;
	r = add_copies(s);
	if (r < 0)
		umh_report_add_skip(s->report, 0, -r, "copies of the mount in other mount namespaces",
				    "could not read the other namespaces' mount tables");
	return 0;
}
