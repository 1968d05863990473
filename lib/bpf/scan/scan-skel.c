#include "bpf/scan/scan-skel.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bpf/common/loader.h"
#include "bpf/scan/scan-skel-internal.h"
#include "base/cleanup.h"

#define LOG_SIZE (1 << 20)

struct umh_scan_skel *umh_scan_skel_new(void)
{
	struct umh_scan_skel *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	for (size_t i = 0; i < UMH_SCAN_N_ITERS; i++)
		s->link_fd[i] = s->prog_fd[i] = -1;
	s->mounts_fd = s->scm_socks_fd = s->scm_found_fd = s->bound_found_fd = s->bss_fd = s->rodata_fd = s->dir_fd = -1;
	return s;
}

/* The read-only data both builds share: where io_uring files live, and
 * the build id (scan-pin.h). */
static void set_rodata(umh_iter_rodata *ro, uint32_t anon_inode_mnt_id)
{
	_Static_assert(sizeof(ro->build_id) >= sizeof(UMH_ITER_BUILD_ID), "the build id's size");
	ro->anon_inode_mnt_id = anon_inode_mnt_id;
	memcpy((char *)ro->build_id, UMH_ITER_BUILD_ID, sizeof(UMH_ITER_BUILD_ID));
}

/* The descriptors and the globals of what was loaded (either build: their
 * skeletons name the same things alike). */
#define TAKE_BUILD(s, k)                                                       \
	do {                                                                  \
		(s)->prog_fd[UMH_SCAN_UNIX] = (k)->progs.scan_unix.prog_fd;   \
		(s)->prog_fd[UMH_SCAN_TASKS] = (k)->progs.scan_tasks.prog_fd; \
		(s)->prog_fd[UMH_SCAN_VMAS] = (k)->progs.scan_vmas.prog_fd;   \
		(s)->mounts_fd = (k)->maps.mounts.map_fd;                     \
		(s)->scm_socks_fd = (k)->maps.scm_socks.map_fd;               \
		(s)->scm_found_fd = (k)->maps.scm_found.map_fd;               \
		(s)->bound_found_fd = (k)->maps.bound_found.map_fd;           \
		(s)->bss_fd = (k)->maps.bss.map_fd;                           \
		(s)->rodata_fd = (k)->maps.rodata.map_fd;                     \
		(s)->bss = (umh_iter_bss *)(k)->bss;                          \
	} while (0)

/* The build for every kernel, into S; LOG (LOG_SIZE bytes) for the
 * verifier's log, or NULL. */
static int load_build(struct umh_scan_skel *s, uint32_t anon_inode_mnt_id, char *log)
{
	struct umh_iter_lbpf *k = umh_iter_lbpf__open();
	if (!k)
		return -ENOMEM;
	if (log) {
		k->ctx.log_level = 1;
		k->ctx.log_size = (__u32)LOG_SIZE;
		k->ctx.log_buf = (__u64)(uintptr_t)log;
	}
	set_rodata(k->rodata, anon_inode_mnt_id);
	int r = umh_iter_lbpf__load(k);
	if (r < 0) {
		umh_iter_lbpf__destroy(k);
		return r;
	}
	s->skel = k;
	TAKE_BUILD(s, k);
	return 0;
}

/* The fast build (iter.bpf.c, UMH_ITER_FAST), into S. */
static int load_fast_build(struct umh_scan_skel *s, uint32_t anon_inode_mnt_id)
{
	struct umh_iter_fast_lbpf *k = umh_iter_fast_lbpf__open();
	if (!k)
		return -ENOMEM;
	set_rodata((umh_iter_rodata *)k->rodata, anon_inode_mnt_id);
	int r = umh_iter_fast_lbpf__load(k);
	if (r < 0) {
		umh_iter_fast_lbpf__destroy(k);
		return r;
	}
	s->fast = k;
	TAKE_BUILD(s, k);
	return 0;
}

/* The fast build needs bpf_rdonly_cast, which Linux 6.2 brought: older
 * kernels are not asked to load it (a load that fails costs time).  A
 * kernel that says 6.2 or later and still refuses it gets the other. */
static bool fast_build_possible(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;
	return uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	       (major > 6 || (major == 6 && minor >= 2));
}

/* A load that failed, once more with the verifier's log, for its last
 * line: the kernel's reason, which doctor and --verbose show. */
static void note_verifier_log(uint32_t anon_inode_mnt_id)
{
	_cleanup_free_ char *log = calloc(1, LOG_SIZE);
	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *s = umh_scan_skel_new();
	if (log && s && load_build(s, anon_inode_mnt_id, log) < 0)
		umh_bpf_note_log(log);
}

int umh_scan_skel_load(uint32_t anon_inode_mnt_id, struct umh_scan_skel **out, char *why, size_t size)
{
	*out = NULL;
	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *s = umh_scan_skel_new();
	if (!s)
		return -ENOMEM;
	umh_bpf_init();
	int r = fast_build_possible() ? load_fast_build(s, anon_inode_mnt_id) : -ENOTSUP;
	if (r < 0)
		r = load_build(s, anon_inode_mnt_id, NULL);
	if (r < 0) {
		note_verifier_log(anon_inode_mnt_id);
		umh_bpf_describe_error(r, "the BPF scan", why, size);
		return r;
	}
	if ((r = umh_scan_skel_reset(s)) < 0) {
		umh_bpf_describe_error(r, "the BPF scan", why, size);
		return r;
	}
	*out = TAKE_PTR(s);
	return 0;
}

int umh_scan_skel_attach(struct umh_scan_skel *s, int links[UMH_SCAN_N_ITERS])
{
	if (s->fast) {
		int r = umh_iter_fast_lbpf__attach(s->fast);
		if (r < 0)
			return r;
		links[UMH_SCAN_UNIX] = s->fast->links.scan_unix_fd;
		links[UMH_SCAN_TASKS] = s->fast->links.scan_tasks_fd;
		links[UMH_SCAN_VMAS] = s->fast->links.scan_vmas_fd;
		return 0;
	}
	if (!s->skel)
		return -EINVAL;
	int r = umh_iter_lbpf__attach(s->skel);
	if (r < 0)
		return r;
	links[UMH_SCAN_UNIX] = s->skel->links.scan_unix_fd;
	links[UMH_SCAN_TASKS] = s->skel->links.scan_tasks_fd;
	links[UMH_SCAN_VMAS] = s->skel->links.scan_vmas_fd;
	return 0;
}

const char *umh_scan_skel_build(const struct umh_scan_skel *s)
{
	return s->fast ? "the fast build" : s->skel ? "the build for every kernel" : "pinned";
}

void umh_scan_skel_free(struct umh_scan_skel *s)
{
	if (!s)
		return;
	if (s->skel) {
		umh_iter_lbpf__destroy(s->skel);
	} else if (s->fast) {
		umh_iter_fast_lbpf__destroy(s->fast);
	} else {
		if (s->bss_map)
			munmap(s->bss_map, s->bss_map_size);
		int fds[] = { s->link_fd[0], s->link_fd[1], s->link_fd[2], s->prog_fd[0], s->prog_fd[1], s->prog_fd[2],
			      s->mounts_fd,  s->scm_socks_fd, s->scm_found_fd, s->bound_found_fd, s->bss_fd, s->rodata_fd,
			      s->dir_fd };
		for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	free(s);
}

/* Every key of the hash map FD deleted. */
static int clear_map(int fd)
{
	uint64_t key; /* the largest key of the scan's hash maps */
	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key) < 0)
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

int umh_scan_skel_reset(struct umh_scan_skel *s)
{
	memset(s->bss, 0, sizeof(*s->bss));
	/* The key that turns kernel addresses into cookies (iter.bpf.c). */
	uint64_t key;
	if (getrandom(&key, sizeof(key), GRND_NONBLOCK) != sizeof(key))
		key = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&key;
	s->bss->cookie_key = key;
	/* Maps just created are empty; pinned ones hold the last scan's. */
	if (umh_scan_skel_loaded(s))
		return 0;
	int r = clear_map(s->mounts_fd);
	return r < 0 ? r : clear_map(s->scm_socks_fd);
}

int umh_scan_skel_set_mounts(struct umh_scan_skel *s, const uint32_t *ids, size_t n)
{
	if (n > UMH_ITER_MAX_MOUNTS)
		return -E2BIG;
	if (n <= UMH_ITER_FAST_MOUNTS) {
		for (size_t i = 0; i < UMH_ITER_FAST_MOUNTS; i++)
			s->bss->fast_ids[i] = i < n ? ids[i] : 0;
		s->bss->use_map = 0;
		return 0;
	}
	/* All at once where the kernel can (a filesystem's thousands of
	 * mounts), else one by one. */
	int fd = s->mounts_fd;
	_cleanup_free_ uint8_t *ones = malloc(n);
	__u32 count = (__u32)n;
	if (ones)
		memset(ones, 1, n);
	if (!ones || bpf_map_update_batch(fd, ids, ones, &count, NULL) < 0) {
		for (size_t i = 0; i < n; i++) {
			uint8_t one = 1;
			if (bpf_map_update_elem(fd, &ids[i], &one, BPF_ANY) < 0)
				return -errno;
		}
	}
	s->bss->use_map = 1;
	return 0;
}

const char *umh_scan_skel_name(enum umh_scan_iter which)
{
	switch (which) {
	case UMH_SCAN_UNIX: return "scan_unix";
	case UMH_SCAN_TASKS: return "scan_tasks";
	case UMH_SCAN_VMAS: return "scan_vmas";
	}
	return "?";
}

int umh_scan_skel_open(struct umh_scan_skel *s, enum umh_scan_iter which)
{
	if (s->link_fd[which] >= 0) {
		int fd = bpf_iter_create(s->link_fd[which]);
		return fd < 0 ? -errno : fd;
	}
	_cleanup_close_ int link = bpf_link_create(s->prog_fd[which], 0, BPF_TRACE_ITER, NULL);
	if (link < 0)
		return -errno;
	/* The iterator keeps the link. */
	int fd = bpf_iter_create(link);
	return fd < 0 ? -errno : fd;
}

uint64_t umh_scan_skel_cookie_key(const struct umh_scan_skel *s)
{
	return s->bss->cookie_key;
}

void umh_scan_skel_stats(const struct umh_scan_skel *s, struct umh_scan_stats *st)
{
	*st = (struct umh_scan_stats){
		.n_scm = s->bss->n_scm,
		.scm_lost = s->bss->scm_lost,
		.n_bound = s->bss->n_bound,
		.bound_lost = s->bss->bound_lost,
		.files_seen = s->bss->files_seen,
		.tasks_seen = s->bss->tasks_seen,
	};
}

int umh_scan_skel_scm(const struct umh_scan_skel *s, uint32_t i, struct umh_scm_rec *r)
{
	return bpf_map_lookup_elem(s->scm_found_fd, &i, r) < 0 ? -errno : 0;
}

int umh_scan_skel_bound(const struct umh_scan_skel *s, uint32_t i, struct umh_bound_rec *r)
{
	return bpf_map_lookup_elem(s->bound_found_fd, &i, r) < 0 ? -errno : 0;
}
