// SPDX-License-Identifier: GPL-2.0-or-later
/* A mount's reference count, as umount(2) reads it.
 *
 * do_umount() refuses with EBUSY when mnt_get_count() of the mount is more
 * than 2 (1 for being mounted, 1 for the path umount itself looked up) or
 * it has child mounts.  On SMP kernels the count is per-CPU (struct mount's
 * mnt_pcp), summed over the possible CPUs.  A program may read per-CPU
 * memory only through bpf_per_cpu_ptr, which verifiers refuse on mnt_pcp
 * (no __percpu type tag in Debian's BTF; an untrusted pointer on newer
 * kernels), or by adding each CPU's offset, __per_cpu_offset[cpu], by
 * hand.  That array is a data symbol: kallsyms lists it only with
 * CONFIG_KALLSYMS_ALL (Debian's kernels have it).
 *
 *   percpu.bpf.c  (run first, and alone: it needs no kernel BTF, so it
 *                 costs nothing where the answer is no): where
 *                 __per_cpu_offset is, which user space passes on here
 *   read_count    (iter/task, acts on the reader's own task only): finds
 *                 the mount by id in the reader's mount namespace, walking
 *                 the mount tree from the namespace's root, and sums its
 *                 count; also counts its child mounts, which each hold one
 *                 reference on it (mnt_set_mountpoint)
 *
 * Nothing is locked: the walk and the sum are a snapshot, as the kernel's
 * own mnt_get_count() outside mount_lock is.  Everything is read with
 * bpf_probe_read_kernel, which fails safe on memory that changes under it,
 * and every loop is bounded. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "mntcount.h"

char LICENSE[] SEC("license") = "GPL";

/* Kernels without CONFIG_SMP keep the count in struct mount itself. */
struct mount___up {
	int mnt_count;
} __attribute__((preserve_access_index));

const volatile __u32 n_cpus = 0; /* highest possible CPU + 1 */
const volatile __u64 possible_cpus[UMH_MNTCOUNT_MAX_CPUS / 64] = {};

const volatile __u64 percpu_offsets = 0; /* &__per_cpu_offset[0] (percpu.bpf.c) */
__u32 want_mnt_id = 0;    /* set before each read */
struct umh_mntcount_result result = {};

#define MOUNT_OF(list, field) ((struct mount *)((void *)(list) - bpf_core_field_offset(struct mount, field)))

/* Depth-first walk of the mount tree without a stack: down to the first
 * child, else on to the next sibling, else up to the parent (UP set: its
 * children are done). */
struct walk {
	struct mount *cur, *root, *found;
	__u32 want;
	__u32 up;
	__u32 steps;
};

static long walk_step(__u32 i, void *data)
{
	struct walk *w = data;
	struct mount *m = w->cur;
	w->steps = i + 1;
	if (!m)
		return 1;
	if (!w->up) {
		if ((__u32)BPF_CORE_READ(m, mnt_id) == w->want) {
			w->found = m;
			return 1;
		}
		struct list_head *first = BPF_CORE_READ(m, mnt_mounts.next);
		if (first && first != &m->mnt_mounts) {
			w->cur = MOUNT_OF(first, mnt_child);
			return 0;
		}
	}
	if (m == w->root)
		return 1;
	struct mount *parent = BPF_CORE_READ(m, mnt_parent);
	struct list_head *next = BPF_CORE_READ(m, mnt_child.next);
	if (!parent || parent == m || !next)
		return 1;
	if (next != &parent->mnt_mounts) {
		w->cur = MOUNT_OF(next, mnt_child);
		w->up = 0;
	} else {
		w->cur = parent;
		w->up = 1;
	}
	return 0;
}

struct sum {
	void *pcp; /* mnt_pcp: a per-CPU address */
	__s64 count;
	bool fault;
};

static long sum_cpu(__u32 cpu, void *data)
{
	struct sum *s = data;
	if (cpu >= UMH_MNTCOUNT_MAX_CPUS)
		return 1;
	if (!(possible_cpus[cpu / 64] & (1ULL << (cpu % 64))))
		return 0;
	__u64 off = 0;
	int n = 0;
	if (bpf_probe_read_kernel(&off, sizeof(off), (void *)(percpu_offsets + (__u64)cpu * sizeof(off))) < 0 ||
	    bpf_probe_read_kernel(&n, sizeof(n),
				  s->pcp + off + bpf_core_field_offset(struct mnt_pcp, mnt_count)) < 0) {
		s->fault = true;
		return 1;
	}
	s->count += n;
	return 0;
}

struct kids {
	struct list_head *head, *next;
	__u32 n;
};

static long count_child(__u32 i, void *data)
{
	struct kids *k = data;
	if (!k->next || k->next == k->head)
		return 1;
	struct list_head *cur = k->next;
	k->n++;
	k->next = BPF_CORE_READ(cur, next);
	return 0;
}

SEC("iter/task")
int read_count(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	/* The iterator visits every task; only the reader's own mount
	 * namespace is the one the id was taken from. */
	if (!task || task->pid != (__u32)bpf_get_current_pid_tgid())
		return 0;
	struct umh_mntcount_result r = { .status = UMH_MNTCOUNT_NO_OFFSETS };
	if (bpf_core_field_exists(struct mount, mnt_pcp) && !percpu_offsets) {
		result = r;
		return 0;
	}
	struct walk w = { .want = want_mnt_id };
	w.root = BPF_CORE_READ(task, nsproxy, mnt_ns, root);
	w.cur = w.root;
	bpf_loop(UMH_MNTCOUNT_MAX_STEPS, walk_step, &w, 0);
	r.steps = w.steps;
	if (!w.found) {
		r.status = UMH_MNTCOUNT_NOT_FOUND;
		result = r;
		return 0;
	}
	/* (A plain local: BPF_CORE_READ(w.found, ...) would relocate w too.) */
	struct mount *found = w.found;
	if (bpf_core_field_exists(struct mount, mnt_pcp)) {
		struct sum s = { .pcp = BPF_CORE_READ(found, mnt_pcp) };
		bpf_loop(n_cpus, sum_cpu, &s, 0);
		r.count = (__s32)s.count;
		r.status = s.fault || !s.pcp ? UMH_MNTCOUNT_FAULT : UMH_MNTCOUNT_OK;
	} else {
		r.count = BPF_CORE_READ((struct mount___up *)found, mnt_count);
		r.status = UMH_MNTCOUNT_OK;
	}
	struct kids k = { .head = &found->mnt_mounts };
	k.next = BPF_CORE_READ(found, mnt_mounts.next);
	bpf_loop(UMH_MNTCOUNT_MAX_STEPS, count_child, &k, 0);
	r.children = k.n;
	result = r;
	return 0;
}
