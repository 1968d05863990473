#include "model/mounttab.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup-mount.h"
#include "base/parse.h"

int umh_mounttab_read(int procfd, const char *pid, struct libmnt_table **ret)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/mountinfo", pid ? pid : "self");

	/* Through PROCFD, not "/proc/...": after setns(2) into another mount
	 * namespace there may be no /proc mounted at all. */
	_cleanup_close_ int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_fclose_ FILE *f = fdopen(fd, "re");
	if (!f)
		return -errno;
	TAKE_FD(fd);

	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
	if (!tb)
		return -ENOMEM;
	int r = mnt_table_parse_stream(tb, f, path);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(tb);
	return 0;
}

void umh_mount_peer_groups(struct libmnt_fs *fs, uint64_t *shared, uint64_t *master)
{
	*shared = *master = 0;
	const char *opt = mnt_fs_get_optional_fields(fs);
	for (const char *p = opt; p && *p;) {
		p += strspn(p, " ");
		if (strncmp(p, "shared:", 7) == 0)
			*shared = strtoull(p + 7, NULL, 10);
		else if (strncmp(p, "master:", 7) == 0)
			*master = strtoull(p + 7, NULL, 10);
		p += strcspn(p, " ");
	}
}

void umh_mount_from_fs(struct libmnt_fs *fs, enum umh_mount_role role, struct umh_mount *m)
{
	dev_t dev = mnt_fs_get_devno(fs);
	*m = (struct umh_mount){
		.id = (uint64_t)mnt_fs_get_id(fs),
		.parent_id = (uint64_t)mnt_fs_get_parent_id(fs),
		.major = major(dev),
		.minor = minor(dev),
		.role = role,
		.target = (char *)mnt_fs_get_target(fs),
		.source = (char *)mnt_fs_get_source(fs),
		.fstype = (char *)mnt_fs_get_fstype(fs),
		.root = (char *)mnt_fs_get_root(fs),
		.options = (char *)mnt_fs_get_vfs_options(fs),
	};
	umh_mount_peer_groups(fs, &m->shared, &m->master);
}

char *umh_path_normalize(const char *path)
{
	char *buf;
	if (path[0] == '/') {
		buf = strdup(path);
	} else {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd || asprintf(&buf, "%s/%s", cwd, path) < 0)
			return NULL;
	}
	if (!buf)
		return NULL;

	/* Rewrite component by component; "." disappears, ".." gives up. */
	char *w = buf;
	for (char *r = buf; *r;) {
		while (*r == '/')
			r++;
		size_t len = strcspn(r, "/");
		if (len == 0)
			break;
		if (len == 1 && r[0] == '.') {
			r += len;
			continue;
		}
		if (len == 2 && r[0] == '.' && r[1] == '.') {
			free(buf);
			return NULL;
		}
		*w++ = '/';
		memmove(w, r, len);
		w += len;
		r += len;
	}
	if (w == buf)
		*w++ = '/';
	*w = '\0';
	return buf;
}

struct libmnt_fs *umh_mounttab_top(struct libmnt_table *tb, struct libmnt_fs *fs)
{
	/* Stacked mounts share a mount point; each one's parent is the one
	 * below it.  Climb while some mount at the same point sits on top, at
	 * most once per entry: a table with a cycle must not loop forever. */
	const char *target = mnt_fs_get_target(fs);
	int steps = mnt_table_get_nents(tb);
	for (bool climbed = true; climbed && steps-- > 0;) {
		climbed = false;
		_cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
		struct libmnt_fs *o;
		while (it && mnt_table_next_fs(tb, it, &o) == 0) {
			if (mnt_fs_get_parent_id(o) == mnt_fs_get_id(fs) && o != fs &&
			    mnt_fs_streq_target(o, target)) {
				fs = o;
				climbed = true;
				break;
			}
		}
	}
	return fs;
}

static struct libmnt_fs *find_by_target(struct libmnt_table *tb, const char *path)
{
	struct libmnt_fs *fs = mnt_table_find_target(tb, path, MNT_ITER_BACKWARD);
	return fs ? umh_mounttab_top(tb, fs) : NULL;
}

struct libmnt_fs *umh_mounttab_for_path(struct libmnt_table *tb, const char *path)
{
	struct libmnt_fs *best = NULL, *fs;
	size_t best_len = 0;
	_cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);

	while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);
		size_t len = t ? strlen(t) : 0;
		if (t && umh_path_under(path, t) && (!best || len > best_len)) {
			best = fs;
			best_len = len;
		}
	}
	return best ? umh_mounttab_top(tb, best) : NULL;
}

static bool looks_like_tag(const char *spec)
{
	static const char *const tags[] = { "LABEL=", "UUID=", "PARTLABEL=", "PARTUUID=", "ID=" };
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
		if (strncmp(spec, tags[i], strlen(tags[i])) == 0)
			return true;
	return false;
}

/* A source as umount(8) accepts it: a tag or a /dev path is resolved
 * (blkid and symlinks under /dev are safe to look at); anything else, such
 * as server:/export, is compared as written. */
static struct libmnt_fs *find_by_source(struct libmnt_table *tb, const char *spec)
{
	struct libmnt_fs *fs = mnt_table_find_source(tb, spec, MNT_ITER_BACKWARD);
	if (fs)
		return fs;
	if (!looks_like_tag(spec) && strncmp(spec, "/dev/", 5) != 0)
		return NULL;

	_cleanup_(mnt_unref_cachep) struct libmnt_cache *cache = mnt_new_cache();
	if (!cache)
		return NULL;
	/* The cache owns what it resolves: used here, freed with the cache. */
	const char *dev = mnt_resolve_spec(spec, cache);
	return dev ? mnt_table_find_source(tb, dev, MNT_ITER_BACKWARD) : NULL;
}

int umh_mounttab_find(struct libmnt_table *tb, const char *spec, struct libmnt_fs **ret)
{
	if (!spec || !*spec)
		return -EINVAL;

	/* 1. As written, then lexically normalised: no lookup at all. */
	struct libmnt_fs *fs = find_by_target(tb, spec);
	_cleanup_free_ char *norm = NULL;
	if (!fs && !looks_like_tag(spec)) {
		norm = umh_path_normalize(spec);
		if (norm)
			fs = find_by_target(tb, norm);
	}
	/* 2. As a source. */
	if (!fs)
		fs = find_by_source(tb, spec);
	/* 3. Symlinks: resolve the directory it is in, then the whole path.
	 * Only now can a lookup touch a filesystem, and SPEC is not one of the
	 * mount points the table lists. */
	if (!fs && !looks_like_tag(spec)) {
		_cleanup_free_ char *copy = strdup(spec);
		if (!copy)
			return -ENOMEM;
		char *base = basename(copy);
		_cleanup_free_ char *dir_copy = strdup(spec);
		if (!dir_copy)
			return -ENOMEM;
		_cleanup_free_ char *dir = realpath(dirname(dir_copy), NULL);
		_cleanup_free_ char *joined = NULL;
		if (dir && asprintf(&joined, "%s/%s", strcmp(dir, "/") ? dir : "", base) >= 0)
			fs = find_by_target(tb, joined);
		if (!fs) {
			_cleanup_free_ char *real = realpath(spec, NULL);
			if (real)
				fs = find_by_target(tb, real);
			else if (errno == ENOENT)
				return -ENOENT;
		}
	}
	if (!fs)
		return -EINVAL;
	*ret = fs;
	return 0;
}
