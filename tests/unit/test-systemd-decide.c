/* The decision of why systemd stopped a unit (lib/systemd/decide.c), case
 * by case, with no systemd: the facts of each case are what the reader got
 * from systemd 252 in the real-systemd scenarios of tests/systemd/README.md
 * ((a) BindsTo= a unit never started, (a2) one with a start job, (a4) one
 * with no unit file, (b) StopWhenUnneeded=, (d1)/(d2) a device tentative or
 * gone, (f) systemctl stop, (g) Conflicts=, (h) an automount's idle
 * timeout), and the ways a read can come too late.  The same scenarios run
 * against a real systemd in tests/systemd/t-systemd-fixture.sh. */
#include <stdlib.h>
#include <string.h>

#include "systemd/decide.h"
#include "unit.h"

#define UNIT "mnt-b.mount"

struct dep {
	const char *name, *load, *active;
	uint32_t job_id;
	const char *job_type;
};

#define LIST(...) { __VA_ARGS__, NULL }

struct decide_case {
	const char *what;
	/* The unit, as read: its job and state, its properties. */
	uint32_t job_id;
	const char *job_type, *active_state;
	bool stop_when_unneeded, need_daemon_reload, gone, inconsistent;
	const char *binds_to[4], *requires[4], *part_of[4], *triggered_by[4], *conflicts[4], *conflicted_by[4];
	const char *wanted_by[4], *required_by[4];
	uint64_t idle_usec[4];
	/* The states of the units it names (ListUnitsByNames). */
	struct dep deps[6];
	/* What must be decided. */
	enum umh_sd_cause_kind kind;
	const char *related_unit, *related_state, *related_job;
	const char *reason; /* NULL: none */
	const char *sentence;
};

#define STOP .job_id = 8, .job_type = "stop"
/* A known cause: the clause after "because", and the sentence around it. */
#define BECAUSE(clause) .reason = clause, .sentence = "systemd stopped " UNIT " because " clause
/* A stop job that no dependency explains. */
#define ON_REQUEST                                                                                          \
	.kind = UMH_SD_CAUSE_UNKNOWN,                                                                       \
	.sentence = "systemd stopped " UNIT ", but no dependency explains it: most likely on request "      \
		    "(systemctl stop, isolate, or a umount through systemd)"

static const struct decide_case cases[] = {
	{
		.what = "(a) BindsTo= a unit never started",
		STOP, .active_state = "active",
		.binds_to = LIST("never-started.service"),
		.deps = { { "never-started.service", "loaded", "inactive" } },
		.kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE,
		.related_unit = "never-started.service", .related_state = "inactive",
		BECAUSE("it is bound (BindsTo=) to never-started.service, which is inactive"),
	},
	{
		.what = "(a4) BindsTo= a unit with no unit file",
		STOP, .active_state = "active",
		.binds_to = LIST("no-such.service"),
		.deps = { { "no-such.service", "not-found", "inactive" } },
		.kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE,
		.related_unit = "no-such.service", .related_state = "inactive",
		BECAUSE("it is bound (BindsTo=) to no-such.service, which is inactive (no such unit: "
			"LoadState=not-found)"),
	},
	{
		.what = "(a2) BindsTo= a unit being started: systemd waits for it, not a cause",
		STOP, .active_state = "active",
		.binds_to = LIST("starting.service"),
		.deps = { { "starting.service", "loaded", "inactive", 12, "start" } },
		ON_REQUEST,
	},
	{
		.what = "BindsTo= a unit being stopped",
		STOP, .active_state = "active",
		.binds_to = LIST("db.service"),
		.deps = { { "db.service", "loaded", "active", 9, "stop" } },
		.kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE,
		.related_unit = "db.service", .related_state = "active", .related_job = "stop",
		BECAUSE("it is bound (BindsTo=) to db.service, which is being stopped"),
	},
	{
		.what = "(d2) x-systemd.device-bound, and udev said the device was removed",
		STOP, .active_state = "active",
		.binds_to = LIST("dev-loop7.device"),
		.deps = { { "dev-loop7.device", "loaded", "inactive" } },
		.kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE,
		.related_unit = "dev-loop7.device", .related_state = "inactive",
		BECAUSE("it is bound (BindsTo=) to dev-loop7.device, which is inactive (the device is not present)"),
	},
	{
		.what = "(d1) x-systemd.device-bound to a tentative device: not a cause",
		STOP, .active_state = "active",
		.binds_to = LIST("dev-nonexistent.device"),
		.deps = { { "dev-nonexistent.device", "loaded", "activating" } },
		ON_REQUEST,
	},
	{
		.what = "(b) StopWhenUnneeded=yes, wanted by nothing active",
		STOP, .active_state = "active", .stop_when_unneeded = true,
		.wanted_by = LIST("gone.target"),
		.deps = { { "gone.target", "loaded", "inactive" } },
		.kind = UMH_SD_CAUSE_STOP_WHEN_UNNEEDED,
		BECAUSE("it has StopWhenUnneeded=yes and no active unit wants, requires or binds to it"),
	},
	{
		.what = "StopWhenUnneeded=yes, but required by an active unit: not a cause",
		STOP, .active_state = "active", .stop_when_unneeded = true,
		.required_by = LIST("app.service"),
		.deps = { { "app.service", "loaded", "active" } },
		ON_REQUEST,
	},
	{
		.what = "(g) a service with Conflicts= on the mount is started",
		STOP, .active_state = "active",
		.conflicted_by = LIST("conflicter.service"),
		.deps = { { "conflicter.service", "loaded", "inactive", 11, "start" } },
		.kind = UMH_SD_CAUSE_CONFLICT,
		.related_unit = "conflicter.service", .related_state = "inactive", .related_job = "start",
		BECAUSE("it conflicts (Conflicts=) with conflicter.service, which is being started"),
	},
	{
		.what = "shutdown: Conflicts=umount.target, which is active",
		STOP, .active_state = "active",
		.conflicts = LIST("umount.target"),
		.deps = { { "umount.target", "loaded", "active" } },
		.kind = UMH_SD_CAUSE_CONFLICT,
		.related_unit = "umount.target", .related_state = "active",
		BECAUSE("it conflicts (Conflicts=) with umount.target, which is active (the system is shutting down)"),
	},
	{
		.what = "(h) an automount with TimeoutIdleSec=1",
		STOP, .active_state = "active",
		.triggered_by = LIST("mnt-b.automount"), .idle_usec = { 1000000 },
		.deps = { { "mnt-b.automount", "loaded", "active" } },
		.kind = UMH_SD_CAUSE_AUTOMOUNT_IDLE,
		.related_unit = "mnt-b.automount", .related_state = "active",
		BECAUSE("its automount mnt-b.automount saw it unused for TimeoutIdleSec=1s"),
	},
	{
		.what = "an automount with TimeoutIdleSec=1.5 (in milliseconds)",
		STOP, .active_state = "active",
		.triggered_by = LIST("mnt-b.automount"), .idle_usec = { 1500000 },
		.deps = { { "mnt-b.automount", "loaded", "active" } },
		.kind = UMH_SD_CAUSE_AUTOMOUNT_IDLE,
		.related_unit = "mnt-b.automount", .related_state = "active",
		BECAUSE("its automount mnt-b.automount saw it unused for TimeoutIdleSec=1500ms"),
	},
	{
		.what = "an automount with no idle timeout: not a cause",
		STOP, .active_state = "active",
		.triggered_by = LIST("mnt-b.automount"), .idle_usec = { 0 },
		.deps = { { "mnt-b.automount", "loaded", "active" } },
		ON_REQUEST,
	},
	{
		.what = "an automount that is not active: not a cause",
		STOP, .active_state = "active",
		.triggered_by = LIST("mnt-b.automount"), .idle_usec = { 1000000 },
		.deps = { { "mnt-b.automount", "loaded", "inactive" } },
		ON_REQUEST,
	},
	{
		.what = "Requires= a unit being stopped",
		STOP, .active_state = "active",
		.requires = LIST("backend.service"),
		.deps = { { "backend.service", "loaded", "active", 10, "stop" } },
		.kind = UMH_SD_CAUSE_DEPENDENCY_STOPPING,
		.related_unit = "backend.service", .related_state = "active", .related_job = "stop",
		BECAUSE("it requires (Requires=) backend.service, which is being stopped"),
	},
	{
		.what = "PartOf= a unit going down",
		STOP, .active_state = "active",
		.part_of = LIST("app.target"),
		.deps = { { "app.target", "loaded", "deactivating" } },
		.kind = UMH_SD_CAUSE_DEPENDENCY_STOPPING,
		.related_unit = "app.target", .related_state = "deactivating",
		BECAUSE("it is part of (PartOf=) app.target, which is being stopped"),
	},
	{
		.what = "its unit file changed on disk, nothing else",
		STOP, .active_state = "active", .need_daemon_reload = true,
		.kind = UMH_SD_CAUSE_NEED_DAEMON_RELOAD,
		.reason = "its unit file changed on disk since systemd loaded it (NeedDaemonReload=yes), and no "
			  "dependency explains it",
		.sentence = "systemd stopped " UNIT "; no dependency explains it, but its unit file changed on disk "
			    "since systemd loaded it (NeedDaemonReload=yes): run 'systemctl daemon-reload'",
	},
	{
		.what = "(f) systemctl stop: a stop job and nothing that explains it",
		STOP, .active_state = "deactivating",
		.wanted_by = LIST("multi-user.target"),
		.deps = { { "multi-user.target", "loaded", "active" } },
		ON_REQUEST,
	},
	{
		.what = "a start job, not a stop",
		.job_id = 5, .job_type = "start", .active_state = "activating",
		.binds_to = LIST("never-started.service"),
		.deps = { { "never-started.service", "loaded", "inactive" } },
		.kind = UMH_SD_CAUSE_UNKNOWN,
		.sentence = "systemd has a start job for " UNIT ", not a stop job (it is activating)",
	},
	{
		.what = "gone: collected before it was read",
		.active_state = "inactive", .gone = true,
		.kind = UMH_SD_CAUSE_UNKNOWN,
		.sentence = "systemd has no " UNIT " loaded: it was not mounted while systemd watched, or it was "
			    "stopped and its state is gone; the journal may tell more",
	},
	{
		.what = "read too late: no job, and nothing left that explains it",
		.active_state = "inactive",
		.kind = UMH_SD_CAUSE_UNKNOWN,
		.sentence = UNIT " is inactive and has no job: read too late, the state that caused the stop is gone",
	},
	{
		.what = "its state went away while it was read",
		STOP, .active_state = "active", .inconsistent = true,
		.kind = UMH_SD_CAUSE_UNKNOWN,
		.sentence = "systemd stopped " UNIT ", but its state went away while it was read (the stop was over "
			    "too fast): what was read explains nothing",
	},
	{
		.what = "read after the stop, and the dependency still explains it",
		.active_state = "inactive",
		.binds_to = LIST("never-started.service"),
		.deps = { { "never-started.service", "loaded", "inactive" } },
		.kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE,
		.related_unit = "never-started.service", .related_state = "inactive",
		.reason = "it is bound (BindsTo=) to never-started.service, which is inactive",
		.sentence = "systemd stopped " UNIT " because it is bound (BindsTo=) to never-started.service, which "
			    "is inactive (read after the stop was over, from the state systemd still had)",
	},
	{
		.what = "BindsTo= comes first: bound to an inactive unit and in conflict with a starting one",
		STOP, .active_state = "active",
		.binds_to = LIST("never-started.service"), .conflicted_by = LIST("conflicter.service"),
		.deps = { { "never-started.service", "loaded", "inactive" },
			  { "conflicter.service", "loaded", "inactive", 11, "start" } },
		.kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE,
		.related_unit = "never-started.service", .related_state = "inactive",
		BECAUSE("it is bound (BindsTo=) to never-started.service, which is inactive"),
	},
	{
		.what = "a dependency systemd did not describe is no cause",
		STOP, .active_state = "active",
		.binds_to = LIST("unlisted.service"),
		ON_REQUEST,
	},
};

static char **list(const char *const *l) { return l[0] ? (char **)l : NULL; }

static void run_case(const struct decide_case *t)
{
	struct umh_sd_cause c = {
		.unit = UNIT,
		.facts = {
			.id = UNIT,
			.job_id = t->job_id,
			.job_type = (char *)t->job_type,
			.active_state = (char *)t->active_state,
			.load_state = "loaded",
			.stop_when_unneeded = t->stop_when_unneeded,
			.need_daemon_reload = t->need_daemon_reload,
			.gone = t->gone,
			.consistent = !t->inconsistent && !t->gone,
			.binds_to = list(t->binds_to),
			.requires = list(t->requires),
			.part_of = list(t->part_of),
			.triggered_by = list(t->triggered_by),
			.conflicts = list(t->conflicts),
			.conflicted_by = list(t->conflicted_by),
			.wanted_by = list(t->wanted_by),
			.required_by = list(t->required_by),
		},
	};
	struct umh_sd_unit_brief briefs[6];
	struct umh_sd_unit_briefs deps = { .v = briefs };
	for (size_t i = 0; i < 6 && t->deps[i].name; i++)
		briefs[deps.n++] = (struct umh_sd_unit_brief){
			.name = (char *)t->deps[i].name,
			.load_state = (char *)t->deps[i].load,
			.active_state = (char *)t->deps[i].active,
			.sub_state = "dead",
			.job_id = t->deps[i].job_id,
			.job_type = (char *)t->deps[i].job_type,
		};
	size_t n_idle = 0;
	while (n_idle < 4 && t->triggered_by[n_idle])
		n_idle++;

	int r = umh_sd_decide(&c, &deps, n_idle ? t->idle_usec : NULL, n_idle);
	CHECK(r == 0, "%s: decided", t->what);
	CHECK_STR(umh_sd_cause_kind_name(c.kind), umh_sd_cause_kind_name(t->kind), "%s: the cause", t->what);
	CHECK_STR(c.related_unit, t->related_unit, "%s: the unit that explains it", t->what);
	CHECK_STR(c.related_state, t->related_state, "%s: that unit's state", t->what);
	CHECK_STR(c.related_job, t->related_job, "%s: that unit's job", t->what);
	CHECK_STR(c.reason, t->reason, "%s: the reason", t->what);
	CHECK_STR(c.sentence, t->sentence, "%s: the sentence", t->what);
	free(c.related_unit);
	free(c.related_state);
	free(c.related_job);
	free(c.reason);
	free(c.sentence);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	UNIT_EXIT();
}
