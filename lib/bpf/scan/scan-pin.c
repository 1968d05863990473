/* Pinning the scan's programs (the watcher) and using them (a scan).
 *
 * In UMH_SCAN_PIN_ROOT/scan-BUILDID: the three programs (prog_*), an
 * iterator link on each (link_*), and the maps a scan touches from user
 * space: its globals (map_bss, mapped), the read-only data that says which
 * build and which anon_inode mount it was loaded for (map_rodata), the
 * mounts to look for, the in-flight tables and the bound sockets found
 * (map_mounts, map_scm_socks, map_scm_found, map_bound_found).  Scratch maps the programs keep to themselves are not
 * pinned: the programs hold them.
 *
 * What a scan checks before it uses them: every directory on the way is on
 * the BPF filesystem, root's, mode 0700 (so that only root can have put
 * anything there), and opened without following links; the pins are
 * fetched through that very directory (/proc/self/fd/N/NAME); the read-only
 * data carries this build's id and this boot's anon_inode mount; each link
 * runs the pinned program of its name, and each program uses the pinned
 * maps, of the sizes this build expects.  Anything else, and the scan loads
 * its own programs as before. */
#include "bpf/scan/scan-pin.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "bpf/common/loader.h"
#include "bpf/scan/scan-skel-internal.h"
#include "base/cleanup.h"

#define PIN_NAME "scan-" UMH_ITER_BUILD_ID
#define LOCK_WAIT_NS (100 * 1000000LL)

static const char *const prog_pin[UMH_SCAN_N_ITERS] = { "prog_unix", "prog_tasks", "prog_vmas" };
static const char *const link_pin[UMH_SCAN_N_ITERS] = { "link_unix", "link_tasks", "link_vmas" };

struct umh_scan_pins {
	char dir[PATH_MAX];
	bool made; /* by this process: removed at its end */
};

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

/* The pin NAME in the directory DIR_FD, through that directory itself. */
static int get_pin(int dir_fd, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dir_fd, name);
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int map_info(int fd, struct bpf_map_info *info)
{
	uint32_t len = sizeof(*info);
	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) < 0 ? -errno : 0;
}

/* Map FD is what this build made it (type, sizes); sets *ID. */
static bool map_is(int fd, uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t *id)
{
	struct bpf_map_info info;
	if (map_info(fd, &info) < 0)
		return false;
	*id = info.id;
	return info.type == type && info.key_size == key_size && info.value_size == value_size;
}

/* Program FD uses every map of IDS; sets *ID. */
static bool prog_uses(int fd, const uint32_t *ids, size_t n, uint32_t *id)
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

static bool link_runs(int fd, uint32_t prog_id)
{
	struct bpf_link_info info = { 0 };
	uint32_t len = sizeof(info);
	return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_LINK_TYPE_ITER &&
	       info.prog_id == prog_id;
}

/* An exclusive lock on the directory, waited for a moment: another scan
 * that holds it is done in milliseconds, or stuck in a walk (then this one
 * loads its own programs). */
static int lock_dir(int fd)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) > LOCK_WAIT_NS)
			return -EBUSY;
		usleep(2000);
	}
}

int umh_scan_skel_pinned(uint32_t anon_inode_mnt_id, struct umh_scan_skel **out, char *why, size_t size)
{
	*out = NULL;
	_cleanup_close_ int root = open_dir(AT_FDCWD, UMH_SCAN_PIN_ROOT, UMH_SCAN_PIN_ROOT, why, size);
	if (root < 0)
		return root;
	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *s = umh_scan_skel_new();
	if (!s)
		return -ENOMEM;
	if ((s->dir_fd = open_dir(root, PIN_NAME, UMH_SCAN_PIN_ROOT "/" PIN_NAME, why, size)) < 0)
		return s->dir_fd;
	int r = lock_dir(s->dir_fd);
	if (r < 0) {
		snprintf(why, size, "the pinned BPF scan is in use by another scan");
		return r;
	}
	struct {
		int *fd;
		const char *name;
	} pins[] = {
		{ &s->bss_fd, "map_bss" },
		{ &s->rodata_fd, "map_rodata" },
		{ &s->mounts_fd, "map_mounts" },
		{ &s->scm_socks_fd, "map_scm_socks" },
		{ &s->scm_found_fd, "map_scm_found" },
		{ &s->bound_found_fd, "map_bound_found" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pins); i++)
		if ((*pins[i].fd = get_pin(s->dir_fd, pins[i].name)) < 0)
			goto bad;
	for (size_t i = 0; i < UMH_SCAN_N_ITERS; i++)
		if ((s->prog_fd[i] = get_pin(s->dir_fd, prog_pin[i])) < 0 ||
		    (s->link_fd[i] = get_pin(s->dir_fd, link_pin[i])) < 0)
			goto bad;

	uint32_t ids[6];
	if (!map_is(s->bss_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(umh_iter_bss), &ids[0]) ||
	    !map_is(s->rodata_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(umh_iter_rodata), &ids[1]) ||
	    !map_is(s->mounts_fd, BPF_MAP_TYPE_HASH, 4, 1, &ids[2]) ||
	    !map_is(s->scm_socks_fd, BPF_MAP_TYPE_HASH, 8, 1, &ids[3]) ||
	    !map_is(s->scm_found_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct umh_scm_rec), &ids[4]) ||
	    !map_is(s->bound_found_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct umh_bound_rec), &ids[5]))
		goto bad;
	for (size_t i = 0; i < UMH_SCAN_N_ITERS; i++) {
		uint32_t prog_id;
		/* Every program uses the globals; the task walk also reads the
		 * read-only data, with the build id (which of the other maps
		 * each uses is the compiler's business). */
		size_t n = i == UMH_SCAN_TASKS ? 2 : 1;
		if (!prog_uses(s->prog_fd[i], ids, n, &prog_id) || !link_runs(s->link_fd[i], prog_id))
			goto bad;
	}
	umh_iter_rodata rodata;
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(s->rodata_fd, &zero, &rodata) < 0)
		goto bad;
	if (memcmp((const char *)rodata.build_id, UMH_ITER_BUILD_ID, sizeof(UMH_ITER_BUILD_ID)) != 0) {
		snprintf(why, size, "the pinned BPF scan is of another build");
		return -ESTALE;
	}
	if (rodata.anon_inode_mnt_id != anon_inode_mnt_id) {
		snprintf(why, size, "the pinned BPF scan looks for io_uring files on another mount");
		return -ESTALE;
	}
	s->bss_map_size = (size_t)sysconf(_SC_PAGESIZE);
	s->bss_map = mmap(NULL, s->bss_map_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->bss_fd, 0);
	if (s->bss_map == MAP_FAILED) {
		s->bss_map = NULL;
		goto bad;
	}
	s->bss = s->bss_map;
	if ((r = umh_scan_skel_reset(s)) < 0) {
		umh_bpf_describe_error(r, "the pinned BPF scan", why, size);
		return r;
	}
	*out = TAKE_PTR(s);
	return 0;
bad:
	snprintf(why, size, "%s does not hold this build's BPF scan: not used", UMH_SCAN_PIN_ROOT "/" PIN_NAME);
	return -EPERM;
}

/* --- the watcher's side -------------------------------------------------------- */

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

/* Pins of other builds (an upgrade's), and what a watcher that died while
 * pinning left: removed. */
static void remove_others(int root)
{
	_cleanup_close_ int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return;
	fd = -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "scan-", 5) == 0 && strcmp(e->d_name, PIN_NAME) != 0)
			remove_dir(root, e->d_name);
	closedir(d);
}

static int pin_fd(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_pin(fd, path) < 0 ? -errno : 0;
}

/* Loads the programs and pins them in ROOT/TMP. */
static int load_and_pin(uint32_t anon_inode_mnt_id, const char *tmp_path, char *why, size_t size)
{
	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *s = NULL;
	int r = umh_scan_skel_load(anon_inode_mnt_id, &s, why, size);
	if (r < 0)
		return r;
	int links[UMH_SCAN_N_ITERS];
	if ((r = umh_scan_skel_attach(s, links)) < 0) {
		umh_bpf_describe_error(r, "the BPF scan's iterators", why, size);
		return r;
	}
	struct {
		int fd;
		const char *name;
	} pins[] = {
		{ s->bss_fd, "map_bss" },
		{ s->rodata_fd, "map_rodata" },
		{ s->mounts_fd, "map_mounts" },
		{ s->scm_socks_fd, "map_scm_socks" },
		{ s->scm_found_fd, "map_scm_found" },
		{ s->bound_found_fd, "map_bound_found" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pins) && r >= 0; i++)
		r = pin_fd(pins[i].fd, tmp_path, pins[i].name);
	for (size_t i = 0; i < UMH_SCAN_N_ITERS && r >= 0; i++)
		if ((r = pin_fd(s->prog_fd[i], tmp_path, prog_pin[i])) >= 0)
			r = pin_fd(links[i], tmp_path, link_pin[i]);
	if (r < 0)
		snprintf(why, size, "cannot pin the BPF scan in %s: %s", tmp_path, strerror(-r));
	return r;
}

int umh_scan_pin(uint32_t anon_inode_mnt_id, struct umh_scan_pins **out, char *why, size_t size)
{
	*out = NULL;
	_cleanup_free_ struct umh_scan_pins *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->dir, sizeof(p->dir), "%s/%s", UMH_SCAN_PIN_ROOT, PIN_NAME);
	struct statfs sfs;
	if (statfs("/sys/fs/bpf", &sfs) < 0 || sfs.f_type != BPF_FS_MAGIC) {
		snprintf(why, size, "no BPF filesystem at /sys/fs/bpf");
		return -ENOENT;
	}
	if (mkdir(UMH_SCAN_PIN_ROOT, 0700) < 0 && errno != EEXIST) {
		int r = -errno;
		snprintf(why, size, "cannot create %s: %s", UMH_SCAN_PIN_ROOT, strerror(-r));
		return r;
	}
	_cleanup_close_ int root = open_dir(AT_FDCWD, UMH_SCAN_PIN_ROOT, UMH_SCAN_PIN_ROOT, why, size);
	if (root < 0)
		return root;
	remove_others(root);

	/* The same build pinned already (a watcher before this one, or one
	 * that runs beside it): used as it is, and left to its maker. */
	struct umh_scan_skel *s = NULL;
	int q = umh_scan_skel_pinned(anon_inode_mnt_id, &s, why, size);
	if (q == 0 || q == -EBUSY) {
		umh_scan_skel_free(s);
		*out = TAKE_PTR(p);
		return 0;
	}
	/* What is there is not usable (a watcher died while pinning): gone. */
	remove_dir(root, PIN_NAME);

	char tmp[64], tmp_path[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "pinning-%d", (int)getpid());
	snprintf(tmp_path, sizeof(tmp_path), "%s/%s", UMH_SCAN_PIN_ROOT, tmp);
	if (mkdirat(root, tmp, 0700) < 0) {
		int r = -errno;
		snprintf(why, size, "cannot create %s: %s", tmp_path, strerror(-r));
		return r;
	}
	int r = load_and_pin(anon_inode_mnt_id, tmp_path, why, size);
	/* Complete, or not there at all: a scan never sees half of it. */
	if (r >= 0 && renameat(root, tmp, root, PIN_NAME) < 0) {
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

const char *umh_scan_pins_where(const struct umh_scan_pins *p)
{
	return p->dir;
}

void umh_scan_unpin(struct umh_scan_pins *p)
{
	if (!p)
		return;
	if (p->made) {
		_cleanup_close_ int root = open(UMH_SCAN_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (root >= 0) {
			remove_dir(root, PIN_NAME);
			/* The ledger's pins may be beside ours: then it stays. */
			rmdir(UMH_SCAN_PIN_ROOT);
		}
	}
	free(p);
}
