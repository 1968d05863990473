// SPDX-License-Identifier: GPL-2.0-or-later
/* Who calls umount(2): the system call tracepoint sys_exit_umount (umount2
 * on x86-64; the kernel names the tracepoint after SYSCALL_DEFINE2(umount,
 * ...)).  Tracepoints load where BPF trampolines and kprobes do not (the
 * development kernel), and on Debian's 6.1.
 *
 * The kernel side decides what user space sees (umount.h), when the call
 * returns and its result is known.  Nothing needs keeping from its entry:
 * the registers the kernel saved at entry still hold its arguments (the
 * path's address, the flags), and the path is in the caller's memory,
 * where the kernel just read it.  So one program, on the return only: a
 * call that failed otherwise than with EBUSY, or succeeded where the
 * watched table cannot hear of it, ends there, counted, at the cost of a
 * few loads (an entry program keeping the path in per-thread storage cost
 * every umount call about 0.3 us more; bench/umount-latency.sh).  The
 * rest, within its account's rate bound, is sent with everything about
 * the caller that user space could not read reliably later (the caller is
 * often gone by the time the watcher reads its event: systemd's
 * /bin/umount lives a few milliseconds): its comm, pids (also as its own
 * pid namespace numbers them: "PID 1 of the container" is systemd),
 * parents up to UMH_UMOUNT_ANCESTORS, its mount namespace, its cgroup path
 * (systemd runs a mount unit's umount in the unit's own cgroup,
 * ".../system.slice/mnt-b.mount"), the path it passed and its arguments.
 * Unmounts and failures go to ring buffers of their own: a storm of
 * failures cannot crowd out an unmount. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "umount.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader (umount-load.c) before loading. */
const volatile __u32 n_userns = 0; /* 0: no namespace filter */
const volatile __u64 userns[UMH_UMOUNT_USERNS_MAX] = {};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, UMH_UMOUNT_ACCOUNTS);
	__type(key, __u32);
	__type(value, struct umh_umount_rate);
} rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UMH_USTAT_N);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} unmounts SEC(".maps");

/* Room for twice root's failures of one second (an event is about 2 KiB). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);
} failures SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);
	if (v)
		*v += 1; /* per CPU: no other writer */
}

/* kernfs_node's parent was renamed __parent in 6.15 (it became RCU
 * protected); Debian's 6.1 has "parent".  CO-RE picks the one that exists. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));
struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___new, __parent))
		return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/* V & (UMH_UMOUNT_CMDLINE - 1), where the verifier sees it (as
 * path.bpf.h's umh_mask: clang would drop a mask it proves redundant). */
static __always_inline __u32 mask_len(__u32 v)
{
	asm volatile("%[v] &= %[m]" : [v] "+r"(v) : [m] "i"(UMH_UMOUNT_CMDLINE - 1));
	return v;
}

/* The task's thread-group leader's pid as its own pid namespace sees it,
 * and that namespace. */
static __always_inline void fill_task(struct umh_umount_task *t, struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	t->tgid = BPF_CORE_READ(task, tgid);
	t->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	t->ns_tgid = up.nr;
	t->pidns = up.ns ? BPF_CORE_READ(up.ns, ns.inum) : 0;
	bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), BPF_CORE_READ(task, group_leader, comm));
}

/* The uid answerable for the call: its own, in the initial user namespace;
 * under user namespaces, the owner of the outermost one (a user's
 * namespaces, and the subordinate uids mapped in them, are all that
 * user's). */
static __always_inline __u32 account_of(struct task_struct *task)
{
	struct user_namespace *ns = BPF_CORE_READ(task, cred, user_ns);
	for (int i = 0; i < 33 && ns; i++) {
		int level = BPF_CORE_READ(ns, level);
		if (level == 1)
			return BPF_CORE_READ(ns, owner.val);
		if (level <= 0)
			break;
		ns = BPF_CORE_READ(ns, parent);
	}
	return BPF_CORE_READ(task, cred, uid.val);
}

/* Whether an unmount in the caller's mount namespace may take mounts out
 * of the watched table (umount.h, UMH_UMOUNT_USERNS_MAX). */
static __always_inline bool may_reach_watched(struct task_struct *task)
{
	if (!n_userns)
		return true;
	__u64 inum = BPF_CORE_READ(task, nsproxy, mnt_ns, user_ns, ns.inum);
	for (int i = 0; i < UMH_UMOUNT_USERNS_MAX; i++)
		if (i < n_userns && userns[i] == inum)
			return true;
	return false;
}

/* Whether ACCOUNT may send one more call, at RATE a second (umount.h,
 * struct umh_umount_rate); *DROPPED: how many it could not send so far.
 * Updated without a lock (tracing programs may not take one): two CPUs in
 * the same instant may let one call too many through, never hold back
 * one too many. */
static __always_inline bool within_rate(__u32 account, __u64 per_second, __u32 *dropped)
{
	const __u64 second = 1000000000ULL, period = second / per_second;
	__u64 now = bpf_ktime_get_boot_ns();
	struct umh_umount_rate *w = bpf_map_lookup_elem(&rate, &account);
	*dropped = 0;
	if (!w) {
		struct umh_umount_rate fresh = { .next_ns = now + period };
		bpf_map_update_elem(&rate, &account, &fresh, BPF_NOEXIST);
		return true;
	}
	__u64 next = w->next_ns > now ? w->next_ns : now;
	if (next + period - now > second) {
		__sync_fetch_and_add(&w->dropped, 1);
		return false;
	}
	w->next_ns = next + period;
	*dropped = w->dropped;
	return true;
}

static __always_inline void fill(struct umh_umount_call *e, struct task_struct *task, __s64 ret)
{
	/* The arguments, as the kernel saved them at entry (x86-64: the
	 * first two in di and si). */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__u64 id = bpf_get_current_pid_tgid();
	e->h.kind = UMH_UMOUNT_CALL;
	e->h.tid = (__u32)id;
	e->h.ts_ns = bpf_ktime_get_boot_ns();
	e->ret = ret;
	fill_task(&e->self, task);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->flags = (__u32)regs->si;
	e->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->target_len = bpf_probe_read_user_str(e->target, sizeof(e->target), (const void *)regs->di);
	if (e->target_len < 0)
		e->target[0] = 0;

	/* Its arguments, from its own memory: /bin/umount is often gone
	 * before user space could read /proc/PID/cmdline. */
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 arg_start = mm ? BPF_CORE_READ(mm, arg_start) : 0, arg_end = mm ? BPF_CORE_READ(mm, arg_end) : 0;
	__u64 len = arg_end > arg_start ? arg_end - arg_start : 0;
	e->cmdline_cut = len > UMH_UMOUNT_CMDLINE - 1;
	if (len > UMH_UMOUNT_CMDLINE - 1)
		len = UMH_UMOUNT_CMDLINE - 1;
	__u32 n = mask_len((__u32)len);
	e->cmdline_len = 0;
	if (n && bpf_probe_read_user(e->cmdline, n, (const void *)arg_start) == 0)
		e->cmdline_len = n;

	/* Parents: real_parent up to init (whose parent is itself or the
	 * swapper, pid 0). */
	struct task_struct *p = task;
	e->n_ancestors = 0;
	for (int i = 0; i < UMH_UMOUNT_ANCESTORS; i++) {
		struct task_struct *up = BPF_CORE_READ(p, real_parent);
		if (!up || up == p || BPF_CORE_READ(up, tgid) == 0)
			break;
		fill_task(&e->ancestors[i], up);
		e->n_ancestors = i + 1;
		p = up;
	}

	/* The cgroup in the unified (v2) hierarchy, leaf first; the root
	 * (no parent) has no name of its own. */
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	e->n_cgroup = 0;
	e->cgroup_complete = 0;
	for (int i = 0; i < UMH_UMOUNT_CG_DEPTH && kn; i++) {
		struct kernfs_node *parent = kn_parent(kn);
		if (!parent) {
			e->cgroup_complete = 1;
			break;
		}
		bpf_probe_read_kernel_str(e->cgroup[i], UMH_UMOUNT_CG_NAME, BPF_CORE_READ(kn, name));
		e->n_cgroup = i + 1;
		kn = parent;
	}
}

SEC("tp/syscalls/sys_exit_umount")
int umount_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	count(UMH_USTAT_CALLS);
	__s64 ret = ctx->ret;
	if (ret != 0 && ret != -UMH_UMOUNT_EBUSY) {
		count(UMH_USTAT_OTHER_RESULT);
		return 0;
	}
	if (ret == 0 && !may_reach_watched(task)) {
		count(UMH_USTAT_OTHER_NS);
		return 0;
	}
	__u32 account = account_of(task), dropped = 0;
	if (!(ret == 0 && account == 0) &&
	    !within_rate(account, account ? UMH_UMOUNT_RATE_USER : UMH_UMOUNT_RATE_ROOT, &dropped)) {
		count(UMH_USTAT_RATE);
		return 0;
	}
	struct umh_umount_call *e = bpf_ringbuf_reserve(ret == 0 ? (void *)&unmounts : (void *)&failures, sizeof(*e), 0);
	if (!e) {
		count(UMH_USTAT_LOST);
		return 0;
	}
	fill(e, task, ret);
	e->account = account;
	e->account_dropped = dropped;
	bpf_ringbuf_submit(e, 0);
	count(UMH_USTAT_SENT);
	return 0;
}
