/* Holders that are mounts: child mounts; and other mounts of the target's
 * filesystem in its namespace, which the scan watches besides the target
 * but which do not block (the copies umount(2) propagates to, which do, are
 * copies.c's). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup-mount.h"
#include "model/mounttab.h"
#include "base/parse.h"
#include "base/procfs.h"
#include "explain/scan.h"

#define foreach_fs(tb, fs)                                                                   \
	for (_cleanup_(mnt_free_iterp) struct libmnt_iter *_it = mnt_new_iter(MNT_ITER_FORWARD); \
	     _it && mnt_table_next_fs(tb, _it, &(fs)) == 0;)

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
	/* Copied: the report's array of mounts moves as mounts are added. */
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

int umh_collect_same_fs_mounts(struct umh_scan *s)
{
	return add_same_fs_mounts(s);
}
