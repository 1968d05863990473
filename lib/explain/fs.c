#include "explain/fs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup-mount.h"
#include "bpf/fsview/fsview-load.h"
#include "explain/nstables.h"
#include "model/mounttab.h"


/* --- what SPEC names ---------------------------------------------------------------- */

static bool parse_majmin(const char *spec, unsigned int *maj, unsigned int *min)
{
	char *end;
	if (!isdigit((unsigned char)spec[0]))
		return false;
	unsigned long a = strtoul(spec, &end, 10);
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return false;
	unsigned long b = strtoul(end + 1, &end, 10);
	if (*end || a > 0xfff || b > 0xfffff)
		return false;
	*maj = (unsigned int)a;
	*min = (unsigned int)b;
	return true;
}

static bool is_tag(const char *spec)
{
	static const char *const tags[] = { "LABEL=", "UUID=", "PARTLABEL=", "PARTUUID=", "ID=" };
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
		if (strncmp(spec, tags[i], strlen(tags[i])) == 0)
			return true;
	return false;
}

/* How our own table names the filesystem of device MAJ:MIN, if it has a
 * mount of it. */
static void name_from_table(struct libmnt_table *tb, struct umh_fs_spec *out)
{
	struct libmnt_fs *fs;
	umh_foreach_fs(tb, fs) {
		dev_t dev = mnt_fs_get_devno(fs);
		if (major(dev) != out->major || minor(dev) != out->minor)
			continue;
		snprintf(out->source, sizeof(out->source), "%s", mnt_fs_get_source(fs) ?: "");
		snprintf(out->fstype, sizeof(out->fstype), "%s", mnt_fs_get_fstype(fs) ?: "");
		return;
	}
}

void umh_fs_spec_close(struct umh_fs_spec *spec)
{
	if (spec->dirfd >= 0)
		close(spec->dirfd);
	spec->dirfd = -1;
}

int umh_fs_identify(struct umh_scan *s, const char *spec, struct libmnt_fs *mounted, struct umh_fs_spec *out)
{
	*out = (struct umh_fs_spec){ .dirfd = -1 };
	if (mounted) {
		dev_t dev = mnt_fs_get_devno(mounted);
		out->have_dev = true;
		out->major = major(dev);
		out->minor = minor(dev);
		out->from_mnt_id = (uint64_t)mnt_fs_get_id(mounted);
		name_from_table(s->table, out);
		return 0;
	}
	if (parse_majmin(spec, &out->major, &out->minor)) {
		out->have_dev = true;
		name_from_table(s->table, out);
		return 0;
	}
	/* A tag is resolved by blkid (libmount's cache), as umount(8) does;
	 * device nodes and their symlinks under /dev are safe to stat. */
	const char *path = spec;
	_cleanup_(mnt_unref_cachep) struct libmnt_cache *cache = NULL;
	if (is_tag(spec)) {
		cache = mnt_new_cache();
		path = cache ? mnt_resolve_spec(spec, cache) : NULL;
		if (!path)
			return -ENOENT;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		out->have_dev = true;
		out->major = major(st.st_rdev);
		out->minor = minor(st.st_rdev);
		snprintf(out->device, sizeof(out->device), "%s", path);
		name_from_table(s->table, out);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		/* Not a mount point here (the table said so): it may be one
		 * elsewhere.  Opened O_PATH, which asks the filesystem nothing. */
		out->dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		return out->dirfd < 0 ? -errno : 0;
	}
	return -EINVAL;
}

/* --- common to both ways --------------------------------------------------------- */

static int set_fs(struct umh_scan *s, const char *spec, const struct umh_fs_spec *fs, bool alive, uint64_t on,
		  const char *fstype, bool partial)
{
	struct umh_fs f = {
		.view = true,
		.alive = alive,
		.elsewhere = on != 0,
		.on_mnt_id = on,
		.partial = partial,
		.major = s->fs_major,
		.minor = s->fs_minor,
		.from_mnt_id = fs->from_mnt_id,
		.spec = (char *)spec,
		.device = fs->device[0] ? (char *)fs->device : NULL,
		.fstype = fstype && *fstype ? (char *)fstype : fs->fstype[0] ? (char *)fs->fstype : NULL,
		.source = fs->source[0] ? (char *)fs->source : fs->device[0] ? (char *)fs->device : NULL,
	};
	return umh_report_set_fs(s->report, &f);
}

/* A holder "mount" for every mount of the filesystem in a namespace: each
 * keeps it alive until it is unmounted. */
static int add_mount_holders(struct umh_scan *s)
{
	struct umh_report *r = s->report;
	for (size_t i = 0; i < r->n_mounts; i++) {
		pthread_mutex_lock(&r->lock);
		const struct umh_mount *m = &r->mounts[i];
		struct umh_holder h = { .kind = UMH_KIND_FS_MOUNT, .mnt_id = m->id, .fd = -1 };
		bool in_ns = m->role == UMH_ROLE_FS;
		char *target = in_ns && m->target ? strdup(m->target) : NULL;
		char detail[96];
		if (m->mntns && m->mntns != s->mntns)
			snprintf(detail, sizeof(detail), "mount namespace mnt:[%llu]", (unsigned long long)m->mntns);
		else
			snprintf(detail, sizeof(detail), "this mount namespace");
		pthread_mutex_unlock(&r->lock);
		if (!in_ns)
			continue;
		if (!target)
			return -ENOMEM;
		h.object = target;
		h.detail = detail;
		int ret = umh_report_add_holder(r, &h);
		free(target);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* --- from the kernel ----------------------------------------------------------------- */

static enum umh_mount_role role_of(unsigned int ns_state)
{
	switch (ns_state) {
	case UMH_FSV_NS_ANON:
		return UMH_ROLE_FS_ANON;
	case UMH_FSV_NS_DETACHED:
		return UMH_ROLE_FS_DETACHED;
	case UMH_FSV_NS_INTERNAL:
		return UMH_ROLE_FS_INTERNAL;
	default:
		return UMH_ROLE_FS;
	}
}

static const struct umh_fsv_mnt *by_cookie(const struct umh_fsv_found *f, uint64_t cookie)
{
	for (size_t i = 0; i < f->n_mounts; i++)
		if (f->mounts[i].h.kind == UMH_FSV_REC_MOUNT && f->mounts[i].h.cookie == cookie)
			return &f->mounts[i];
	return NULL;
}

/* The namespaces of the records, with their processes and keepers. */
static int gather_namespaces(struct umh_scan *s, struct umh_fsv *f, struct umh_fsv_found *found, char *why,
			     size_t size)
{
	struct umh_ns_set *set = &s->namespaces;
	for (size_t i = 0; i < found->n_mounts; i++) {
		const struct umh_fsv_mount *h = &found->mounts[i].h;
		if (!h->ns_inum)
			continue;
		struct umh_namespace *ns = umh_ns_set_get(set, h->ns_inum);
		if (!ns)
			return -ENOMEM;
		if (h->ns_state == UMH_FSV_NS_ANON)
			ns->anonymous = true;
	}
	int r = umh_fsv_tasks(f, s->mntns, false, found, why, size);
	if (r < 0)
		return r;
	for (size_t i = 0; i < found->n_tasks; i++) {
		struct umh_namespace *ns = umh_ns_set_find(set, found->tasks[i].ns_inum);
		if (ns && !ns->ours)
			umh_ns_note_pid(ns, found->tasks[i].pid, found->tasks[i].comm);
	}
	/* A namespace with no process: an nsfs mount of it keeps it, or a
	 * descriptor on it. */
	for (size_t i = 0; i < found->n_mounts; i++) {
		const struct umh_fsv_mnt *k = &found->mounts[i];
		struct umh_namespace *ns = k->h.kind == UMH_FSV_REC_NSFS ? umh_ns_set_find(set, k->h.extra) : NULL;
		if (!ns || ns->n_pids || ns->kept_at)
			continue;
		if (!(ns->kept_at = strdup(k->path)))
			return -ENOMEM;
		ns->kept_ns = k->h.ns_inum;
		const struct umh_namespace *where = umh_ns_set_find(set, k->h.ns_inum);
		ns->kept_pid = where && where->n_pids ? where->pids[0] : 0;
	}
	bool orphans = false;
	for (size_t i = 0; i < set->n; i++)
		orphans |= !set->v[i].ours && !set->v[i].anonymous && !set->v[i].n_pids && !set->v[i].kept_at;
	if (!orphans)
		return 0;
	size_t before = found->n_tasks;
	if ((r = umh_fsv_tasks(f, 0, true, found, why, size)) < 0)
		return r;
	for (size_t i = before; i < found->n_tasks; i++) {
		const struct umh_fsv_task *t = &found->tasks[i];
		struct umh_namespace *ns = umh_ns_set_find(set, t->ns_inum);
		if (t->kind != UMH_FSV_REC_NSFD || !ns || ns->n_pids || ns->kept_at || ns->kept_pid)
			continue;
		ns->kept_pid = t->pid;
		ns->kept_fd = t->fd;
	}
	return 0;
}

static int add_overlay(struct umh_scan *s, const struct umh_fsv_found *found, const struct umh_fsv_mnt *o)
{
	struct umh_mount m = {
		.id = o->h.mnt_id,
		.parent_id = o->h.parent_id,
		.major = umh_fsv_kmajor(o->h.dev),
		.minor = umh_fsv_kminor(o->h.dev),
		.mntns = o->h.ns_inum,
		.role = UMH_ROLE_OVERLAY,
		.target = o->path,
		.source = "overlay",
		.fstype = "overlay",
		.root = o->root,
	};
	int r = umh_report_add_mount(s->report, &m);
	if (r < 0)
		return r;
	if (o->h.ns_state != UMH_FSV_NS_ATTACHED)
		return 0; /* an overlay unmounted lazily: its own holders keep it */
	const struct umh_fsv_mnt *layer = by_cookie(found, o->h.extra);
	/* The holder pins the layer's private mount (MNT_ID); the overlay's
	 * own mount, whose namespace the remedy needs, is named in DETAIL by
	 * its id (report/remedy.c finds it among the report's mounts). */
	char detail[160];
	if (o->h.extra2 == 0)
		snprintf(detail, sizeof(detail), "its upper layer, overlay mount id %u", o->h.mnt_id);
	else
		snprintf(detail, sizeof(detail), "its lower layer %u, overlay mount id %u", o->h.extra2, o->h.mnt_id);
	struct umh_holder h = {
		.kind = UMH_KIND_OVERLAY_LAYER,
		.mnt_id = layer ? layer->h.mnt_id : 0,
		.fd = -1,
		.path = layer ? layer->root : NULL,
		.object = o->path,
		.detail = detail,
	};
	return umh_report_add_holder(s->report, &h);
}

static int collect_bpf(struct umh_scan *s, const char *spec, const struct umh_fs_spec *fs, char *why, size_t size)
{
	_cleanup_(umh_fsv_closep) struct umh_fsv *f = NULL;
	int r = umh_fsv_open(true, &f, why, size);
	if (r < 0)
		return r;
	uint64_t elsewhere = 0;
	if (!fs->have_dev) {
		_cleanup_(umh_fsv_found_free) struct umh_fsv_found on = { 0 };
		if ((r = umh_fsv_mountpoint(f, fs->dirfd, &on, why, size)) < 0)
			return r;
		if (on.result.status == UMH_FSV_NOT_MOUNTED || !on.n_mounts)
			return -EINVAL;
		/* The first one mounted there: the one a lookup would meet
		 * first in its namespace (the bottom of a stack). */
		s->fs_major = umh_fsv_kmajor(on.mounts[0].h.dev);
		s->fs_minor = umh_fsv_kminor(on.mounts[0].h.dev);
		for (size_t i = 1; i < on.n_mounts; i++)
			if (on.mounts[i].h.dev != on.mounts[0].h.dev) {
				umh_report_add_skip(s->report, 0, 0, "other filesystems mounted on it",
						    "only the first is explained; explain its other mounts by device");
				break;
			}
		elsewhere = on.mounts[0].h.mnt_id;
	} else {
		s->fs_major = fs->major;
		s->fs_minor = fs->minor;
	}

	_cleanup_(umh_fsv_found_free) struct umh_fsv_found found = { 0 };
	if ((r = umh_fsv_by_dev(f, s->fs_major, s->fs_minor, &found, why, size)) < 0)
		return r;
	if (found.result.status == UMH_FSV_NO_SB)
		return set_fs(s, spec, fs, false, elsewhere, NULL, false);
	if (found.result.status == UMH_FSV_TRUNCATED)
		umh_report_add_skip(s->report, 0, 0, "mounts of the filesystem",
				    "it has more than the walk goes through: what is listed is not all");
	if ((r = gather_namespaces(s, f, &found, why, size)) < 0)
		return r;

	const char *source = fs->source[0] ? fs->source : fs->device[0] ? fs->device : found.result.fstype;
	for (size_t i = 0; i < found.n_mounts && r >= 0; i++) {
		const struct umh_fsv_mnt *c = &found.mounts[i];
		if (c->h.kind == UMH_FSV_REC_OVERLAY) {
			r = add_overlay(s, &found, c);
			continue;
		}
		if (c->h.kind != UMH_FSV_REC_MOUNT)
			continue;
		const struct umh_namespace *ns = umh_ns_set_find(&s->namespaces, c->h.ns_inum);
		enum umh_mount_role role = role_of(c->h.ns_state);
		struct umh_mount m = {
			.id = c->h.mnt_id,
			.parent_id = c->h.parent_id,
			.major = s->fs_major,
			.minor = s->fs_minor,
			.shared = c->h.group,
			.master = c->h.master,
			.mntns = c->h.ns_inum,
			.ns_pid = ns && ns->n_pids ? ns->pids[0] : 0,
			.role = role,
			.target = c->path,
			.source = (char *)source,
			.fstype = found.result.fstype,
			.root = c->root,
		};
		/* The kernel's own mounts have no process holders to look for. */
		r = role == UMH_ROLE_FS_INTERNAL ? umh_report_add_mount(s->report, &m) : umh_scan_add_mount(s, &m);
	}
	if (r < 0)
		return r;
	if ((r = set_fs(s, spec, fs, true, elsewhere, found.result.fstype, false)) < 0)
		return r;
	return add_mount_holders(s);
}

/* --- from every namespace's mountinfo ------------------------------------------------ */

static int collect_text(struct umh_scan *s, const char *spec, const struct umh_fs_spec *fs)
{
	_cleanup_(umh_ns_tables_free) struct umh_ns_tables tabs = { 0 };
	int r = umh_ns_tables_load(s, &tabs);
	if (r < 0)
		return r;
	uint64_t elsewhere = 0;
	if (fs->have_dev) {
		s->fs_major = fs->major;
		s->fs_minor = fs->minor;
	} else {
		/* The directory, by its path in each namespace (the text cannot
		 * say more than the path). */
		_cleanup_free_ char *path = umh_path_normalize(spec);
		struct libmnt_fs *on = NULL;
		for (size_t i = 0; path && i < tabs.n && !on; i++)
			if (tabs.v[i].ns != s->mntns)
				on = mnt_table_find_target(tabs.v[i].tb, path, MNT_ITER_FORWARD);
		if (!on)
			return -EINVAL;
		s->fs_major = major(mnt_fs_get_devno(on));
		s->fs_minor = minor(mnt_fs_get_devno(on));
		elsewhere = (uint64_t)mnt_fs_get_id(on);
	}
	const char *fstype = NULL;
	for (size_t i = 0; i < tabs.n; i++) {
		bool ours = tabs.v[i].ns == s->mntns;
		struct libmnt_fs *c;
		umh_foreach_fs(tabs.v[i].tb, c) {
			dev_t dev = mnt_fs_get_devno(c);
			if (major(dev) != s->fs_major || minor(dev) != s->fs_minor)
				continue;
			struct umh_mount m;
			umh_mount_from_fs(c, UMH_ROLE_FS, &m);
			m.mntns = tabs.v[i].ns;
			m.ns_pid = tabs.v[i].pid;
			fstype = fstype ? fstype : m.fstype;
			if (!ours && !umh_ns_set_get(&s->namespaces, tabs.v[i].ns))
				return -ENOMEM;
			if (ours && !umh_ns_set_get(&s->namespaces, s->mntns))
				return -ENOMEM;
			if ((r = umh_scan_add_mount(s, &m)) < 0)
				return r;
		}
	}
	umh_ns_tables_note(&tabs, &s->namespaces);
	umh_report_add_skip(s->report, 0, 0, "mounts no namespace shows",
			    "detached mounts (umount -l, open_tree, fsmount), overlays built on it and "
			    "namespaces kept by no process are seen only by the kernel-side walk (BPF)");
	if ((r = set_fs(s, spec, fs, s->n_mounts > 0, elsewhere, fstype, true)) < 0)
		return r;
	return add_mount_holders(s);
}

int umh_collect_fs(struct umh_scan *s, const char *spec, const struct umh_fs_spec *fs, bool bpf, char *why,
		   size_t size)
{
	s->fs_view = true;
	int r = -ECANCELED;
	if (bpf) {
		r = collect_bpf(s, spec, fs, why, size);
		if (r == 0 || r == -ENOMEM || r == -EINVAL)
			goto done;
		/* Nothing was added before a failure but the namespaces. */
		umh_ns_set_free(&s->namespaces);
	}
	r = collect_text(s, spec, fs);
done:
	if (r == 0)
		r = umh_scan_index(s);
	return r;
}
