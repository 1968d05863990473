/* Holders inside the kernel that /proc and /sys name by path: loop devices'
 * backing files, swap files, binfmt_misc interpreters opened with the F
 * flag, and nfsd exports.  None of them is in any process's file table,
 * which is why fuser and lsof never see them. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "model/mounttab.h"
#include "base/parse.h"
#include "base/procfs.h"
#include "explain/scan.h"

#define DELETED_SUFFIX " (deleted)"

static bool cut_deleted(char *path)
{
	size_t len = strlen(path), slen = STRLEN(DELETED_SUFFIX);
	if (len > slen && strcmp(path + len - slen, DELETED_SUFFIX) == 0) {
		path[len - slen] = '\0';
		return true;
	}
	return false;
}

/* --- loop devices ------------------------------------------------------------ */

/* What else uses /dev/loopN: a mount of it, or swap on it.  These must go
 * before the device can be detached. */
static char *loop_users(struct umh_scan *s, const char *name, unsigned int maj, unsigned int min, bool autoclear)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	if (autoclear)
		fputs("autoclear", f);

	struct libmnt_fs *fs;
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	while (it && mnt_table_next_fs(s->table, it, &fs) == 0) {
		dev_t dev = mnt_fs_get_devno(fs);
		if (major(dev) == maj && minor(dev) == min)
			fprintf(f, "%smounted at %s", ftell(f) ? ", " : "", mnt_fs_get_target(fs));
	}
	mnt_free_iter(it);

	char swaps[8192], dev_path[64];
	snprintf(dev_path, sizeof(dev_path), "/dev/%s", name);
	if (umh_read_small(s->procfd, "swaps", swaps, sizeof(swaps)) > 0) {
		for (char *line = swaps, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			struct umh_swap_entry e;
			if (umh_parse_swaps_line(line, &e) == 0 && strcmp(e.filename, dev_path) == 0)
				fprintf(f, "%sused as swap", ftell(f) ? ", " : "");
		}
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int loop_device(struct umh_scan *s, int sysblock, const char *name)
{
	char attr[PATH_MAX], path[PATH_MAX + 1];
	snprintf(attr, sizeof(attr), "%s/loop/backing_file", name);
	if (umh_read_small(sysblock, attr, path, sizeof(path)) <= 0)
		return 0; /* not bound to a file */
	path[strcspn(path, "\n")] = '\0';
	bool deleted = cut_deleted(path);

	/* The path is what d_path() says now; the driver also knows the
	 * backing file's device and inode, which cannot lie.  Reading them
	 * needs the device open (root). */
	char dev_path[64];
	snprintf(dev_path, sizeof(dev_path), "/dev/%s", name);
	struct loop_info64 info = { 0 };
	bool have_dev = false;
	int fd = open(dev_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		have_dev = ioctl(fd, LOOP_GET_STATUS64, &info) == 0;
		close(fd);
	}

	const struct umh_scan_mount *m = umh_scan_mount_for_path(s, path);
	bool by_path = !have_dev;
	/* A filesystem explained as a whole: the device says it is on it,
	 * through whichever of its mounts (0: the filesystem's own). */
	static const struct umh_scan_mount whole = { 0 };
	if (s->fs_view && have_dev) {
		bool on_it = major(info.lo_device) == s->fs_major && minor(info.lo_device) == s->fs_minor;
		m = !on_it ? NULL : m && m->major == s->fs_major && m->minor == s->fs_minor ? m : &whole;
	} else if (have_dev) {
		unsigned int maj = major(info.lo_device), min = minor(info.lo_device);
		if (!m || m->major != maj || m->minor != min) {
			/* The path points elsewhere (renamed, or a mount point
			 * since covered): trust the device, if only one
			 * scanned mount has it. */
			m = NULL;
			for (size_t i = 0; i < s->n_mounts; i++) {
				if (s->mounts[i].major != maj || s->mounts[i].minor != min)
					continue;
				if (m) {
					umh_report_add_skip(s->report, 0, 0, dev_path,
							    "its backing file is on this filesystem, but which "
							    "of its mounts it was opened through is unknown");
					return 0;
				}
				m = &s->mounts[i];
			}
		}
	}
	if (!m)
		return 0;

	unsigned int lmaj = 0, lmin = 0;
	char devno[32];
	snprintf(attr, sizeof(attr), "%s/dev", name);
	if (umh_read_small(sysblock, attr, devno, sizeof(devno)) > 0)
		sscanf(devno, "%u:%u", &lmaj, &lmin);
	_cleanup_free_ char *detail = loop_users(s, name, lmaj, lmin, have_dev && (info.lo_flags & LO_FLAGS_AUTOCLEAR));
	if (!detail)
		return -ENOMEM;

	struct umh_holder h = {
		.kind = UMH_KIND_LOOP,
		.mnt_id = m->id,
		.fd = -1,
		.deleted = deleted,
		.by_path = by_path,
		.path = path,
		.object = dev_path,
		.detail = *detail ? detail : NULL,
	};
	return umh_report_add_holder(s->report, &h);
}

int umh_collect_loop(struct umh_scan *s)
{
	_cleanup_close_ int sysblock = open("/sys/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sysblock < 0)
		return umh_report_add_skip(s->report, 0, errno, "loop devices", "/sys/block cannot be read");
	_cleanup_closedir_ DIR *d = fdopendir(dup(sysblock));
	if (!d)
		return -errno;
	struct dirent *e;
	int more;
	while ((more = umh_readdir(d, &e)) > 0) {
		if (strncmp(e->d_name, "loop", 4) != 0)
			continue;
		int r = loop_device(s, sysblock, e->d_name);
		if (r < 0)
			return r;
	}
	return more;
}

/* --- swap ---------------------------------------------------------------------- */

int umh_collect_swap(struct umh_scan *s)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	ssize_t len = umh_read_all(s->procfd, "swaps", &buf, &size);
	if (len < 0)
		return umh_report_add_skip(s->report, 0, (int)-len, "swap files", "/proc/swaps cannot be read");

	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct umh_swap_entry e;
		if (umh_parse_swaps_line(line, &e) < 0 || strcmp(e.type, "file") != 0)
			continue;
		char *path = (char *)e.filename;
		bool deleted = cut_deleted(path);
		const struct umh_scan_mount *m = umh_scan_mount_for_path(s, path);
		if (!m)
			continue;
		struct umh_holder h = {
			.kind = UMH_KIND_SWAP,
			.mnt_id = m->id,
			.fd = -1,
			.deleted = deleted,
			.by_path = true,
			.path = path,
		};
		int r = umh_report_add_holder(s->report, &h);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- filesystems read through a private, detached mount --------------------------- */

/* Opens the root of FSTYPE's instance: where it is mounted in the target's
 * namespace, or else through a detached mount (fsopen/fsmount, root only)
 * that is attached nowhere, so no mount table changes and nothing is
 * automounted on the user's behalf. */
int umh_open_fs_root(struct umh_scan *s, const char *fstype, const char *where)
{
	struct libmnt_fs *fs = mnt_table_find_target(s->table, where, MNT_ITER_BACKWARD);
	if (fs && strcmp(mnt_fs_get_fstype(fs) ?: "", fstype) == 0) {
		int fd = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return fd >= 0 ? fd : -errno;
	}
	_cleanup_close_ int fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	_cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID);
	if (mfd < 0)
		return -errno;
	/* fsmount() gives a path-only descriptor: open the root for reading.
	 * The detached mount lives as long as a descriptor refers to it. */
	int fd = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

static bool kernel_has_fs(struct umh_scan *s, const char *fstype)
{
	char buf[4096], needle[64];
	snprintf(needle, sizeof(needle), "\t%s\n", fstype);
	return umh_read_small(s->procfd, "filesystems", buf, sizeof(buf)) > 0 && strstr(buf, needle);
}

int umh_collect_binfmt(struct umh_scan *s)
{
	if (!kernel_has_fs(s, "binfmt_misc"))
		return 0;
	int root = umh_open_fs_root(s, "binfmt_misc", "/proc/sys/fs/binfmt_misc");
	if (root < 0)
		return umh_report_add_skip(s->report, 0, -root, "binfmt_misc interpreters",
					   "binfmt_misc is not mounted, and reading it needs root");
	_cleanup_closedir_ DIR *d = fdopendir(root);
	if (!d) {
		close(root);
		return -errno;
	}
	struct dirent *e;
	int more;
	while ((more = umh_readdir(d, &e)) > 0) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "register") == 0 || strcmp(e->d_name, "status") == 0)
			continue;
		char buf[4096];
		struct umh_binfmt_entry b;
		if (umh_read_small(dirfd(d), e->d_name, buf, sizeof(buf)) <= 0 || umh_parse_binfmt_entry(buf, &b) < 0 ||
		    !b.open_binary)
			continue;
		/* The kernel opened the interpreter when the entry was
		 * registered and keeps the name as it was written then. */
		const struct umh_scan_mount *m = umh_scan_mount_for_path(s, b.interpreter);
		if (!m)
			continue;
		struct umh_holder h = {
			.kind = UMH_KIND_BINFMT,
			.mnt_id = m->id,
			.fd = -1,
			.by_path = true,
			.path = (char *)b.interpreter,
			.object = e->d_name,
			.detail = b.enabled ? "enabled" : "disabled",
		};
		int r = umh_report_add_holder(s->report, &h);
		if (r < 0)
			return r;
	}
	return more;
}

static int exports_from(struct umh_scan *s, char *buf)
{
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct umh_export_entry e;
		if (umh_parse_exports_line(line, &e) < 0)
			continue;
		const struct umh_scan_mount *m = umh_scan_mount_for_path(s, e.path);
		if (!m)
			continue;
		struct umh_holder h = {
			.kind = UMH_KIND_NFSD_EXPORT,
			.mnt_id = m->id,
			.fd = -1,
			.by_path = true,
			.path = (char *)e.path,
			.object = (char *)e.client,
			.detail = (char *)e.options,
		};
		int r = umh_report_add_holder(s->report, &h);
		if (r < 0)
			return r;
	}
	return 0;
}

int umh_collect_nfsd(struct umh_scan *s)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;

	/* The kernel's export cache is what pins mounts; sunrpc shows it in
	 * /proc without any mount. */
	if (umh_read_all(s->procfd, "net/rpc/nfsd.export/content", &buf, &size) >= 0)
		return exports_from(s, buf);
	if (!kernel_has_fs(s, "nfsd"))
		return 0;
	_cleanup_close_ int root = umh_open_fs_root(s, "nfsd", "/proc/fs/nfsd");
	if (root < 0)
		return umh_report_add_skip(s->report, 0, -root, "nfsd exports", "the nfsd filesystem cannot be read");
	ssize_t len = umh_read_all(root, "exports", &buf, &size);
	if (len < 0)
		return umh_report_add_skip(s->report, 0, (int)-len, "nfsd exports", "the export table cannot be read");
	return exports_from(s, buf);
}
