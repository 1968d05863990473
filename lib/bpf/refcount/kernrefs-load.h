/* The kernel-reference programs (kernrefs.bpf.c): tracefs uprobes, module
 * data and the target's dentries, each walked on demand.  Every function
 * returns 0 or a negative errno with WHY set to a sentence. */
#pragma once

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/refcount/kernrefs.h"

struct umh_kernrefs;

/* Loads the programs.  COOKIE_KEY: the BPF scan's (iter.h), so that both
 * name one object alike; PIN_POSITIVE: the target's filesystem keeps a
 * reference to each of its positive dentries (tmpfs, ramfs). */
int umh_kernrefs_open(uint64_t cookie_key, bool pin_positive, struct umh_kernrefs **out, char *why, size_t size);
void umh_kernrefs_close(struct umh_kernrefs *k);
static inline void umh_kernrefs_closep(struct umh_kernrefs **k) { umh_kernrefs_close(*k); }

/* The uprobes behind N descriptors of tracefs enable files (FDS): OUT[i]
 * for FDS[i], found or not.  MNT_ID: the target, whose paths are named. */
int umh_kernrefs_probes(struct umh_kernrefs *k, uint32_t mnt_id, const int *fds, size_t n,
			struct umh_kref_probe *out, char *why, size_t size);

/* The data of the modules behind N descriptors of /sys/module/NAME (FDS),
 * searched for files and paths on mount MNT_ID until DEADLINE_NS
 * (CLOCK_MONOTONIC; 0: none).  *HITS (malloc'd, *N_HITS) and *ST. */
int umh_kernrefs_modules(struct umh_kernrefs *k, uint32_t mnt_id, const int *fds, size_t n, int64_t deadline_ns,
			 struct umh_kref_hit **hits, size_t *n_hits, struct umh_kref_stats *st, char *why, size_t size);

/* The dentries of mount MNT_ID with references left over once the ones
 * the scan's objects explain are counted (REFS[i] for the dentry of cookie
 * DENTRIES[i], N of them), walked until DEADLINE_NS.  *OUT (malloc'd,
 * *N_OUT) and *ST. */
int umh_kernrefs_dentries(struct umh_kernrefs *k, uint32_t mnt_id, const uint64_t *dentries, const uint32_t *refs,
			  size_t n, int64_t deadline_ns, struct umh_kref_dentry **out, size_t *n_out,
			  struct umh_kref_stats *st, char *why, size_t size);
