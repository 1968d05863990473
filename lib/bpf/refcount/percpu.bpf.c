// SPDX-License-Identifier: GPL-2.0-or-later
/* Where the per-CPU offsets are: the address of __per_cpu_offset[], which
 * mntcount.bpf.c adds to a per-CPU pointer to reach each CPU's copy.  It is
 * a data symbol, so kallsyms has it only with CONFIG_KALLSYMS_ALL.
 *
 * A program of its own, with no CO-RE relocation and no attach target: it
 * loads without the kernel's BTF, which libbpf would otherwise parse (tens
 * of milliseconds, seconds under emulation) only to learn that the count
 * cannot be read here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 percpu_offsets = 0; /* &__per_cpu_offset[0] */
__s64 lookup_error = 0;   /* what bpf_kallsyms_lookup_name said */

SEC("syscall")
int find_offsets(void *ctx)
{
	static const char name[] = "__per_cpu_offset";
	__u64 addr = 0;
	lookup_error = bpf_kallsyms_lookup_name(name, sizeof(name), 0, &addr);
	percpu_offsets = lookup_error == 0 ? addr : 0;
	return 0;
}
