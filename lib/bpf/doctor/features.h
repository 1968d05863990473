/* What the running kernel lets umount-helper do with BPF, found by loading
 * the smallest program of each kind (probe.bpf.c) and the real scan.  For
 * `doctor`: each answer comes with the reason in words. */
#pragma once

#include <stdbool.h>

enum umh_feature {
	UMH_FEAT_BTF,
	UMH_FEAT_PRIVILEGE,
	UMH_FEAT_ITERATORS,
	UMH_FEAT_SCAN,        /* the real iter.bpf.c: bpf_d_path, unix sockets, CO-RE */
	UMH_FEAT_FENTRY,
	UMH_FEAT_KPROBES,
	UMH_FEAT_TRACEPOINTS,
	UMH_FEAT_STACKS,
	UMH_FEAT_RINGBUF,
	UMH_FEAT_MODULES,     /* module load tracepoint, for module symbols */
	UMH_FEAT_LOCKDOWN,    /* "yes" means lockdown is off */
	UMH_FEAT_KALLSYMS,
	UMH_FEAT_REFCOUNT,    /* reading a mount's reference count */
	_UMH_FEAT_MAX
};

struct umh_feature_state {
	const char *name;
	bool ok;
	char detail[320]; /* a sentence: what was seen */
};

/* Probes every feature.  Mounts tracefs/securityfs in a private mount
 * namespace when they are not mounted, so this process should be short
 * lived (doctor). */
void umh_features_probe(struct umh_feature_state st[_UMH_FEAT_MAX]);
