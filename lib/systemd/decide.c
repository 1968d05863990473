/* Why systemd stopped a unit, decided from what was read about it: a pure
 * function of the unit's facts and its dependencies' states (decide.h). */
#include "systemd/decide.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/str.h"

/* --- the states of units ------------------------------------------------- */

static void unit_brief_done(struct umh_sd_unit_brief *b)
{
	free(b->name);
	free(b->load_state);
	free(b->active_state);
	free(b->sub_state);
	free(b->job_type);
	memset(b, 0, sizeof(*b));
}

void umh_sd_briefs_done(struct umh_sd_unit_briefs *l)
{
	for (size_t i = 0; i < l->n; i++)
		unit_brief_done(&l->v[i]);
	free(l->v);
	*l = (struct umh_sd_unit_briefs){ 0 };
}

const struct umh_sd_unit_brief *umh_sd_briefs_find(const struct umh_sd_unit_briefs *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (umh_streq_known(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* --- deciding ------------------------------------------------------------ */

static bool state_is(const struct umh_sd_unit_brief *b, const char *s)
{
	return b && umh_streq_known(b->active_state, s);
}
bool umh_sd_brief_inactive_or_failed(const struct umh_sd_unit_brief *b)
{
	return state_is(b, "inactive") || state_is(b, "failed");
}
static bool has_job(const struct umh_sd_unit_brief *b, const char *type)
{
	return b && b->job_id != 0 && (!type || umh_streq_known(b->job_type, type));
}
/* Stopping: a stop job is pending, or it is going down. */
static bool is_stopping(const struct umh_sd_unit_brief *b)
{
	return has_job(b, "stop") || state_is(b, "deactivating");
}
/* "inactive", or "inactive, unit not found" and the like, for the sentence. */
static int describe_state(const struct umh_sd_unit_brief *b, char **ret)
{
	const char *load = b->load_state ? b->load_state : "?";
	const char *active = b->active_state ? b->active_state : "?";

	if (has_job(b, NULL) && !umh_streq_known(load, "loaded"))
		return umh_asprintf(ret, "%s (LoadState=%s, a %s job pending)", active, load, b->job_type);
	if (has_job(b, NULL))
		return umh_asprintf(ret, "%s (a %s job pending)", active, b->job_type);
	if (umh_streq_known(load, "not-found"))
		return umh_asprintf(ret, "%s (no such unit: LoadState=not-found)", active);
	if (umh_streq_known(load, "masked"))
		return umh_asprintf(ret, "%s (masked)", active);
	if (!umh_streq_known(load, "loaded"))
		return umh_asprintf(ret, "%s (LoadState=%s)", active, load);
	if (umh_endswith(b->name, ".device") && umh_streq_known(active, "inactive"))
		return umh_asprintf(ret, "%s (the device is not present)", active);
	return umh_asprintf(ret, "%s", active);
}

static int set_related(struct umh_sd_cause *c, const struct umh_sd_unit_brief *b)
{
	int r = umh_strdup_to(&c->related_unit, b->name);
	if (r < 0)
		return r;
	r = umh_strdup_to(&c->related_job, b->job_id ? b->job_type : NULL);
	if (r < 0)
		return r;
	return umh_strdup_to(&c->related_state, b->active_state);
}

static char *format_usec(uint64_t usec, char *buf, size_t size)
{
	if (usec % 1000000 == 0)
		snprintf(buf, size, "%" PRIu64 "s", usec / 1000000);
	else
		snprintf(buf, size, "%" PRIu64 "ms", usec / 1000);
	return buf;
}

/* A known cause: the clause after "because", and the sentence around it. */
static int set_reason(struct umh_sd_cause *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_reason(struct umh_sd_cause *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(c->reason);
	va_start(ap, fmt);
	r = vasprintf(&c->reason, fmt, ap);
	va_end(ap);
	if (r < 0) {
		c->reason = NULL;
		return -ENOMEM;
	}
	return umh_asprintf(&c->sentence, "systemd stopped %s because %s", c->unit, c->reason);
}

static int decide_rules(struct umh_sd_cause *c, const struct umh_sd_unit_briefs *deps, const uint64_t *idle_usec,
                        size_t n_idle)
{
	struct umh_sd_unit_facts *f = &c->facts;
	_cleanup_free_ char *state = NULL;
	const struct umh_sd_unit_brief *b;
	char **l;
	int r;

	/* 1. BindsTo= a unit that is inactive (with no job that may bring it
	 *    up: systemd waits for that), or that is being stopped. */
	for (l = f->binds_to; l && *l; l++) {
		b = umh_sd_briefs_find(deps, *l);
		if (!b || !((umh_sd_brief_inactive_or_failed(b) && !has_job(b, "start")) || is_stopping(b)))
			continue;
		c->kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE;
		if ((r = set_related(c, b)) < 0 || (r = describe_state(b, &state)) < 0)
			return r;
		return set_reason(c, "it is bound (BindsTo=) to %s, which is %s", b->name,
		                  is_stopping(b) && !umh_sd_brief_inactive_or_failed(b) ? "being stopped" : state);
	}

	/* 2. Conflicts= (either direction) with a unit that is being started
	 *    or has just started: umount.target at shutdown, or an explicit
	 *    Conflicts=. */
	for (int pass = 0; pass < 2; pass++)
		for (l = pass ? f->conflicted_by : f->conflicts; l && *l; l++) {
			bool starting;

			b = umh_sd_briefs_find(deps, *l);
			starting = b && (has_job(b, "start") || state_is(b, "activating"));
			/* Active, no stop job: it started while we were reading. */
			if (!b || !(starting || (state_is(b, "active") && !is_stopping(b))))
				continue;
			c->kind = UMH_SD_CAUSE_CONFLICT;
			if ((r = set_related(c, b)) < 0)
				return r;
			return set_reason(c, "it conflicts (Conflicts=) with %s, which is %s%s", b->name,
			                  starting ? "being started" : "active",
			                  umh_streq_known(b->name, "umount.target") ||
			                  umh_streq_known(b->name, "shutdown.target") ?
			                  " (the system is shutting down)" : "");
		}

	/* 3. Triggered by an automount that is still active: its idle timeout
	 *    expired (systemd stops the mount when the kernel says it is idle). */
	for (size_t i = 0; i < n_idle && f->triggered_by && f->triggered_by[i]; i++) {
		uint64_t idle = idle_usec ? idle_usec[i] : 0;
		char buf[32];

		l = &f->triggered_by[i];
		if (!umh_endswith(*l, ".automount") || idle == 0)
			continue;
		b = umh_sd_briefs_find(deps, *l);
		if (!b || !state_is(b, "active"))
			continue;
		c->kind = UMH_SD_CAUSE_AUTOMOUNT_IDLE;
		if ((r = set_related(c, b)) < 0)
			return r;
		return set_reason(c, "its automount %s saw it unused for TimeoutIdleSec=%s", b->name,
		                  format_usec(idle, buf, sizeof(buf)));
	}

	/* 4. StopWhenUnneeded=yes and nothing that pins it (RequiredBy=,
	 *    RequisiteOf=, WantedBy=, BoundBy=) is active or has a job. */
	if (f->stop_when_unneeded) {
		char **pinners[] = { f->required_by, f->requisite_of, f->wanted_by, f->bound_by };
		bool needed = false;

		for (size_t i = 0; i < sizeof(pinners) / sizeof(pinners[0]) && !needed; i++)
			for (l = pinners[i]; l && *l; l++) {
				b = umh_sd_briefs_find(deps, *l);
				if (b && (has_job(b, NULL) || !umh_sd_brief_inactive_or_failed(b))) {
					needed = true;
					break;
				}
			}
		if (!needed) {
			c->kind = UMH_SD_CAUSE_STOP_WHEN_UNNEEDED;
			return set_reason(c, "it has StopWhenUnneeded=yes and no active unit wants, "
			                  "requires or binds to it");
		}
	}

	/* 5. Requires= / PartOf= a unit that is being stopped: the stop was
	 *    propagated to this unit in the same transaction. */
	for (int pass = 0; pass < 2; pass++)
		for (l = pass ? f->part_of : f->requires; l && *l; l++) {
			b = umh_sd_briefs_find(deps, *l);
			if (!b || !is_stopping(b))
				continue;
			c->kind = UMH_SD_CAUSE_DEPENDENCY_STOPPING;
			if ((r = set_related(c, b)) < 0)
				return r;
			return set_reason(c, "it %s %s, which is being stopped",
			                  pass ? "is part of (PartOf=)" : "requires (Requires=)", b->name);
		}

	/* 6. Nothing in the dependencies: say what is known. */
	if (f->need_daemon_reload) {
		c->kind = UMH_SD_CAUSE_NEED_DAEMON_RELOAD;
		r = umh_asprintf(&c->reason, "its unit file changed on disk since systemd loaded it "
		                 "(NeedDaemonReload=yes), and no dependency explains it");
		if (r < 0)
			return r;
		return umh_asprintf(&c->sentence,
		                    "systemd stopped %s; no dependency explains it, but its unit file "
		                    "changed on disk since systemd loaded it (NeedDaemonReload=yes): "
		                    "run 'systemctl daemon-reload'",
		                    c->unit);
	}
	c->kind = UMH_SD_CAUSE_UNKNOWN;
	if (f->gone)
		return umh_asprintf(&c->sentence,
		                    "systemd has no %s loaded: it was not mounted while systemd watched, or it "
		                    "was stopped and its state is gone; the journal may tell more",
		                    c->unit);
	if (!f->job_id)
		return umh_asprintf(&c->sentence,
		                    "%s is %s and has no job: read too late, the state that caused the "
		                    "stop is gone",
		                    c->unit, f->active_state ? f->active_state : "inactive");
	if (!f->consistent)
		return umh_asprintf(&c->sentence,
		                    "systemd stopped %s, but its state went away while it was read (the "
		                    "stop was over too fast): what was read explains nothing",
		                    c->unit);
	return umh_asprintf(&c->sentence,
	                    "systemd stopped %s, but no dependency explains it: most likely on request "
	                    "(systemctl stop, isolate, or a umount through systemd)",
	                    c->unit);
}

int umh_sd_decide(struct umh_sd_cause *c, const struct umh_sd_unit_briefs *deps, const uint64_t *idle_usec,
                  size_t n_idle)
{
	struct umh_sd_unit_facts *f = &c->facts;
	bool late = !f->job_id &&
	            (umh_streq_known(f->active_state, "inactive") || umh_streq_known(f->active_state, "failed"));
	char *longer;
	int r;

	/* A job, but not a stop: nothing to explain (yet). */
	if (f->job_id && !umh_streq_known(f->job_type, "stop")) {
		c->kind = UMH_SD_CAUSE_UNKNOWN;
		return umh_asprintf(&c->sentence, "systemd has a %s job for %s, not a stop job (it is %s)",
		                    f->job_type ? f->job_type : "?", c->unit,
		                    f->active_state ? f->active_state : "in an unknown state");
	}
	r = decide_rules(c, deps, idle_usec, n_idle);
	if (r < 0 || !late || c->kind == UMH_SD_CAUSE_UNKNOWN)
		return r;
	/* The dependencies that remain still explain it, but were read after
	 * the fact. */
	r = umh_asprintf(&longer, "%s (read after the stop was over, from the state systemd still had)",
	                 c->sentence);
	if (r < 0)
		return r;
	free(c->sentence);
	c->sentence = longer;
	return 0;
}
