/* systemd's cause of a stop: events wait for it (or for their deadline). */
#include "watch/watch-internal.h"

static int dup_to(char **dst, const char *s)
{
	free(*dst);
	*dst = NULL;
	if (s && !(*dst = strdup(s)))
		return -ENOMEM;
	return 0;
}

static void fill_from_job(struct umh_wevent *ev, const struct umh_sdw_job *job)
{
	struct umh_wsystemd *s = &ev->sd;
	s->job_id = job->id;
	if (job->read_err < 0) {
		char note[160];
		snprintf(note, sizeof(note), "reading its state from systemd failed: %s", strerror(-job->read_err));
		dup_to(&s->note, note);
		return;
	}
	const struct umh_sd_cause *c = &job->cause;
	/* A mount that came and went between two reads of the table: the
	 * unit says what it was. */
	if (ev->short_lived) {
		if (!ev->mount.source)
			dup_to(&ev->mount.source, c->facts.what);
		if (!ev->mount.fstype)
			dup_to(&ev->mount.fstype, c->facts.fstype);
	}
	dup_to(&s->kind, umh_sd_cause_kind_name(c->kind));
	dup_to(&s->related_unit, c->related_unit);
	dup_to(&s->related_state, c->related_state);
	dup_to(&s->sentence, c->sentence);
	s->consistent = c->facts.consistent;
	s->in_time = c->facts.job_id && c->facts.job_type && strcmp(c->facts.job_type, "stop") == 0;
	if (c->reason && !c->facts.job_id) {
		/* Read when the job was over: what systemd still had. */
		char *late = NULL;
		if (asprintf(&late, "%s (as systemd still had it after the stop)", c->reason) >= 0) {
			free(s->reason);
			s->reason = late;
		}
	} else {
		dup_to(&s->reason, c->reason);
	}
}

/* The unit the stop was for: the caller's cgroup says it; else the name
 * systemd gives the mount point. */
static char *unit_of(const struct umh_wevent *ev)
{
	char *unit = NULL;
	if (ev->has_caller && umh_sd_is_mount_unit(ev->caller.unit))
		return strdup(ev->caller.unit);
	if (ev->mount.target && umh_sd_mount_unit_name(ev->mount.target, &unit) < 0)
		return NULL;
	return unit;
}

/* Adds what systemd knows.  Returns true when the event is complete, false
 * when it should wait for systemd's JobNew a little longer. */
static bool annotate(struct umh_watch *w, struct umh_wevent *ev, bool last_chance)
{
	bool by_systemd = ev->by == UMH_WBY_SYSTEMD;
	bool unknown = ev->how == UMH_WHOW_UNKNOWN && ev->by == UMH_WBY_UNKNOWN;
	if (!by_systemd && !unknown)
		return true;
	if (!by_systemd && !w->sd)
		return true;
	_cleanup_free_ char *unit = unit_of(ev);
	if (!unit)
		return true;
	if (by_systemd) {
		ev->has_systemd = true;
		dup_to(&ev->sd.unit, unit);
		dup_to(&ev->sd.evidence, "caller");
		if (!w->sd) {
			char note[600];
			snprintf(note, sizeof(note), "systemd was not asked (%s)", w->sd_why);
			dup_to(&ev->sd.note, note);
			return true;
		}
	}
	/* The stop job appeared before the unmount; 10 s covers a unit whose
	 * umount waited (a busy mount being retried). */
	int64_t since = umh_boot_ns() - 10LL * 1000000000 - (last_chance ? UMH_WATCH_SD_WAIT_NS : 0);
	const struct umh_sdw_job *job = umh_sdw_find_stop(&w->sdw, unit, since);
	if (job) {
		if (!by_systemd) {
			/* No caller seen, but systemd was stopping its unit. */
			ev->by = UMH_WBY_SYSTEMD;
			ev->has_systemd = true;
			dup_to(&ev->sd.unit, unit);
			dup_to(&ev->sd.evidence, "stop-job");
		}
		fill_from_job(ev, job);
		return true;
	}
	if (!last_chance)
		return false;
	if (by_systemd) {
		char note[400];
		snprintf(note, sizeof(note), "no stop job of %s was seen on %s", unit, w->sdw.where);
		dup_to(&ev->sd.note, note);
	}
	return true;
}

void umh_watch_queue(struct umh_watch *w, struct umh_wevent *ev)
{
	if (annotate(w, ev, false)) {
		umh_watch_emit(w, ev);
		umh_wevent_clear(ev);
		return;
	}
	if (w->n_pending == UMH_WATCH_MAX_PENDING) {
		/* Full: the oldest goes out with what is known. */
		annotate(w, &w->pending[0].ev, true);
		umh_watch_emit(w, &w->pending[0].ev);
		umh_wevent_clear(&w->pending[0].ev);
		memmove(&w->pending[0], &w->pending[1], (w->n_pending - 1) * sizeof(w->pending[0]));
		w->n_pending--;
	}
	w->pending[w->n_pending++] = (struct pending){ .ev = *ev, .deadline_ns = umh_boot_ns() + UMH_WATCH_SD_WAIT_NS };
	*ev = (struct umh_wevent){ 0 };
}

/* Sends what is complete, in order: an event waits for the ones before it. */
void umh_watch_flush_pending(struct umh_watch *w, bool all)
{
	int64_t now = umh_boot_ns();
	size_t k = 0;
	for (; k < w->n_pending; k++) {
		struct pending *p = &w->pending[k];
		bool last = all || now >= p->deadline_ns;
		if (!annotate(w, &p->ev, last))
			break;
		umh_watch_emit(w, &p->ev);
		umh_wevent_clear(&p->ev);
	}
	memmove(&w->pending[0], &w->pending[k], (w->n_pending - k) * sizeof(w->pending[0]));
	w->n_pending -= k;
}

void umh_watch_on_job(struct umh_sdw *s, const struct umh_sdw_job *job, void *userdata)
{
	struct umh_watch *w = userdata;
	(void)s;
	if (!w->cfg.verbose)
		return;
	char clock[16];
	_cleanup_free_ char *unit = umh_escape(job->unit);
	if (job->read_err < 0)
		umh_watch_note_line(w, "%s systemd job %u for %s: its state could not be read: %s\n",
			 umh_format_clock(umh_wall_us(), clock, sizeof(clock)), job->id, unit ? unit : "?",
			 strerror(-job->read_err));
	else if (job->stop) {
		_cleanup_free_ char *sentence = umh_escape(job->cause.sentence ? job->cause.sentence : "");
		const char *when = umh_format_clock(umh_wall_us(), clock, sizeof(clock));
		umh_watch_note_line(w, "%s systemd stop job %u for %s: %s\n", when, job->id, unit ? unit : "?",
			  sentence ? sentence : "");
	}
}
