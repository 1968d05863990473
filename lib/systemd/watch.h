/* The watcher's view of systemd: its stop jobs for mount units, with the
 * cause read at the moment each job appears.
 *
 * Two connections to the manager (tests/systemd/README.md): one receives
 * the signals, the other makes the reads, so that the reads can be sent
 * all at once (umh_sd_read_cause) from inside the JobNew callback.  At
 * JobNew for a ".mount" unit the cause is read at once: 10-40 ms later the
 * job is over and the unit may be garbage-collected, and with it what made
 * systemd stop it.  Both connections are drained in the watcher's loop: on
 * systemd's private socket every signal goes to every connection, and a
 * connection that is never read would fill up until systemd drops it.
 *
 * Kept: the last UMH_SDW_JOBS jobs (a ring), each with its cause. */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "systemd/cause.h"

#define UMH_SDW_JOBS 64

struct umh_sdw_job {
	char *unit;
	uint32_t id;
	int64_t seen_ns;     /* CLOCK_BOOTTIME at JobNew */
	int64_t read_ns;     /* ... when the cause had been read */
	int read_err;        /* negative errno if the read failed */
	struct umh_sd_cause cause;
	bool stop;           /* a stop job (as read); false for start jobs */
	bool removed;        /* JobRemoved seen */
	char *result;        /* its result ("done", ...) */
};

struct umh_sdw;
/* Called after each cause is read (so that waiting events can use it). */
typedef void (*umh_sdw_job_fn)(struct umh_sdw *w, const struct umh_sdw_job *job, void *userdata);

struct umh_sdw {
	struct sd_bus *sig, *rd;
	struct sd_bus_slot *slot_new, *slot_removed;
	struct umh_sdw_job jobs[UMH_SDW_JOBS];
	size_t next; /* ring position */
	char where[160]; /* where it is connected, for people */
	umh_sdw_job_fn on_job;
	void *userdata;
};

/* Connects to the manager: BUS as umh_sd_connect() takes it (NULL: the
 * system bus), or with SD_PID > 0 the private socket of the systemd whose
 * host pid that is (umh_sd_connect_pid).  Returns 0, or a negative errno
 * with WHY set. */
int umh_sdw_open(struct umh_sdw *w, const char *bus, pid_t sd_pid, char *why, size_t size);

/* The two descriptors to poll, with their events; returns how many (0 if
 * not connected). */
size_t umh_sdw_pollfds(struct umh_sdw *w, struct pollfd *pfd);

/* Handles what arrived on either connection, a bounded amount at a time.
 * Returns 0, 1 when more is waiting (already read: poll() will not say so),
 * or a negative errno when a connection is lost. */
int umh_sdw_process(struct umh_sdw *w);

/* The newest stop job of UNIT seen at or after SINCE_NS, or NULL. */
const struct umh_sdw_job *umh_sdw_find_stop(const struct umh_sdw *w, const char *unit, int64_t since_ns);

void umh_sdw_close(struct umh_sdw *w);
