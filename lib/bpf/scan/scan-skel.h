/* The scan's BPF programs (iter.bpf.c), loaded through a light skeleton.
 *
 * A light skeleton hands the kernel a small loader program that creates
 * the maps and loads the programs, CO-RE relocations done by the kernel
 * (which keeps its lookups of vmlinux types between loads).  The ordinary
 * skeleton had libbpf read and index the kernel's 5 MB of BTF in user
 * space, then search it once per type the programs use: two thirds of the
 * 80 ms the scan spent loading.  Needs Linux 5.17 or later, as the
 * programs' bpf_loop does anyway. */
#pragma once

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/scan/iter.h"

struct umh_scan_skel;

/* Loads the programs; ANON_INODE_MNT_ID tells them where io_uring files
 * live.  Returns 0, or a negative errno with WHY set to a sentence. */
int umh_scan_skel_load(uint32_t anon_inode_mnt_id, struct umh_scan_skel **out, char *why, size_t size);
void umh_scan_skel_free(struct umh_scan_skel *s);
/* Which build of the programs S holds, for debugging: "the fast build"
 * (Linux 6.2 and later), "the build for every kernel", or "pinned". */
const char *umh_scan_skel_build(const struct umh_scan_skel *s);
static inline void umh_scan_skel_freep(struct umh_scan_skel **s) { umh_scan_skel_free(*s); }

/* The mount ids to look for (at most UMH_ITER_MAX_MOUNTS). */
int umh_scan_skel_set_mounts(struct umh_scan_skel *s, const uint32_t *ids, size_t n);

enum umh_scan_iter { UMH_SCAN_UNIX, UMH_SCAN_TASKS, UMH_SCAN_VMAS };
/* Opens one iterator: a descriptor whose reading (umh_bpf_read_iter_fd)
 * runs the walk, or a negative errno. */
int umh_scan_skel_open(struct umh_scan_skel *s, enum umh_scan_iter which);
const char *umh_scan_skel_name(enum umh_scan_iter which);

/* The key the programs mix kernel addresses with into cookies (iter.h):
 * other programs that name the same objects use it too. */
uint64_t umh_scan_skel_cookie_key(const struct umh_scan_skel *s);

struct umh_scan_stats {
	uint32_t n_scm, scm_lost;
	uint32_t n_bound, bound_lost;
	uint64_t files_seen, tasks_seen;
};
void umh_scan_skel_stats(const struct umh_scan_skel *s, struct umh_scan_stats *st);
/* File in flight number I (below the n_scm of the stats). */
int umh_scan_skel_scm(const struct umh_scan_skel *s, uint32_t i, struct umh_scm_rec *r);
/* Bound socket number I (below the n_bound of the stats). */
int umh_scan_skel_bound(const struct umh_scan_skel *s, uint32_t i, struct umh_bound_rec *r);
