/* The failed unmounts of a target that `umount-helper watch` recorded
 * (watch/failure.h, "failed-unmount" lines of its record), for explain and
 * for the helper and the front end after their own failure:
 *
 *   umount-helper watch saw earlier attempts to unmount it fail:
 *     At 2026-12-07 12:00:01: umount of /mnt/x by containerd-shim (pid 4242,
 *     uid 0) ..., in containerd.service failed 50 times (EBUSY, target is
 *     busy) between 12:00:01 and 12:00:03; held then by ...
 *
 * The record is read in a child process within a time budget (run-json.h),
 * as the real user, like vanished.h's lookup. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "base/json-read.h"

/* The newest entries kept (one per burst). */
#define UMH_ATTEMPTS_MAX 3

struct umh_attempts_opts {
	const char *target;    /* the mount point, absolute (as the namespace NS sees it) */
	const char *ns;        /* -N: a pid or a namespace file; NULL: ours */
	const char *state_dir; /* NULL: umh_wrecord_dir() */
	int64_t budget_ns;
};

/* *RET: an array of the record's entries about O->target in that namespace
 * in this boot, oldest first, at most UMH_ATTEMPTS_MAX; NULL when there
 * are none or the lookup failed.  Returns 0 or a negative errno. */
int umh_attempts_lookup(const struct umh_attempts_opts *o, struct umh_jnode **ret);

/* The lines for people (nothing when ATTEMPTS is NULL or empty); PREFIX
 * starts each line ("" for explain, "umount: " after umount's own). */
void umh_attempts_print_text(const struct umh_jnode *attempts, const char *record_dir, const char *prefix, FILE *out);
