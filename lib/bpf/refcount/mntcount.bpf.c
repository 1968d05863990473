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
 * hand.  Two ways to learn the offsets:
 *
 *   a per-CPU map of our own (Linux 5.19 and later: no symbol needed).
 *     The map's struct bpf_array holds its element's __percpu address
 *     (pptrs[0]), and bpf_map_lookup_percpu_elem() returns where that
 *     element is on each CPU: the difference is the CPU's offset, the
 *     same for every per-CPU allocation, mnt_pcp included
 *   __per_cpu_offset[], a data symbol that kallsyms lists only with
 *     CONFIG_KALLSYMS_ALL (Debian's kernels have it; this development
 *     kernel does not): percpu.bpf.c looks it up, for kernels whose
 *     verifier does not know bpf_map_lookup_percpu_elem
 *
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
#include "mounttree.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Kernels without CONFIG_SMP keep the count in struct mount itself. */
struct mount___up {
	int mnt_count;
} __attribute__((preserve_access_index));

const volatile __u32 n_cpus = 0; /* highest possible CPU + 1 */
const volatile __u64 possible_cpus[UMH_MNTCOUNT_MAX_CPUS / 64] = {};

/* &__per_cpu_offset[0] (percpu.bpf.c); 0: the offsets come from the
 * per-CPU map below.  Constant at load, so the verifier never sees the
 * way that is not taken: a kernel that lacks the map's helper loads the
 * program with the symbol's address. */
const volatile __u64 percpu_offsets = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_probe SEC(".maps");
/* One read in progress per reader thread, by its thread id (the kernel's
 * own number, read_count says how the reader knows it): the mount it asks
 * for, set by it, and the result, set here.  A map, not globals, so
 * that the program pinned by the watcher serves readers at the same time
 * without a lock; least recently used entries make room, so that readers
 * killed before they removed theirs cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, UMH_MNTCOUNT_MAX_READERS);
	__type(key, __u32);
	__type(value, struct umh_mntcount_read);
} reads SEC(".maps");

struct sum {
	void *pcp; /* mnt_pcp: a per-CPU address */
	__u64 map_base; /* percpu_probe's element, as a per-CPU address */
	__s64 count;
	bool fault;
};

/* A kernel pointer the verifier tracks (a map's, a map value's), as a
 * plain number: read back from the stack, it is one. */
static __always_inline __u64 address_of(void *p)
{
	__u64 n = 0;
	bpf_probe_read_kernel(&n, sizeof(n), &p);
	return n;
}

/* CPU's offset, what it adds to a per-CPU address, into *OFF; false when
 * it cannot be known. */
static __always_inline bool cpu_offset(struct sum *s, __u32 cpu, __u64 *off)
{
	if (percpu_offsets)
		return bpf_probe_read_kernel(off, sizeof(*off), (void *)(percpu_offsets + (__u64)cpu * sizeof(*off))) == 0;
	__u32 zero = 0;
	void *elem = bpf_map_lookup_percpu_elem(&percpu_probe, &zero, cpu);
	if (!elem || !s->map_base)
		return false;
	*off = address_of(elem) - s->map_base;
	return true;
}

static long sum_cpu(__u32 cpu, void *data)
{
	struct sum *s = data;
	if (cpu >= UMH_MNTCOUNT_MAX_CPUS)
		return 1;
	if (!(possible_cpus[cpu / 64] & (1ULL << (cpu % 64))))
		return 0;
	__u64 off = 0;
	int n = 0;
	if (!cpu_offset(s, cpu, &off) || bpf_probe_read_kernel(&n, sizeof(n), s->pcp + off + bpf_core_field_offset(struct mnt_pcp, mnt_count)) < 0) {
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
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	/* The iterator visits the reader's own task (or, where the kernel
	 * cannot be asked for one task, every task): only the reader's
	 * mount namespace is the one the id was taken from. */
	if (!task || task->pid != tid)
		return 0;
	/* The reader's thread id as the kernel numbers it, its key in the
	 * table: a reader in a pid namespace of its own numbers itself
	 * otherwise, and learns it from here. */
	bpf_seq_write(ctx->meta->seq, &tid, sizeof(tid));
	struct umh_mntcount_read *read = bpf_map_lookup_elem(&reads, &tid);
	if (!read)
		return 0;
	struct umh_mntcount_result r = { .status = UMH_MNTCOUNT_NOT_FOUND };
	struct mount *found = umh_find_mount(task, read->want_mnt_id, UMH_MNTCOUNT_MAX_STEPS, &r.steps);
	if (!found) {
		read->result = r;
		return 0;
	}
	if (bpf_core_field_exists(struct mount, mnt_pcp)) {
		struct sum s = { .pcp = BPF_CORE_READ(found, mnt_pcp) };
		if (!percpu_offsets) {
			/* The map's element, as the kernel allocated it. */
			void *pptr = NULL;
			bpf_probe_read_kernel(&pptr, sizeof(pptr),
					      (void *)address_of(&percpu_probe) + bpf_core_field_offset(struct bpf_array, pptrs));
			s.map_base = (__u64)pptr;
		}
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
	read->result = r;
	return 0;
}
