/* Failed unmounts (EBUSY), grouped into bursts: the watcher explains each
 * burst once, not each call.
 *
 * A burst is the failed calls on one target (a mount point, as the caller's
 * mount namespace resolves it) with less than UMH_WBUSY_IDLE_NS between
 * them: containerd's 50 retries 50 ms apart are one burst; kubelet running
 * umount(8) again a few seconds later starts another.  Its first call asks
 * for an explanation at once (who holds the target, now); its entry (who
 * tried, how often, and that explanation) is written when it ends, when it
 * has gone on for UMH_WBUSY_REFRESH_NS, or when the target is unmounted
 * after all; a burst that goes on is examined again every
 * UMH_WBUSY_REFRESH_NS, and a new entry is written when what holds the
 * target changed.
 *
 * The work is bounded whoever calls: at most UMH_WBUSY_MAX bursts are
 * followed (UMH_WBUSY_PER_ACCOUNT for one account other than root), and
 * each account (the uid answerable for the call, umount.h) may have
 * examinations at the rate of a token bucket: root's UMH_WBUSY_ALLOW_ROOT,
 * one more every UMH_WBUSY_REFILL_ROOT_NS; another's fewer (_USER).  A
 * burst over its account's allowance is still counted and written, with
 * the reason it was not examined.
 *
 * Pure bookkeeping, driven by the watcher's clock: nothing here reads the
 * system or runs anything (watch/examine.h runs the examinations). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/json-read.h"
#include "watch/calls.h"

#define UMH_WBUSY_MAX 64
#define UMH_WBUSY_PER_ACCOUNT 8
#define UMH_WBUSY_IDLE_NS (1000LL * 1000000)
#define UMH_WBUSY_REFRESH_NS (10LL * 1000000000)
#define UMH_WBUSY_ACCOUNTS 64
#define UMH_WBUSY_ALLOW_ROOT 16
#define UMH_WBUSY_REFILL_ROOT_NS (2LL * 1000000000)
#define UMH_WBUSY_ALLOW_USER 4
#define UMH_WBUSY_REFILL_USER_NS (30LL * 1000000000)
/* Distinct processes counted exactly in a burst; beyond, "more than". */
#define UMH_WBUSY_PIDS 8

struct umh_wburst {
	uint64_t id;
	uint64_t mntns;       /* the caller's mount namespace */
	char *path;           /* the target, absolute in that namespace (or the path as passed) */
	struct umh_wcall first;     /* the call that opened the burst */
	int32_t local_pid;          /* FIRST's caller as we number it (0: not visible here) */
	int32_t local_parents[UMH_UMOUNT_ANCESTORS];
	int32_t last_pid;           /* the last caller, host pid */
	int32_t pids[UMH_WBUSY_PIDS];
	size_t n_pids;
	bool more_pids;
	uint32_t attempts;
	uint32_t dropped_first;     /* its account's calls held back by the rate bound (umount.h), */
	uint32_t dropped_last;      /* ... at its first call, and last seen: more means there were
				     * calls not traced meanwhile (maybe on other targets) */
	int64_t first_ns, last_ns;  /* CLOCK_BOOTTIME of the first and last attempts */
	int64_t first_real_us;      /* the first attempt, CLOCK_REALTIME */
	int64_t last_real_us;

	int ns_fd;                  /* the caller's mount namespace, held while the burst lasts (-1: none) */
	bool own_ns;                /* ... which is the watcher's own: examined without entering one */
	char *examine_path;         /* PATH as the watcher's root sees it (a caller chrooted in the
				     * watcher's namespace), or NULL: PATH */

	bool need_explain;          /* an examination is due */
	bool explaining;            /* ... and runs */
	int64_t explained_ns;       /* when the last one came back (0: never) */
	struct umh_jnode *result;   /* its answer (watch/examine.h), or NULL */
	char *why;                  /* why there is none */

	bool unmounted;             /* a later call unmounted the target */
	int64_t unmounted_real_us;

	int64_t written_ns;         /* the last entry (0: none yet) */
	uint32_t written_attempts;
	char *written_sig;          /* what held it, as that entry said */
};

struct umh_wbusy_account {
	uint32_t account;
	int64_t tokens_ns;          /* the allowance, as time: refill period x tokens */
	int64_t at_ns;              /* when it was last brought up to date */
	bool used;
};

struct umh_wbusy {
	struct umh_wburst *v;
	size_t n;
	uint64_t next_id;
	struct umh_wbusy_account accounts[UMH_WBUSY_ACCOUNTS];
	uint64_t not_followed;      /* failed calls not counted in any burst (too many bursts) */
	uint64_t not_examined;      /* bursts written without an examination */
};

int umh_wbusy_init(struct umh_wbusy *b);
void umh_wbusy_free(struct umh_wbusy *b);

/* The key a failed CALL is counted under: its target made absolute, or as
 * passed; NULL when it has none. */
const char *umh_wbusy_path(const struct umh_wcall *call);

/* Counts a failed CALL (EBUSY) in its target's burst, opening one if
 * needed (then taking over CALL, and *OPENED is true: the watcher holds
 * its namespace).  Returns the burst, or NULL when it is not followed
 * (too many bursts; counted in not_followed). */
struct umh_wburst *umh_wbusy_add(struct umh_wbusy *b, struct umh_wcall *call, int64_t now_ns, int64_t now_real_us,
				 bool *opened);

/* A successful unmount by CALL: the burst on that target, if any, ends. */
void umh_wbusy_unmounted(struct umh_wbusy *b, const struct umh_wcall *call, int64_t now_real_us);

struct umh_wburst *umh_wbusy_find(struct umh_wbusy *b, uint64_t id);

/* The burst to examine now, or NULL: root's first, then the oldest.  Its
 * account's allowance is charged; a burst whose account has none left is
 * passed over (its first examination is then refused, with the reason in
 * WHY). */
struct umh_wburst *umh_wbusy_next_explain(struct umh_wbusy *b, int64_t now_ns);

/* BURST's examination came back: RESULT (taken over) or, when NULL, WHY. */
void umh_wbusy_explained(struct umh_wburst *burst, struct umh_jnode *result, const char *why, int64_t now_ns);

/* The burst whose entry is due now, or NULL; *FINAL when the burst is
 * over (umh_wbusy_written() then forgets it). */
struct umh_wburst *umh_wbusy_due(struct umh_wbusy *b, int64_t now_ns, bool *final);

/* BURST's entry was written (or skipped): remember what it said; a final
 * one removes the burst. */
void umh_wbusy_written(struct umh_wbusy *b, struct umh_wburst *burst, bool final, int64_t now_ns);

/* When something may next be due (CLOCK_BOOTTIME), or 0 when nothing
 * waits on time. */
int64_t umh_wbusy_next_ns(const struct umh_wbusy *b);

/* What held the target, as RESULT says, as one string (to tell whether it
 * changed), allocated. */
char *umh_wbusy_holders_sig(const struct umh_jnode *result);
