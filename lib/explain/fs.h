/* Explain of a filesystem, rather than one mount of it: every mount of it
 * in every mount namespace or in none, what each namespace is, and what
 * keeps the filesystem alive without a mount (fs.c; collect-kernel.c adds
 * its loop devices and swap files, the process scans the holders of its
 * mounts).
 *
 * Asked for with explain --fs, or for a target that is not mounted here:
 * a device (/dev/..., LABEL=, UUID=, MAJ:MIN) whose filesystem may be
 * mounted only elsewhere, or only detached; a directory that is a mount
 * point only in other namespaces (rmdir says EBUSY). */
#pragma once

#include <libmount.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "explain/scan.h"

struct umh_fs_spec {
	bool have_dev;
	unsigned int major, minor; /* the filesystem's device (s_dev) */
	int dirfd;                 /* else a directory to look for mounts on (O_PATH), -1 */
	uint64_t from_mnt_id;      /* --fs on a mount point: that mount */
	char device[PATH_MAX];     /* the block device SPEC named, "" if none */
	char source[PATH_MAX];     /* as a mount of ours names it, "" if none */
	char fstype[64];
};

/* What SPEC names as a filesystem: MOUNTED (the mount it named in our
 * table, for --fs), a device, a tag, MAJ:MIN, or a directory.  Returns 0,
 * -ENOENT when nothing has that name, -EINVAL when it names no filesystem
 * (a plain file, an unknown tag).  The caller closes OUT->dirfd
 * (umh_fs_spec_close). */
int umh_fs_identify(struct umh_scan *s, const char *spec, struct libmnt_fs *mounted, struct umh_fs_spec *out);
/* Closes SPEC's directory, if it has one. */
void umh_fs_spec_close(struct umh_fs_spec *spec);

/* Every mount of the filesystem into S (and the report), their namespaces,
 * and the holders that are mounts: "mount" for each mount in a namespace,
 * "overlay-layer" for each overlay built on it.  Where BPF may run (BPF),
 * the kernel finds them; else every namespace's mountinfo is read, and
 * what only the kernel knows (detached mounts, overlay layers) is named
 * as not seen.  Sets the report's filesystem (umh_report_set_fs).
 * Returns 0; -EINVAL when SPEC is a directory nothing is mounted on
 * anywhere; another negative errno on failure. */
int umh_collect_fs(struct umh_scan *s, const char *spec, const struct umh_fs_spec *fs, bool bpf, char *why,
		   size_t size);
