/* One thing the watcher saw: a mount that left the watched table, and who
 * and what made it go, as far as it could be told.  Turned into a sentence
 * for people (stdout, the journal's MESSAGE) and into a JSON line for the
 * record that explain reads (watch/record.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/json.h"
#include "watch/calls.h"
#include "watch/mounts.h"

enum umh_wby {
	UMH_WBY_UNKNOWN,
	UMH_WBY_PROCESS, /* a process called umount(2) */
	UMH_WBY_SYSTEMD, /* systemd stopped the mount unit */
};

enum umh_whow {
	UMH_WHOW_UNKNOWN,
	UMH_WHOW_DIRECT,      /* the call named this mount */
	UMH_WHOW_TAKEN_ALONG, /* a mount below one the call named (a lazy unmount takes them along) */
	UMH_WHOW_PROPAGATED,  /* the call was in another namespace; the unmount propagated here */
	UMH_WHOW_MOVED,       /* not gone: moved elsewhere (same mount id) */
};

/* What systemd said about its stop of the mount unit. */
struct umh_wsystemd {
	char *unit;
	uint32_t job_id;
	char *kind;          /* the cause's kind (systemd/cause.h), or NULL if not read */
	char *related_unit, *related_state;
	char *reason;        /* "it is bound (BindsTo=) to X, which is inactive", or NULL */
	char *sentence;      /* the cause reader's sentence */
	bool in_time;        /* read while the stop job was still there */
	bool consistent;     /* ... and all of it from the live unit (InvocationID first and last) */
	char *evidence;      /* "caller": the umount ran in the unit's cgroup, child of systemd;
	                      * "stop-job": no caller seen, but systemd had a stop job for it */
	char *note;          /* why the cause is not known, when it is not */
};

struct umh_wevent {
	const char *type;    /* "unmount" or "move" */
	int64_t t_us;        /* CLOCK_REALTIME: the call's entry if known, else when it was seen */
	uint64_t mntns;      /* the watched mount namespace */
	struct umh_wmount mount;
	char *moved_to;      /* UMH_WHOW_MOVED: the new mount point */
	enum umh_whow how;
	char *along_with;    /* TAKEN_ALONG: the mount point of the mount the call named */
	const char *match;   /* how the call was matched: "path", "time", or NULL */
	enum umh_wby by;
	bool has_caller;
	struct umh_wcall caller;
	int32_t local_pid;   /* the caller as this process numbers it (0: not visible here) */
	int32_t local_parents[UMH_UMOUNT_ANCESTORS];
	bool has_systemd;
	struct umh_wsystemd sd;
	char *no_caller;     /* why the caller is unknown */
	bool short_lived;    /* seen only as a call: the mount came and went between two reads of
	                      * the table (mount holds only the target then) */
	char *sentence;
};

const char *umh_wby_name(enum umh_wby by);
const char *umh_whow_name(enum umh_whow how);

void umh_wevent_clear(struct umh_wevent *ev);

/* Builds EV->sentence from the rest:
 *   "/mnt/b (tmpfs, mount id 87) unmounted by systemd (pid 1) via mnt-b.mount:
 *    it is bound (BindsTo=) to never-started.service, which is inactive"
 * Returns 0 or -ENOMEM. */
int umh_wevent_compose(struct umh_wevent *ev);

/* EV as one JSON object (the record's line): through J, on one line. */
void umh_wevent_write_json(const struct umh_wevent *ev, struct umh_json *j);

/* EV as an allocated JSON line (no newline), or NULL. */
char *umh_wevent_to_line(const struct umh_wevent *ev);

/* A caller for people: "umount (pid 4242, uid 0) as 'umount /mnt/e', child
 * of bash (pid 4100), in session-1.scope", names escaped; allocated, or
 * NULL.  LOCAL_PID and LOCAL_PARENTS: as this process numbers them (0:
 * not visible here). */
char *umh_wcall_describe(const struct umh_wcall *c, int32_t local_pid, const int32_t *local_parents);

/* A caller as the record's "caller" object, member KEY of J. */
void umh_wcall_write_json(struct umh_json *j, const char *key, const struct umh_wcall *c, int32_t local_pid,
			  const int32_t *local_parents);

/* "12:00:01" for T_US (local time), into BUF. */
const char *umh_format_clock(int64_t t_us, char *buf, size_t size);
/* "2024-05-01 12:00:01" for T_US (local time), into BUF. */
const char *umh_format_time(int64_t t_us, char *buf, size_t size);
/* "2024-05-01T12:00:01.123Z" (UTC; without MS: "...:01Z"), into BUF. */
const char *umh_format_iso(int64_t t_us, bool ms, char *buf, size_t size);
