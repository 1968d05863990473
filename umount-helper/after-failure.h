/* Explaining a failed umount, without ever changing its outcome.
 *
 * The mount umount tries is noted (its mount id): before a wrapped helper
 * runs (which may change the mount table before it fails), or after
 * umount(2) itself said EBUSY (which leaves the mount where it was); after
 * a failure, the explanation runs in a separate process within a time
 * budget (runner.h), and only if the target is still that very mount.  Whatever
 * the analysis does (crash, hang, no permission), the caller's exit status
 * and the mount are what they would have been without it: these functions
 * only ever print, and only to stderr. */
#pragma once

#include <libmount.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* The mount that umount tries for SPEC, looked up now in CXT's target
 * namespace (-N) as umount(8) looks it up: its mount id and mount point
 * (allocated), for umh_explain_failure().  Returns 0, or a negative errno
 * when SPEC is not mounted or the table cannot be read. */
int umh_mount_lookup(struct libmnt_context *cxt, const char *spec, uint64_t *mnt_id, char **target);

struct umh_failure {
	const char *target;  /* the mount point from umh_mount_lookup() */
	const char *ns;      /* -N as the user gave it (a pid or a file), or NULL */
	uint64_t mnt_id;     /* from umh_mount_lookup(); 0: unknown, say nothing */
	bool known_busy;     /* umount(2) itself returned EBUSY */
	bool helper_failed;  /* a wrapped helper failed, for a reason its status
			      * does not say (nfs-utils: 16 for any failure) */
};

/* Prints to stderr what holds F->target, when it is still the mount that
 * failed to unmount and umount said EBUSY, a wrapped helper failed, or
 * something was found holding it.  When nothing was found, the report says
 * only what is known -- busy (EBUSY) or still mounted (a wrapped helper's
 * failure, whose cause may be another) -- and what the scan cannot see.
 * Silent when C turns explanations off. */
void umh_explain_failure(const struct umh_failure *f, const struct umh_config *c);

/* After umount said "not mounted" about SPEC (in namespace NS, or ours):
 * when the watcher's record, its journal lines or systemd know where the
 * mount went, one more line on stderr, "umount: SPEC: At ...: ...
 * unmounted by ...".  Silent when nothing is known (util-linux's message
 * says it all then) or when C turns explanations off. */
void umh_explain_vanished(const char *spec, const char *ns, const struct umh_config *c);

/* A front end that explains failures itself sets this in its helpers'
 * environment to its pid; a helper whose parent has that pid leaves the
 * explanation to it, so that it is printed once. */
#define UMH_FRONTEND_ENV "UMOUNT_HELPER_FRONTEND"
bool umh_frontend_explains(void);

