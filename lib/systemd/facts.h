/* What systemd says about a unit, read from the replies of D-Bus calls
 * (batch.h) into struct umh_sd_unit_facts (cause.h) and the states of units
 * (struct umh_sd_unit_briefs, decide.h).  Each returns 0 or a negative
 * errno. */
#pragma once

#include <systemd/sd-bus.h>

#include "systemd/cause.h"
#include "systemd/decide.h"

/* The reply of ListUnitsByNames(as) -> a(ssssssouso): one consistent
 * snapshot of the states and jobs of every unit named (systemd loads the
 * ones it has not), appended to OUT. */
int umh_sd_briefs_read(sd_bus_message *reply, struct umh_sd_unit_briefs *out);

/* The reply of Properties.Get of the Unit property NAME (one this module
 * knows: -EINVAL otherwise) into F. */
int umh_sd_facts_read_unit_prop(sd_bus_message *reply, const char *name, struct umh_sd_unit_facts *f);

/* The reply of Properties.GetAll on the Mount interface: What=, Where=,
 * Type=, Result= into F; the rest is skipped. */
int umh_sd_facts_read_mount(sd_bus_message *reply, struct umh_sd_unit_facts *f);

/* Frees what F holds, and zeroes it (a cleanup: _cleanup_(umh_sd_facts_done)). */
void umh_sd_facts_done(struct umh_sd_unit_facts *f);
