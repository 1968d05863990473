/* Which umount(2) call removed which mount.
 *
 * A call's event is sent when the call returns, which may be just after
 * the table change is seen (the kernel frees the mount after an RCU grace
 * period, before it returns): the watcher holds back the mounts that
 * went until their calls have come (umh_wmatch_unexplained), a couple of
 * seconds at most, before it matches them.
 * For each mount gone, the topmost gone mount above it (following parent
 * ids within what went together) is the one a call named; the others went
 * along (a lazy unmount takes the subtree).  A call is matched by its path
 * (made absolute, lexically normal) in the watched namespace first; a call
 * in another namespace removes mounts here by propagation; when no path
 * matches, a single call in the window is taken by time, and says so.  A
 * mount whose id is still in the table under another mount point, with no
 * call for it, was moved (mount --move), not unmounted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watch/calls.h"
#include "watch/event.h"
#include "watch/mounts.h"

/* Calls older than this are not candidates. */
#define UMH_WMATCH_WINDOW_NS (10LL * 1000000000)

struct umh_wmatch_in {
	struct umh_wcalls *calls; /* NULL: BPF is not running */
	const char *no_calls_why; /* ... and why */
	uint64_t mntns;           /* the watched namespace */
	const struct umh_wtable *table; /* the table now */
	int64_t now_boot_ns, now_real_us;
};

/* A successful umount call in the watched namespace that no mount gone
 * was matched with, this long after it: the mount came and went between
 * two reads of the table (a script's mount; umount).  It is reported from
 * the call alone. */
#define UMH_WMATCH_ORPHAN_NS (500LL * 1000000)

/* Turns such a call into an event (OUT), and marks it used.  Returns 1 when
 * it did, 0 when CALL is no such call, or -ENOMEM. */
int umh_wmatch_orphan(const struct umh_wmatch_in *in, struct umh_wcall *call, struct umh_wevent *out);

/* How many of the mounts that went together (GONE, the ones a call
 * named, not those that went along) have no call that named them yet
 * (by path, here or in another namespace), and were not moved.  The watcher waits for their calls: a call's event is sent
 * when it returns, which may be after its table change was seen. */
size_t umh_wmatch_unexplained(const struct umh_wmatch_in *in, const struct umh_wmount *gone, size_t n);

/* Fills OUT[i] for each GONE[i] (taking over GONE[i]'s strings): type, time,
 * mount, how, by, caller, match.  Marks the calls it used.  Returns 0 or
 * -ENOMEM (OUT is then cleared). */
int umh_wmatch(const struct umh_wmatch_in *in, struct umh_wmount *gone, size_t n, struct umh_wevent *out);
