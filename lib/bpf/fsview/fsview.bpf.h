/* What both walks of a filesystem's mounts share (sbmounts.bpf.c for
 * explain of one mount, fsview.bpf.c for the whole filesystem): the list of
 * superblocks, a superblock's mounts, one record per mount, and the
 * processes of the namespaces the mounts are in.
 *
 * Every superblock is on one list (s_list, through the kernel's
 * super_blocks), entered here from the reader's root's; every mount of a
 * superblock is on the superblock's s_mounts: a list_head through
 * mnt_instance before Linux 6.18, a chain through mnt_next_for_sb since.
 * So the mounts of one filesystem, in every namespace or in none, cost the
 * number of superblocks plus their own number: not the number of
 * namespaces times their mounts, which reading every namespace's
 * /proc/PID/mountinfo costs.
 *
 * Nothing is locked; everything is read with bpf_probe_read_kernel, which
 * fails safe on memory that changes under it, and every walk is bounded:
 * the answer is a snapshot, as /proc's is. */
#ifndef UMH_FSVIEW_BPF_H
#define UMH_FSVIEW_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "fsview.h"
#include "path.bpf.h"

#define UMH_NSFS_MAGIC 0x6e736673
#define UMH_OVERLAYFS_MAGIC 0x794c7630
#define UMH_MNT_NS_INTERNAL ((__u64)-22) /* ERR_PTR(-EINVAL), fs/mount.h */

/* Before Linux 6.18 a superblock's mounts were a list_head through
 * mnt_instance; since, a chain through mnt_next_for_sb.  CO-RE picks the
 * branch the running kernel has; the other's relocations fail, and the
 * verifier never reaches them. */
struct mount___instance {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));
struct super_block___list {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));
/* An anonymous namespace has seq 0 before 6.18, ns.ns_id 0 since. */
struct mnt_namespace___seq {
	__u64 seq;
} __attribute__((preserve_access_index));

const volatile __u64 cookie_key = 0; /* random, per load */
/* Set by user space before each walk. */
__u32 mode = 0;
__u32 want_dev = 0;
__s32 want_fd = 0;
__u32 skip = 0;  /* records already read by an earlier run of the same walk */
__u32 reached = 0; /* records this run has reached */
struct umh_fsv_result result = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, UMH_FSV_RINGBUF);
} records SEC(".maps");

/* The namespaces of interest (inum -> 1): those the mounts are in.  Not
 * preallocated: a preallocated table this size costs milliseconds at every
 * load, and it rarely holds more than a few hundred. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UMH_FSV_MAX_NS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} nsset SEC(".maps");

/* One record is put together here, then copied to the ring buffer at its
 * own length. */
#define UMH_FSV_SCRATCH 16384
struct umh_fsv_scratch {
	char data[UMH_FSV_SCRATCH];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct umh_fsv_scratch);
} fsv_scratch SEC(".maps");

/* OBJ as a cookie: user space compares mounts and dentries, and needs no
 * kernel address for that (the same bijection as iter.bpf.c's). */
static __always_inline __u64 umh_fsv_cookie(__u64 obj)
{
	__u64 x = obj ^ cookie_key;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The program runs on the reader's own task only (the iterator is created
 * for it; older kernels visit every task). */
static __always_inline bool umh_fsv_is_reader(struct task_struct *task)
{
	return task && BPF_CORE_READ(task, pid) == (__u32)bpf_get_current_pid_tgid();
}

/* --- one record per mount ---------------------------------------------------- */

/* The directory a mount shows: names from its root dentry up to the
 * filesystem's root, leaf first, as path.bpf.h writes them. */
struct umh_fsv_root_walk {
	struct dentry *d;
	struct umh_pathbuf *out;
};

static long umh_fsv_root_step(__u32 i, void *data)
{
	struct umh_fsv_root_walk *w = data;
	struct umh_pathbuf *out = w->out;
	struct dentry *d = w->d;
	struct dentry *up = BPF_CORE_READ(d, d_parent);
	if (!up || up == d) {
		out->complete = 1;
		return 1;
	}
	__u32 off = out->len;
	if (off > UMH_PATH_BUF - UMH_NAME_MAX)
		return 1;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	long n = bpf_probe_read_kernel_str(&out->buf[umh_mask(off, UMH_PATH_BUF - 1)], UMH_NAME_MAX, name);
	if (n <= 0)
		return 1;
	out->len = off + (__u32)n;
	out->parts++;
	w->d = up;
	return 0;
}

static __always_inline void umh_fsv_ns_facts(struct umh_fsv_mount *r, __u64 ns_ptr)
{
	struct mnt_namespace *ns = (void *)ns_ptr;
	if (!ns_ptr) {
		r->ns_state = UMH_FSV_NS_DETACHED;
		return;
	}
	if (ns_ptr == UMH_MNT_NS_INTERNAL) {
		r->ns_state = UMH_FSV_NS_INTERNAL;
		return;
	}
	r->ns_inum = BPF_CORE_READ(ns, ns.inum);
	bool anon;
	if (bpf_core_field_exists(struct mnt_namespace___seq, seq))
		anon = BPF_CORE_READ((struct mnt_namespace___seq *)ns, seq) == 0;
	else
		anon = BPF_CORE_READ(ns, ns.ns_id) == 0;
	r->ns_state = anon ? UMH_FSV_NS_ANON : UMH_FSV_NS_ATTACHED;
}

/* Appends NAMES (a path buffer, LEN bytes) to the record at OFF; returns
 * the bytes added. */
static __always_inline __u32 umh_fsv_put_names(char *buf, __u32 off, struct umh_pathbuf *p)
{
	__u32 len = p->len;
	if (!len || len > UMH_FSV_NAMES || off > UMH_FSV_SCRATCH - UMH_FSV_NAMES - 1)
		return 0;
	if (bpf_probe_read_kernel(buf + umh_mask(off, UMH_FSV_SCRATCH / 2 - 1), umh_mask(len - 1, UMH_FSV_NAMES - 1) + 1,
				  p->buf) < 0)
		return 0;
	return len;
}

/* One record for mount M_PTR, unless an earlier run of this walk wrote it.
 * Global, as iter.bpf.c's add_record: the verifier checks it once, not at
 * every call in every state its callers may be in. */
__noinline int umh_fsv_emit(__u64 m_ptr, __u32 kind, __u64 extra, __u32 extra2)
{
	struct mount *m = (void *)m_ptr;
	__u32 zero = 0;
	char *buf = bpf_map_lookup_elem(&fsv_scratch, &zero);
	if (!m || !buf || result.full)
		return 0;
	struct umh_fsv_mount *r = (void *)buf;
	__builtin_memset(r, 0, sizeof(*r));
	umh_fsv_ns_facts(r, (__u64)BPF_CORE_READ(m, mnt_ns));
	if (r->ns_inum) {
		__u8 one = 1;
		bpf_map_update_elem(&nsset, &r->ns_inum, &one, BPF_NOEXIST);
	}
	if (reached++ < skip)
		return 0;
	r->kind = (__u16)kind;
	r->mnt_id = (__u32)BPF_CORE_READ(m, mnt_id);
	struct mount *parent = BPF_CORE_READ(m, mnt_parent);
	r->parent_id = (__u32)BPF_CORE_READ(parent, mnt_id);
	if (parent == m)
		r->flags |= UMH_FSV_F_NS_ROOT;
	r->dev = BPF_CORE_READ(m, mnt.mnt_sb, s_dev);
	r->group = (__u32)BPF_CORE_READ(m, mnt_group_id);
	struct mount *master = BPF_CORE_READ(m, mnt_master);
	if (master)
		r->master = (__u32)BPF_CORE_READ(master, mnt_group_id);
	r->parent_group = (__u32)BPF_CORE_READ(parent, mnt_group_id);
	struct mount *pm = BPF_CORE_READ(parent, mnt_master);
	for (int i = 0; i < UMH_FSV_MASTERS && pm; i++) {
		r->parent_masters[i] = (__u32)BPF_CORE_READ(pm, mnt_group_id);
		pm = BPF_CORE_READ(pm, mnt_master);
	}
	r->mnt_flags = (__u32)BPF_CORE_READ(m, mnt.mnt_flags);
	r->mountpoint = umh_fsv_cookie((__u64)BPF_CORE_READ(m, mnt_mountpoint));
	r->cookie = umh_fsv_cookie(m_ptr);
	r->extra = extra;
	r->extra2 = extra2;
	struct list_head *kids = BPF_CORE_READ(m, mnt_mounts.next);
	if (kids && kids != &m->mnt_mounts)
		r->flags |= UMH_FSV_F_HAS_CHILDREN;

	/* Where it is mounted: in our namespace, as we see it (up to our
	 * root: a chrooted reader sees paths from there, as d_path and /proc
	 * do); in another, up to the top of that namespace, which is where
	 * `nsenter -m` puts a process. */
	struct dentry *mnt_root = BPF_CORE_READ(m, mnt.mnt_root);
	__u32 off = sizeof(*r);
	struct task_struct *me = (void *)bpf_get_current_task();
	struct path root = { .dentry = BPF_CORE_READ(me, fs, root.dentry), .mnt = BPF_CORE_READ(me, fs, root.mnt) };
	bool ours = (__u64)BPF_CORE_READ(m, mnt_ns) == (__u64)BPF_CORE_READ(me, nsproxy, mnt_ns);
	struct umh_pathbuf *p = umh_walk_path_in(0, mnt_root, &m->mnt, ours ? &root : NULL);
	if (p) {
		if (p->complete)
			r->flags |= UMH_FSV_F_PATH_COMPLETE;
		__u32 n = umh_fsv_put_names(buf, off, p);
		r->path_len = (__u16)n;
		off += n;
	}
	/* What it shows of its filesystem. */
	__u32 slot = 1;
	struct umh_pathbuf *q = bpf_map_lookup_elem(&umh_pathbuf, &slot);
	if (q) {
		q->len = 0;
		q->parts = 0;
		q->complete = 0;
		struct umh_fsv_root_walk rw = { .d = mnt_root, .out = q };
		bpf_loop(UMH_PATH_DEPTH, umh_fsv_root_step, &rw, 0);
		if (q->complete)
			r->flags |= UMH_FSV_F_ROOT_COMPLETE;
		__u32 n = umh_fsv_put_names(buf, off, q);
		r->root_len = (__u16)n;
		off += n;
	}
	r->reclen = off;
	if (bpf_ringbuf_output(&records, buf, umh_mask(off, UMH_FSV_SCRATCH - 1), 0) < 0) {
		result.full = 1; /* user space reads what fit, and runs the walk again */
		return 0;
	}
	result.records++;
	return 0;
}

/* --- a superblock's mounts ------------------------------------------------------ */

struct umh_fsv_mnt_walk {
	struct mount *cur;      /* 6.18+: the chain */
	struct list_head *head; /* before: the list */
	struct list_head *next;
	__u32 kind;
	__u32 layer_idx;
	__u64 layer;
};

/* The mount after the walk's current one, or NULL at the end. */
static __always_inline struct mount *umh_fsv_next_mount(struct umh_fsv_mnt_walk *w)
{
	struct mount *m;
	if (bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
		m = w->cur;
		if (m)
			w->cur = BPF_CORE_READ(m, mnt_next_for_sb);
		return m;
	}
	struct list_head *n = w->next;
	if (!n || n == w->head)
		return NULL;
	w->next = BPF_CORE_READ(n, next);
	return (void *)n - bpf_core_field_offset(struct mount___instance, mnt_instance);
}

static __always_inline void umh_fsv_first_mount(struct umh_fsv_mnt_walk *w, struct super_block *sb)
{
	if (bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
		w->cur = BPF_CORE_READ(sb, s_mounts);
	} else {
		struct super_block___list *l = (void *)sb;
		w->head = (void *)sb + bpf_core_field_offset(struct super_block___list, s_mounts);
		w->next = BPF_CORE_READ(l, s_mounts.next);
	}
}

static long umh_fsv_mnt_step(__u32 i, void *data)
{
	struct umh_fsv_mnt_walk *w = data;
	struct mount *m = umh_fsv_next_mount(w);
	if (!m || result.full)
		return 1;
	if (w->kind == UMH_FSV_REC_NSFS) {
		/* A bind mount of a namespace file: its root is the
		 * namespace's nsfs inode, whose number is the namespace's. */
		__u64 ns = (__u64)BPF_CORE_READ(m, mnt_ns);
		if (!ns || ns == UMH_MNT_NS_INTERNAL)
			return 0;
		__u64 ino = BPF_CORE_READ(m, mnt.mnt_root, d_inode, i_ino);
		if (bpf_map_lookup_elem(&nsset, &ino))
			umh_fsv_emit((__u64)m, UMH_FSV_REC_NSFS, ino, 0);
		return 0;
	}
	umh_fsv_emit((__u64)m, w->kind, w->layer, w->layer_idx);
	return 0;
}

/* A record for every mount of SB_PTR (NSFS: those that keep a namespace
 * of interest).  Global: checked once, however many callers. */
__noinline int umh_fsv_walk_mounts(__u64 sb_ptr, __u32 kind, __u64 layer, __u32 layer_idx)
{
	struct super_block *sb = (void *)sb_ptr;
	struct umh_fsv_mnt_walk w = { .kind = kind, .layer = layer, .layer_idx = layer_idx };
	if (!sb)
		return 0;
	umh_fsv_first_mount(&w, sb);
	if (bpf_loop(UMH_FSV_MAX_MOUNTS, umh_fsv_mnt_step, &w, 0) >= UMH_FSV_MAX_MOUNTS)
		result.status = UMH_FSV_TRUNCATED;
	return 0;
}

/* --- the list of superblocks ------------------------------------------------------- */

struct umh_fsv_sb_walk {
	struct list_head *first;
	struct list_head *next;
	struct super_block *target; /* s_dev == want_dev */
	struct super_block *nsfs;
	__u32 n;
	__u32 overlays; /* overlay superblocks noted (fsview.bpf.c) */
};

/* Whether SB is a live superblock: the list's head (super_blocks) is none,
 * and neither is one being torn down (its root is gone). */
static __always_inline bool umh_fsv_sb_live(struct super_block *sb)
{
	struct dentry *root = BPF_CORE_READ(sb, s_root);
	return root && BPF_CORE_READ(root, d_sb) == sb;
}

/* The superblock at the walk's position, or NULL at the end; moves on. */
static __always_inline struct super_block *umh_fsv_next_sb(struct umh_fsv_sb_walk *w, __u32 i)
{
	struct list_head *n = w->next;
	if (!n || (i > 0 && n == w->first))
		return NULL;
	w->n = i + 1;
	w->next = BPF_CORE_READ(n, next);
	return (void *)n - bpf_core_field_offset(struct super_block, s_list);
}

static __always_inline void umh_fsv_sb_start(struct umh_fsv_sb_walk *w, struct task_struct *task)
{
	struct super_block *start = BPF_CORE_READ(task, fs, root.mnt, mnt_sb);
	w->first = (void *)start + bpf_core_field_offset(struct super_block, s_list);
	w->next = w->first;
}

static __always_inline void umh_fsv_found_sb(struct super_block *sb)
{
	result.dev = BPF_CORE_READ(sb, s_dev);
	result.magic = (__u32)BPF_CORE_READ(sb, s_magic);
	bpf_probe_read_kernel_str(result.fstype, sizeof(result.fstype), BPF_CORE_READ(sb, s_type, name));
}

/* --- who is in those namespaces ---------------------------------------------------------- */

static __always_inline __s32 umh_fsv_nr_in_ns(struct pid *pid, __u32 level)
{
	int nr = 0;
	if (!pid || BPF_CORE_READ(pid, level) < level)
		return 0;
	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level & 31].nr);
	return nr;
}

/* TASK's process id as the reader sees it. */
static __always_inline __s32 umh_fsv_tgid(struct task_struct *task)
{
	struct task_struct *me = (void *)bpf_get_current_task();
	__u32 level = BPF_CORE_READ(me, thread_pid, level);
	return umh_fsv_nr_in_ns(BPF_CORE_READ(task, group_leader, thread_pid), level);
}

/* A record for every process whose mount namespace is one of interest. */
SEC("iter/task")
int ns_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	__u64 inum = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	if (!inum || !bpf_map_lookup_elem(&nsset, &inum))
		return 0;
	struct umh_fsv_task r = { .reclen = sizeof(r), .kind = UMH_FSV_REC_TASK, .fd = -1, .ns_inum = inum };
	r.pid = umh_fsv_tgid(task);
	BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

#endif
