// SPDX-License-Identifier: GPL-2.0
/* The whole filesystem, for explain of a filesystem (fsview.bpf.h says how
 * its mounts are found):
 *
 *   fs_mounts  (iter/task, the reader's own task):
 *              BY_DEV: a record per mount of the superblock whose device is
 *              want_dev, in every namespace or in none; per mount of an
 *              overlay with a layer on it (the overlay's private copy of
 *              the layer is a mount of this superblock the kernel keeps);
 *              per nsfs mount (`unshare --mount=FILE`, `ip netns add`) that
 *              keeps one of their namespaces without a process.
 *              MOUNTPOINT: the mounts on the directory of our descriptor
 *              want_fd, in any namespace (rmdir says EBUSY, and no mount
 *              table of ours shows why).
 *   ns_tasks   (iter/task): the processes of the namespaces found
 *   ns_files   (iter/task_file): descriptors open on those namespaces */
#include "fsview.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define DCACHE_MOUNTED_BEFORE_6_15 0x10000 /* before the flags became enum dentry_flags */

/* Overlay superblocks met on the way (the filesystem may come after them
 * on the list). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UMH_FSV_MAX_OVERLAYS);
	__type(key, __u32);
	__type(value, __u64);
} overlays SEC(".maps");

static long sb_step(__u32 i, void *data)
{
	struct umh_fsv_sb_walk *w = data;
	struct super_block *sb = umh_fsv_next_sb(w, i);
	if (!sb)
		return 1;
	if (!umh_fsv_sb_live(sb))
		return 0;
	unsigned long magic = BPF_CORE_READ(sb, s_magic);
	if (!w->target && BPF_CORE_READ(sb, s_dev) == want_dev)
		w->target = sb;
	if (magic == UMH_NSFS_MAGIC)
		w->nsfs = sb;
	if (magic == UMH_OVERLAYFS_MAGIC && w->overlays < UMH_FSV_MAX_OVERLAYS) {
		__u32 k = w->overlays++;
		__u64 v = (__u64)sb;
		bpf_map_update_elem(&overlays, &k, &v, BPF_ANY);
	}
	return 0;
}

/* --- overlays with a layer on the filesystem ------------------------------------ */

struct layer_walk {
	void *layers;
	struct super_block *target;
	__u32 n;
	__s32 found; /* the first layer on it (0: the upper one), -1 if none */
	__u64 mnt;   /* its private mount */
};

static long layer_step(__u32 i, void *data)
{
	struct layer_walk *w = data;
	if (i >= w->n)
		return 1;
	/* Through a plain local: BPF_CORE_READ(&w->layers[i], ...) would
	 * relocate our own struct too.  The stride is the kernel's. */
	struct ovl_layer *layer = w->layers + (__u64)i * bpf_core_type_size(struct ovl_layer);
	struct vfsmount *mnt = BPF_CORE_READ(layer, mnt);
	if (!mnt || BPF_CORE_READ(mnt, mnt_sb) != w->target)
		return 0;
	w->found = (__s32)i;
	w->mnt = (__u64)umh_real_mount(mnt);
	return 1;
}

struct ovl_walk {
	struct super_block *target;
	__u32 n;
};

static long ovl_step(__u32 i, void *data)
{
	struct ovl_walk *w = data;
	if (i >= w->n || result.full)
		return 1;
	__u32 k = i;
	__u64 *v = bpf_map_lookup_elem(&overlays, &k);
	if (!v || !*v)
		return 0;
	struct super_block *sb = (void *)*v;
	/* overlayfs's private types, in the kernel's BTF when it is built in
	 * (a module's own BTF otherwise, which CO-RE may not search). */
	if (!bpf_core_type_exists(struct ovl_fs))
		return 1;
	struct ovl_fs *ofs = BPF_CORE_READ(sb, s_fs_info);
	struct layer_walk lw = { .target = w->target, .found = -1 };
	lw.layers = BPF_CORE_READ(ofs, layers);
	lw.n = BPF_CORE_READ(ofs, numlayer);
	if (!lw.layers || !lw.n)
		return 0;
	bpf_loop(UMH_FSV_MAX_LAYERS, layer_step, &lw, 0);
	if (lw.found >= 0)
		umh_fsv_walk_mounts((__u64)sb, UMH_FSV_REC_OVERLAY, umh_fsv_cookie(lw.mnt), (__u32)lw.found);
	return 0;
}

/* --- MOUNTPOINT: the mounts on one directory, in any namespace -------------------- */

/* A mount on directory DIR has a parent that is a mount of DIR's
 * filesystem: so the children of that filesystem's mounts are looked at,
 * for one whose mount point is DIR. */
struct kid_walk {
	struct list_head *head, *next;
	struct dentry *dir;
};

static long kid_step(__u32 i, void *data)
{
	struct kid_walk *w = data;
	struct list_head *n = w->next;
	if (!n || n == w->head || result.full)
		return 1;
	/* Counted in global memory: a count on the stack would be a new
	 * state to the verifier at every step. */
	if (++result.steps >= UMH_FSV_MAX_CHILD_STEPS) {
		result.status = UMH_FSV_TRUNCATED;
		return 1;
	}
	struct mount *c = (void *)n - bpf_core_field_offset(struct mount, mnt_child);
	w->next = BPF_CORE_READ(n, next);
	if (BPF_CORE_READ(c, mnt_mountpoint) == w->dir)
		umh_fsv_emit((__u64)c, UMH_FSV_REC_MOUNTPOINT, 0, 0);
	return 0;
}

struct mp_walk {
	struct umh_fsv_mnt_walk mounts;
	struct dentry *dir;
};

static long mp_step(__u32 i, void *data)
{
	struct mp_walk *w = data;
	struct mount *m = umh_fsv_next_mount(&w->mounts);
	if (!m || result.status == UMH_FSV_TRUNCATED)
		return 1;
	struct kid_walk k = { .head = &m->mnt_mounts, .dir = w->dir };
	k.next = BPF_CORE_READ(m, mnt_mounts.next);
	bpf_loop(UMH_FSV_MAX_CHILD_STEPS, kid_step, &k, 0);
	return 0;
}

static __always_inline struct file *our_file(struct task_struct *task, int fd)
{
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *f = NULL;
	if (fd < 0 || (unsigned int)fd >= max || !fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void mountpoint(struct task_struct *task)
{
	struct file *f = our_file(task, want_fd);
	if (!f) {
		result.status = UMH_FSV_NO_FD;
		return;
	}
	struct dentry *dir = BPF_CORE_READ(f, f_path.dentry);
	unsigned int mounted = bpf_core_enum_value_exists(enum dentry_flags, DCACHE_MOUNTED)
				       ? bpf_core_enum_value(enum dentry_flags, DCACHE_MOUNTED)
				       : DCACHE_MOUNTED_BEFORE_6_15;
	/* The dentry says whether anything, anywhere, is mounted on it. */
	if (!(BPF_CORE_READ(dir, d_flags) & mounted)) {
		result.status = UMH_FSV_NOT_MOUNTED;
		return;
	}
	struct super_block *sb = BPF_CORE_READ(f, f_path.mnt, mnt_sb);
	umh_fsv_found_sb(sb);
	struct mp_walk w = { .dir = dir };
	umh_fsv_first_mount(&w.mounts, sb);
	bpf_loop(UMH_FSV_MAX_MOUNTS, mp_step, &w, 0);
}

SEC("iter/task")
int fs_mounts(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!umh_fsv_is_reader(task))
		return 0;
	struct umh_fsv_result res = { .status = UMH_FSV_OK };
	result = res;
	reached = 0;
	if (mode == UMH_FSV_MOUNTPOINT) {
		mountpoint(task);
		return 0;
	}
	struct umh_fsv_sb_walk sw = {};
	umh_fsv_sb_start(&sw, task);
	if (bpf_loop(UMH_FSV_MAX_SBS, sb_step, &sw, 0) >= UMH_FSV_MAX_SBS)
		result.status = UMH_FSV_TRUNCATED;
	result.sbs = sw.n;
	result.overlays = sw.overlays;
	if (!sw.target) {
		result.status = UMH_FSV_NO_SB;
		return 0;
	}
	umh_fsv_found_sb(sw.target);
	umh_fsv_walk_mounts((__u64)sw.target, UMH_FSV_REC_MOUNT, 0, 0);

	struct ovl_walk ow = { .target = sw.target, .n = sw.overlays };
	bpf_loop(UMH_FSV_MAX_OVERLAYS, ovl_step, &ow, 0);

	/* The nsfs mounts that keep a namespace of interest; twice, for a
	 * namespace kept by a mount in a namespace that is kept so. */
	if (sw.nsfs) {
		umh_fsv_walk_mounts((__u64)sw.nsfs, UMH_FSV_REC_NSFS, 0, 0);
		umh_fsv_walk_mounts((__u64)sw.nsfs, UMH_FSV_REC_NSFS, 0, 0);
	}
	return 0;
}

/* Descriptors open on a namespace of interest (/proc/PID/ns/mnt, or one
 * handed over): they keep it alive with no process in it. */
SEC("iter/task_file")
int ns_files(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;
	if (!file || !task)
		return 0;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	if (BPF_CORE_READ(inode, i_sb, s_magic) != UMH_NSFS_MAGIC)
		return 0;
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	if (!bpf_map_lookup_elem(&nsset, &ino))
		return 0;
	struct umh_fsv_task r = { .reclen = sizeof(r), .kind = UMH_FSV_REC_NSFD, .fd = (__s32)ctx->fd, .ns_inum = ino };
	r.pid = umh_fsv_tgid(task);
	BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
