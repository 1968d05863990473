/* A file's path, walked by hand: dentry to mount root, then mount point to
 * mount point, up to the root of its mount namespace.
 *
 * bpf_d_path() would be simpler, but only iterators and a few fentry
 * attach points may call it, and only on a pointer the verifier trusts: a
 * file in flight in a socket queue, or a kprobe's argument, is neither.
 * The walk stops at the root it is given (the reader's, as d_path and
 * /proc do: a chrooted reader sees paths from its own root), else at the
 * top of the mount namespace.  It reads with bpf_probe_read_kernel, which fails safe (a name that
 * changes under it is read as it was, or cut short), and runs in bpf_loop
 * so the verifier checks its body once.
 *
 * The result, in the per-CPU scratch buffer, lists the names leaf first,
 * each NUL-terminated: "file\0dir\0mnt\0" for /mnt/dir/file.  User space
 * (umh_bpf_join_path) reverses them. */
#ifndef UMH_PATH_BPF_H
#define UMH_PATH_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define UMH_PATH_BUF 4096
#define UMH_NAME_MAX 256
#define UMH_PATH_DEPTH 48

struct umh_pathbuf {
	char buf[UMH_PATH_BUF + UMH_NAME_MAX];
	__u32 len;   /* bytes used */
	__u32 parts; /* names stored */
	__u32 complete; /* the walk reached the namespace root */
};

/* One buffer per CPU and per slot: two programs of one object that may
 * run at the same time on one CPU (iterators run preemptibly, pinned to
 * their CPU) each walk in a slot of their own (umh_walk_path_in). */
#define UMH_PATH_SLOTS 2
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UMH_PATH_SLOTS);
	__type(key, __u32);
	__type(value, struct umh_pathbuf);
} umh_pathbuf SEC(".maps");

/* V & MASK, done where the verifier sees it: clang would otherwise drop a
 * mask it can prove redundant, and older verifiers (6.1) cannot follow the
 * bound through the spill that remains. */
static __always_inline __u32 umh_mask(__u32 v, __u32 mask)
{
	asm volatile("%[v] &= %[m]" : [v] "+r"(v) : [m] "i"(mask));
	return v;
}

struct umh_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct umh_pathbuf *out;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
};

static __always_inline struct mount *umh_real_mount(struct vfsmount *m)
{
	return (struct mount *)((char *)m - bpf_core_field_offset(struct mount, mnt));
}

static long umh_walk_step(__u32 i, void *data)
{
	struct umh_walk *w = data;
	struct umh_pathbuf *out = w->out;
	struct dentry *d = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);

	if (d == w->root_dentry && vfsmnt == w->root_mnt) {
		out->complete = 1;
		return 1;
	}
	if (d == mnt_root) {
		/* The top of this mount: go on from where it is mounted. */
		struct mount *m = umh_real_mount(vfsmnt);
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if (parent == m || !parent) {
			out->complete = 1;
			return 1;
		}
		w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		w->vfsmnt = (struct vfsmount *)((char *)parent + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	struct dentry *up = BPF_CORE_READ(d, d_parent);
	if (up == d || !up) {
		/* A root that is no mount's root: a detached tree. */
		return 1;
	}
	__u32 off = out->len;
	if (off > UMH_PATH_BUF - UMH_NAME_MAX)
		return 1; /* too deep: the path stays incomplete */
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	long n = bpf_probe_read_kernel_str(&out->buf[umh_mask(off, UMH_PATH_BUF - 1)], UMH_NAME_MAX, name);
	if (n <= 0)
		return 1;
	out->len = off + (__u32)n;
	out->parts++;
	w->dentry = up;
	return 0;
}

/* Fills scratch buffer SLOT with the names from DENTRY (on VFSMNT) up to
 * ROOT (either may be NULL: the namespace's top); returns it, or NULL. */
static __always_inline struct umh_pathbuf *umh_walk_path_in(__u32 slot, struct dentry *dentry,
							    struct vfsmount *vfsmnt, const struct path *root)
{
	struct umh_pathbuf *out = bpf_map_lookup_elem(&umh_pathbuf, &slot);
	if (!out)
		return NULL;
	out->len = 0;
	out->parts = 0;
	out->complete = 0;
	struct umh_walk w = { .dentry = dentry, .vfsmnt = vfsmnt, .out = out };
	if (root) {
		w.root_dentry = BPF_CORE_READ(root, dentry);
		w.root_mnt = BPF_CORE_READ(root, mnt);
	}
	bpf_loop(UMH_PATH_DEPTH, umh_walk_step, &w, 0);
	return out;
}

static __always_inline struct umh_pathbuf *umh_walk_path(struct dentry *dentry, struct vfsmount *vfsmnt,
							 const struct path *root)
{
	return umh_walk_path_in(0, dentry, vfsmnt, root);
}

#endif
