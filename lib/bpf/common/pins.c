#include "bpf/common/pins.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "base/cleanup.h"

/* FD is a directory on the BPF filesystem, root's, mode 0700. */
static int check_dir(int fd, const char *path, char *why, size_t size)
{
	struct statfs sfs;
	struct stat st;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0) {
		int r = -errno;
		snprintf(why, size, "%s: %s", path, strerror(-r));
		return r;
	}
	if (sfs.f_type != BPF_FS_MAGIC || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 07777) != 0700) {
		snprintf(why, size, "%s is not a directory of root's, mode 0700, on the BPF filesystem: not used", path);
		return -EPERM;
	}
	return 0;
}

static int open_dir(int at, const char *name, const char *path, char *why, size_t size)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		snprintf(why, size, "%s: %s", path, strerror(-r));
		return r;
	}
	int r = check_dir(fd, path, why, size);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* UMH_PINS_ROOT, opened before this process entered another mount
 * namespace (umh_pins_keep_root), or -1. */
static int kept_root = -1;

int umh_pins_keep_root(void)
{
	char why[256];
	int fd = open_dir(AT_FDCWD, UMH_PINS_ROOT, UMH_PINS_ROOT, why, sizeof(why));
	if (fd < 0)
		return fd;
	if (kept_root >= 0)
		close(kept_root);
	kept_root = fd;
	return 0;
}

int umh_pins_open(const char *name, char *why, size_t size)
{
	/* The kept one is checked again: its mode may have changed since. */
	_cleanup_close_ int root = kept_root >= 0 ? open_dir(kept_root, ".", UMH_PINS_ROOT, why, size)
						  : open_dir(AT_FDCWD, UMH_PINS_ROOT, UMH_PINS_ROOT, why, size);
	if (root < 0)
		return root;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", UMH_PINS_ROOT, name);
	return open_dir(root, name, path, why, size);
}

int umh_pins_get(int dir_fd, const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dir_fd, file);
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

bool umh_pins_map_is(int fd, uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t *id)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return false;
	*id = info.id;
	return info.type == type && info.key_size == key_size && info.value_size == value_size;
}

bool umh_pins_prog_uses(int fd, const uint32_t *ids, size_t n, uint32_t *id)
{
	/* Zeroed, though the kernel writes what is read: valgrind does not
	 * know it writes through info.map_ids (and no map has id 0). */
	uint32_t map_ids[32] = { 0 };
	struct bpf_prog_info info = { .nr_map_ids = ARRAY_SIZE(map_ids), .map_ids = (uint64_t)(uintptr_t)map_ids };
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.type != BPF_PROG_TYPE_TRACING ||
	    info.nr_map_ids > ARRAY_SIZE(map_ids))
		return false;
	*id = info.id;
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (uint32_t k = 0; k < info.nr_map_ids && !found; k++)
			found = map_ids[k] == ids[i];
		if (!found)
			return false;
	}
	return true;
}

bool umh_pins_link_runs(int fd, uint32_t prog_id)
{
	struct bpf_link_info info = { 0 };
	uint32_t len = sizeof(info);
	return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_LINK_TYPE_ITER &&
	       info.prog_id == prog_id;
}

int umh_pins_pin(int fd, const char *dir, const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return bpf_obj_pin(fd, path) < 0 ? -errno : 0;
}

/* Removes the pins in NAME (a directory of ROOT) and the directory. */
static int remove_dir(int root, const char *name)
{
	_cleanup_close_ int fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1; /* the DIR has it */
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return unlinkat(root, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* Sets of PREFIX but not NAME (an upgrade's, a watcher's that died while
 * pinning): removed. */
static void remove_others(int root, const char *name, const char *prefix)
{
	_cleanup_close_ int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return;
	fd = -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strcmp(e->d_name, name) != 0)
			remove_dir(root, e->d_name);
	closedir(d);
}

struct umh_pins {
	char name[NAME_MAX + 1];
	char dir[PATH_MAX];
	bool made; /* by this process: removed at its end */
};

int umh_pins_make(const char *name, const char *prefix, bool (*usable)(void *arg),
		  int (*fill)(const char *tmp_dir, void *arg, char *why, size_t size), void *arg,
		  struct umh_pins **out, char *why, size_t size)
{
	*out = NULL;
	_cleanup_free_ struct umh_pins *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->dir, sizeof(p->dir), "%s/%s", UMH_PINS_ROOT, name);
	struct statfs sfs;
	if (statfs("/sys/fs/bpf", &sfs) < 0 || sfs.f_type != BPF_FS_MAGIC) {
		snprintf(why, size, "no BPF filesystem at /sys/fs/bpf");
		return -ENOENT;
	}
	if (mkdir(UMH_PINS_ROOT, 0700) < 0 && errno != EEXIST) {
		int r = -errno;
		snprintf(why, size, "cannot create %s: %s", UMH_PINS_ROOT, strerror(-r));
		return r;
	}
	_cleanup_close_ int root = open_dir(AT_FDCWD, UMH_PINS_ROOT, UMH_PINS_ROOT, why, size);
	if (root < 0)
		return root;
	remove_others(root, name, prefix);
	if (usable(arg)) {
		*out = TAKE_PTR(p);
		return 0;
	}
	/* What is there is not usable (a watcher died while pinning): gone. */
	remove_dir(root, name);

	char tmp[64], tmp_path[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "pinning-%s%d", prefix, (int)getpid());
	snprintf(tmp_path, sizeof(tmp_path), "%s/%s", UMH_PINS_ROOT, tmp);
	if (mkdirat(root, tmp, 0700) < 0) {
		int r = -errno;
		snprintf(why, size, "cannot create %s: %s", tmp_path, strerror(-r));
		return r;
	}
	int r = fill(tmp_path, arg, why, size);
	/* Complete, or not there at all: a user never sees half of it. */
	if (r >= 0 && renameat(root, tmp, root, name) < 0) {
		r = -errno;
		snprintf(why, size, "cannot rename %s to %s: %s", tmp_path, p->dir, strerror(-r));
	}
	if (r < 0) {
		remove_dir(root, tmp);
		return r;
	}
	p->made = true;
	*out = TAKE_PTR(p);
	return 0;
}

const char *umh_pins_where(const struct umh_pins *p)
{
	return p->dir;
}

void umh_pins_release(struct umh_pins *p)
{
	if (!p)
		return;
	_cleanup_close_ int root = p->made ? open(UMH_PINS_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (root >= 0) {
		remove_dir(root, p->name);
		/* Another set, or the ledger's pins, may be beside it: then
		 * it stays. */
		rmdir(UMH_PINS_ROOT);
	}
	free(p);
}
