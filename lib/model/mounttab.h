/* Mount tables, read with libmount, and the questions asked of them:
 * which mount a TARGET names, and which mount a kernel-printed path is on.
 *
 * Nothing here looks a path up inside a mounted filesystem unless every
 * lexical way to find the mount failed: a mount point on a dead NFS server
 * must be found by name alone. */
#pragma once

#include <libmount.h>
#include <stdint.h>

#include "model/model.h"

/* Reads /proc/PID/mountinfo (PID NULL: "self") through PROCFD. */
int umh_mounttab_read(int procfd, const char *pid, struct libmnt_table **ret);

/* Finds the mount SPEC names, as umount(8) would: a mount point (the top one
 * of a stack) or a source (device, server:/path, LABEL=/UUID= tag; the most
 * recent mount of it).  -EINVAL if SPEC is not mounted, -ENOENT if it names
 * nothing that exists. */
int umh_mounttab_find(struct libmnt_table *tb, const char *spec, struct libmnt_fs **ret);

/* The mount a path printed by the kernel (d_path) lies on: the deepest mount
 * point above it, and the top of a stack there.  NULL if none. */
struct libmnt_fs *umh_mounttab_for_path(struct libmnt_table *tb, const char *path);

/* The topmost mount at FS's mount point (FS itself if nothing is stacked on
 * it). */
struct libmnt_fs *umh_mounttab_top(struct libmnt_table *tb, struct libmnt_fs *fs);

/* Fills M from FS.  The strings point into FS: valid while FS lives. */
void umh_mount_from_fs(struct libmnt_fs *fs, enum umh_mount_role role, struct umh_mount *m);

/* Peer group ids from the optional fields ("shared:N master:M"). */
void umh_mount_peer_groups(struct libmnt_fs *fs, uint64_t *shared, uint64_t *master);

/* Lexically normalises PATH: made absolute against the current directory,
 * "//", "/./" and a trailing "/" removed.  Returns NULL if PATH has ".."
 * (which only a lookup can resolve) or on allocation failure. */
char *umh_path_normalize(const char *path);
