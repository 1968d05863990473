/* The watcher's parts, shared by its files (watch.h is its face):
 *   watch-output.c   what it says: stdout, the journal, the record
 *   watch-systemd.c  systemd's cause of a stop, and events waiting for it
 *   watch-table.c    the mount table's changes matched with the calls
 *   watch-setup.c    opening and closing it
 *   watch-loop.c     the loop */
#pragma once

#include "watch/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "base/procfs.h"
#include "bpf/refcount/mntcount-load.h"
#include "bpf/scan/scan-pin.h"
#include "bpf/umount/umount-load.h"
#include "base/cleanup.h"
#include "base/clock.h"
#include "base/escape.h"
#include "base/json.h"
#include "systemd/cause.h"
#include "systemd/journal.h"
#include "systemd/locate.h"
#include "systemd/watch.h"
#include "watch/calls.h"
#include "watch/event.h"
#include "watch/failed.h"
#include "watch/match.h"
#include "watch/mounts.h"
#include "watch/record.h"
#include "base/parse.h"

/* Calls are kept this long after they entered: long enough for the table
 * change to be seen, short enough to keep the list small. */
#define CALLS_KEEP_NS (30LL * 1000000000)
/* After losing systemd (daemon-reexec closes its private connections),
 * try again this often. */
#define SD_RETRY_NS (5LL * 1000000000)
/* A call's event is sent when it returns, which can be after the table
 * change is seen (the kernel waits for an RCU grace period first, and a
 * loaded machine may make it wait longer): mounts gone with no call yet
 * wait this long for one, without holding up the loop. */
#define CALL_LATE_NS (2000LL * 1000000)
#define MAX_LATE 64
/* Calls held back by the rate bound are looked at once a second, and said
 * at most this often. */
#define RATE_SAY_NS (10LL * 1000000000)

struct pending {
	struct umh_wevent ev;
	int64_t deadline_ns;
};

/* Mounts that went together, seen before the calls that took them. */
struct late {
	struct umh_wmount *gone;
	size_t n;
	int64_t seen_boot_ns, seen_real_us; /* when the table showed it */
};

struct umh_watch {
	struct umh_watch_cfg cfg;
	FILE *out;
	int procfd, mi_fd, pidfd, sigfd, jfd;
	int ns_fd;              /* the watched mount namespace */
	pid_t ns_pid;           /* -N PID */
	uint64_t mntns;
	char ns_desc[PATH_MAX]; /* what is watched, for people: escaped */

	struct umh_wtable table;

	bool bpf;
	char bpf_why[640];
	struct umh_umount_trace trace;
	struct umh_wcalls calls;
	struct umh_wfailed failed;

	/* Explain's BPF scan, kept loaded and pinned while this runs
	 * (bpf/scan/scan-pin.h), or why not. */
	struct umh_pins *pins, *count_pins; /* explain's programs, kept loaded */
	char pins_why[256], count_pins_why[256];

	struct umh_sd_where sdw_where;
	bool sd;
	char sd_why[512];
	int64_t sd_retry_ns;
	struct umh_sdw sdw;

	bool record;
	char record_dir[PATH_MAX];
	char record_why[256];
	struct umh_wrecord rec;

	char journal_where[PATH_MAX];

	struct pending *pending;
	size_t n_pending;
	struct late late[MAX_LATE]; /* oldest first: later changes wait behind */
	size_t n_late;

	uint64_t unmounts;
	uint64_t lost_said;     /* calls lost (ring buffer or list full), as last said */
	uint64_t rate_said;     /* calls held back by the rate bound, as last said */
	int64_t rate_check_ns;  /* ... when to look again */
	int64_t rate_said_ns;   /* ... and when it was last said */
	bool stdout_gone;
	bool stdout_is_journal; /* under systemd: the events go to the journal as entries of their own */
	char stop_reason[128];
};

/* watch-output.c */
void umh_watch_note_line(struct umh_watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void umh_watch_record_line(struct umh_watch *w, const char *line);
void umh_watch_lifecycle(struct umh_watch *w, const char *event);
void umh_watch_emit(struct umh_watch *w, struct umh_wevent *ev);
void umh_watch_emit_failure(void *userdata, const struct umh_wburst *burst, const struct umh_wfailure *e, bool final);

/* watch-systemd.c */
void umh_watch_queue(struct umh_watch *w, struct umh_wevent *ev);
void umh_watch_flush_pending(struct umh_watch *w, bool all);
void umh_watch_on_job(struct umh_sdw *s, const struct umh_sdw_job *job, void *userdata);

/* watch-table.c */
int umh_watch_match_ready(struct umh_watch *w, bool all);
int umh_watch_table_changed(struct umh_watch *w);
void umh_watch_say_lost(struct umh_watch *w);
void umh_watch_say_rate_limited(struct umh_watch *w, bool end);
void umh_watch_orphans(struct umh_watch *w, bool all);

/* watch-setup.c */
void umh_watch_open_systemd(struct umh_watch *w);
