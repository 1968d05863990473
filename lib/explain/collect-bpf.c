/* Process holders, and files in flight in unix sockets, found by BPF
 * iterators (lib/bpf/scan/iter.bpf.c) in one pass over the kernel's tasks (and
 * one over their mappings, at the same time, in a second thread).
 *
 * The records the programs write describe only references to the mounts of
 * interest; this file turns them into the same holders, in the same order
 * and with the same names, as the procfs scan (collect-procfs.c) would:
 * the report cannot tell which scan ran but for its method.  If anything
 * fails before the first holder is added (no CAP_BPF, a verifier that says
 * no, a kernel without iterators), nothing is added and the caller falls
 * back to the procfs scan. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/debug.h"
#include "base/grow.h"
#include "bpf/common/loader.h"
#include "bpf/common/pathjoin.h"
#include "bpf/scan/scan-pin.h"
#include "bpf/scan/scan-run.h"
#include "bpf/scan/scan-skel.h"
#include "base/cleanup.h"
#include "base/parse.h"
#include "base/procfs.h"
#include "model/process.h"
#include "explain/scan.h"

/* d_path (readlink in /proc, the procfs scan) fails for a path longer than
 * a page, counting the " (deleted)" it appends to an unlinked file's. */
#define D_PATH_MAX 4096
#define DELETED_SUFFIX_LEN 10

struct rec {
	struct umh_iter_rec h;
	const char *path; /* names, into the iterator's output */
	size_t seq;       /* arrival order, the last sort key */
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static inline void recs_free(struct recs *r) { free(r->v); }

/* The order collect-procfs.c finds things in, within one process. */
static int kind_rank(unsigned kind)
{
	switch (kind) {
	case UMH_REC_CWD: return 0;
	case UMH_REC_ROOT: return 1;
	case UMH_REC_EXE: return 2;
	case UMH_REC_FD:
	case UMH_REC_URING:
	case UMH_REC_FD_OVERFLOW: return 3;
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
		    (h.path_len && buf[off + h.reclen - 1] != '\0'))
			return -EBADMSG;
		if (UMH_GROW(out->v, out->cap, out->n + 1, 64) < 0)
			return -ENOMEM;
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
	/* Tables the programs handed over (UMH_REC_FD_OVERFLOW): read through
	 * /proc, their records from BPF dropped. */
	struct { int32_t pid, tid; } *over;
	size_t n_over, cap_over;
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

/* The path the program walked, as /proc would print it: none when d_path
 * would fail for its length (the procfs scan's readlink does), and an
 * unlinked file (link count 0) marked deleted.  Returns whether it is. */
static bool take_path(struct emitter *e, const struct rec *r)
{
	const struct umh_iter_rec *h = &r->h;
	bool deleted = h->nlink == 0;
	bool complete = h->path_state & UMH_REC_PATH_COMPLETE;
	e->path[0] = '\0';
	if (h->path_len == 0 && !complete)
		return deleted; /* too long for the walk */
	if (umh_bpf_join_path(r->path, h->path_len, complete, e->path, sizeof(e->path)) < 0 ||
	    strlen(e->path) + (deleted ? DELETED_SUFFIX_LEN : 0) >= D_PATH_MAX)
		e->path[0] = '\0';
	return deleted;
}

static bool handed_over(const struct emitter *e, const struct umh_iter_rec *h)
{
	if (h->kind != UMH_REC_FD && h->kind != UMH_REC_THREAD_FD && h->kind != UMH_REC_URING)
		return false;
	for (size_t i = 0; i < e->n_over; i++)
		if (e->over[i].pid == h->pid && e->over[i].tid == h->tid)
			return true;
	return false;
}

static int note_overflow(struct emitter *e, const struct recs *recs)
{
	for (size_t i = 0; i < recs->n; i++) {
		const struct umh_iter_rec *h = &recs->v[i].h;
		if (h->kind != UMH_REC_FD_OVERFLOW)
			continue;
		if (UMH_GROW(e->over, e->cap_over, e->n_over + 1, 4) < 0)
			return -ENOMEM;
		e->over[e->n_over++] = (typeof(*e->over)){ h->pid, h->tid };
	}
	return 0;
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

/* A uprobe a process holds through a perf event or a BPF link.  One
 * registered in tracefs is held by tracefs (collect-kernel-refs.c names
 * it): the process is only remembered as one that uses it. */
static int emit_uprobe(struct emitter *e, const struct rec *r)
{
	const struct umh_iter_rec *h = &r->h;
	struct umh_scan *s = e->s;
	describe(e, h->pid);
	if (h->sub & UMH_UPROBE_TRACEFS) {
		if (UMH_GROW(s->probe_users, s->cap_probe_users, s->n_probe_users + 1, 8) < 0)
			return -ENOMEM;
		s->probe_users[s->n_probe_users++] = (struct umh_probe_user){
			.obj = h->obj, .pid = h->pid, .fd = h->fd, .link_id = h->sub & UMH_UPROBE_LINK ? h->flags : 0,
		};
		return 0;
	}
	char object[32], detail[48];
	if (h->sub & UMH_UPROBE_LINK) {
		snprintf(object, sizeof(object), "bpf_link %u", h->flags);
		snprintf(detail, sizeof(detail), "through BPF link %u", h->flags);
	} else {
		snprintf(object, sizeof(object), "perf_event");
		snprintf(detail, sizeof(detail), "through a perf event");
	}
	struct umh_holder holder = {
		.kind = UMH_KIND_UPROBE,
		.mnt_id = h->mnt_id,
		.tid = h->tid,
		.fd = h->fd,
		.path = e->path,
		.object = object,
		.detail = detail,
	};
	holder.deleted = take_path(e, r);
	return add(e, h, &holder);
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
		if (handed_over(e, h))
			continue;
		if (h->kind == UMH_REC_FD_OVERFLOW) {
			bool described = e->described == h->pid;
			int r = umh_collect_fd_table(s, h->pid, h->tid, &described);
			if (described)
				e->described = h->pid;
			if (r < 0)
				return r;
			continue;
		}
		if (h->kind == UMH_REC_URING) {
			int r = emit_uring(e, h);
			if (r < 0)
				return r;
			continue;
		}
		if (h->kind == UMH_REC_UPROBE) {
			int r = emit_uprobe(e, &recs->v[i]);
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
		holder.deleted = take_path(e, &recs->v[i]);
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
static int emit_scm(struct emitter *e, struct umh_scan_skel *skel, const struct umh_scan_stats *st,
		    const struct recs *recs)
{
	uint32_t n = st->n_scm;
	if (n > UMH_ITER_MAX_SCM)
		n = UMH_ITER_MAX_SCM;
	for (uint32_t i = 0; i < n; i++) {
		struct umh_scm_rec r;
		if (umh_scan_skel_scm(skel, i, &r) < 0)
			continue;
		if (r.path_len > sizeof(r.path))
			continue;
		char path[PATH_MAX + 8];
		if (umh_bpf_join_path(r.path, r.path_len, r.path_complete, path, sizeof(path)) < 0)
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
		if (ret < 0 || (ret = umh_refs_note(&e->s->refs, r.mnt_id, UMH_REF_FILE, r.obj, r.dentry)) < 0)
			return ret;
	}
	if (st->scm_lost) {
		e->s->refs.incomplete = "some files in flight were not read (more than the scan keeps)";
		char what[64];
		snprintf(what, sizeof(what), "%u files in flight", st->scm_lost);
		umh_report_add_skip(e->s->report, 0, ENOBUFS, what, "more than the scan keeps");
	}
	return 0;
}

/* Unix sockets bound to a path on the mounts: each holds the path until it
 * is released, and its owners are the processes that have it open. */
static int emit_bound(struct emitter *e, struct umh_scan_skel *skel, const struct umh_scan_stats *st,
		      const struct recs *recs)
{
	uint32_t n = st->n_bound < UMH_ITER_MAX_BOUND ? st->n_bound : UMH_ITER_MAX_BOUND;
	for (uint32_t i = 0; i < n; i++) {
		struct umh_bound_rec r;
		if (umh_scan_skel_bound(skel, i, &r) < 0 || r.path_len > sizeof(r.path))
			continue;
		char path[PATH_MAX + 8], object[48];
		if (umh_bpf_join_path(r.path, r.path_len, r.path_complete, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "(a socket of inode %llu)", (unsigned long long)r.ino);
		snprintf(object, sizeof(object), "socket:[%llu]", (unsigned long long)r.sock_ino);
		struct umh_holder h = {
			.kind = UMH_KIND_UNIX_SOCKET,
			.mnt_id = r.mnt_id,
			.fd = -1,
			.path = path,
			.object = object,
			.deleted = r.nlink == 0,
		};
		int ret = 0;
		bool owned = false;
		h.detail = "bound there";
		for (size_t k = 0; k < recs->n && ret >= 0; k++) {
			const struct umh_iter_rec *o = &recs->v[k].h;
			if (o->kind != UMH_REC_SOCK_OWNER || o->sock_ino != r.sock_ino || o->pid == e->s->self ||
			    o->pid == e->s->parent)
				continue;
			h.tid = o->tid;
			h.fd = o->fd;
			owned = true;
			ret = add(e, o, &h);
		}
		if (ret >= 0 && !owned) {
			h.detail = "no process has the socket open (it is in flight in another socket, or closing)";
			ret = umh_report_add_holder(e->s->report, &h);
		}
		if (ret < 0 || (ret = umh_refs_note(&e->s->refs, r.mnt_id, UMH_REF_PATH, r.obj, r.dentry)) < 0)
			return ret;
	}
	if (st->bound_lost) {
		e->s->refs.incomplete = "some bound unix sockets were not read (more than the scan keeps)";
		char what[64];
		snprintf(what, sizeof(what), "%u bound unix sockets", st->bound_lost);
		umh_report_add_skip(e->s->report, 0, ENOBUFS, what, "more than the scan keeps");
	}
	return 0;
}

/* --- running the iterators --------------------------------------------------------- */

/* UMOUNT_HELPER_DEBUG=time: where the BPF scan's time goes. */
static void debug_time(const char *what, int64_t *t)
{
	umh_debug_time("bpf scan", what, t);
}

/* Waits for the iterators until the scan's deadline.  Without the socket
 * and task walks there is nothing to report; without the walk of memory
 * maps, the rest is reported and the maps are named as not read. */
static int wait_iterators(struct umh_scan *s, struct umh_scan_run *run, bool *maps_unread, char *why, size_t size)
{
	umh_scan_run_wait(run, s->deadline_ns);
	for (enum umh_scan_iter i = UMH_SCAN_UNIX; i <= UMH_SCAN_VMAS; i++) {
		const struct umh_scan_result *res = umh_scan_run_result(run, i);
		const char *name = umh_scan_skel_name(i);
		if (!res->finished && i == UMH_SCAN_VMAS) {
			atomic_store(&s->out_of_time, true);
			*maps_unread = true;
			return 0;
		}
		if (!res->finished) {
			atomic_store(&s->out_of_time, true);
			snprintf(why, size, "the time budget ran out before %s ended", name);
			return -ETIME;
		}
		if (res->r < 0) {
			umh_bpf_describe_error(res->r, name, why, size);
			return res->r;
		}
	}
	return 0;
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
	/* The programs the watcher keeps loaded (scan-pin.h), else our own:
	 * loading them is most of a small scan's time. */
	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *skel = NULL;
	char pin_why[256] = "UMOUNT_HELPER_DEBUG=load";
	bool pinned = !umh_debug("load") &&
		      umh_scan_skel_pinned((uint32_t)s->anon_inode_mnt_id, &skel, pin_why, sizeof(pin_why)) == 0;
	if (!pinned && (r = umh_scan_skel_load((uint32_t)s->anon_inode_mnt_id, &skel, why, size)) < 0)
		return r;
	char what[384];
	if (pinned)
		snprintf(what, sizeof(what), "the watcher's pinned programs");
	else
		snprintf(what, sizeof(what), "load (%s; not pinned: %s)", umh_scan_skel_build(skel), pin_why);
	debug_time(what, &t);
	_cleanup_free_ uint32_t *ids = calloc(s->n_mounts ? s->n_mounts : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_mounts; i++)
		ids[i] = (uint32_t)s->mounts[i].id;
	if ((r = umh_scan_skel_set_mounts(skel, ids, s->n_mounts)) < 0) {
		umh_bpf_describe_error(r, "the BPF scan's mount table", why, size);
		return r;
	}

	_cleanup_(umh_scan_run_releasep) struct umh_scan_run *run = NULL;
	if ((r = umh_scan_run_start(TAKE_PTR(skel), &run)) < 0) {
		snprintf(why, size, "the BPF scan could not start: %s", strerror(-r));
		return r;
	}
	_cleanup_(recs_free) struct recs recs = { 0 };
	bool maps_unread = false;
	r = wait_iterators(s, run, &maps_unread, why, size);
	for (enum umh_scan_iter i = UMH_SCAN_UNIX; i <= UMH_SCAN_VMAS && r >= 0; i++) {
		const struct umh_scan_result *res = umh_scan_run_result(run, i);
		if (res->finished && (r = parse_records(res->out, res->len, &recs)) < 0)
			snprintf(why, size, "the BPF scan wrote records this program does not understand");
	}
	debug_time("iterators", &t);
	if (r >= 0) {
		/* From here on, holders are added: no falling back. */
		struct umh_scan_stats st;
		umh_scan_skel_stats(umh_scan_run_skel(run), &st);
		if (recs.n)
			qsort(recs.v, recs.n, sizeof(*recs.v), cmp_rec);
		struct emitter e = { .s = s, .described = -1 };
		r = note_overflow(&e, &recs);
		for (size_t i = 0; i < recs.n && r >= 0; i++)
			r = umh_refs_note_iter(&s->refs, &recs.v[i].h);
		if (e.n_over)
			s->refs.incomplete = "a descriptor table too large for the BPF scan was read through /proc, "
					     "which does not tell which descriptors share one open file";
		if (r >= 0)
			r = emit_process_records(&e, &recs);
		if (r >= 0)
			r = emit_scm(&e, umh_scan_run_skel(run), &st, &recs);
		if (r >= 0)
			r = emit_bound(&e, umh_scan_run_skel(run), &st, &recs);
		if (maps_unread && !s->refs.incomplete)
			s->refs.incomplete = "the memory mappings were not read";
		if (r >= 0 && maps_unread)
			r = umh_report_add_skip(s->report, 0, ETIME, "memory mappings (BPF scan)",
						"the time budget ran out while the kernel walked them");
		free(e.text);
		free(e.over);
		debug_time("holders", &t);
		atomic_fetch_add(&s->processes_scanned, st.tasks_seen);
		atomic_fetch_add(&s->fds_scanned, st.files_seen);
		s->bpf_scanned = true;
		s->cookie_key = umh_scan_skel_cookie_key(umh_scan_run_skel(run));
	}
	return r;
}
