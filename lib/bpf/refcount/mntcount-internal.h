/* What mntcount-load.c and mntcount-pin.c share: the mount-count program
 * as one process holds it, loaded by itself or pinned by the watcher. */
#pragma once

#include "bpf/refcount/mntcount-load.h"
#include "bpf/refcount/mntcount.h"
/* A light skeleton (bpf.mk): an ordinary one had libbpf parse the kernel's
 * BTF in user space first, 25-35 ms of every explain where the count can
 * be read. */
#include "bpf/common/lskel.h"
UMH_LSKEL_BEGIN
#include "bpf/mntcount.lskel.h"
UMH_LSKEL_END
#include "bpf/mntcount.id.h"

struct umh_mntcount {
	struct umh_mntcount_lbpf *skel; /* loaded here; NULL: the watcher's, pinned */
	int prog_fd, reads_fd;          /* the skeleton's, or (pinned) our own */
	const char *way;                /* how the per-CPU offsets are found, in words */
};

static inline void mntcount_lbpf_destroyp(struct umh_mntcount_lbpf **p)
{
	if (*p)
		umh_mntcount_lbpf__destroy(*p);
}

/* The watcher's pinned program, checked, into *OUT.  Returns 0, or a
 * negative errno (-ENOENT: none pinned) with WHY set. */
int umh_mntcount_pinned(struct umh_mntcount **out, char *why, size_t size);
