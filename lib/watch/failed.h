/* The watcher's failed unmounts, from the call to the entry: each EBUSY
 * call the kernel side sends is counted in its target's burst
 * (watch/busy.h); a new burst holds its caller's mount namespace at once
 * (the caller, umount(8) say, may be gone a millisecond later), and is
 * examined there by a worker (watch/examine.h), one at a time; when an
 * entry is due it is composed (watch/failure.h) and handed to the
 * watcher's EMIT, which writes it where the watcher writes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bpf/umount/umount-load.h"
#include "watch/busy.h"
#include "watch/calls.h"
#include "watch/examine.h"
#include "watch/failure.h"

/* The default time budget of one examination. */
#define UMH_WFAILED_BUDGET_NS (5LL * 1000000000)

typedef void (*umh_wfailed_emit_fn)(void *userdata, const struct umh_wburst *burst, const struct umh_wfailure *entry,
				     bool final);

struct umh_wfailed {
	struct umh_wbusy busy;
	struct umh_wexamine x;
	bool examine;              /* false: count and write, examine nothing (--no-explain) */
	int64_t budget_ns;
	int procfd;                /* our /proc */
	uint64_t watched_mntns;
	uint64_t own_mntns;        /* the watcher's own mount namespace */
	int watched_ns_fd;         /* the watched namespace (the caller's when it is the same), or -1 */
	const struct umh_wcalls *calls; /* to number pids as we see them */
	const struct umh_umount_trace *trace; /* the rate bound's counts, or NULL */
	umh_wfailed_emit_fn emit;
	void *userdata;
	uint64_t entries;          /* written */
};

/* The fields before the first call: all but busy and x, which this sets
 * up.  Returns 0 or -ENOMEM. */
int umh_wfailed_init(struct umh_wfailed *f);
void umh_wfailed_free(struct umh_wfailed *f);

/* A failed call (EBUSY), taken over. */
void umh_wfailed_call(struct umh_wfailed *f, struct umh_wcall *call, int64_t now_ns, int64_t now_real_us);

/* A successful unmount: a burst on that target ends with it. */
void umh_wfailed_unmounted(struct umh_wfailed *f, const struct umh_wcall *call, int64_t now_real_us);

/* The worker's descriptor to poll, or -1. */
int umh_wfailed_fd(const struct umh_wfailed *f);

/* Reads the worker, starts the next examination, writes the entries due.
 * ALL: the watcher stops: every burst is written now, with what is known. */
void umh_wfailed_tick(struct umh_wfailed *f, int64_t now_ns, bool all);

/* How long the loop may sleep before the next tick is due, in ns (at most
 * LIMIT_NS). */
int64_t umh_wfailed_wait_ns(const struct umh_wfailed *f, int64_t now_ns, int64_t limit_ns);
