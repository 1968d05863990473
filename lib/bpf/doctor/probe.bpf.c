// SPDX-License-Identifier: GPL-2.0-or-later
/* The smallest programs of each kind that umount-helper uses, for `doctor`
 * to load one at a time: whether this kernel lets a program of that kind
 * load (and attach) says what explain and trace can do here.  Each one
 * only counts that it ran. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

__u64 runs = 0;

/* BPF iterators: the fast process scan. */
SEC("?iter/task")
int probe_iter(struct bpf_iter__task *ctx)
{
	if (ctx->task)
		__sync_fetch_and_add(&runs, 1);
	return 0;
}

/* BPF trampolines: what trace and the ledger prefer. */
SEC("?fentry/fd_install")
int BPF_PROG(probe_fentry, unsigned int fd, struct file *file)
{
	__sync_fetch_and_add(&runs, 1);
	return 0;
}

/* kprobes: their fallback. */
SEC("?kprobe/fd_install")
int BPF_KPROBE(probe_kprobe)
{
	__sync_fetch_and_add(&runs, 1);
	return 0;
}

/* System call tracepoints: trace's last resort, process opens only. */
SEC("?tp/syscalls/sys_exit_openat")
int probe_tp(void *ctx)
{
	__sync_fetch_and_add(&runs, 1);
	return 0;
}

/* Stacks: bpf_get_stack from a tracepoint (perfmon-only helper). */
SEC("?tp/syscalls/sys_enter_close")
int probe_stack(void *ctx)
{
	__u64 ips[4];
	if (bpf_get_stack(ctx, ips, sizeof(ips), 0) > 0)
		__sync_fetch_and_add(&runs, 1);
	return 0;
}

/* bpf_per_cpu_ptr on a mount's per-CPU count: the direct way to read it.
 * Verifiers refuse it where the pointer is not known to be per-CPU (no
 * __percpu type tag in the kernel's BTF, as in Debian's 6.1) or is
 * untrusted (a pointer walked to, on newer kernels).  doctor says which. */
SEC("?iter/task")
int probe_percpu(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task || !task->nsproxy)
		return 0;
	struct mount *root = task->nsproxy->mnt_ns->root;
	if (bpf_per_cpu_ptr(root->mnt_pcp, 0))
		__sync_fetch_and_add(&runs, 1);
	return 0;
}
