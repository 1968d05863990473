/* Process holders, found through /proc by mount id.
 *
 * For each process: its cwd, root and exe, every open descriptor, every
 * file mapping, and every thread whose fs_struct (cwd/root) or file table
 * differs from the leader's.  Mount ids come from statx(2) on the /proc
 * magic links with AT_STATX_DONT_SYNC and an empty request mask: the VFS
 * fills in the mount id itself, and the filesystem is asked for nothing, so
 * a dead NFS or FUSE server cannot stall the scan.  Processes are spread
 * over a few threads: the cost is one statx per descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/grow.h"
#include "base/parse.h"
#include "base/procfs.h"
#include "model/process.h"
#include "explain/scan.h"

#define LINK_FLAGS (AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT)
#define DELETED_SUFFIX " (deleted)"

struct file_id {
	uint64_t mnt, ino;
	int32_t fd;
};

/* A worker's buffers, kept from one process to the next. */
struct worker_bufs {
	char *text; /* maps, io_uring fdinfo */
	size_t text_size;
	struct file_id *seen;
	size_t seen_cap;
	char dents[32768];
	char path[PATH_MAX + 1];
};

/* One process being scanned, by one worker. */
struct proc_scan {
	struct umh_scan *s;
	struct worker_bufs *b;
	int32_t pid;
	char pid_str[16];
	int dirfd; /* /proc/PID */
	bool described;
	bool denied;
	bool kcmp_failed;
	struct file_id cwd, root, exe;
	/* What the leader holds (to tell a thread's own references from
	 * shared ones when kcmp(2) cannot say), and the mappings seen. */
	size_t n_seen;
};

static int kcmp(pid_t a, pid_t b, int type)
{
	return (int)syscall(SYS_kcmp, a, b, type, 0, 0);
}

/* The mount id (and inode) of what a /proc magic link points to. */
static int link_target(int dirfd, const char *name, uint64_t *mnt, uint64_t *ino)
{
	struct statx stx;
	if (statx(dirfd, name, LINK_FLAGS, 0, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*mnt = stx.stx_mnt_id;
	*ino = stx.stx_ino;
	return 0;
}

/* The kernel marks an unlinked file's name with " (deleted)"; a file can
 * also be called that.  The suffix is taken off only when UNLINKED. */
static bool strip_deleted_suffix(char *path, bool unlinked)
{
	size_t len = strlen(path), slen = STRLEN(DELETED_SUFFIX);
	if (!unlinked || len <= slen || strcmp(path + len - slen, DELETED_SUFFIX) != 0)
		return false;
	path[len - slen] = '\0';
	return true;
}

/* The path a magic link names, for a link whose mount id and inode were just
 * read.  Between two reads of a link a descriptor can be closed and its
 * number reused for another file, or a process can chdir -- and back again,
 * so reading the link twice and comparing proves nothing.  So the link is
 * opened (O_PATH: the filesystem is not asked to open anything) and the
 * path and identity are both read from that one descriptor of our own,
 * which cannot change under us.  If what it names is not what the first
 * read saw, the reference changed meanwhile: -ESTALE, never another file's
 * path.  A path longer than the kernel prints (-ENAMETOOLONG from d_path)
 * leaves BUF empty: the reference is still real, and still reported.
 * *DELETED tells whether the file is unlinked (its link count is 0: a name
 * ending in " (deleted)" alone proves nothing). */
static int read_link_pinned(int procfd, int dirfd, const char *name, uint64_t mnt, uint64_t ino, char *buf,
			    size_t size, bool *deleted)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | LINK_FLAGS, STATX_NLINK, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != mnt || stx.stx_ino != ino)
		return -ESTALE;
	/* Through the /proc opened before any setns(2): in the namespace
	 * entered for -N, /proc may be missing, or another pid namespace's. */
	char self[64];
	snprintf(self, sizeof(self), "self/fd/%d", fd);
	ssize_t n = umh_readlink(procfd, self, buf, size);
	if (n == -ENAMETOOLONG)
		buf[0] = '\0';
	else if (n < 0)
		return (int)n;
	*deleted = strip_deleted_suffix(buf, (stx.stx_mask & STATX_NLINK) && stx.stx_nlink == 0);
	return 0;
}

static void note_denied(struct proc_scan *p, int err)
{
	if (p->denied)
		return;
	p->denied = true;
	char what[32];
	snprintf(what, sizeof(what), "pid %d", p->pid);
	umh_report_add_skip(p->s->report, p->pid, err, what, "permission denied");
}

static int emit(struct proc_scan *p, struct umh_holder *h)
{
	if (!p->described) {
		struct umh_process proc;
		if (umh_describe_process(p->dirfd, p->pid, &proc) == 0) {
			umh_report_add_process(p->s->report, &proc);
			umh_process_clear(&proc);
		}
		p->described = true;
	}
	h->pid = p->pid;
	return umh_report_add_holder(p->s->report, h);
}

/* cwd, root or exe of the process (TID 0) or of one thread. */
static int scan_link(struct proc_scan *p, int32_t tid, const char *name, enum umh_kind kind, struct file_id *out)
{
	uint64_t mnt = 0, ino = 0;
	int r = link_target(p->dirfd, name, &mnt, &ino);
	if (r == -EACCES || r == -EPERM) {
		note_denied(p, -r);
		return 0;
	}
	if (r < 0)
		return 0; /* a zombie, a kernel thread, or gone: nothing held */
	if (out)
		*out = (struct file_id){ .mnt = mnt, .ino = ino, .fd = -1 };
	if (!umh_scan_lookup(p->s, mnt))
		return 0;

	struct umh_holder h = {
		.kind = kind,
		.mnt_id = mnt,
		.tid = tid ? tid : p->pid,
		.fd = -1,
		.path = p->b->path,
	};
	if (read_link_pinned(p->s->procfd, p->dirfd, name, mnt, ino, p->b->path, sizeof(p->b->path), &h.deleted) < 0)
		return 0;
	return emit(p, &h);
}

static int emit_uring_holder(struct umh_holder *h, void *userdata)
{
	return emit(userdata, h);
}

/* An io_uring instance keeps its registered files open after the process
 * closed their descriptors; its fdinfo lists them by path. */
static void scan_uring(struct proc_scan *p, int fddir, const char *fdinfo_dir, const char *name, int32_t tid)
{
	char link[64];
	if (umh_readlink(fddir, name, link, sizeof(link)) < 0 || strcmp(link, "anon_inode:[io_uring]") != 0)
		return;
	char fdinfo[PATH_MAX];
	snprintf(fdinfo, sizeof(fdinfo), "%s/%s", fdinfo_dir, name);
	if (umh_read_all(p->dirfd, fdinfo, &p->b->text, &p->b->text_size) < 0)
		return;
	umh_scan_uring_fdinfo(p->s, p->b->text, tid, atoi(name), emit_uring_holder, p);
}

static bool seen_before(struct proc_scan *p, uint64_t mnt, uint64_t ino, int32_t fd)
{
	for (size_t i = 0; i < p->n_seen; i++)
		if (p->b->seen[i].mnt == mnt && p->b->seen[i].ino == ino && p->b->seen[i].fd == fd)
			return true;
	return false;
}

static void remember(struct proc_scan *p, uint64_t mnt, uint64_t ino, int32_t fd)
{
	struct worker_bufs *b = p->b;
	if (UMH_GROW(b->seen, b->seen_cap, p->n_seen + 1, 16) < 0)
		return; /* only costs a duplicate line */
	b->seen[p->n_seen++] = (struct file_id){ .mnt = mnt, .ino = ino, .fd = fd };
}

/* Descriptor NAME of FDDIR: a holder if its file is on a scanned mount.
 * Returns 1 if it was open, 0 if not (or closed since), or a negative
 * errno from adding the holder. */
static int scan_fd(struct proc_scan *p, int fddir, const char *fdinfo_dir, const char *name, int32_t tid,
		   enum umh_kind kind)
{
	uint64_t mnt = 0, ino = 0;
	if (link_target(fddir, name, &mnt, &ino) < 0)
		return 0;
	if (mnt == p->s->anon_inode_mnt_id) {
		scan_uring(p, fddir, fdinfo_dir, name, tid);
		return 1;
	}
	if (!umh_scan_lookup(p->s, mnt))
		return 1;
	int32_t fd = atoi(name);
	if (kind == UMH_KIND_FD)
		remember(p, mnt, ino, fd);
	else if (p->kcmp_failed && seen_before(p, mnt, ino, fd))
		return 1; /* the leader's table, seen through a thread */

	struct umh_holder h = { .kind = kind, .mnt_id = mnt, .tid = tid, .fd = fd, .path = p->b->path };
	if (read_link_pinned(p->s->procfd, fddir, name, mnt, ino, p->b->path, sizeof(p->b->path), &h.deleted) < 0)
		return 1;
	char info[PATH_MAX], buf[512];
	struct umh_fdinfo fi;
	snprintf(info, sizeof(info), "%s/%s", fdinfo_dir, name);
	if (umh_read_small(p->dirfd, info, buf, sizeof(buf)) > 0 && umh_parse_fdinfo(buf, &fi) == 0)
		snprintf(h.access, sizeof(h.access), "%s", umh_access_from_flags(fi.flags));
	int r = emit(p, &h);
	return r < 0 ? r : 1;
}

/* How many descriptors the table holds: Linux 6.2 and later give the
 * count as the size of the fd directory; 0 when unknown. */
static uint64_t open_count(int fddir)
{
	struct statx stx;
	if (statx(fddir, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_SIZE, &stx) < 0 || !(stx.stx_mask & STATX_SIZE))
		return 0;
	return stx.stx_size;
}

/* NAME = the decimal digits of FD (>= 0): snprintf showed in profiles. */
static void format_fd(char name[16], int32_t fd)
{
	char tmp[16];
	int n = 0;
	do
		tmp[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	for (int i = 0; i < n; i++)
		name[i] = tmp[n - 1 - i];
	name[n] = '\0';
}

/* A few gaps in a table (a descriptor closed in the middle) are cheaper to
 * step over than to list the rest: a failed lookup costs about two
 * successful ones. */
#define MAX_GAPS 8

/* Every descriptor in DIR ("fd" or "task/TID/fd").
 *
 * Listing the directory costs as much as a third of the scan: for every
 * entry the kernel looks up (or builds) its dentry to say its inode
 * number, which nobody here reads.  Tables are mostly dense from 0, and
 * the directory's size says how many are open (Linux 6.2 and later): so
 * descriptors 0, 1, 2... are looked at directly until that many were found
 * (stepping over a few gaps), and the listing finds the rest, from where
 * that stopped (lseek: position = descriptor + 2, after "." and "..").
 * Every descriptor open throughout is seen either way; one that comes or
 * goes meanwhile may or may not be, as with a listing alone. */
static int scan_fds(struct proc_scan *p, const char *dir, const char *fdinfo_dir, int32_t tid, enum umh_kind kind)
{
	_cleanup_close_ int fddir = openat(p->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0) {
		if (errno == EACCES || errno == EPERM)
			note_denied(p, errno);
		return 0;
	}
	uint64_t count = 0, expected = open_count(fddir);
	int32_t next = 0; /* the first descriptor not looked at */
	char name[16];
	for (unsigned int gaps = 0; count < expected && gaps <= MAX_GAPS && next < INT32_MAX; next++) {
		format_fd(name, next);
		int r = scan_fd(p, fddir, fdinfo_dir, name, tid, kind);
		if (r < 0)
			return r;
		if (r == 0)
			gaps++;
		else
			count++;
	}
	/* When all were found, the listing finds nothing more (unless the
	 * table grew meanwhile): one short call says so.  Descriptors below
	 * NEXT were looked at already, should the seek not be honoured. */
	if (next > 0)
		lseek(fddir, (off_t)next + 2, SEEK_SET);
	for (;;) {
		long n = syscall(SYS_getdents64, fddir, p->b->dents, sizeof(p->b->dents));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(p->b->dents + off);
			off += d->d_reclen;
			if (d->d_name[0] == '.' || atoi(d->d_name) < next)
				continue;
			count++;
			int r = scan_fd(p, fddir, fdinfo_dir, d->d_name, tid, kind);
			if (r < 0)
				return r;
		}
	}
	atomic_fetch_add(&p->s->fds_scanned, count);
	return 0;
}

/* File mappings: their device is in maps, so only mappings of the scanned
 * filesystems are looked at; map_files/ then gives the exact mount. */
static int scan_maps(struct proc_scan *p)
{
	ssize_t len = umh_read_all(p->dirfd, "maps", &p->b->text, &p->b->text_size);
	if (len < 0) {
		if (len == -EACCES || len == -EPERM)
			note_denied(p, (int)-len);
		return 0;
	}
	for (char *line = p->b->text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct umh_maps_entry e;
		if (umh_parse_maps_line(line, &e) < 0 || e.inode == 0 || !umh_scan_has_dev(p->s, e.major, e.minor))
			continue;

		char name[64];
		snprintf(name, sizeof(name), "map_files/%" PRIx64 "-%" PRIx64, e.start, e.end);
		uint64_t mnt = 0, ino = e.inode;
		bool by_path = false;
		const struct umh_scan_mount *m = NULL;
		if (link_target(p->dirfd, name, &mnt, &ino) == 0) {
			m = umh_scan_lookup(p->s, mnt);
		} else {
			/* map_files/ needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN:
			 * without it, the device matched and the path tells which
			 * of its mounts. */
			m = umh_scan_mount_for_path(p->s, e.path);
			by_path = true;
		}
		if (!m || seen_before(p, m->id, ino, -2))
			continue;
		remember(p, m->id, ino, -2);
		if (p->exe.mnt == m->id && p->exe.ino == ino)
			continue; /* the executable's own mapping: reported as exe */

		struct umh_holder h = {
			.kind = UMH_KIND_MMAP,
			.mnt_id = m->id,
			.tid = p->pid,
			.fd = -1,
			.by_path = by_path,
			.path = p->b->path,
		};
		snprintf(h.access, sizeof(h.access), "%s%s", e.perms[0] == 'r' ? "r" : "", e.perms[1] == 'w' ? "w" : "");
		/* Without map_files/, maps' own path is all there is, and
		 * whether the file is unlinked cannot be checked. */
		if (by_path ||
		    read_link_pinned(p->s->procfd, p->dirfd, name, mnt, ino, p->b->path, sizeof(p->b->path), &h.deleted) < 0)
			snprintf(p->b->path, sizeof(p->b->path), "%s", e.path);
		int r = emit(p, &h);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Threads share the leader's cwd, root and file table unless they called
 * unshare(CLONE_FS) or unshare(CLONE_FILES): only those are scanned. */
static int scan_threads(struct proc_scan *p)
{
	/* The task directory's link count is 2 + the number of threads: a
	 * process with one thread has no other to look at, and one statx
	 * saves opening and listing the directory (seven system calls). */
	struct statx stx;
	if (statx(p->dirfd, "task", AT_STATX_DONT_SYNC, STATX_NLINK, &stx) == 0 && (stx.stx_mask & STATX_NLINK) &&
	    stx.stx_nlink == 3)
		return 0;
	_cleanup_close_ int fd = openat(p->dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d)
		return 0;
	TAKE_FD(fd);

	/* A listing cut short means the process exited: nothing is held. */
	struct dirent *e;
	while (umh_readdir(d, &e) > 0) {
		int32_t tid = atoi(e->d_name);
		if (tid <= 0 || tid == p->pid)
			continue;
		char cwd[64], root[64], fds[64], fdinfo[64];
		snprintf(cwd, sizeof(cwd), "task/%d/cwd", tid);
		snprintf(root, sizeof(root), "task/%d/root", tid);
		snprintf(fds, sizeof(fds), "task/%d/fd", tid);
		snprintf(fdinfo, sizeof(fdinfo), "task/%d/fdinfo", tid);

		int fs_cmp = kcmp(p->pid, tid, KCMP_FS);
		int files_cmp = kcmp(p->pid, tid, KCMP_FILES);
		if (fs_cmp < 0 || files_cmp < 0)
			p->kcmp_failed = true;
		if (fs_cmp != 0) {
			/* Without kcmp, a thread whose cwd is the leader's is
			 * taken to share it. */
			uint64_t mnt = 0, ino = 0;
			bool same_cwd = fs_cmp < 0 && link_target(p->dirfd, cwd, &mnt, &ino) == 0 &&
					mnt == p->cwd.mnt && ino == p->cwd.ino;
			bool same_root = fs_cmp < 0 && link_target(p->dirfd, root, &mnt, &ino) == 0 &&
					 mnt == p->root.mnt && ino == p->root.ino;
			if (!same_cwd)
				scan_link(p, tid, cwd, UMH_KIND_THREAD_CWD, NULL);
			if (!same_root)
				scan_link(p, tid, root, UMH_KIND_THREAD_ROOT, NULL);
		}
		if (files_cmp != 0) {
			int ret = scan_fds(p, fds, fdinfo, tid, UMH_KIND_THREAD_FD);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static int scan_process(struct proc_scan *p)
{
	int r;
	p->dirfd = openat(p->s->procfd, p->pid_str, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0)
		return 0; /* exited since the listing */

	if ((r = scan_link(p, 0, "cwd", UMH_KIND_CWD, &p->cwd)) < 0 ||
	    (r = scan_link(p, 0, "root", UMH_KIND_ROOT, &p->root)) < 0 ||
	    (r = scan_link(p, 0, "exe", UMH_KIND_EXE, &p->exe)) < 0 ||
	    (r = scan_fds(p, "fd", "fdinfo", p->pid, UMH_KIND_FD)) < 0 ||
	    (r = scan_maps(p)) < 0 || (r = scan_threads(p)) < 0)
		goto out;
	atomic_fetch_add(&p->s->processes_scanned, 1);
out:
	close(p->dirfd);
	return r;
}

int umh_collect_fd_table(struct umh_scan *s, int32_t pid, int32_t tid, bool *described)
{
	_cleanup_free_ struct worker_bufs *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	struct proc_scan p = { .s = s, .b = b, .pid = pid, .described = *described };
	snprintf(p.pid_str, sizeof(p.pid_str), "%d", pid);
	p.dirfd = openat(s->procfd, p.pid_str, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = 0;
	if (p.dirfd >= 0) {
		char fds[64], fdinfo[64];
		if (tid == pid) {
			r = scan_fds(&p, "fd", "fdinfo", pid, UMH_KIND_FD);
		} else {
			snprintf(fds, sizeof(fds), "task/%d/fd", tid);
			snprintf(fdinfo, sizeof(fdinfo), "task/%d/fdinfo", tid);
			r = scan_fds(&p, fds, fdinfo, tid, UMH_KIND_THREAD_FD);
		}
		close(p.dirfd);
	}
	*described = p.described;
	free(b->text);
	free(b->seen);
	return r;
}

/* --- the worker pool -------------------------------------------------------- */

struct pool {
	struct umh_scan *s;
	int32_t *pids;
	size_t n_pids;
	atomic_size_t next;
	atomic_size_t attempted;
	atomic_int error; /* first negative errno */
};

static void set_error(struct pool *pool, int err)
{
	int none = 0;
	atomic_compare_exchange_strong(&pool->error, &none, err);
}

/* A worker that cannot get its buffers leaves the processes to the others
 * (umh_collect_processes fails the scan if none could). */
static void *worker(void *arg)
{
	struct pool *pool = arg;
	struct worker_bufs *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	for (;;) {
		size_t i = atomic_fetch_add(&pool->next, 1);
		if (i >= pool->n_pids || umh_scan_out_of_time(pool->s))
			break;
		atomic_fetch_add(&pool->attempted, 1);
		struct proc_scan p = { .s = pool->s, .b = b, .pid = pool->pids[i] };
		snprintf(p.pid_str, sizeof(p.pid_str), "%d", p.pid);
		int r = scan_process(&p);
		if (r < 0)
			set_error(pool, r);
	}
	free(b->text);
	free(b->seen);
	free(b);
	return NULL;
}

/* With hidepid=invisible (or 2), /proc lists only this user's processes:
 * the others are not even there to count.  Say so, with the total the
 * kernel still shows in /proc/loadavg (tasks: threads included). */
static int note_hidden_processes(struct umh_scan *s)
{
	struct libmnt_fs *fs = mnt_table_find_target(s->table, "/proc", MNT_ITER_BACKWARD);
	const char *opts = fs ? mnt_fs_get_fs_options(fs) : NULL;
	if (!opts || !(strstr(opts, "hidepid=invisible") || strstr(opts, "hidepid=2")))
		return 0;
	char buf[128], why[256];
	unsigned long running, total = 0;
	if (umh_read_small(s->procfd, "loadavg", buf, sizeof(buf)) > 0)
		sscanf(buf, "%*s %*s %*s %lu/%lu", &running, &total);
	int n = snprintf(why, sizeof(why), "/proc is mounted with hidepid=invisible, so they are not visible to this user");
	if (total)
		snprintf(why + n, sizeof(why) - (size_t)n, " (%lu tasks run on the system in all)", total);
	return umh_report_add_skip(s->report, 0, EACCES, "other users' processes", why);
}

int umh_collect_processes(struct umh_scan *s)
{
	struct pool pool = { .s = s };
	int r = umh_list_pids(s->procfd, &pool.pids, &pool.n_pids);
	if (r < 0)
		return r;
	/* Not ourselves, nor the process that waits for our answer. */
	size_t kept = 0;
	for (size_t i = 0; i < pool.n_pids; i++)
		if (pool.pids[i] != s->self && pool.pids[i] != s->parent)
			pool.pids[kept++] = pool.pids[i];
	pool.n_pids = kept;
	if (geteuid() != 0 && (r = note_hidden_processes(s)) < 0) {
		free(pool.pids);
		return r;
	}

	unsigned int n = s->workers ? s->workers : 1;
	pthread_t *threads = calloc(n, sizeof(*threads));
	unsigned int started = 0;
	/* The calling thread works too; the others join it. */
	for (unsigned int i = 1; threads && i < n; i++) {
		if (pthread_create(&threads[i], NULL, worker, &pool) != 0)
			break;
		started++;
	}
	worker(&pool);
	for (unsigned int i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (pool.n_pids && atomic_load(&pool.next) == 0)
		set_error(&pool, -ENOMEM); /* no worker got its buffers */

	size_t attempted = atomic_load(&pool.attempted);
	if (attempted < pool.n_pids) {
		char what[64];
		snprintf(what, sizeof(what), "%zu of %zu processes", pool.n_pids - attempted, pool.n_pids);
		umh_report_add_skip(s->report, 0, ETIME, what, "the time budget ran out");
	}
	free(pool.pids);
	return atomic_load(&pool.error);
}
