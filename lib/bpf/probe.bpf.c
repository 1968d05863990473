// SPDX-License-Identifier: GPL-2.0
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
SEC("iter/task")
int probe_iter(struct bpf_iter__task *ctx)
{
	if (ctx->task)
		__sync_fetch_and_add(&runs, 1);
	return 0;
}
