/* The mounts of one filesystem, in every mount namespace or in none, found
 * by the kernel-side walks of fsview.bpf.h; and the processes and
 * descriptors of the namespaces they are in.
 *
 * Two programs, each a light skeleton (bpf.mk): the small one
 * (sbmounts.bpf.c) for explain of one mount, which only wants the mount's
 * propagated copies and costs a few milliseconds to load; the full one
 * (fsview.bpf.c) for explain of a filesystem, which also finds overlays
 * built on it, the namespace files that keep namespaces without a
 * process, and the mounts on one directory. */
#pragma once

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/fsview/fsview.h"

struct umh_fsv;

/* A mount record, its names joined ("/" first; "…/..." where a walk was
 * cut short). */
struct umh_fsv_mnt {
	struct umh_fsv_mount h;
	char *path; /* its mount point, in its own namespace */
	char *root; /* the directory of the filesystem it shows */
};

struct umh_fsv_found {
	struct umh_fsv_result result; /* of the mount walk */
	struct umh_fsv_mnt *mounts;
	size_t n_mounts;
	struct umh_fsv_task *tasks; /* TASK and NSFD records */
	size_t n_tasks;
};

/* Loads the full program (FULL) or the small one.  Returns 0, or a
 * negative errno with WHY set to a sentence. */
int umh_fsv_open(bool full, struct umh_fsv **out, char *why, size_t size);
void umh_fsv_close(struct umh_fsv *f);
static inline void umh_fsv_closep(struct umh_fsv **f)
{
	if (*f)
		umh_fsv_close(*f);
}

/* Every mount of the filesystem whose device (s_dev) is MAJOR:MINOR, into
 * OUT (which the caller zeroes, and frees with umh_fsv_found_free).  The
 * full program adds the overlays on it and the nsfs mounts that keep its
 * namespaces.  Returns 0 (OUT->result.status says what was found: NO_SB
 * when no filesystem has the device), or a negative errno with WHY set. */
int umh_fsv_by_dev(struct umh_fsv *f, unsigned int major, unsigned int minor, struct umh_fsv_found *out, char *why,
		   size_t size);
/* The full program only: the mounts, in any namespace, on the directory
 * open as DIRFD (ours, O_PATH is enough).  NOT_MOUNTED when none. */
int umh_fsv_mountpoint(struct umh_fsv *f, int dirfd, struct umh_fsv_found *out, char *why, size_t size);
/* Adds to OUT a TASK record for every process in a namespace the walks
 * found, but namespace NOT_NS (ours: 0 for none).  Then, with FILES (the
 * full program only), an NSFD record per descriptor open on one of them. */
int umh_fsv_tasks(struct umh_fsv *f, uint64_t not_ns, bool files, struct umh_fsv_found *out, char *why, size_t size);

void umh_fsv_found_free(struct umh_fsv_found *found);

/* The kernel's dev_t encoding (MKDEV), as s_dev holds it. */
static inline uint32_t umh_fsv_kdev(unsigned int major, unsigned int minor)
{
	return (major << 20) | (minor & 0xfffff);
}
static inline unsigned int umh_fsv_kmajor(uint32_t kdev) { return kdev >> 20; }
static inline unsigned int umh_fsv_kminor(uint32_t kdev) { return kdev & 0xfffff; }
