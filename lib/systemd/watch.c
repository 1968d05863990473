/* The watcher's systemd side.  See systemd/watch.h. */
#include "systemd/watch.h"
#include "systemd/cause.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "base/clock.h"

static void job_clear(struct umh_sdw_job *j)
{
	free(j->unit);
	free(j->result);
	umh_sd_cause_done(&j->cause);
	*j = (struct umh_sdw_job){ 0 };
}

static int on_job_new(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct umh_sdw *w = userdata;
	const char *path, *unit;
	uint32_t id;

	(void)ret_error;
	if (sd_bus_message_read(m, "uos", &id, &path, &unit) < 0 || !umh_sd_is_mount_unit(unit))
		return 0;
	struct umh_sdw_job *j = &w->jobs[w->next];
	w->next = (w->next + 1) % UMH_SDW_JOBS;
	job_clear(j);
	j->seen_ns = umh_boot_ns();
	j->id = id;
	j->unit = strdup(unit);
	if (!j->unit)
		return 0;
	/* Now, before the job ends: on the other connection, so that the
	 * calls go out together. */
	j->read_err = umh_sd_read_cause(w->rd, unit, &j->cause);
	j->read_ns = umh_boot_ns();
	/* A start job says so in its facts; a job read too late has none
	 * (job_id 0): it may have been a stop, keep it as one. */
	j->stop = j->read_err < 0 || !j->cause.facts.job_type || strcmp(j->cause.facts.job_type, "stop") == 0;
	if (w->on_job)
		w->on_job(w, j, w->userdata);
	return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct umh_sdw *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	(void)ret_error;
	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || !umh_sd_is_mount_unit(unit))
		return 0;
	for (size_t i = 0; i < UMH_SDW_JOBS; i++) {
		struct umh_sdw_job *j = &w->jobs[i];
		if (j->unit && j->id == id && strcmp(j->unit, unit) == 0) {
			j->removed = true;
			free(j->result);
			j->result = strdup(result);
		}
	}
	return 0;
}

int umh_sdw_open(struct umh_sdw *w, const char *bus, pid_t sd_pid, char *why, size_t size)
{
	int r = 0;
	umh_sdw_job_fn fn = w->on_job;
	void *ud = w->userdata;

	*w = (struct umh_sdw){ .on_job = fn, .userdata = ud };
	for (int i = 0; i < 2 && r >= 0; i++)
		r = sd_pid > 0 ? umh_sd_connect_pid(sd_pid, i ? &w->rd : &w->sig) :
				 umh_sd_connect(bus, i ? &w->rd : &w->sig);
	if (sd_pid > 0)
		snprintf(w->where, sizeof(w->where), "the private socket of systemd pid %d", (int)sd_pid);
	else
		snprintf(w->where, sizeof(w->where), "%s", bus ? bus : "the system bus");
	if (r < 0) {
		snprintf(why, size, "cannot connect to systemd at %s: %s", w->where, strerror(-r));
		umh_sdw_close(w);
		return r;
	}
	r = sd_bus_match_signal(w->sig, &w->slot_new, NULL, UMH_SD_PATH, UMH_SD_MANAGER, "JobNew", on_job_new, w);
	if (r >= 0)
		r = sd_bus_match_signal(w->sig, &w->slot_removed, NULL, UMH_SD_PATH, UMH_SD_MANAGER, "JobRemoved",
					on_job_removed, w);
	if (r < 0) {
		snprintf(why, size, "cannot subscribe to systemd's jobs at %s: %s", w->where, strerror(-r));
		umh_sdw_close(w);
		return r;
	}
	return 0;
}

size_t umh_sdw_pollfds(struct umh_sdw *w, struct pollfd *pfd)
{
	size_t n = 0;
	sd_bus *buses[] = { w->sig, w->rd };
	for (size_t i = 0; i < 2; i++) {
		if (!buses[i])
			continue;
		int fd = sd_bus_get_fd(buses[i]), ev = sd_bus_get_events(buses[i]);
		if (fd < 0 || ev < 0)
			continue;
		pfd[n++] = (struct pollfd){ .fd = fd, .events = (short)ev };
	}
	return n;
}

int umh_sdw_process(struct umh_sdw *w)
{
	sd_bus *buses[] = { w->sig, w->rd };
	int more = 0;
	for (size_t i = 0; i < 2; i++) {
		if (!buses[i])
			continue;
		/* Bounded: a flood of signals (each JobNew costs a read of
		 * 10-20 ms) must not starve the BPF ring buffer and the table;
		 * what is left is handled next time round. */
		int k;
		for (k = 0; k < 32; k++) {
			int r = sd_bus_process(buses[i], NULL);
			if (r < 0)
				return r;
			if (r == 0)
				break;
		}
		more |= k == 32;
	}
	return more;
}

const struct umh_sdw_job *umh_sdw_find_stop(const struct umh_sdw *w, const char *unit, int64_t since_ns)
{
	const struct umh_sdw_job *best = NULL;
	for (size_t i = 0; i < UMH_SDW_JOBS; i++) {
		const struct umh_sdw_job *j = &w->jobs[i];
		if (j->unit && j->stop && j->seen_ns >= since_ns && strcmp(j->unit, unit) == 0 &&
		    (!best || j->seen_ns > best->seen_ns))
			best = j;
	}
	return best;
}

void umh_sdw_close(struct umh_sdw *w)
{
	sd_bus_slot_unref(w->slot_new);
	sd_bus_slot_unref(w->slot_removed);
	sd_bus_flush_close_unref(w->sig);
	sd_bus_flush_close_unref(w->rd);
	for (size_t i = 0; i < UMH_SDW_JOBS; i++)
		job_clear(&w->jobs[i]);
	w->sig = w->rd = NULL;
	w->slot_new = w->slot_removed = NULL;
}
