/* A mount found by its id in the mount tree of the reader's namespace:
 * a depth-first walk without a stack, down to the first child, else on to
 * the next sibling, else up to the parent (UP set: its children are done).
 * Nothing is locked: a snapshot, read with bpf_probe_read_kernel, bounded
 * in steps (three a mount at most). */
#ifndef UMH_MOUNTTREE_BPF_H
#define UMH_MOUNTTREE_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define UMH_MOUNT_OF(list, field) ((struct mount *)((void *)(list) - bpf_core_field_offset(struct mount, field)))

struct umh_mount_walk {
	struct mount *cur, *root, *found;
	__u32 want;
	__u32 up;
	__u32 steps;
};

static long umh_mount_walk_step(__u32 i, void *data)
{
	struct umh_mount_walk *w = data;
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
			w->cur = UMH_MOUNT_OF(first, mnt_child);
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
		w->cur = UMH_MOUNT_OF(next, mnt_child);
		w->up = 0;
	} else {
		w->cur = parent;
		w->up = 1;
	}
	return 0;
}

/* Mount MNT_ID of TASK's namespace, or NULL; *STEPS: how many were taken. */
static __always_inline struct mount *umh_find_mount(struct task_struct *task, __u32 mnt_id, __u32 max_steps,
						    __u32 *steps)
{
	struct umh_mount_walk w = { .want = mnt_id };
	w.root = BPF_CORE_READ(task, nsproxy, mnt_ns, root);
	w.cur = w.root;
	bpf_loop(max_steps, umh_mount_walk_step, &w, 0);
	if (steps)
		*steps = w.steps;
	return w.found;
}

#endif
