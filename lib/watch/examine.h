/* The watcher's examination of a target that umount(2) just refused (EBUSY):
 * explain's own pipeline (runner.h: the analysis in a child process, within
 * a time budget), run from a worker process so that the watcher's loop
 * never waits for it: it goes on reading the mount table, the calls and
 * systemd meanwhile, and reads the worker's answer when it comes.
 *
 * The worker forks from the watcher, keeps only its pipe and the mount
 * namespace to look in (the caller's), lowers its priority, runs the
 * analysis there and writes one JSON object, then exits: explain's JSON
 * report, with one more member, "text": the same report as explain prints
 * it for people (holders with their remedies).
 * One examination runs at a time; one that outlives its budget (plus a
 * second for the worker itself) is killed, and says so. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/json-read.h"

/* The worker's nice value: an examination yields to the machine's own
 * work, but not so far that a busy machine (where failed unmounts happen)
 * starves it past its budget: at 10, with the load at 30 times the CPUs,
 * a scan that takes 0.1 s on a quiet machine did not end in 20 s.  What
 * bounds the CPU the examinations take is their allowance (watch/busy.h). */
#define UMH_WEXAMINE_NICE 5
/* The most a worker may write; more is cut off (and the answer refused). */
#define UMH_WEXAMINE_MAX_OUTPUT (1u << 20)

struct umh_wexamine {
	pid_t pid;       /* 0: none running */
	int fd;
	uint64_t id;     /* what it is for (the burst's id) */
	int64_t deadline_ns; /* CLOCK_MONOTONIC */
	int64_t budget_ns;
	char *buf;
	size_t len;
};

/* Starts examining PATH in the mount namespace open at NS_FD (-1: ours,
 * from our root), within BUDGET_NS.  Returns 0, or a negative errno
 * (nothing runs then). */
int umh_wexamine_start(struct umh_wexamine *x, uint64_t id, const char *path, int ns_fd, int64_t budget_ns);

/* Whether one runs. */
static inline bool umh_wexamine_running(const struct umh_wexamine *x) { return x->pid > 0; }

/* The descriptor to poll (readable when the worker wrote or ended). */
static inline int umh_wexamine_fd(const struct umh_wexamine *x) { return x->pid > 0 ? x->fd : -1; }

/* When the running one must be given up (CLOCK_MONOTONIC), or 0. */
static inline int64_t umh_wexamine_deadline(const struct umh_wexamine *x) { return x->pid > 0 ? x->deadline_ns : 0; }

/* Reads what the worker wrote.  Returns 0 while it runs; 1 when it is over:
 * *RESULT its answer, or NULL with WHY saying why there is none (it ran out
 * of time, died, wrote garbage).  The worker is reaped (or left to init if
 * stuck in the kernel) before 1 is returned. */
int umh_wexamine_read(struct umh_wexamine *x, struct umh_jnode **result, char *why, size_t size);

/* Kills and forgets the running one, if any. */
void umh_wexamine_stop(struct umh_wexamine *x);
