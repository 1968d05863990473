/* Why did systemd unmount this?  The cause, read from systemd's own state.
 *
 * When systemd stops (unmounts) a mount unit, the reason is in its state for
 * as long as the stop job exists: the unit's dependencies and their states,
 * StopWhenUnneeded=, the automount that triggers it, conflicts.  systemd 252
 * logs the reason only at debug level ("Unit is stopped because bound to
 * inactive unit X"), so this module reads that state over D-Bus, ideally at
 * the moment the stop job appears (the JobNew signal), before the job ends
 * and the unit is garbage-collected.
 *
 * libsystemd's sd-bus only, and small helpers of lib/base (header-only or
 * built beside it: tests/systemd/systemd.mk builds these files on their
 * own).  Every function returns 0 (or a positive value where said) on
 * success and a negative errno on failure.
 *
 * The reading is split by job: bus.c connects, unit-name.c names mount
 * units, batch.c sends D-Bus calls at once, facts.c parses the replies,
 * decide.c decides (a pure function, unit-tested case by case), and this
 * file's cause.c puts them together. */
#ifndef UMH_SYSTEMD_CAUSE_H
#define UMH_SYSTEMD_CAUSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Connecting and unit names, which every reader of causes needs. */
#include "systemd/bus.h"
#include "systemd/unit-name.h"

enum umh_sd_cause_kind {
	UMH_SD_CAUSE_UNKNOWN = 0,
	UMH_SD_CAUSE_BINDS_TO_INACTIVE,   /* BindsTo= a unit that is inactive or stopping */
	UMH_SD_CAUSE_STOP_WHEN_UNNEEDED,  /* StopWhenUnneeded=yes, nothing active needs it */
	UMH_SD_CAUSE_AUTOMOUNT_IDLE,      /* its automount's TimeoutIdleSec= ran out */
	UMH_SD_CAUSE_CONFLICT,            /* Conflicts= with a unit starting or started (umount.target: shutdown) */
	UMH_SD_CAUSE_DEPENDENCY_STOPPING, /* Requires= / PartOf= a unit being stopped */
	UMH_SD_CAUSE_NEED_DAEMON_RELOAD,  /* none of the above, and its unit file changed on disk */
};

/* "binds-to-inactive", "stop-when-unneeded", "automount-idle", "conflict",
 * "dependency-stopping", "need-daemon-reload", "unknown". */
const char *umh_sd_cause_kind_name(enum umh_sd_cause_kind kind);

/* What was read about the unit, for the record.  Strings may be NULL when
 * systemd did not say; lists are NULL-terminated, possibly NULL. */
struct umh_sd_unit_facts {
	char *id, *load_state, *active_state, *sub_state;
	uint32_t job_id;         /* 0: no job */
	char *job_type;          /* "stop", "start", ...; NULL: no job */
	char *what, *where, *fstype, *result;          /* org.freedesktop.systemd1.Mount */
	char *source_path, *fragment_path, *invocation_id;
	bool stop_when_unneeded, need_daemon_reload;
	char **binds_to, **requires, **part_of, **triggered_by;
	char **conflicts, **conflicted_by;
	char **required_by, **requisite_of, **wanted_by, **bound_by;
	char **drop_in_paths;
	bool gone;               /* the unit was no longer loaded */
	bool consistent;         /* all of it was read from the live unit (its InvocationID
	                          * read first and last, the same), not from a copy systemd
	                          * loaded again after collecting it */
	bool pinned;             /* Ref()'d while read (on a bus only): not collected meanwhile */
};

struct umh_sd_cause {
	enum umh_sd_cause_kind kind;
	char *unit;              /* the mount unit, e.g. "mnt-b.mount" */
	char *related_unit;      /* the unit that explains it, or NULL */
	char *related_state;     /* that unit's ActiveState ("inactive", "deactivating", ...) */
	char *related_job;       /* the type of its pending job ("start", "stop"), or NULL */
	char *sentence;          /* plain English, one line */
	char *reason;            /* for a known cause, the clause after "because":
	                          * "it is bound (BindsTo=) to X, which is inactive"; else NULL.
	                          * Unlike the sentence it does not say when it was read
	                          * late (facts.job_id is 0 then) */
	struct umh_sd_unit_facts facts;
};

/* Reads the cause of a stop of `unit` (a unit name such as "mnt-b.mount";
 * a path "/mnt/b" is turned into its mount unit name) from the manager on
 * `bus`.  Call it when the stop job appears (JobNew for the unit): then the
 * unit, its dependencies and their states are still what made systemd stop
 * it.  Afterwards the unit may be gone (facts.gone) or reloaded from its unit
 * file without what /proc/self/mountinfo had given it, and the answer is
 * weaker (kind unknown, sentence says so).  On success *ret is filled and
 * must be released with umh_sd_cause_done().
 *
 * The stop job races with the read (10-40 ms from JobNew to the unit's
 * collection, measured): all calls are sent at once and the answers
 * collected after, which needs sd_bus_process() on `bus`.  So give it a
 * connection of its own, not the one whose JobNew callback is running
 * (there sd-bus forbids that; the calls are then made one by one, slower),
 * and not one whose other callbacks must not run meanwhile (processing it
 * may dispatch them).  On a bus (not a direct connection) the unit is
 * Ref()'d for the time of the read. */
int umh_sd_read_cause(sd_bus *bus, const char *unit, struct umh_sd_cause *ret);

/* Releases what umh_sd_read_cause() filled in, and zeroes it. */
void umh_sd_cause_done(struct umh_sd_cause *cause);

/* Asks the manager to keep `unit` loaded while this connection is open, or
 * until Unref (org.freedesktop.systemd1.Unit.Ref), so that its state
 * survives the end of its stop job.  systemd tracks the caller by its bus
 * name, so this works on a bus only: on a direct connection it fails with
 * -EINVAL.  umh_sd_read_cause() already does this, for the time of its read,
 * on a bus.  Returns >= 0 on success. */
int umh_sd_ref_unit(sd_bus *bus, const char *unit);

#endif
