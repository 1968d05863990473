// SPDX-License-Identifier: GPL-2.0-or-later
/* The fast scan: every reference a process or thread holds to the mounts of
 * interest, found by BPF iterators instead of one statx per descriptor
 * through /proc.
 *
 *   iter/unix       files in flight in unix sockets' receive queues (run first:
 *                   it tells the task pass which sockets to look for)
 *   iter/task       per task: cwd, root and exe; its descriptor table, read
 *                   directly (the open_fds bitmap, then each file); threads
 *                   with their own fs_struct or their own file table
 *   iter/task_vma   file mappings of each process (its leader's mm)
 *
 * Why the task pass reads descriptor tables itself rather than through
 * iter/task_file: that iterator takes and drops a reference on every file
 * and runs the program once per descriptor through its seq_file, which on
 * 200,000 descriptors costs ~55 ms before the program does anything; reading
 * the table under the RCU read lock the iterator holds costs ~25 ms.
 *
 * Everything is read with bpf_probe_read_kernel (BPF_CORE_READ), never by
 * walking pointers the verifier must prove trusted: each such proof makes
 * the verifier search the kernel's BTF for a type by name, which with a few
 * hundred of them was a good part of the load time.  For the same reason
 * paths are walked by hand (path.bpf.h): bpf_d_path takes trusted pointers
 * only.  Reads of memory that changes under us (a descriptor closed during
 * the walk) fail safe: a file that is gone is read as it was, or as empty.
 *
 * Only matches are written to the iterator's seq_file, so what user space
 * reads is a few records, not the whole process table.  The rules mirror
 * collect-procfs.c exactly, so that both scans report the same holders.
 *
 * Built twice (bpf.mk): as is, for every kernel the scan supports, and with
 * UMH_ITER_FAST, for Linux 6.2 and later, where the descriptor walk reads
 * each file's mount with a plain load (bpf_rdonly_cast) in a loop over the
 * 64 descriptors of a bitmap word, instead of a helper call for each from a
 * bpf_loop callback: the walk is bound by reading each struct file once,
 * and half its time went to the calls around that read (scan_tasks at
 * 2,000 x 100: 12 ms of CPU, 6 ms with it).  The two share every global
 * and map: user space loads the fast one where it can, the other where not
 * (scan-skel.c). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "iter.h"
#include "path.bpf.h"
#include "uprobe.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#ifdef UMH_ITER_FAST
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;
#endif

/* The mounts of interest, set by user space before the iterators run:
 * the first UMH_ITER_FAST_MOUNTS in fast_ids (unused slots 0, which no
 * mount has), all of them in the map when there are more. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UMH_ITER_MAX_MOUNTS);
	/* Not preallocated: a table this size would cost milliseconds at
	 * every load, and it mostly holds a handful. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} mounts SEC(".maps");
__u32 fast_ids[UMH_ITER_FAST_MOUNTS] = {};
__u32 use_map = 0;

/* Sockets to name the owners of (iter/unix fills it): those with files in
 * flight towards the mounts, those bound to a path on them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UMH_ITER_MAX_SCM);
	__type(key, __u64);
	__type(value, __u8);
} scm_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UMH_ITER_MAX_SCM);
	__type(key, __u32);
	__type(value, struct umh_scm_rec);
} scm_found SEC(".maps");

/* Fixed at load.  BUILD_ID: the loader's (scan-skel.c), so that a scan
 * that finds these programs pinned by the watcher can tell they are the
 * ones it was built with. */
const volatile __u32 anon_inode_mnt_id = 0;
const volatile char build_id[UMH_ITER_BUILD_ID_SIZE] = {};
/* Per scan, all zero at its start (the pinned programs serve one scan
 * after another: user space clears this section between them).  Both
 * sections end without padding (a scan compares their maps' value sizes
 * with the skeleton's structs). */
__u64 cookie_key = 0; /* random */
__u32 n_scm = 0;      /* entries used in scm_found */
__u32 sock_mnt_id = 0; /* sockfs, where the sockets of scm_socks are */

/* Unix sockets bound to a path on the mounts (iter/unix).  A bound
 * socket holds that path (unix_bind: a reference to the mount and the
 * dentry) until it is released, whoever holds its descriptor. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UMH_ITER_MAX_BOUND);
	__type(key, __u32);
	__type(value, struct umh_bound_rec);
} bound_found SEC(".maps");
__u32 n_bound = 0;
__u32 bound_lost = 0;
__u32 scm_lost = 0;   /* in-flight files beyond UMH_ITER_MAX_SCM */
__u64 files_seen = 0; /* descriptors walked: the scan's own statistics */
__u64 tasks_seen = 0; /* processes (thread group leaders) */
/* The seq_file runs a task's program again when its records did not fit
 * after those of the tasks before: counted once, by sequence number (plus
 * one: 0 is none yet). */
__u64 counted_seq = 0;
/* The mapping walk's last mount not of interest (scan_vmas).  Per scan,
 * like the rest of this section: an address is only compared while the
 * mount it was read from may still be alive, and no mount created during
 * the scan is of interest to it. */
__u64 vma_last_mnt = 0;

static __always_inline __u32 mnt_id_of(struct vfsmount *vfsmnt)
{
	if (!vfsmnt)
		return 0;
	return BPF_CORE_READ(umh_real_mount(vfsmnt), mnt_id);
}

/* OBJ's cookie.  User space counts distinct objects for the mount's
 * reference accounting, and needs no kernel address for that: the address
 * is mixed with a random key through a bijection (splitmix64's finalizer),
 * so distinct objects keep distinct cookies.  (Addresses here are plain
 * numbers, read with bpf_probe_read_kernel: the verifier lets them be
 * mixed.) */
static __always_inline __u64 cookie_of(__u64 obj)
{
	__u64 x = obj ^ cookie_key;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static __always_inline bool of_interest(__u32 mnt_id)
{
	if (!mnt_id)
		return false;
	if (use_map)
		return bpf_map_lookup_elem(&mounts, &mnt_id) != NULL;
#pragma unroll
	for (int i = 0; i < UMH_ITER_FAST_MOUNTS; i++)
		if (fast_ids[i] == mnt_id)
			return true;
	return false;
}

/* A task's number in the pid namespace of the process reading the
 * iterator: the iterator only visits tasks visible there. */
static __always_inline __s32 nr_in_ns(struct pid *pid, __u32 level)
{
	int nr = 0;
	if (!pid || BPF_CORE_READ(pid, level) < level)
		return 0;
	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level & 31].nr);
	return nr;
}

/* A task's records are gathered here, then written to the seq_file at
 * once by the program itself: helpers that take the seq_file want the
 * pointer the iterator passed, which the bpf_loop callbacks that walk a
 * table cannot be handed intact.  Room for the task's share, and one
 * record with its names beyond, so that bounds are simple to prove.
 *
 * Per CPU, and per program (SLOT_TASKS, SLOT_VMAS), as the path buffers
 * are: the task and mapping iterators run at the same time in two
 * threads, and an iterator's program can be preempted (it is only kept on
 * its CPU), so the other may run on that CPU in the middle of it. */
#define OUT_SIZE (UMH_ITER_TASK_BYTES + sizeof(struct umh_iter_rec) + UMH_PATH_BUF + UMH_NAME_MAX)
#define SLOT_TASKS 0
#define SLOT_VMAS 1
struct out_buf {
	char data[OUT_SIZE];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UMH_PATH_SLOTS);
	__type(key, __u32);
	__type(value, struct out_buf);
} outbuf SEC(".maps");

/* What every record of one task shares, and what it has gathered.  Kernel
 * pointers are kept as numbers: the functions below are global (see
 * add_record), and a global function's pointer arguments must point to
 * memory the verifier can size, which a struct holding kernel pointers it
 * cannot. */
struct task_out {
	__u64 task;
	__s32 pid, tid; /* 0 until the first record needs them */
	__u32 bytes;
	__u32 full;     /* a table was handed over: nothing more fits */
	__u32 slot;     /* SLOT_TASKS or SLOT_VMAS: whose buffers */
	__u32 pad;
};

static __always_inline void ids_of(struct task_out *t)
{
	if (t->tid)
		return;
	struct task_struct *me = (void *)bpf_get_current_task();
	/* (Not BPF_CORE_READ(t->task, ...): the macro would make t->task,
	 * a field of our own struct, a CO-RE relocation against the kernel's.) */
	struct task_struct *task = (void *)t->task;
	__u32 level = BPF_CORE_READ(me, thread_pid, level);
	t->tid = nr_in_ns(BPF_CORE_READ(task, thread_pid), level);
	t->pid = nr_in_ns(BPF_CORE_READ(task, group_leader, thread_pid), level);
}

/* Adds one record, with the names of DENTRY on VFSMNT when given, keeping
 * RESERVE bytes free.  Returns -1 when it does not fit in the task's share.
 *
 * Global, like one_fd and send_path: the verifier checks a global function
 * once, on its own, where a static one is checked again at every call, in
 * every state the caller may be in; inlined into the table walk's nested
 * callbacks, this took the verifier a second. */
__noinline int add_record(struct task_out *t, struct umh_iter_rec *rec, __u64 dentry_ptr, __u64 vfsmnt_ptr,
			  __u32 reserve)
{
	if (!t || !rec)
		return -1;
	struct dentry *dentry = (void *)dentry_ptr;
	struct vfsmount *vfsmnt = (void *)vfsmnt_ptr;
	struct umh_pathbuf *p = NULL;
	if (dentry) {
		/* Names as the reader (this scan) sees them: up to its root. */
		struct task_struct *me = (void *)bpf_get_current_task();
		struct path root = { .dentry = BPF_CORE_READ(me, fs, root.dentry), .mnt = BPF_CORE_READ(me, fs, root.mnt) };
		p = umh_walk_path_in(t->slot, dentry, vfsmnt, &root);
	}
	__u32 len = 0;
	if (p) {
		len = p->len;
		rec->path_state = p->complete ? UMH_REC_PATH_COMPLETE : 0;
		/* Stopped by length, not at a root: too long to name. */
		if (len > UMH_PATH_BUF + UMH_NAME_MAX || (!p->complete && len > UMH_PATH_BUF - UMH_NAME_MAX))
			len = 0;
	}
	rec->path_len = (__u16)len;
	rec->reclen = sizeof(*rec) + len;
	__u32 off = t->bytes, slot = t->slot;
	if (off + rec->reclen + reserve > UMH_ITER_TASK_BYTES || off > UMH_ITER_TASK_BYTES)
		return -1;
	char *buf = bpf_map_lookup_elem(&outbuf, &slot);
	if (!buf)
		return -1;
	__builtin_memcpy(buf + off, rec, sizeof(*rec));
	if (p && len)
		bpf_probe_read_kernel(buf + off + sizeof(*rec), len, p->buf);
	t->bytes = off + rec->reclen;
	return 0;
}

/* Writes what the task gathered. */
static __always_inline void flush(struct seq_file *seq, const struct task_out *t)
{
	__u32 slot = t->slot, len = t->bytes;
	char *buf = bpf_map_lookup_elem(&outbuf, &slot);
	if (buf && len && len <= UMH_ITER_TASK_BYTES)
		bpf_seq_write(seq, buf, len);
}

static __always_inline void inode_facts(struct umh_iter_rec *rec, struct inode *inode)
{
	rec->ino = BPF_CORE_READ(inode, i_ino);
	rec->nlink = BPF_CORE_READ(inode, i_nlink);
}

/* --- descriptors ------------------------------------------------------------- */

/* Anonymous inodes are told apart by their names (their f_ops, such as
 * io_uring_fops, are data symbols this kernel may not export). */
enum anon_kind { ANON_OTHER, ANON_URING, ANON_PERF, ANON_LINK };

static __always_inline __u64 word(const char *s, int i)
{
	__u64 w;
	__builtin_memcpy(&w, s + 8 * i, sizeof(w));
	return w;
}

static __always_inline enum anon_kind anon_kind_of(struct file *file)
{
	static const char uring[16] = "[io_uring]", perf[16] = "[perf_event]", link[16] = "bpf_link";
	char name[16] = {};
	const unsigned char *n = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), n) <= 0)
		return ANON_OTHER;
	__u64 w0 = word(name, 0), w1 = word(name, 1);
	if (w0 == word(uring, 0) && w1 == word(uring, 1))
		return ANON_URING;
	if (w0 == word(perf, 0) && w1 == word(perf, 1))
		return ANON_PERF;
	if (w0 == word(link, 0) && w1 == word(link, 1))
		return ANON_LINK;
	return ANON_OTHER;
}

struct fd_walk {
	struct task_out out;
	__u64 fd;           /* struct file ** */
	__u64 open_fds;     /* unsigned long * */
	__u32 kind;         /* UMH_REC_FD or UMH_REC_THREAD_FD */
	__u32 pad;
	__u64 seen;
	/* Descriptors of one table mostly share a few mounts: the last
	 * one's id saves a read, and whether it is of interest (LAST_HOT:
	 * a mount looked for, io_uring's, or sockets' with files in flight)
	 * lets the fast walk step over the others. */
	__u64 last_mnt;
	__u32 last_id;
	__u32 last_hot;
};

/* The 64 descriptors of one word of the open_fds bitmap, read at once,
 * and the walk's state: per-CPU memory, the nested calls leave little of
 * the 512-byte stack. */
struct slots {
	__u64 file[64];
	struct fd_walk w;
	struct umh_iter_rec rec; /* one_fd's and one_probe's record (see one_fd) */
	__u64 word; /* the word of the bitmap being walked, shifted */
	__u32 base; /* the descriptor of its lowest bit */
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} slots SEC(".maps");

/* A perf event or a BPF link that holds a uprobe on a file of the mounts
 * (uprobe.bpf.h): a record of its own.  Returns 1 to stop. */
__noinline int one_probe(struct fd_walk *w, __u32 fd, __u64 file_ptr, __u32 anon)
{
	struct file *file = (void *)file_ptr;
	__u32 zero = 0;
	struct slots *sl = bpf_map_lookup_elem(&slots, &zero);
	if (!w || !file || !sl)
		return 0;
	struct umh_probe_path pp = {};
	__u32 link_id = 0;
	void *priv = BPF_CORE_READ(file, private_data);
	bool found = anon == ANON_PERF ? umh_uprobe_of_perf(priv, &pp) : umh_uprobe_of_link(priv, &pp, &link_id);
	if (!found)
		return 0;
	struct vfsmount *vfsmnt = pp.mnt;
	struct dentry *dentry = pp.dentry;
	__u32 mnt_id = mnt_id_of(vfsmnt);
	if (!of_interest(mnt_id))
		return 0;
	ids_of(&w->out);
	struct umh_iter_rec *rec = &sl->rec;
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->kind = UMH_REC_UPROBE;
	rec->pid = w->out.pid ?: w->out.tid;
	rec->tid = w->out.tid;
	rec->fd = (__s32)fd;
	rec->mnt_id = mnt_id;
	rec->flags = link_id;
	rec->sub = (anon == ANON_PERF ? UMH_UPROBE_PERF : UMH_UPROBE_LINK) | (pp.tracefs ? UMH_UPROBE_TRACEFS : 0);
	rec->obj = cookie_of(pp.obj);
	rec->dentry = cookie_of((__u64)dentry);
	inode_facts(rec, BPF_CORE_READ(dentry, d_inode));
	if (add_record(&w->out, rec, (__u64)dentry, (__u64)vfsmnt, sizeof(*rec)) == 0)
		return 0;
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->kind = UMH_REC_FD_OVERFLOW;
	rec->pid = w->out.pid ?: w->out.tid;
	rec->tid = w->out.tid;
	rec->fd = (__s32)fd;
	add_record(&w->out, rec, 0, 0, 0);
	w->out.full = 1;
	return 1;
}

/* Descriptor FD, whose file is FILE_PTR: a record if the file is on a mount
 * of interest, is an io_uring, or is a socket whose owner is looked for.
 * Returns 1 to stop, FD_IS_PERF or FD_IS_LINK for a perf event or a BPF
 * link (for one_probe), else 0. */
#define FD_IS_PERF 2
#define FD_IS_LINK 3
__noinline int one_fd(struct fd_walk *w, __u32 fd, __u64 file_ptr)
{
	struct file *file = (void *)file_ptr;
	__u32 zero = 0;
	struct slots *sl = bpf_map_lookup_elem(&slots, &zero);
	if (!w || !file || !sl)
		return 0;
	w->seen++;

	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	__u32 mnt_id = w->last_id;
	if ((__u64)vfsmnt != w->last_mnt) {
		mnt_id = mnt_id_of(vfsmnt);
		w->last_mnt = (__u64)vfsmnt;
		w->last_id = mnt_id;
		w->last_hot = (anon_inode_mnt_id && mnt_id == anon_inode_mnt_id) || of_interest(mnt_id) ||
			      ((n_scm || n_bound) && mnt_id == sock_mnt_id);
	}
	bool uring = false;
	if (anon_inode_mnt_id && mnt_id == anon_inode_mnt_id) {
		enum anon_kind k = anon_kind_of(file);
		/* The caller hands it to one_probe: called from here, the
		 * two frames would not fit in BPF's stack. */
		if (k == ANON_PERF || k == ANON_LINK)
			return k == ANON_PERF ? FD_IS_PERF : FD_IS_LINK;
		if (k != ANON_URING)
			return 0;
		uring = true;
	}
	bool owner = false;
	if (!uring && !of_interest(mnt_id)) {
		if ((!n_scm && !n_bound) || mnt_id != sock_mnt_id)
			return 0;
		__u64 ino = BPF_CORE_READ(file, f_inode, i_ino);
		if (!bpf_map_lookup_elem(&scm_socks, &ino))
			return 0;
		owner = true;
	}
	ids_of(&w->out);
	/* The record in per-CPU memory: on the stack, it would leave too
	 * little of BPF's 512 bytes to the calls below (Linux 6.1 counts
	 * each frame rounded up to 32 bytes). */
	struct umh_iter_rec *rec = &sl->rec;
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->kind = uring ? UMH_REC_URING : owner ? UMH_REC_SOCK_OWNER : w->kind;
	rec->pid = w->out.pid ?: w->out.tid;
	rec->tid = w->out.tid;
	rec->fd = (__s32)fd;
	rec->mnt_id = mnt_id;
	rec->flags = BPF_CORE_READ(file, f_flags);
	rec->obj = cookie_of(file_ptr);
	inode_facts(rec, BPF_CORE_READ(file, f_inode));
	if (owner)
		rec->sock_ino = rec->ino;
	__u64 dentry = owner ? 0 : (__u64)BPF_CORE_READ(file, f_path.dentry);
	rec->dentry = dentry ? cookie_of(dentry) : 0;
	if (add_record(&w->out, rec, dentry, (__u64)vfsmnt, sizeof(*rec)) == 0)
		return 0;
	/* Too many to carry: the whole table goes to user space instead
	 * (room for this record was kept). */
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->kind = UMH_REC_FD_OVERFLOW;
	rec->pid = w->out.pid ?: w->out.tid;
	rec->tid = w->out.tid;
	rec->fd = (__s32)fd;
	add_record(&w->out, rec, 0, 0, 0);
	w->out.full = 1;
	return 1;
}

#ifndef UMH_ITER_FAST
static long bit_step(__u32 b, void *unused)
{
	__u32 zero = 0;
	struct slots *sl = bpf_map_lookup_elem(&slots, &zero);
	if (!sl || !sl->word)
		return 1;
	bool open = sl->word & 1;
	sl->word >>= 1;
	if (!open)
		return 0;
	__u32 fd = sl->base + b;
	__u64 file = sl->file[b & 63];
	int r = one_fd(&sl->w, fd, file);
	if (r == FD_IS_PERF || r == FD_IS_LINK)
		r = one_probe(&sl->w, fd, file, r == FD_IS_PERF ? ANON_PERF : ANON_LINK);
	/* They are global, so their results are any number to the
	 * verifier: a callback must be seen to return 0 or 1. */
	return umh_mask(r, 1);
}
#endif

/* Word I of the bitmap: its open descriptors, their files read in one go. */
static long word_step(__u32 i, void *unused)
{
	__u32 zero = 0;
	struct slots *sl = bpf_map_lookup_elem(&slots, &zero);
	if (!sl)
		return 1;
	unsigned long word = 0;
	bpf_probe_read_kernel(&word, sizeof(word), (unsigned long *)sl->w.open_fds + i);
	if (!word)
		return 0;
	/* The table holds max_fds pointers, a multiple of 64. */
	if (bpf_probe_read_kernel(sl->file, sizeof(sl->file), (struct file **)sl->w.fd + (__u64)i * 64) < 0)
		return 0;
	sl->base = i * 64;
#ifdef UMH_ITER_FAST
	/* A file whose mount is the last one's, not of interest, is only
	 * counted; any other goes through one_fd, which reads it again. */
	__u32 file_type = bpf_core_type_id_kernel(struct file);
	for (int k = 0; k < 64; k++) {
		__u64 ptr = sl->file[k];
		if (!((word >> k) & 1) || !ptr)
			continue;
		struct file *file = bpf_rdonly_cast((void *)ptr, file_type);
		if ((__u64)file->f_path.mnt == sl->w.last_mnt && !sl->w.last_hot) {
			sl->w.seen++;
			continue;
		}
		int r = one_fd(&sl->w, sl->base + k, ptr);
		if (r == FD_IS_PERF || r == FD_IS_LINK)
			r = one_probe(&sl->w, sl->base + k, ptr, r == FD_IS_PERF ? ANON_PERF : ANON_LINK);
		if (r == 1)
			break;
	}
#else
	sl->word = word;
	bpf_loop(64, bit_step, NULL, 0);
#endif
	return umh_mask(sl->w.out.full, 1);
}

/* Every open descriptor of FILES, by the bitmap of open ones. */
__noinline int walk_table(struct task_out *t, __u64 files_ptr, __u32 kind)
{
	struct files_struct *files = (void *)files_ptr;
	struct fdtable *fdt = BPF_CORE_READ(files, fdt);
	__u32 zero = 0;
	struct slots *sl = bpf_map_lookup_elem(&slots, &zero);
	if (!t || !fdt || !sl)
		return 0;
	struct fd_walk *w = &sl->w;
	__builtin_memset(w, 0, sizeof(*w));
	w->out = *t;
	w->fd = (__u64)BPF_CORE_READ(fdt, fd);
	w->open_fds = (__u64)BPF_CORE_READ(fdt, open_fds);
	w->kind = kind;
	__u32 words = BPF_CORE_READ(fdt, max_fds) / 64;
	if (w->fd && w->open_fds)
		bpf_loop(words, word_step, NULL, 0);
	*t = w->out;
	files_seen += w->seen;
	return 0;
}

/* --- working directories, roots, executables -------------------------------- */

/* A cwd, root or executable; OBJ holds the reference: the fs_struct for
 * cwd and root, the file for exe. */
__noinline int send_path(struct task_out *t, __u32 kind, __u64 vfsmnt_ptr, __u64 dentry_ptr, __u64 obj)
{
	struct vfsmount *vfsmnt = (void *)vfsmnt_ptr;
	struct dentry *dentry = (void *)dentry_ptr;
	__u32 mnt_id = mnt_id_of(vfsmnt);
	if (!t || !of_interest(mnt_id))
		return 0;
	ids_of(t);
	struct umh_iter_rec rec = {
		.kind = kind, .pid = t->pid, .tid = t->tid, .fd = -1, .mnt_id = mnt_id, .obj = cookie_of(obj),
		.dentry = cookie_of(dentry_ptr),
	};
	inode_facts(&rec, BPF_CORE_READ(dentry, d_inode));
	return add_record(t, &rec, dentry_ptr, vfsmnt_ptr, 0);
}

/* fs_struct as older kernels (Debian's 6.1 among them) lay it out: a
 * spinlock of its own beside a seqcount_spinlock_t, where newer ones have
 * one seqlock_t.  CO-RE picks the one the running kernel has; the other
 * branch's relocations fail, and the verifier never reaches them. */
struct fs_struct___seqcount {
	spinlock_t lock;
	seqcount_spinlock_t seq;
} __attribute__((preserve_access_index));

static __always_inline unsigned int fs_sequence(struct fs_struct *fs)
{
	if (bpf_core_field_exists(struct fs_struct___seqcount, lock))
		return BPF_CORE_READ((struct fs_struct___seqcount *)fs, seq.seqcount.sequence);
	return BPF_CORE_READ(fs, seq.seqcount.seqcount.sequence);
}

/* The cwd and root of FS (a thread's own when THREAD).  chdir(2) and
 * chroot(2) replace them under fs->seq, a seqlock, while this runs without
 * it: so they are read as the kernel's own lockless readers do, the
 * sequence before and after, and the records taken back if a writer came
 * between -- a mount id is never paired with the names of the directory
 * the process moved to (or from) meanwhile.  A reference in flux is not
 * reported: it was not there long enough to hold anything. */
static __always_inline void send_fs(struct task_out *t, struct fs_struct *fs, bool thread)
{
	unsigned int before = fs_sequence(fs);
	if (before & 1)
		return;
	__u32 bytes = t->bytes;
	send_path(t, thread ? UMH_REC_THREAD_CWD : UMH_REC_CWD, (__u64)BPF_CORE_READ(fs, pwd.mnt),
		  (__u64)BPF_CORE_READ(fs, pwd.dentry), (__u64)fs);
	send_path(t, thread ? UMH_REC_THREAD_ROOT : UMH_REC_ROOT, (__u64)BPF_CORE_READ(fs, root.mnt),
		  (__u64)BPF_CORE_READ(fs, root.dentry), (__u64)fs);
	if (fs_sequence(fs) != before)
		t->bytes = bytes;
}

SEC("iter/task")
int scan_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	__u64 seq_num = ctx->meta->seq_num + 1;
	bool again = seq_num == counted_seq;
	counted_seq = seq_num;
	__u64 files_before = files_seen;

	struct task_out t = { .task = (__u64)task, .slot = SLOT_TASKS };
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct files_struct *files = BPF_CORE_READ(task, files);
	if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid)) {
		tasks_seen += !again;
		if (fs)
			send_fs(&t, fs, false);
		struct file *exe = BPF_CORE_READ(task, mm, exe_file);
		if (exe)
			send_path(&t, UMH_REC_EXE, (__u64)BPF_CORE_READ(exe, f_path.mnt), (__u64)BPF_CORE_READ(exe, f_path.dentry),
				  (__u64)exe);
		if (files)
			walk_table(&t, (__u64)files, UMH_REC_FD);
	} else {
		/* A thread is its own holder only when it unshared its
		 * fs_struct or its file table. */
		struct task_struct *leader = BPF_CORE_READ(task, group_leader);
		if (fs && fs != BPF_CORE_READ(leader, fs))
			send_fs(&t, fs, true);
		if (files && files != BPF_CORE_READ(leader, files))
			walk_table(&t, (__u64)files, UMH_REC_THREAD_FD);
	}
	if (again)
		files_seen = files_before;
	flush(ctx->meta->seq, &t);
	return 0;
}

/* --- file mappings ------------------------------------------------------------ */

SEC("iter/task_vma")
int scan_vmas(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	if (!task || !vma)
		return 0;
#ifdef UMH_ITER_FAST
	/* The iterator's task and mapping are pointers the verifier trusts:
	 * plain loads, where a helper call for each read was half the walk's
	 * time (50,000 mappings of 2,000 processes: 6 ms of 11). */
	bool leader = task->pid == task->tgid;
	struct file *file = vma->vm_file;
	struct vfsmount *vfsmnt = file ? file->f_path.mnt : NULL;
#else
	bool leader = BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid);
	struct file *file = BPF_CORE_READ(vma, vm_file);
	struct vfsmount *vfsmnt = file ? BPF_CORE_READ(file, f_path.mnt) : NULL;
#endif
	/* /proc/PID/maps is the leader's mm; threads share it.  Most
	 * mappings are of a few files (libraries, programs) on one mount:
	 * the last mount found not of interest is known by its address. */
	if (!leader || !vfsmnt || (__u64)vfsmnt == vma_last_mnt)
		return 0;
	__u32 mnt_id = mnt_id_of(vfsmnt);
	if (!of_interest(mnt_id)) {
		vma_last_mnt = (__u64)vfsmnt;
		return 0;
	}
#ifdef UMH_ITER_FAST
	/* Read again as numbers: a cookie mixes the address, which the
	 * verifier allows of no pointer it typed. */
	file = BPF_CORE_READ(vma, vm_file);
	vfsmnt = BPF_CORE_READ(file, f_path.mnt);
#endif
	struct task_out t = { .task = (__u64)task, .slot = SLOT_VMAS };
	ids_of(&t);
	unsigned long vm_flags = BPF_CORE_READ(vma, vm_flags);
	struct umh_iter_rec rec = {
		.kind = UMH_REC_MMAP,
		.pid = t.pid,
		.tid = t.tid,
		.fd = -1,
		.mnt_id = mnt_id,
		.flags = (vm_flags & 1 ? UMH_VM_READ : 0) | (vm_flags & 2 ? UMH_VM_WRITE : 0),
		.obj = cookie_of((__u64)file),
	};
	__u64 dentry = (__u64)BPF_CORE_READ(file, f_path.dentry);
	rec.dentry = cookie_of(dentry);
	inode_facts(&rec, BPF_CORE_READ(file, f_inode));
	add_record(&t, &rec, dentry, (__u64)vfsmnt, 0);
	flush(ctx->meta->seq, &t);
	return 0;
}

/* --- files in flight in unix sockets ------------------------------------------ */

struct fp_walk {
	struct scm_fp_list *fp;
	__u64 sock_ino;
	__u32 sock_mnt_id;
};

static long scm_file(__u32 i, void *data)
{
	struct fp_walk *w = data;
	struct file *file = NULL;
	struct scm_fp_list *fpl = w->fp;
	bpf_core_read(&file, sizeof(file), &fpl->fp[i & 255]);
	if (!file)
		return 0;
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	__u32 mnt_id = mnt_id_of(vfsmnt);
	if (!of_interest(mnt_id))
		return 0;
	__u32 idx = __sync_fetch_and_add(&n_scm, 1);
	struct umh_scm_rec *r = bpf_map_lookup_elem(&scm_found, &idx);
	if (!r) {
		scm_lost++;
		return 0;
	}
	r->sock_ino = w->sock_ino;
	r->mnt_id = mnt_id;
	r->flags = BPF_CORE_READ(file, f_flags);
	r->ino = BPF_CORE_READ(file, f_inode, i_ino);
	r->nlink = BPF_CORE_READ(file, f_inode, i_nlink);
	r->obj = cookie_of((__u64)file);
	r->dentry = cookie_of((__u64)BPF_CORE_READ(file, f_path.dentry));
	/* Names as the reader (this scan) sees them. */
	struct task_struct *me = (void *)bpf_get_current_task();
	struct path root = { .dentry = BPF_CORE_READ(me, fs, root.dentry), .mnt = BPF_CORE_READ(me, fs, root.mnt) };
	struct umh_pathbuf *p = umh_walk_path(BPF_CORE_READ(file, f_path.dentry), vfsmnt, &root);
	if (p) {
		__u32 len = p->len < sizeof(r->path) ? p->len : sizeof(r->path);
		bpf_probe_read_kernel(r->path, umh_mask(len, sizeof(r->path) - 1), p->buf);
		r->path_len = len;
		r->path_parts = p->parts;
		r->path_complete = p->complete;
	}
	__u8 one = 1;
	bpf_map_update_elem(&scm_socks, &w->sock_ino, &one, BPF_ANY);
	sock_mnt_id = w->sock_mnt_id;
	return 0;
}

struct skb_walk {
	struct sk_buff *next;
	struct sk_buff *head; /* the queue itself, where the list ends */
	__u64 sock_ino;
	__u32 sock_mnt_id;
};

static long scm_skb(__u32 i, void *data)
{
	struct skb_walk *w = data;
	struct sk_buff *skb = w->next;
	if (!skb || skb == w->head)
		return 1;
	w->next = BPF_CORE_READ(skb, next);
	/* UNIXCB(skb): the control block at the start of skb->cb. */
	struct unix_skb_parms *cb = (void *)skb + bpf_core_field_offset(struct sk_buff, cb);
	struct scm_fp_list *fp = BPF_CORE_READ(cb, fp);
	if (!fp)
		return 0;
	short count = BPF_CORE_READ(fp, count);
	struct fp_walk fw = { .fp = fp, .sock_ino = w->sock_ino, .sock_mnt_id = w->sock_mnt_id };
	if (count > 0)
		bpf_loop(count > 253 ? 253 : count, scm_file, &fw, 0);
	return 0;
}

/* A socket bound to a path on the mounts: kept, and its owners looked
 * for in the task pass. */
__noinline int bound_socket(__u64 u_ptr, __u64 sock_ino, __u32 sock_mnt)
{
	struct unix_sock *u = (void *)u_ptr;
	if (!u)
		return 0;
	struct vfsmount *vfsmnt = BPF_CORE_READ(u, path.mnt);
	struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
	__u32 mnt_id = mnt_id_of(vfsmnt);
	if (!dentry || !of_interest(mnt_id))
		return 0;
	__u32 idx = __sync_fetch_and_add(&n_bound, 1);
	struct umh_bound_rec *r = bpf_map_lookup_elem(&bound_found, &idx);
	if (!r) {
		bound_lost++;
		return 0;
	}
	r->sock_ino = sock_ino;
	r->mnt_id = mnt_id;
	r->ino = BPF_CORE_READ(dentry, d_inode, i_ino);
	r->nlink = BPF_CORE_READ(dentry, d_inode, i_nlink);
	r->obj = cookie_of(u_ptr);
	r->dentry = cookie_of((__u64)dentry);
	struct task_struct *me = (void *)bpf_get_current_task();
	struct path root = { .dentry = BPF_CORE_READ(me, fs, root.dentry), .mnt = BPF_CORE_READ(me, fs, root.mnt) };
	struct umh_pathbuf *p = umh_walk_path(dentry, vfsmnt, &root);
	if (p) {
		__u32 len = p->len < sizeof(r->path) ? p->len : sizeof(r->path);
		bpf_probe_read_kernel(r->path, umh_mask(len, sizeof(r->path) - 1), p->buf);
		r->path_len = len;
		r->path_complete = p->complete;
	}
	__u8 one = 1;
	bpf_map_update_elem(&scm_socks, &sock_ino, &one, BPF_ANY);
	sock_mnt_id = sock_mnt;
	return 0;
}

SEC("iter/unix")
int scan_unix(struct bpf_iter__unix *ctx)
{
	struct unix_sock *u = ctx->unix_sk;
	if (!u)
		return 0;
	if (BPF_CORE_READ(u, path.mnt)) {
		/* (A global function takes numbers: the iterator's pointer,
		 * read back from the stack, is one.) */
		__u64 u_ptr = 0;
		bpf_probe_read_kernel(&u_ptr, sizeof(u_ptr), &u);
		struct file *bfile = BPF_CORE_READ(u, sk.sk_socket, file);
		bound_socket(u_ptr, BPF_CORE_READ(bfile, f_inode, i_ino), mnt_id_of(BPF_CORE_READ(bfile, f_path.mnt)));
	}
	struct sock *sk = &u->sk;
	struct sk_buff_head *q = &sk->sk_receive_queue;
	if (!BPF_CORE_READ(q, qlen))
		return 0;
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);
	struct file *sfile = BPF_CORE_READ(sock, file);
	struct skb_walk w = {
		.next = BPF_CORE_READ(q, next),
		.head = (struct sk_buff *)q,
		.sock_ino = BPF_CORE_READ(sfile, f_inode, i_ino),
		.sock_mnt_id = mnt_id_of(BPF_CORE_READ(sfile, f_path.mnt)),
	};
	/* A queue longer than the walk goes: what is left is counted as
	 * lost, so that the holders found are not taken for all of them. */
	if (bpf_loop(1024, scm_skb, &w, 0) == 1024 && w.next && w.next != w.head)
		scm_lost++;
	return 0;
}
