// SPDX-License-Identifier: GPL-2.0-or-later
/* Who calls umount(2): the system call tracepoints sys_enter_umount and
 * sys_exit_umount (umount2 on x86-64; the kernel names the tracepoint after
 * SYSCALL_DEFINE2(umount, ...)).  Tracepoints load where BPF trampolines
 * and kprobes do not (the development kernel), and on Debian's 6.1.
 *
 * At entry everything about the caller that user space could not read
 * reliably later is taken here: the caller is often gone by the time the
 * watcher reads its event (systemd's /bin/umount lives a few milliseconds).
 * So: its comm, pids (also as its own pid namespace numbers them: "PID 1 of
 * the container" is systemd), parents up to UMH_UMOUNT_ANCESTORS, its mount
 * namespace, its cgroup path (systemd runs a mount unit's umount in the
 * unit's own cgroup, ".../system.slice/mnt-b.mount"), and the path it passed.
 * umount calls are rare: every one is sent, the watcher filters. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "umount.h"

char LICENSE[] SEC("license") = "GPL";

__u64 events_lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

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

SEC("tp/syscalls/sys_enter_umount")
int umount_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct umh_umount_enter *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&events_lost, 1);
		return 0;
	}
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();

	e->h.kind = UMH_UMOUNT_ENTER;
	e->h.tid = (__u32)id;
	e->h.ts_ns = bpf_ktime_get_boot_ns();
	fill_task(&e->self, task);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->flags = (__u32)ctx->args[1];
	e->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->target_len = bpf_probe_read_user_str(e->target, sizeof(e->target), (const void *)ctx->args[0]);
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
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/syscalls/sys_exit_umount")
int umount_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct umh_umount_exit *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&events_lost, 1);
		return 0;
	}
	e->h.kind = UMH_UMOUNT_EXIT;
	e->h.tid = (__u32)bpf_get_current_pid_tgid();
	e->h.ts_ns = bpf_ktime_get_boot_ns();
	e->ret = ctx->ret;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
