/* Process holders, and files in flight in unix sockets, found by BPF
 * iterators (lib/bpf/iter.bpf.c) in one pass over the kernel's tasks.
 *
 * The records the programs write describe only references to the mounts of
 * interest; this file turns them into the same holders, in the same order
 * and with the same names, as the procfs scan (collect-procfs.c) would:
 * the report cannot tell which scan ran but for its method.  If anything
 * fails before the first holder is added (no CAP_BPF, a verifier that says
 * no, a kernel without iterators), nothing is added and the caller falls
 * back to the procfs scan. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/iter.h"
#include "bpf/iter.skel.h"
#include "bpf/loader.h"
#include "bpf/pathjoin.h"
#include "cleanup.h"
#include "parse.h"
#include "procfs.h"
#include "scan.h"

#define DELETED_SUFFIX " (deleted)"

struct rec {
	struct umh_iter_rec h;
	const char *path; /* into the iterator's output */
	size_t seq;       /* arrival order, the last sort key */
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static inline void recs_free(struct recs *r) { free(r->v); }
static inline void iter_bpf_destroyp(struct umh_iter_bpf **p) { umh_iter_bpf__destroy(*p); }
static inline void bpf_link_destroyp(struct bpf_link **l) { bpf_link__destroy(*l); }

/* The order collect-procfs.c finds things in, within one process. */
static int kind_rank(unsigned kind)
{
	switch (kind) {
	case UMH_REC_CWD: return 0;
	case UMH_REC_ROOT: return 1;
	case UMH_REC_EXE: return 2;
	case UMH_REC_FD:
	case UMH_REC_URING: return 3;
	case UMH_REC_MMAP: return 4;
	default: return 5; /* threads, by tid */
	}
}

static int thread_rank(unsigned kind)
{
	return kind == UMH_REC_THREAD_CWD ? 0 : kind == UMH_REC_THREAD_ROOT ? 1 : 2;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int d;
	if (x->h.pid != y->h.pid)
		return x->h.pid < y->h.pid ? -1 : 1;
	if ((d = kind_rank(x->h.kind) - kind_rank(y->h.kind)))
		return d;
	if (kind_rank(x->h.kind) == 5) {
		if (x->h.tid != y->h.tid)
			return x->h.tid < y->h.tid ? -1 : 1;
		if ((d = thread_rank(x->h.kind) - thread_rank(y->h.kind)))
			return d;
	}
	if (x->h.fd != y->h.fd)
		return x->h.fd < y->h.fd ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Splits one iterator's output into records (kept pointing into BUF). */
static int parse_records(const char *buf, size_t len, struct recs *out)
{
	size_t off = 0;
	while (off + sizeof(struct umh_iter_rec) <= len) {
		struct umh_iter_rec h;
		memcpy(&h, buf + off, sizeof(h));
		if (h.reclen < sizeof(h) || h.reclen > len - off || h.path_len != h.reclen - sizeof(h) ||
		    h.path_len == 0 || buf[off + h.reclen - 1] != '\0')
			return -EBADMSG;
		if (out->n == out->cap) {
			size_t cap = out->cap ? 2 * out->cap : 64;
			struct rec *v = reallocarray(out->v, cap, sizeof(*v));
			if (!v)
				return -ENOMEM;
			out->v = v;
			out->cap = cap;
		}
		out->v[out->n] = (struct rec){ .h = h, .path = buf + off + sizeof(h), .seq = out->n };
		out->n++;
		off += h.reclen;
	}
	return off == len ? 0 : -EBADMSG;
}

/* --- turning records into holders ------------------------------------------------ */

struct emitter {
	struct umh_scan *s;
	int32_t described; /* the last pid whose process entry was added */
	char path[PATH_MAX + 16];
	char *text; /* an io_uring's fdinfo */
	size_t text_size;
};

static void describe(struct emitter *e, int32_t pid)
{
	if (e->described == pid)
		return;
	e->described = pid;
	char name[16];
	snprintf(name, sizeof(name), "%d", pid);
	_cleanup_close_ int dirfd = openat(e->s->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct umh_process proc;
	if (dirfd >= 0 && umh_describe_process(dirfd, pid, &proc) == 0) {
		umh_report_add_process(e->s->report, &proc);
		umh_process_clear(&proc);
	}
}

/* The kernel's name, without the " (deleted)" it adds to unlinked files;
 * as in collect-procfs.c, the suffix counts only when the link count is 0. */
static bool take_path(struct emitter *e, const char *path, uint32_t nlink)
{
	snprintf(e->path, sizeof(e->path), "%s", path);
	size_t len = strlen(e->path), slen = STRLEN(DELETED_SUFFIX);
	if (nlink != 0 || len <= slen || strcmp(e->path + len - slen, DELETED_SUFFIX) != 0)
		return false;
	e->path[len - slen] = '\0';
	return true;
}

static int add(struct emitter *e, const struct umh_iter_rec *h, struct umh_holder *holder)
{
	describe(e, h->pid);
	holder->pid = h->pid;
	return umh_report_add_holder(e->s->report, holder);
}

struct uring_holder {
	struct emitter *e;
	const struct umh_iter_rec *h;
};

static int add_uring_holder(struct umh_holder *holder, void *userdata)
{
	struct uring_holder *u = userdata;
	return add(u->e, u->h, holder);
}

/* An io_uring's registered files are named in its fdinfo, as the procfs
 * scan reads them: only the rings the iterator found are read. */
static int emit_uring(struct emitter *e, const struct umh_iter_rec *h)
{
	char name[64];
	if (h->tid == h->pid)
		snprintf(name, sizeof(name), "%d/fdinfo/%d", h->pid, h->fd);
	else
		snprintf(name, sizeof(name), "%d/task/%d/fdinfo/%d", h->pid, h->tid, h->fd);
	if (umh_read_all(e->s->procfd, name, &e->text, &e->text_size) < 0)
		return 0; /* closed since */
	struct uring_holder u = { .e = e, .h = h };
	return umh_scan_uring_fdinfo(e->s, e->text, h->tid, h->fd, add_uring_holder, &u);
}

static enum umh_kind holder_kind(unsigned rec_kind)
{
	switch (rec_kind) {
	case UMH_REC_FD: return UMH_KIND_FD;
	case UMH_REC_THREAD_FD: return UMH_KIND_THREAD_FD;
	case UMH_REC_CWD: return UMH_KIND_CWD;
	case UMH_REC_ROOT: return UMH_KIND_ROOT;
	case UMH_REC_EXE: return UMH_KIND_EXE;
	case UMH_REC_THREAD_CWD: return UMH_KIND_THREAD_CWD;
	case UMH_REC_THREAD_ROOT: return UMH_KIND_THREAD_ROOT;
	default: return UMH_KIND_MMAP;
	}
}

static int emit_process_records(struct emitter *e, struct recs *recs)
{
	struct umh_scan *s = e->s;
	int32_t pid = 0;
	uint64_t exe_mnt = 0, exe_ino = 0;
	/* Mappings already reported for this process, by (mount, inode). */
	struct { uint64_t mnt, ino; } seen[64];
	size_t n_seen = 0;

	for (size_t i = 0; i < recs->n; i++) {
		const struct umh_iter_rec *h = &recs->v[i].h;
		if (h->kind == UMH_REC_SOCK_OWNER || h->pid <= 0 || h->pid == s->self || h->pid == s->parent)
			continue;
		if (h->pid != pid) {
			pid = h->pid;
			exe_mnt = exe_ino = 0;
			n_seen = 0;
		}
		if (h->kind == UMH_REC_URING) {
			int r = emit_uring(e, h);
			if (r < 0)
				return r;
			continue;
		}
		if (h->kind == UMH_REC_EXE) {
			exe_mnt = h->mnt_id;
			exe_ino = h->ino;
		}
		struct umh_holder holder = {
			.kind = holder_kind(h->kind),
			.mnt_id = h->mnt_id,
			.tid = h->tid,
			.fd = h->fd,
			.path = e->path,
		};
		holder.deleted = take_path(e, recs->v[i].path, h->nlink);
		if (h->kind == UMH_REC_FD || h->kind == UMH_REC_THREAD_FD)
			snprintf(holder.access, sizeof(holder.access), "%s", umh_access_from_flags(h->flags));
		if (h->kind == UMH_REC_MMAP) {
			bool dup = h->mnt_id == exe_mnt && h->ino == exe_ino;
			for (size_t k = 0; k < n_seen && !dup; k++)
				dup = seen[k].mnt == h->mnt_id && seen[k].ino == h->ino;
			if (dup)
				continue; /* one line per mapped file; the exe is reported as exe */
			if (n_seen < ARRAY_SIZE(seen))
				seen[n_seen++] = (typeof(seen[0])){ h->mnt_id, h->ino };
			holder.tid = h->pid;
			snprintf(holder.access, sizeof(holder.access), "%s%s", h->flags & UMH_VM_READ ? "r" : "",
				 h->flags & UMH_VM_WRITE ? "w" : "");
		}
		int r = add(e, h, &holder);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Files in flight: the socket they wait in, and who could still receive them. */
static int emit_scm(struct emitter *e, struct umh_iter_bpf *skel, const struct recs *recs)
{
	uint32_t n = skel->bss->n_scm;
	if (n > UMH_ITER_MAX_SCM)
		n = UMH_ITER_MAX_SCM;
	int map = bpf_map__fd(skel->maps.scm_found);
	for (uint32_t i = 0; i < n; i++) {
		struct umh_scm_rec r;
		if (bpf_map_lookup_elem(map, &i, &r) < 0)
			continue;
		if (r.path_len > sizeof(r.path))
			continue;
		char path[PATH_MAX + 8];
		if (umh_bpf_join_path(r.path, r.path_len, true, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "(a file of inode %llu)", (unsigned long long)r.ino);

		char object[48], detail[256] = "";
		size_t used = 0;
		snprintf(object, sizeof(object), "socket:[%llu]", (unsigned long long)r.sock_ino);
		for (size_t k = 0; k < recs->n; k++) {
			const struct umh_iter_rec *h = &recs->v[k].h;
			if (h->kind != UMH_REC_SOCK_OWNER || h->sock_ino != r.sock_ino || used >= sizeof(detail) - 64)
				continue;
			used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s pid %d fd %d",
						  used ? "," : "its receiving end is open in", h->pid, h->fd);
		}
		if (!used)
			snprintf(detail, sizeof(detail), "no process has its receiving end open (itself in flight, or closing)");
		struct umh_holder h = {
			.kind = UMH_KIND_SCM_INFLIGHT,
			.mnt_id = r.mnt_id,
			.fd = -1,
			.path = path,
			.object = object,
			.detail = detail,
			.deleted = r.nlink == 0,
		};
		snprintf(h.access, sizeof(h.access), "%s", umh_access_from_flags(r.flags));
		int ret = umh_report_add_holder(e->s->report, &h);
		if (ret < 0)
			return ret;
	}
	if (skel->bss->scm_lost) {
		char what[64];
		snprintf(what, sizeof(what), "%u files in flight", skel->bss->scm_lost);
		umh_report_add_skip(e->s->report, 0, ENOBUFS, what, "more than the scan keeps");
	}
	return 0;
}

/* --- running the iterators --------------------------------------------------------- */

static int run_iter(struct bpf_program *prog, char **buf, size_t *len)
{
	_cleanup_(bpf_link_destroyp) struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	if (!link)
		return -errno;
	return umh_bpf_read_iter(bpf_link__fd(link), buf, len);
}

/* UMOUNT_HELPER_DEBUG=time: where the BPF scan's time goes. */
static void debug_time(const char *what, int64_t *t)
{
	const char *dbg = getenv("UMOUNT_HELPER_DEBUG");
	int64_t now = umh_now_ns();
	if (dbg && strstr(dbg, "time"))
		fprintf(stderr, "umount-helper: debug: bpf scan: %s %.1f ms\n", what, (double)(now - *t) / 1e6);
	*t = now;
}

int umh_collect_bpf(struct umh_scan *s, char *why, size_t size)
{
	int64_t t = umh_now_ns();
	int r = umh_bpf_precheck(why, size);
	if (r < 0)
		return r;
	if (s->n_mounts > UMH_ITER_MAX_MOUNTS) {
		snprintf(why, size, "more mounts to look for (%zu) than the BPF scan takes", s->n_mounts);
		return -E2BIG;
	}
	umh_bpf_init();
	_cleanup_(iter_bpf_destroyp) struct umh_iter_bpf *skel = umh_iter_bpf__open();
	if (!skel) {
		umh_bpf_describe_error(-errno, "the BPF scan", why, size);
		return -errno;
	}
	skel->rodata->anon_inode_mnt_id = (uint32_t)s->anon_inode_mnt_id;
	if ((r = umh_iter_bpf__load(skel)) < 0) {
		umh_bpf_describe_error(r, "the BPF scan", why, size);
		return r;
	}
	debug_time("open and load", &t);
	int mounts = bpf_map__fd(skel->maps.mounts);
	for (size_t i = 0; i < s->n_mounts; i++) {
		uint32_t id = (uint32_t)s->mounts[i].id;
		uint8_t role = (uint8_t)s->mounts[i].role;
		if (bpf_map_update_elem(mounts, &id, &role, BPF_ANY) < 0) {
			r = -errno;
			umh_bpf_describe_error(r, "the BPF scan's mount table", why, size);
			return r;
		}
	}

	/* Unix sockets first: the descriptor pass then also finds who holds
	 * the sockets with files in flight. */
	struct bpf_program *progs[] = { skel->progs.scan_unix, skel->progs.scan_files, skel->progs.scan_tasks,
					skel->progs.scan_vmas };
	char *out[ARRAY_SIZE(progs)] = { 0 };
	size_t len[ARRAY_SIZE(progs)] = { 0 };
	_cleanup_(recs_free) struct recs recs = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(progs) && r >= 0; i++) {
		r = run_iter(progs[i], &out[i], &len[i]);
		if (r < 0)
			umh_bpf_describe_error(r, bpf_program__name(progs[i]), why, size);
		else if ((r = parse_records(out[i], len[i], &recs)) < 0)
			snprintf(why, size, "the BPF scan wrote records this program does not understand");
	}
	debug_time("iterators", &t);
	if (r >= 0) {
		/* From here on, holders are added: no falling back. */
		if (recs.n)
			qsort(recs.v, recs.n, sizeof(*recs.v), cmp_rec);
		struct emitter e = { .s = s, .described = -1 };
		r = emit_process_records(&e, &recs);
		if (r >= 0)
			r = emit_scm(&e, skel, &recs);
		free(e.text);
		debug_time("holders", &t);
		atomic_fetch_add(&s->processes_scanned, skel->bss->tasks_seen);
		atomic_fetch_add(&s->fds_scanned, skel->bss->files_seen);
		s->bpf_scanned = true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++)
		free(out[i]);
	return r;
}
