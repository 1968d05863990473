/* Why systemd stopped a unit, decided from facts: what was read about the
 * unit (struct umh_sd_unit_facts), the states of the units it depends on
 * or is depended on by, and the idle timeouts of the automounts that
 * trigger it.  A pure function: no bus, no clock, the same facts give the
 * same cause (tests/unit/test-systemd-decide.c, whose cases come from the
 * real-systemd scenarios of tests/systemd/README.md). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "systemd/cause.h"

/* One unit as Manager.ListUnitsByNames() describes it. */
struct umh_sd_unit_brief {
	char *name, *load_state, *active_state, *sub_state;
	uint32_t job_id; /* 0: no job */
	char *job_type;  /* "start", "stop", ...; NULL without a job */
};

struct umh_sd_unit_briefs {
	struct umh_sd_unit_brief *v;
	size_t n, cap;
};

/* Frees the list (a cleanup: _cleanup_(umh_sd_briefs_done)). */
void umh_sd_briefs_done(struct umh_sd_unit_briefs *l);
const struct umh_sd_unit_brief *umh_sd_briefs_find(const struct umh_sd_unit_briefs *l, const char *name);
bool umh_sd_brief_inactive_or_failed(const struct umh_sd_unit_brief *b);

/* Fills C's kind, related_unit, related_state, related_job, reason and
 * sentence from C->unit and C->facts, DEPS (the states of every unit named
 * in the facts' dependency lists) and IDLE_USEC[i], the TimeoutIdleSec= of
 * the automount C->facts.triggered_by[i] (0 if none), for the first N_IDLE
 * of them.  The rules, first match wins: BindsTo= a unit inactive or
 * stopping; Conflicts= with one starting or active; an active automount
 * with an idle timeout; StopWhenUnneeded= with nothing that needs it;
 * Requires=/PartOf= a unit stopping; NeedDaemonReload=; else unknown, with
 * a sentence that says why (no job, read too late, gone, on request).
 * 0 or -ENOMEM. */
int umh_sd_decide(struct umh_sd_cause *c, const struct umh_sd_unit_briefs *deps, const uint64_t *idle_usec,
		  size_t n_idle);
