/* `umount-helper watch`: the long-running watcher of one mount table.
 *
 *   mountinfo (POLLPRI) --diff by mount id--> mounts gone
 *   umount(2) tracepoints (BPF) -----------> who called umount, from where  } watch/match
 *   systemd (sd-bus, JobNew) --------------> why systemd stopped the unit   } annotate
 *        |
 *        v
 *   one event per mount gone: a line on stdout, an entry in the journal,
 *   a line in the record (watch/record.h) that explain reads.
 *
 *   umount(2) failing with EBUSY, anywhere --> bursts per target, each
 *   examined once in the caller's namespace (watch/failed.h) --> one entry
 *   per burst, written the same three ways.
 *
 * Each part that cannot run (no BPF privilege, no systemd) is said once at
 * start, and the watcher goes on without it: a mount that vanishes is
 * always reported, with what is known.  Memory is bounded: the calls kept
 * (UMH_WCALLS_MAX), the events waiting for systemd's cause
 * (UMH_WATCH_MAX_PENDING), systemd's jobs (UMH_SDW_JOBS), the bursts of
 * failed unmounts (UMH_WBUSY_MAX), the record on disk (max_events); and
 * the work: the kernel side sends only the calls that matter, within a
 * rate bound per account (umount.h), and examinations run one at a time,
 * within an allowance per account (watch/busy.h).  Nothing under a mount
 * point is ever looked up by the watcher itself (the examinations run in
 * a worker of their own, within a budget). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define UMH_WATCH_MAX_PENDING 1024
/* How long an event attributed to systemd waits for the stop job's
 * JobNew (through dbus-daemon it can come after the unmount). */
#define UMH_WATCH_SD_WAIT_NS (1000LL * 1000000)

struct umh_watch_cfg {
	const char *ns;             /* -N: a pid or a namespace file; NULL: ours */
	const char *bus;            /* --bus; NULL: found (systemd/locate.h) */
	pid_t sd_pid;               /* --systemd-pid */
	bool no_systemd;
	const char *state_dir;      /* NULL: umh_wrecord_dir() */
	size_t max_events;
	bool no_record;
	const char *journal_socket; /* NULL: the watched system's, if it has one */
	bool no_journal;
	bool json;                  /* stdout: JSON lines instead of sentences */
	bool no_bpf;
	bool no_explain;            /* count failed unmounts, examine none */
	int64_t explain_budget_ns;  /* one examination's budget; 0: UMH_WFAILED_BUDGET_NS */
	bool verbose;               /* also mounts that appear, and systemd's jobs */
	int64_t duration_ns;        /* 0: until a signal */
	FILE *out;
};

struct umh_watch;

/* Sets everything up and prints the first line (what is watched, with
 * what).  Returns 0, or a negative errno with ERR set (nothing to watch:
 * no such namespace, no mountinfo). */
int umh_watch_open(struct umh_watch **ret, const struct umh_watch_cfg *cfg, char *err, size_t size);

/* Runs until SIGTERM, SIGINT or SIGHUP, the duration, or the end of the
 * watched namespace's process.  Returns 0, or a negative errno. */
int umh_watch_run(struct umh_watch *w);

void umh_watch_close(struct umh_watch *w);
