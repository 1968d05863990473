#include "bpf/fsview/fsview-load.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "bpf/common/loader.h"
#include "bpf/common/pathjoin.h"
#include "bpf/common/lskel.h"
UMH_LSKEL_BEGIN
#include "bpf/fsview.lskel.h"
#include "bpf/sbmounts.lskel.h"
UMH_LSKEL_END

/* The walk's inputs and outputs, wherever the loaded skeleton keeps them:
 * both programs declare them alike (fsview.bpf.h). */
struct umh_fsv {
	struct umh_sbmounts_lbpf *small;
	struct umh_fsview_lbpf *full;
	int walk_prog, tasks_prog, files_prog;
	int records_fd, nsset_fd;
	__u32 *mode, *want_dev, *skip;
	__s32 *want_fd;
	struct umh_fsv_result *result;
};

static uint64_t random_key(void)
{
	uint64_t key;
	if (getrandom(&key, sizeof(key), GRND_NONBLOCK) != sizeof(key))
		key = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&key;
	return key;
}

#define BIND(f, skel)                                   \
	do {                                            \
		(f)->records_fd = (skel)->maps.records.map_fd; \
		(f)->nsset_fd = (skel)->maps.nsset.map_fd;     \
		(f)->tasks_prog = (skel)->progs.ns_tasks.prog_fd; \
		(f)->mode = &(skel)->bss->mode;                \
		(f)->want_dev = &(skel)->bss->want_dev;        \
		(f)->want_fd = &(skel)->bss->want_fd;          \
		(f)->skip = &(skel)->bss->skip;                \
		(f)->result = &(skel)->bss->result;            \
	} while (0)

int umh_fsv_open(bool full, struct umh_fsv **out, char *why, size_t size)
{
	*out = NULL;
	int r = umh_bpf_precheck(why, size);
	if (r < 0)
		return r;
	umh_bpf_init();
	_cleanup_free_ struct umh_fsv *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->files_prog = -1;
	const char *what = full ? "the filesystem's mount walk" : "the mount walk";
	if (full) {
		f->full = umh_fsview_lbpf__open();
		if (!f->full)
			return -ENOMEM;
		f->full->rodata->cookie_key = random_key();
		if ((r = umh_fsview_lbpf__load(f->full)) < 0) {
			umh_fsview_lbpf__destroy(f->full);
			umh_bpf_describe_error(r, what, why, size);
			return r;
		}
		BIND(f, f->full);
		f->walk_prog = f->full->progs.fs_mounts.prog_fd;
		f->files_prog = f->full->progs.ns_files.prog_fd;
	} else {
		f->small = umh_sbmounts_lbpf__open();
		if (!f->small)
			return -ENOMEM;
		f->small->rodata->cookie_key = random_key();
		if ((r = umh_sbmounts_lbpf__load(f->small)) < 0) {
			umh_sbmounts_lbpf__destroy(f->small);
			umh_bpf_describe_error(r, what, why, size);
			return r;
		}
		BIND(f, f->small);
		f->walk_prog = f->small->progs.sb_mounts.prog_fd;
	}
	*out = TAKE_PTR(f);
	return 0;
}

void umh_fsv_close(struct umh_fsv *f)
{
	if (!f)
		return;
	if (f->full)
		umh_fsview_lbpf__destroy(f->full);
	if (f->small)
		umh_sbmounts_lbpf__destroy(f->small);
	free(f);
}

void umh_fsv_found_free(struct umh_fsv_found *found)
{
	for (size_t i = 0; i < found->n_mounts; i++) {
		free(found->mounts[i].path);
		free(found->mounts[i].root);
	}
	free(found->mounts);
	free(found->tasks);
	*found = (struct umh_fsv_found){ 0 };
}

/* Runs PROG as an iterator and reads what it writes.  TID: only that
 * thread's task is visited (Linux 6.1+; where the kernel does not take
 * the filter, every task is, and the program keeps to its own). */
static int run_iter(int prog, int tid, char **buf, size_t *len)
{
	union bpf_iter_link_info info = { .task.tid = (__u32)tid };
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &info, .iter_info_len = sizeof(info));
	int link = bpf_link_create(prog, 0, BPF_TRACE_ITER, tid ? &opts : NULL);
	if (link < 0 && tid)
		link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	if (link < 0)
		return -errno;
	int r = umh_bpf_read_iter(link, buf, len);
	close(link);
	return r;
}

static char *join(const char *names, size_t len, bool complete)
{
	char out[8192];
	if (umh_bpf_join_path(names, len, complete, out, sizeof(out)) < 0)
		return strdup("?");
	return strdup(out);
}

/* One mount record from the ring buffer. */
static int take_record(void *ctx, void *data, size_t size)
{
	struct umh_fsv_found *found = ctx;
	const struct umh_fsv_mount *h = data;
	if (size < sizeof(*h) || h->reclen > size || sizeof(*h) + h->path_len + h->root_len > h->reclen)
		return 0; /* not ours to read: skipped */
	struct umh_fsv_mnt *v = reallocarray(found->mounts, found->n_mounts + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	found->mounts = v;
	const char *names = (const char *)(h + 1);
	struct umh_fsv_mnt m = {
		.h = *h,
		.path = join(names, h->path_len, h->flags & UMH_FSV_F_PATH_COMPLETE),
		.root = join(names + h->path_len, h->root_len, h->flags & UMH_FSV_F_ROOT_COMPLETE),
	};
	if (!m.path || !m.root) {
		free(m.path);
		free(m.root);
		return -ENOMEM;
	}
	v[found->n_mounts++] = m;
	return 0;
}

/* Runs the mount walk until every record was read: a walk that filled the
 * ring buffer runs again, past the records already read. */
static int walk(struct umh_fsv *f, struct umh_fsv_found *out, char *why, size_t size)
{
	struct ring_buffer *rb = ring_buffer__new(f->records_fd, take_record, out, NULL);
	if (!rb) {
		int r = -errno;
		snprintf(why, size, "the mount walk's ring buffer cannot be read: %s", strerror(-r));
		return r;
	}
	int r = 0;
	*f->skip = 0;
	for (int round = 0; round < 1024; round++) {
		*f->result = (struct umh_fsv_result){ 0 };
		_cleanup_free_ char *ignored = NULL;
		size_t len;
		if ((r = run_iter(f->walk_prog, gettid(), &ignored, &len)) < 0) {
			snprintf(why, size, "the mount walk did not run: %s", strerror(-r));
			break;
		}
		if ((r = ring_buffer__consume(rb)) < 0) {
			snprintf(why, size, "the mount walk's records cannot be read: %s", strerror(-r));
			break;
		}
		r = 0;
		out->result = *f->result;
		if (!f->result->full)
			break;
		*f->skip += f->result->records;
	}
	ring_buffer__free(rb);
	if (r == 0 && out->result.status == UMH_FSV_NOT_RUN) {
		snprintf(why, size, "the mount walk never saw its own task");
		r = -ESRCH;
	}
	return r;
}

int umh_fsv_by_dev(struct umh_fsv *f, unsigned int major, unsigned int minor, struct umh_fsv_found *out, char *why,
		   size_t size)
{
	*f->mode = UMH_FSV_BY_DEV;
	*f->want_dev = umh_fsv_kdev(major, minor);
	return walk(f, out, why, size);
}

int umh_fsv_mountpoint(struct umh_fsv *f, int dirfd, struct umh_fsv_found *out, char *why, size_t size)
{
	if (!f->full)
		return -EOPNOTSUPP;
	*f->mode = UMH_FSV_MOUNTPOINT;
	*f->want_fd = dirfd;
	return walk(f, out, why, size);
}

static int add_tasks(struct umh_fsv_found *out, const char *buf, size_t len)
{
	size_t n = len / sizeof(struct umh_fsv_task);
	if (!n)
		return 0;
	struct umh_fsv_task *v = reallocarray(out->tasks, out->n_tasks + n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->tasks = v;
	for (size_t i = 0; i < n; i++) {
		struct umh_fsv_task t;
		memcpy(&t, buf + i * sizeof(t), sizeof(t));
		t.comm[sizeof(t.comm) - 1] = '\0';
		if (t.reclen == sizeof(t))
			v[out->n_tasks++] = t;
	}
	return 0;
}

int umh_fsv_tasks(struct umh_fsv *f, uint64_t not_ns, bool files, struct umh_fsv_found *out, char *why, size_t size)
{
	if (not_ns)
		bpf_map_delete_elem(f->nsset_fd, &not_ns);
	int progs[2] = { f->tasks_prog, files ? f->files_prog : -1 };
	for (size_t i = 0; i < 2; i++) {
		if (progs[i] < 0)
			continue;
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		int r = run_iter(progs[i], 0, &buf, &len);
		if (r < 0) {
			snprintf(why, size, "the walk of %s did not run: %s", i ? "descriptors" : "processes", strerror(-r));
			return r;
		}
		if ((r = add_tasks(out, buf, len)) < 0)
			return r;
	}
	return 0;
}
