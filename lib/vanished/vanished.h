/* explain on a target that is not mounted: was it mounted, when did it go,
 * who unmounted it and why.  And, for a target that is mounted, whether
 * systemd is about to unmount it.
 *
 * Where the answer comes from, best first:
 *   1. the record of `umount-helper watch` (watch/record.h): the caller and,
 *      when systemd did it, the cause read at the time;
 *   2. the watcher's own lines in the journal (its record may be gone);
 *   3. systemd itself, when no watcher ran: its journal says *that* it
 *      stopped the mount unit, and when (UNIT_STOPPING / UNIT_STOPPED), but
 *      at its default log level not why; the unit's dependencies as they
 *      are now give the likely reason, and say so ("probable");
 *   4. nothing: said as it is.
 * Each lookup runs in a child process within a time budget (run-json.h);
 * where no systemd manages the namespace, systemd is not asked at all. */
#pragma once

#include <stdint.h>

#include "base/json-read.h"

struct umh_vanished_opts {
	const char *spec;      /* the target as the user gave it */
	const char *ns;        /* -N, or NULL */
	const char *state_dir; /* NULL: umh_wrecord_dir() */
	int64_t budget_ns;     /* <= 0: none left: the lookup fails with -ETIME, untried */
};

/* The "vanished" object (see umount-helper(8), "EXPLAIN A TARGET THAT IS NOT
 * MOUNTED"); on failure (-ETIME, ...) one that says the lookup failed.
 * Always sets *RET unless out of memory.  Returns 0 or a negative errno. */
int umh_vanished_lookup(const struct umh_vanished_opts *o, struct umh_jnode **ret);

/* The warnings about a mounted MOUNT_POINT (an array, maybe empty), or NULL
 * in *RET when no systemd manages the namespace NS (then nothing is run).
 * Returns 0 or a negative errno. */
int umh_mount_risks(const char *mount_point, const char *ns, int64_t budget_ns, struct umh_jnode **ret);

/* Whether the lookup found anything worth a sentence after umount's own
 * "not mounted" message. */
bool umh_vanished_known(const struct umh_jnode *v);
