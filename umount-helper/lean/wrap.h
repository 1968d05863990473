/* The lean helper's own wrapping of the distribution's helper (nfs-utils'
 * umount.nfs): what the tool's helper.c does, without the tool's libraries,
 * so that an unmount that succeeds through it costs the wrapped helper and
 * one small program more, not the tool's start.  A failure is handed over
 * to the tool (handover.h), which explains it. */
#pragma once

#include <stdint.h>

/* The mount at MOUNT_POINT, as libmount finds the mount umount(8) means (the
 * last one mounted there, from /proc/self/mountinfo; no file system is
 * asked anything): its id, or 0 when none is, or the table cannot be read. */
uint64_t umh_lean_mount_id_at(const char *mount_point);

/* Runs ORIGINAL with ARGV (argv[0] included: mount.nfs reads its mode from
 * it), with our standard streams, and waits for it.  Returns its wait
 * status, or a negative errno when it could not be started (said on
 * stderr). */
int umh_lean_run(const char *original, char **argv);
