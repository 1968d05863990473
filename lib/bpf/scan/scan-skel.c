#include "bpf/scan/scan-skel.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bpf/common/loader.h"
#include "base/cleanup.h"

/* The generated loader is not written for -Wextra -Wshadow. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "bpf/iter.lskel.h"
#pragma GCC diagnostic pop

struct umh_scan_skel {
	struct umh_iter_lbpf *skel;
};

static void destroy(struct umh_iter_lbpf *skel)
{
	if (skel)
		umh_iter_lbpf__destroy(skel);
}

/* A load that failed, once more with the verifier's log, for its last
 * line: the kernel's reason, which doctor and --verbose show. */
static void note_verifier_log(uint32_t anon_inode_mnt_id)
{
	const size_t size = 1 << 20;
	_cleanup_free_ char *log = calloc(1, size);
	struct umh_iter_lbpf *skel = log ? umh_iter_lbpf__open() : NULL;
	if (!skel)
		return;
	skel->ctx.log_level = 1;
	skel->ctx.log_size = (__u32)size;
	skel->ctx.log_buf = (__u64)(uintptr_t)log;
	skel->rodata->anon_inode_mnt_id = anon_inode_mnt_id;
	if (umh_iter_lbpf__load(skel) < 0)
		umh_bpf_note_log(log);
	destroy(skel);
}

int umh_scan_skel_load(uint32_t anon_inode_mnt_id, struct umh_scan_skel **out, char *why, size_t size)
{
	*out = NULL;
	_cleanup_free_ struct umh_scan_skel *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	umh_bpf_init();
	s->skel = umh_iter_lbpf__open();
	if (!s->skel)
		return -ENOMEM;
	s->skel->rodata->anon_inode_mnt_id = anon_inode_mnt_id;
	/* The key that turns kernel addresses into cookies (iter.bpf.c). */
	uint64_t key;
	if (getrandom(&key, sizeof(key), GRND_NONBLOCK) != sizeof(key))
		key = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&key;
	s->skel->rodata->cookie_key = key;
	int r = umh_iter_lbpf__load(s->skel);
	if (r < 0) {
		destroy(s->skel);
		note_verifier_log(anon_inode_mnt_id);
		umh_bpf_describe_error(r, "the BPF scan", why, size);
		return r;
	}
	*out = TAKE_PTR(s);
	return 0;
}

void umh_scan_skel_free(struct umh_scan_skel *s)
{
	if (!s)
		return;
	destroy(s->skel);
	free(s);
}

int umh_scan_skel_set_mounts(struct umh_scan_skel *s, const uint32_t *ids, size_t n)
{
	if (n > UMH_ITER_MAX_MOUNTS)
		return -E2BIG;
	if (n <= UMH_ITER_FAST_MOUNTS) {
		for (size_t i = 0; i < UMH_ITER_FAST_MOUNTS; i++)
			s->skel->bss->fast_ids[i] = i < n ? ids[i] : 0;
		s->skel->bss->use_map = 0;
		return 0;
	}
	/* All at once where the kernel can (a filesystem's thousands of
	 * mounts), else one by one. */
	int fd = s->skel->maps.mounts.map_fd;
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
	s->skel->bss->use_map = 1;
	return 0;
}

static int prog_fd(const struct umh_scan_skel *s, enum umh_scan_iter which)
{
	switch (which) {
	case UMH_SCAN_UNIX: return s->skel->progs.scan_unix.prog_fd;
	case UMH_SCAN_TASKS: return s->skel->progs.scan_tasks.prog_fd;
	case UMH_SCAN_VMAS: return s->skel->progs.scan_vmas.prog_fd;
	}
	return -1;
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
	_cleanup_close_ int link = bpf_link_create(prog_fd(s, which), 0, BPF_TRACE_ITER, NULL);
	if (link < 0)
		return -errno;
	/* The iterator keeps the link. */
	int fd = bpf_iter_create(link);
	return fd < 0 ? -errno : fd;
}

uint64_t umh_scan_skel_cookie_key(const struct umh_scan_skel *s)
{
	return s->skel->rodata->cookie_key;
}

void umh_scan_skel_stats(const struct umh_scan_skel *s, struct umh_scan_stats *st)
{
	*st = (struct umh_scan_stats){
		.n_scm = s->skel->bss->n_scm,
		.scm_lost = s->skel->bss->scm_lost,
		.n_bound = s->skel->bss->n_bound,
		.bound_lost = s->skel->bss->bound_lost,
		.files_seen = s->skel->bss->files_seen,
		.tasks_seen = s->skel->bss->tasks_seen,
	};
}

int umh_scan_skel_scm(const struct umh_scan_skel *s, uint32_t i, struct umh_scm_rec *r)
{
	return bpf_map_lookup_elem(s->skel->maps.scm_found.map_fd, &i, r) < 0 ? -errno : 0;
}

int umh_scan_skel_bound(const struct umh_scan_skel *s, uint32_t i, struct umh_bound_rec *r)
{
	return bpf_map_lookup_elem(s->skel->maps.bound_found.map_fd, &i, r) < 0 ? -errno : 0;
}
