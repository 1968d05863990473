/* Why did systemd unmount this?  Reading the cause: the unit's facts and
 * its dependencies' states over D-Bus, in two pipelined rounds, then the
 * decision (decide.c).  See systemd/cause.h. */
#include "systemd/cause.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "base/cleanup.h"
#include "base/str.h"
#include "base/strv.h"
#include "systemd/batch.h"
#include "systemd/bus.h"
#include "systemd/decide.h"
#include "systemd/facts.h"

UMH_DEFINE_CLEANUP(struct umh_sd_cause *, umh_sd_cause_done)

void umh_sd_cause_done(struct umh_sd_cause *c)
{
	if (!c)
		return;
	free(c->unit);
	free(c->related_unit);
	free(c->related_state);
	free(c->related_job);
	free(c->sentence);
	free(c->reason);
	umh_sd_facts_done(&c->facts);
	memset(c, 0, sizeof(*c));
}

const char *umh_sd_cause_kind_name(enum umh_sd_cause_kind kind)
{
	switch (kind) {
	case UMH_SD_CAUSE_BINDS_TO_INACTIVE: return "binds-to-inactive";
	case UMH_SD_CAUSE_STOP_WHEN_UNNEEDED: return "stop-when-unneeded";
	case UMH_SD_CAUSE_AUTOMOUNT_IDLE: return "automount-idle";
	case UMH_SD_CAUSE_CONFLICT: return "conflict";
	case UMH_SD_CAUSE_DEPENDENCY_STOPPING: return "dependency-stopping";
	case UMH_SD_CAUSE_NEED_DAEMON_RELOAD: return "need-daemon-reload";
	case UMH_SD_CAUSE_UNKNOWN: break;
	}
	return "unknown";
}

/* Round one of a read, in this order, all sent at once.  The unit's own
 * properties one by one (Properties.Get): GetAll on the Unit interface makes
 * systemd look up UnitFileState and the presets on disk, which took it ~6 ms
 * in the test container, a third of the time the stop job leaves.  The most
 * telling first.  systemd may collect the unit between two answers (when
 * the stop job ends); a collected unit read again is a fresh copy, with no
 * InvocationID: so InvocationID is read first and again last, and all that
 * lies between is from the live unit when both are there and the same.
 * "@self" is ListUnitsByNames([unit]) (state and job), "@mount" the Mount
 * interface's GetAll (cheap; What= goes as soon as systemd sees the mount
 * leave mountinfo), "@invocation" the second InvocationID. */
/* A unit Ref()'d for the time of a read: Unref()'d when it goes out of
 * scope, without waiting for the answer. */
struct unit_pin {
	sd_bus *bus;
	const char *path;
};

static void unref_unitp(struct unit_pin *p)
{
	if (p->path)
		(void)sd_bus_call_method_async(p->bus, NULL, UMH_SD_DEST, p->path, UMH_SD_UNIT, "Unref", NULL,
		                               NULL, NULL);
}

static const char *const round_one[] = {
	"InvocationID", "BindsTo", "StopWhenUnneeded", "TriggeredBy", "Conflicts", "ConflictedBy",
	"@self", "@mount",
	"Requires", "PartOf", "RequiredBy", "RequisiteOf", "WantedBy", "BoundBy", "SourcePath",
	"FragmentPath", "DropInPaths", "NeedDaemonReload",
	"@invocation", NULL
};

int umh_sd_read_cause(sd_bus *bus, const char *unit, struct umh_sd_cause *ret)
{
	struct umh_sd_cause c = { 0 };
	_cleanup_(umh_sd_cause_donep) struct umh_sd_cause *cleanup = &c;
	_cleanup_(umh_sd_briefs_done) struct umh_sd_unit_briefs self = { 0 }, deps = { 0 };
	_cleanup_(umh_sd_facts_done) struct umh_sd_unit_facts last = { 0 };
	_cleanup_(umh_sd_batch_done) struct umh_sd_batch b1, b2;
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *upath = NULL;
	_cleanup_(unref_unitp) struct unit_pin pin = { bus, NULL };
	_cleanup_free_ uint64_t *idle = NULL;
	const struct umh_sd_unit_brief *me;
	int r, i_self = -1, i_prop[UMH_SD_BATCH_MAX], i_mount = -1, i_deps = -1, i_ref = -1, n_trig;
	int i_idle[UMH_SD_BATCH_MAX];

	if (!bus || !unit || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	umh_sd_batch_init(&b1, bus);
	umh_sd_batch_init(&b2, bus);

	if (unit[0] == '/')
		r = umh_sd_mount_unit_name(unit, &c.unit);
	else
		r = umh_strdup_to(&c.unit, unit);
	if (r < 0)
		return r;
	r = sd_bus_path_encode(UMH_SD_UNIT_PATH_PREFIX, c.unit, &upath);
	if (r < 0)
		return r;

	/* Round one, all at once: the unit's state and job, its properties,
	 * its mount parameters.  On a bus (not on a direct connection, where
	 * systemd cannot track the caller), first Ref() the unit: then systemd
	 * cannot collect it while we read, even if the stop job ends. */
	if (sd_bus_is_bus_client(bus) > 0) {
		sd_bus_message *m = NULL;

		r = umh_sd_batch_add_method(&b1, upath, UMH_SD_UNIT, "Ref", &m);
		if (r < 0)
			return r;
		if ((i_ref = umh_sd_batch_add(&b1, m)) < 0)
			return i_ref;
	}
	for (size_t i = 0; round_one[i]; i++) {
		if (strcmp(round_one[i], "@self") == 0) {
			char *one[] = { c.unit, NULL };
			if ((i_self = umh_sd_batch_add_list_units(&b1, one)) < 0)
				return i_self;
		} else if (strcmp(round_one[i], "@mount") == 0) {
			if (umh_endswith(c.unit, ".mount") &&
			    (i_mount = umh_sd_batch_add_get_all(&b1, upath, UMH_SD_MOUNT)) < 0)
				return i_mount;
		} else {
			const char *prop = round_one[i][0] == '@' ? "InvocationID" : round_one[i];
			if ((i_prop[i] = umh_sd_batch_add_get(&b1, upath, UMH_SD_UNIT, prop)) < 0)
				return i_prop[i];
		}
	}
	r = umh_sd_batch_wait(&b1);
	if (r < 0)
		return r;

	if (i_ref >= 0 && b1.v[i_ref].reply) {
		/* Let go of it again when done, whatever happens: no reply wanted. */
		c.facts.pinned = true;
		pin.path = upath;
	}
	if (!b1.v[i_self].reply)
		return b1.v[i_self].error ? b1.v[i_self].error : -EIO;
	r = umh_sd_briefs_read(b1.v[i_self].reply, &self);
	if (r < 0)
		return r;
	me = umh_sd_briefs_find(&self, c.unit);
	if (!me)
		return -EIO;
	for (size_t i = 0; round_one[i]; i++) {
		struct umh_sd_batch_call *call;
		bool again = strcmp(round_one[i], "@invocation") == 0;

		if (round_one[i][0] == '@' && !again)
			continue;
		call = &b1.v[i_prop[i]];
		if (!call->reply) {
			/* A property this systemd does not have: skip it. */
			if (strcmp(call->error_name, SD_BUS_ERROR_UNKNOWN_PROPERTY) == 0)
				continue;
			return call->error ? call->error : -EIO;
		}
		r = umh_sd_facts_read_unit_prop(call->reply, again ? "InvocationID" : round_one[i],
		                                again ? &last : &c.facts);
		if (r < 0)
			return r;
	}
	if (i_mount >= 0) {
		if (!b1.v[i_mount].reply)
			return b1.v[i_mount].error ? b1.v[i_mount].error : -EIO;
		r = umh_sd_facts_read_mount(b1.v[i_mount].reply, &c.facts);
		if (r < 0)
			return r;
	}
	/* The job and state seen at "@self". */
	c.facts.job_id = me->job_id;
	if ((r = umh_strdup_to(&c.facts.job_type, me->job_type)) < 0 ||
	    (r = umh_strdup_to(&c.facts.active_state, me->active_state)) < 0 ||
	    (r = umh_strdup_to(&c.facts.sub_state, me->sub_state)) < 0 ||
	    (r = umh_strdup_to(&c.facts.load_state, me->load_state)) < 0 ||
	    (r = umh_strdup_to(&c.facts.id, me->name)) < 0)
		return r;
	c.facts.consistent = c.facts.invocation_id && umh_streq_known(c.facts.invocation_id, last.invocation_id);
	/* Read too late: the job is over, the unit was garbage-collected and
	 * what we read is a freshly loaded copy (no invocation ID). */
	if (!me->job_id && umh_sd_brief_inactive_or_failed(me) && !c.facts.invocation_id)
		c.facts.gone = true;

	/* Round two: the states of every unit it depends on or is depended on
	 * by, and the idle timeouts of the automounts that trigger it. */
	{
		char **all[] = { c.facts.binds_to, c.facts.requires, c.facts.part_of,
		                 c.facts.triggered_by, c.facts.conflicts, c.facts.conflicted_by,
		                 c.facts.required_by, c.facts.requisite_of, c.facts.wanted_by,
		                 c.facts.bound_by };
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if ((r = umh_strv_extend_uniq(&names, all[i])) < 0)
				return r;
	}
	if (names && (i_deps = umh_sd_batch_add_list_units(&b2, names)) < 0)
		return i_deps;
	n_trig = (int)umh_strv_length(c.facts.triggered_by);
	if (n_trig > UMH_SD_BATCH_MAX - 1)
		n_trig = UMH_SD_BATCH_MAX - 1;
	for (int i = 0; i < n_trig; i++) {
		_cleanup_free_ char *apath = NULL;

		i_idle[i] = -1;
		if (!umh_endswith(c.facts.triggered_by[i], ".automount"))
			continue;
		r = sd_bus_path_encode(UMH_SD_UNIT_PATH_PREFIX, c.facts.triggered_by[i], &apath);
		if (r < 0)
			return r;
		if ((i_idle[i] = umh_sd_batch_add_get(&b2, apath, UMH_SD_AUTOMOUNT, "TimeoutIdleUSec")) < 0)
			return i_idle[i];
	}
	r = umh_sd_batch_wait(&b2);
	if (r < 0)
		return r;
	if (i_deps >= 0) {
		if (!b2.v[i_deps].reply)
			return b2.v[i_deps].error ? b2.v[i_deps].error : -EIO;
		r = umh_sd_briefs_read(b2.v[i_deps].reply, &deps);
		if (r < 0)
			return r;
	}
	if (n_trig > 0) {
		idle = calloc((size_t)n_trig + 1, sizeof(uint64_t));
		if (!idle)
			return -ENOMEM;
		for (int i = 0; i < n_trig; i++)
			if (i_idle[i] >= 0 && b2.v[i_idle[i]].reply &&
			    sd_bus_message_read(b2.v[i_idle[i]].reply, "v", "t", &idle[i]) < 0)
				idle[i] = 0;
	}

	r = umh_sd_decide(&c, &deps, idle, idle ? (size_t)n_trig : 0);
	if (r < 0)
		return r;

	*ret = c;
	cleanup = NULL;
	return 0;
}

int umh_sd_ref_unit(sd_bus *bus, const char *unit)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *upath = NULL;
	int r;

	if (!bus || !unit)
		return -EINVAL;
	r = sd_bus_path_encode(UMH_SD_UNIT_PATH_PREFIX, unit, &upath);
	if (r < 0)
		return r;
	return sd_bus_call_method(bus, UMH_SD_DEST, upath, UMH_SD_UNIT, "Ref", &error, NULL, NULL);
}
