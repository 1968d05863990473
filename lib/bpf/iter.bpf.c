// SPDX-License-Identifier: GPL-2.0
/* The fast scan: every reference a process or thread holds to the mounts of
 * interest, found in one pass of BPF iterators instead of one statx per
 * descriptor through /proc.
 *
 *   iter/unix       files in flight in unix sockets' receive queues (run first:
 *                   it tells the task_file pass which sockets to look for)
 *   iter/task_file  descriptors: the leader's table, and the tables of threads
 *                   that unshared theirs (the kernel's iterator skips threads
 *                   that share the leader's, as /proc's kcmp rule does)
 *   iter/task       cwd, root, exe; threads with their own fs_struct
 *   iter/task_vma   file mappings of each process (its leader's mm)
 *
 * Only matches are written to the iterator's seq_file, so what user space
 * reads is a few records, not the whole process table.  The rules mirror
 * collect-procfs.c exactly, so that both scans report the same holders. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "iter.h"
#include "path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define O_PATH_FLAG 010000000

/* The mounts of interest, set by user space before the iterators run. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UMH_ITER_MAX_MOUNTS);
	__type(key, __u32);
	__type(value, __u8);
} mounts SEC(".maps");

/* Sockets with files in flight towards the mounts (iter/unix fills it). */
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

/* One record and its path, too big for the 512-byte stack. */
struct rec_buf {
	struct umh_iter_rec rec;
	char path[UMH_ITER_PATH_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_buf);
} recbuf SEC(".maps");

const volatile __u32 anon_inode_mnt_id = 0;
__u32 n_scm = 0;      /* entries used in scm_found */
__u32 scm_lost = 0;   /* in-flight files beyond UMH_ITER_MAX_SCM */
__u64 files_seen = 0; /* descriptors walked: the scan's own statistics */
__u64 tasks_seen = 0; /* processes (thread group leaders) */

static __always_inline __u32 mnt_id_of(struct vfsmount *vfsmnt)
{
	if (!vfsmnt)
		return 0;
	return BPF_CORE_READ(umh_real_mount(vfsmnt), mnt_id);
}

static __always_inline bool of_interest(__u32 mnt_id)
{
	return mnt_id && bpf_map_lookup_elem(&mounts, &mnt_id);
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

static __always_inline __u32 reader_level(void)
{
	struct task_struct *me = bpf_get_current_task_btf();
	return BPF_CORE_READ(me, thread_pid, level);
}

static __always_inline void ids_of(struct task_struct *task, __s32 *pid, __s32 *tid)
{
	__u32 level = reader_level();
	*tid = nr_in_ns(BPF_CORE_READ(task, thread_pid), level);
	*pid = nr_in_ns(BPF_CORE_READ(task, group_leader, thread_pid), level);
}

static __always_inline struct rec_buf *new_rec(__u16 kind, struct task_struct *task, __s32 fd, __u32 mnt_id)
{
	__u32 zero = 0;
	struct rec_buf *b = bpf_map_lookup_elem(&recbuf, &zero);
	if (!b)
		return NULL;
	__builtin_memset(&b->rec, 0, sizeof(b->rec));
	b->rec.kind = kind;
	b->rec.fd = fd;
	b->rec.mnt_id = mnt_id;
	ids_of(task, &b->rec.pid, &b->rec.tid);
	return b;
}

static __always_inline void inode_facts(struct rec_buf *b, struct inode *inode)
{
	b->rec.ino = BPF_CORE_READ(inode, i_ino);
	b->rec.nlink = BPF_CORE_READ(inode, i_nlink);
}

/* Iterator programs must return 0 (go on) or 1 (stop): a record that
 * does not fit is dropped, never the scan. */
static __always_inline int send(struct seq_file *seq, struct rec_buf *b, long path_len)
{
	if (path_len <= 0) {
		b->path[0] = '\0';
		path_len = 1;
	}
	__u32 len = path_len > UMH_ITER_PATH_MAX ? UMH_ITER_PATH_MAX : (__u32)path_len;
	b->rec.path_len = (__u16)len;
	b->rec.reclen = sizeof(b->rec) + len;
	bpf_seq_write(seq, b, b->rec.reclen <= sizeof(*b) ? b->rec.reclen : sizeof(*b));
	return 0;
}

/* --- descriptors ------------------------------------------------------------- */

static __always_inline bool is_uring(struct file *file)
{
	/* io_uring files are anonymous inodes named "[io_uring]" (their
	 * f_op, io_uring_fops, is a data symbol this kernel may not export). */
	static const char want[] = "[io_uring]";
	char name[sizeof(want)] = {};
	const unsigned char *n = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), n) != sizeof(want))
		return false;
#pragma unroll
	for (int i = 0; i < (int)sizeof(want); i++)
		if (name[i] != want[i])
			return false;
	return true;
}

SEC("iter/task_file")
int scan_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	if (!task || !file)
		return 0;
	files_seen++;

	__u32 mnt_id = mnt_id_of(file->f_path.mnt);
	bool uring = anon_inode_mnt_id && mnt_id == anon_inode_mnt_id;
	if (uring && !is_uring(file))
		return 0;
	bool owner = false;
	if (!uring && !of_interest(mnt_id)) {
		if (!n_scm)
			return 0;
		__u64 ino = BPF_CORE_READ(file, f_inode, i_ino);
		if (!bpf_map_lookup_elem(&scm_socks, &ino))
			return 0;
		owner = true;
	}
	bool leader = task->pid == task->tgid;
	__u16 kind = uring ? UMH_REC_URING : owner ? UMH_REC_SOCK_OWNER : leader ? UMH_REC_FD : UMH_REC_THREAD_FD;
	struct rec_buf *b = new_rec(kind, task, (__s32)ctx->fd, mnt_id);
	if (!b)
		return 0;
	if (!leader)
		b->rec.pid = b->rec.pid ?: b->rec.tid;
	b->rec.flags = file->f_flags;
	inode_facts(b, file->f_inode);
	if (owner) {
		b->rec.sock_ino = b->rec.ino;
		return send(ctx->meta->seq, b, -1);
	}
	long n = bpf_d_path((struct path *)&file->f_path, b->path, sizeof(b->path));
	return send(ctx->meta->seq, b, n);
}

/* --- working directories, roots, executables -------------------------------- */

static __always_inline void send_path(struct seq_file *seq, struct task_struct *task, __u16 kind, struct path *p)
{
	__u32 mnt_id = mnt_id_of(BPF_CORE_READ(p, mnt));
	if (!of_interest(mnt_id))
		return;
	struct rec_buf *b = new_rec(kind, task, -1, mnt_id);
	if (!b)
		return;
	inode_facts(b, BPF_CORE_READ(p, dentry, d_inode));
	send(seq, b, bpf_d_path(p, b->path, sizeof(b->path)));
}

SEC("iter/task")
int scan_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	struct seq_file *seq = ctx->meta->seq;
	struct fs_struct *fs = task->fs;
	bool leader = task->pid == task->tgid;
	tasks_seen += leader;

	if (leader) {
		if (fs) {
			send_path(seq, task, UMH_REC_CWD, &fs->pwd);
			send_path(seq, task, UMH_REC_ROOT, &fs->root);
		}
		struct mm_struct *mm = task->mm;
		struct file *exe = mm ? mm->exe_file : NULL;
		if (exe)
			send_path(seq, task, UMH_REC_EXE, (struct path *)&exe->f_path);
		return 0;
	}
	/* A thread is its own holder only when it unshared its fs_struct. */
	if (fs && fs != task->group_leader->fs) {
		send_path(seq, task, UMH_REC_THREAD_CWD, &fs->pwd);
		send_path(seq, task, UMH_REC_THREAD_ROOT, &fs->root);
	}
	return 0;
}

/* --- file mappings ------------------------------------------------------------ */

SEC("iter/task_vma")
int scan_vmas(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	/* /proc/PID/maps is the leader's mm; threads share it. */
	if (!task || !vma || task->pid != task->tgid)
		return 0;
	struct file *file = vma->vm_file;
	if (!file)
		return 0;
	__u32 mnt_id = mnt_id_of(file->f_path.mnt);
	if (!of_interest(mnt_id))
		return 0;
	struct rec_buf *b = new_rec(UMH_REC_MMAP, task, -1, mnt_id);
	if (!b)
		return 0;
	unsigned long vm_flags = BPF_CORE_READ(vma, vm_flags);
	b->rec.flags = (vm_flags & 1 ? UMH_VM_READ : 0) | (vm_flags & 2 ? UMH_VM_WRITE : 0);
	inode_facts(b, file->f_inode);
	return send(ctx->meta->seq, b, bpf_d_path((struct path *)&file->f_path, b->path, sizeof(b->path)));
}

/* --- files in flight in unix sockets ------------------------------------------ */

struct fp_walk {
	struct scm_fp_list *fp;
	__u64 sock_ino;
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
	/* Names as the reader (this scan) sees them, like bpf_d_path. */
	struct task_struct *me = bpf_get_current_task_btf();
	struct umh_pathbuf *p = umh_walk_path(BPF_CORE_READ(file, f_path.dentry), vfsmnt, &me->fs->root);
	if (p) {
		__u32 len = p->len < sizeof(r->path) ? p->len : sizeof(r->path);
		bpf_probe_read_kernel(r->path, umh_mask(len, sizeof(r->path) - 1), p->buf);
		r->path_len = len;
		r->path_parts = p->parts;
	}
	__u8 one = 1;
	bpf_map_update_elem(&scm_socks, &w->sock_ino, &one, BPF_ANY);
	return 0;
}

struct skb_walk {
	struct sk_buff *next;
	struct sk_buff *head; /* the queue itself, where the list ends */
	__u64 sock_ino;
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
	struct fp_walk fw = { .fp = fp, .sock_ino = w->sock_ino };
	if (count > 0)
		bpf_loop(count > 253 ? 253 : count, scm_file, &fw, 0);
	return 0;
}

SEC("iter/unix")
int scan_unix(struct bpf_iter__unix *ctx)
{
	struct unix_sock *u = ctx->unix_sk;
	if (!u)
		return 0;
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
	};
	bpf_loop(1024, scm_skb, &w, 0);
	return 0;
}
