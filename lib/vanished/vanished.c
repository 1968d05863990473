/* Where did my mount go?  See vanished.h. */
#include "vanished/vanished.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/clock.h"
#include "base/json.h"
#include "model/mounttab.h"
#include "base/run-json.h"
#include "systemd/cause.h"
#include "systemd/config.h"
#include "systemd/journal.h"
#include "systemd/locate.h"
#include "systemd/risk.h"
#include "watch/event.h"
#include "watch/record.h"
#include "base/parse.h"

#include <systemd/sd-bus.h>


/* --- what is looked up ------------------------------------------------------------ */

struct lookup {
	const struct umh_vanished_opts *o;
	int procfd;
	char *path;          /* the target, absolute and lexically normal; NULL if not a path */
	uint64_t mntns;
	const char *record_dir;
	int record_err;      /* reading the record failed */
	char record_why[160]; /* ... because it is not one to believe */
	int64_t now_us;      /* events stamped later are not believed */
	bool record_seen;    /* the record directory had something for this boot */
	struct umh_jnode *event;       /* the newest event about the target */
	const char *event_source;      /* "watcher" or "journal" */
	int64_t watcher_pid, watcher_since_us;
	bool watcher_running;
};

static int on_record(const struct umh_jnode *ev, void *userdata)
{
	struct lookup *l = userdata;
	const char *type = umh_jstr(ev, "event"), *boot = umh_jstr(ev, "boot_id");
	uint64_t ns = 0;
	int64_t pid = 0, t = 0;
	if (!type || !boot || strcmp(boot, umh_boot_id()) != 0 || !umh_juint(ev, "mntns", &ns) || ns != l->mntns ||
	    !umh_jint(ev, "t_us", &t) || t > l->now_us)
		return 0;
	l->record_seen = true;
	if (strcmp(type, "watch-start") == 0 && umh_jint(ev, "pid", &pid)) {
		l->watcher_pid = pid;
		l->watcher_since_us = t;
		l->watcher_running = true;
		return 0;
	}
	if (strcmp(type, "watch-stop") == 0 && umh_jint(ev, "pid", &pid) && pid == l->watcher_pid) {
		l->watcher_running = false;
		return 0;
	}
	if (strcmp(type, "unmount") != 0 && strcmp(type, "move") != 0)
		return 0;
	const struct umh_jnode *m = umh_jget(ev, "mount");
	const char *target = umh_jstr(m, "target"), *source = umh_jstr(m, "source");
	bool match = (l->path && target && strcmp(target, l->path) == 0) ||
		     (source && strcmp(source, l->o->spec) == 0);
	if (!match)
		return 0;
	umh_jfree(l->event);
	l->event = (struct umh_jnode *)ev;
	l->event_source = "watcher";
	return 1; /* keep it */
}

static uint64_t ns_inode(int procfd, const char *ns)
{
	struct stat st;
	char name[64];
	pid_t pid = umh_parse_pid(ns);
	if (!ns)
		return fstatat(procfd, "self/ns/mnt", &st, 0) == 0 ? st.st_ino : 0;
	if (pid) {
		snprintf(name, sizeof(name), "%d/ns/mnt", (int)pid);
		return fstatat(procfd, name, &st, 0) == 0 ? st.st_ino : 0;
	}
	return stat(ns, &st) == 0 ? st.st_ino : 0;
}

/* --- writing the answer ------------------------------------------------------------- */

struct answer {
	const char *source;  /* "watcher", "journal", "systemd", "none" */
	bool known;
	int64_t t_us;
	const char *by, *unit, *cause, *related_unit;
	bool probable;
	char *sentence;
	char *from;          /* where it came from, for people */
};

static void append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **s, const char *fmt, ...)
{
	char *piece = NULL, *joined = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (asprintf(&joined, "%s%s", *s ? *s : "", piece) >= 0) {
		free(*s);
		*s = joined;
	}
	free(piece);
}

static void write_answer(FILE *out, const struct lookup *l, const struct answer *a, const struct umh_sdj_stop *st,
			 const struct umh_sd_cause *c, const struct umh_sd_where *where)
{
	struct umh_json j;
	char when[40];
	umh_json_init(&j, out);
	umh_json_open_object(&j, NULL, false);
	umh_json_bool(&j, "known", a->known);
	umh_json_str(&j, "source", a->source);
	umh_json_str(&j, "target", l->path ? l->path : l->o->spec);
	if (a->t_us) {
		umh_format_iso(a->t_us, false, when, sizeof(when));
		umh_json_str(&j, "time", when);
		umh_json_int(&j, "t_us", a->t_us);
	} else {
		umh_json_null(&j, "time");
		umh_json_null(&j, "t_us");
	}
	umh_json_str(&j, "by", a->by);
	umh_json_str(&j, "unit", a->unit);
	umh_json_str(&j, "cause", a->cause);
	umh_json_str(&j, "related_unit", a->related_unit);
	umh_json_bool(&j, "probable", a->probable);
	umh_json_str(&j, "sentence", a->sentence);
	umh_json_str(&j, "from", a->from);
	if (l->event)
		umh_jwrite(&j, "event", l->event);
	else
		umh_json_null(&j, "event");
	if (where && where->found) {
		umh_json_open_object(&j, "systemd", false);
		umh_json_bool(&j, "journal_stop", st && st->found);
		if (st && st->found) {
			umh_json_uint(&j, "job_id", st->job_id);
			umh_json_str(&j, "invocation_id", st->invocation_id);
			umh_json_str(&j, "journal_message", st->message);
			umh_json_str(&j, "journal_reason", st->reason);
			umh_json_bool(&j, "stopped", st->stopped);
		}
		if (c && c->unit) {
			umh_json_str(&j, "unit_load_state", c->facts.load_state);
			umh_json_str(&j, "unit_active_state", c->facts.active_state);
			umh_json_str(&j, "unit_cause_now", umh_sd_cause_kind_name(c->kind));
			umh_json_str(&j, "unit_reason_now", c->reason);
		}
		umh_json_close_object(&j);
	} else {
		umh_json_null(&j, "systemd");
	}
	if (l->watcher_pid) {
		umh_json_open_object(&j, "watcher", true);
		umh_json_int(&j, "pid", l->watcher_pid);
		umh_json_int(&j, "since_us", l->watcher_since_us);
		umh_json_bool(&j, "running", l->watcher_running);
		umh_json_close_object(&j);
	} else {
		umh_json_null(&j, "watcher");
	}
	umh_json_close_object(&j);
}

/* The answer from an event of the watcher (record or journal). */
static void from_event(struct lookup *l, struct answer *a)
{
	const struct umh_jnode *ev = l->event, *sd = umh_jget(ev, "systemd");
	int64_t t = 0;
	char when[64];
	umh_jint(ev, "t_us", &t);
	a->source = l->event_source;
	a->known = true;
	a->t_us = t;
	a->by = umh_jstr(ev, "by");
	a->unit = umh_jstr(sd, "unit");
	a->cause = umh_jstr(sd, "cause");
	a->related_unit = umh_jstr(sd, "related_unit");
	const char *sentence = umh_jstr(ev, "sentence");
	append(&a->sentence, "At %s: %s.", umh_format_time(t, when, sizeof(when)), sentence ? sentence : "it went");
	if (strcmp(l->event_source, "watcher") == 0)
		append(&a->from, "the record of umount-helper watch in %s", l->record_dir);
	else
		append(&a->from, "the line umount-helper watch wrote to the journal");
}

static void watcher_words(const struct lookup *l, char **s)
{
	char when[64];
	if (l->watcher_pid && l->watcher_running && kill((pid_t)l->watcher_pid, 0) == 0)
		append(s, "umount-helper watch (pid %" PRId64 ") has watched this mount namespace since %s and saw no "
			  "unmount of it, so it has not been mounted since then",
		       l->watcher_pid, umh_format_time(l->watcher_since_us, when, sizeof(when)));
	else if (l->watcher_pid)
		append(s, "umount-helper watch ran since %s (pid %" PRId64 ", %s) and recorded no unmount of it",
		       umh_format_time(l->watcher_since_us, when, sizeof(when)), l->watcher_pid,
		       l->watcher_running ? "it ended without saying so" : "now stopped");
	else if (l->record_err < 0 && l->record_why[0])
		append(s, "the record of umount-helper watch in %s was not read: %s", l->record_dir, l->record_why);
	else if (l->record_err < 0)
		append(s, "the record of umount-helper watch in %s could not be read (%s)", l->record_dir,
		       strerror(-l->record_err));
	else
		append(s, "umount-helper watch was not watching this mount namespace (nothing about it in %s)",
		       l->record_dir);
}

/* A unit systemd knew only from mountinfo comes back "not-found" once
 * collected, without its drop-ins: their StopWhenUnneeded=yes is still on
 * disk. */
static bool stop_when_unneeded(const struct umh_sd_where *w, const char *unit, struct answer *a)
{
	char root[64] = "";
	_cleanup_free_ char *value = NULL, *file = NULL;
	if (w->pid > 0)
		snprintf(root, sizeof(root), "/proc/%d/root", (int)w->pid);
	if (umh_sd_unit_setting(root, unit, "Unit", "StopWhenUnneeded", &value, &file) <= 0 ||
	    umh_sd_parse_boolean(value) != 1)
		return false;
	const char *shown = file + strlen(root);
	append(&a->sentence, "; systemd did not log why, but %s sets StopWhenUnneeded=yes for it: most likely "
			     "systemd stopped it because no active unit needed it", shown);
	return true;
}

static int connect_sd(const struct umh_sd_where *w, sd_bus **bus)
{
	return w->pid > 0 ? umh_sd_connect_pid(w->pid, bus) : umh_sd_connect(w->bus, bus);
}

static int64_t event_time(const struct umh_jnode *ev)
{
	int64_t t = 0;
	umh_jint(ev, "t_us", &t);
	return t;
}

/* Two sources about one unmount differ by their clocks and their delays:
 * within this, they speak of the same one. */
#define SAME_EVENT_US (2LL * 1000000)

static void vanished_child(FILE *out, const void *arg)
{
	const struct umh_vanished_opts *o = arg;
	struct lookup l = { .o = o };
	struct answer a = { .source = "none" };
	struct umh_sdj_stop st = { 0 };
	struct umh_sd_cause c = { 0 };
	struct umh_sd_where where = { 0 };
	_cleanup_free_ char *unit = NULL;
	int jr = 0;

	l.procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (o->spec[0] == '/' || strncmp(o->spec, "./", 2) == 0 || strncmp(o->spec, "../", 3) == 0 ||
	    !strpbrk(o->spec, ":="))
		l.path = umh_path_normalize(o->spec);
	l.mntns = ns_inode(l.procfd, o->ns);
	l.record_dir = o->state_dir ? o->state_dir : umh_wrecord_dir();
	l.now_us = umh_wall_us();
	l.record_err = umh_wrecord_read(l.record_dir, on_record, &l, l.record_why, sizeof(l.record_why));

	umh_sd_locate(l.procfd, o->ns, &where);
	const char *jdir = where.journal_dir[0] ? where.journal_dir : NULL;
	if (where.found && l.path) {
		/* The watcher's lines in the journal: newer than its record
		 * when the record was lost or written elsewhere. */
		_cleanup_free_ char *json = NULL;
		struct umh_jnode *jev = NULL;
		if (umh_journal_find_ours(jdir, l.path, l.mntns, &json) > 0 &&
		    umh_jparse(json, strlen(json), &jev) == 0) {
			if (event_time(jev) <= l.now_us &&
			    (!l.event || event_time(jev) > event_time(l.event) + SAME_EVENT_US)) {
				umh_jfree(l.event);
				l.event = jev;
				l.event_source = "journal";
			} else {
				umh_jfree(jev);
			}
		}
		if (umh_sd_mount_unit_name(l.path, &unit) >= 0)
			jr = umh_journal_find_stop(jdir, unit, &st);
		/* A stop stamped later than now is not believed either. */
		if (st.found && (int64_t)st.realtime_us > l.now_us)
			umh_sdj_stop_done(&st);
	}
	/* What the watcher saw, unless systemd stopped the unit again later,
	 * while no watcher was there to see it. */
	if (l.event && !(st.found && (int64_t)st.realtime_us > event_time(l.event) + SAME_EVENT_US)) {
		from_event(&l, &a);
		goto done;
	}
	if (where.found && l.path && unit) {
		/* The unit as systemd has it now.  Reading a collected unit
		 * makes systemd load it again from its files: only when the
		 * journal says systemd stopped it, or cannot say. */
		if (st.found || jr < 0) {
			_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
			if (connect_sd(&where, &bus) >= 0 && umh_sd_read_cause(bus, unit, &c) < 0)
				umh_sd_cause_done(&c);
		}
		if (st.found) {
			char when[64];
			a.source = "systemd";
			a.known = true;
			a.t_us = (int64_t)st.realtime_us;
			a.by = "systemd";
			a.unit = unit;
			append(&a.sentence, "At %s, systemd %s it (%s", umh_format_time(a.t_us, when, sizeof(when)),
			       st.stopped ? "unmounted" : "began to unmount", unit);
			if (st.job_id)
				append(&a.sentence, ", stop job %u", st.job_id);
			append(&a.sentence, ")");
			if (st.reason) {
				/* systemd logged why: at debug level. */
				a.cause = st.related_unit ? "binds-to-inactive" :
					  strstr(st.reason, "not needed") ? "stop-when-unneeded" : NULL;
				a.related_unit = st.related_unit;
				append(&a.sentence, "; its journal says why: \"%s\"", st.reason);
			} else if (c.unit && c.kind != UMH_SD_CAUSE_UNKNOWN && c.reason) {
				a.probable = true;
				a.cause = umh_sd_cause_kind_name(c.kind);
				a.related_unit = c.related_unit;
				append(&a.sentence, "; systemd did not log why, but now %s: most likely that is why",
				       c.reason);
			} else if (stop_when_unneeded(&where, unit, &a)) {
				a.probable = true;
				a.cause = "stop-when-unneeded";
			} else {
				append(&a.sentence, "; why is not known: systemd logs the reason only at debug level, "
						    "and its unit shows none now");
			}
			append(&a.sentence, ". ");
			if (l.event) {
				char older[64];
				append(&a.sentence, "umount-helper watch was not running then (its last record of it is "
						    "from %s)",
				       umh_format_time(event_time(l.event), older, sizeof(older)));
				umh_jfree(l.event);
				l.event = NULL;
			} else if (l.watcher_pid) {
				watcher_words(&l, &a.sentence);
			} else {
				append(&a.sentence, "umount-helper watch was not running to record who and why");
			}
			append(&a.sentence, ".");
			append(&a.from, "systemd's journal%s", c.unit ? " and its unit's state now" : "");
			goto done;
		}
	}
	append(&a.sentence, "No record of it being mounted: ");
	watcher_words(&l, &a.sentence);
	if (!where.found)
		append(&a.sentence, "; systemd was not asked (%s)", where.why);
	else if (!l.path)
		append(&a.sentence, "; systemd knows mounts by mount point only");
	else if (jr < 0)
		append(&a.sentence, "; systemd's journal could not be read (%s)", strerror(-jr));
	else
		append(&a.sentence, "; systemd's journal has no unmount of %s", unit ? unit : "it");
	append(&a.sentence, ".");
done:
	write_answer(out, &l, &a, &st, &c, &where);
	free(a.sentence);
	free(a.from);
	umh_sdj_stop_done(&st);
	umh_sd_cause_done(&c);
	umh_jfree(l.event);
	free(l.path);
	if (l.procfd >= 0)
		close(l.procfd);
}

static int failed(const char *spec, int r, struct umh_jnode **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	struct umh_json j;
	char why[160];
	snprintf(why, sizeof(why), "What happened to it could not be looked up: %s.",
		 r == -ETIME ? "the lookup did not finish within its time budget" : strerror(-r));
	umh_json_init(&j, f);
	umh_json_open_object(&j, NULL, true);
	umh_json_bool(&j, "known", false);
	umh_json_str(&j, "source", "none");
	umh_json_str(&j, "target", spec);
	umh_json_str(&j, "sentence", why);
	umh_json_close_object(&j);
	if (fclose(f) != 0)
		return -ENOMEM;
	return umh_jparse(buf, size, ret);
}

int umh_vanished_lookup(const struct umh_vanished_opts *o, struct umh_jnode **ret)
{
	/* No time left in the caller's budget: said, not tried. */
	int r = o->budget_ns > 0 ? umh_run_json(vanished_child, o, o->budget_ns, ret) : -ETIME;
	if (r < 0) {
		int f = failed(o->spec, r, ret);
		return f < 0 ? f : r;
	}
	return 0;
}

bool umh_vanished_known(const struct umh_jnode *v)
{
	return umh_jbool(v, "known", false);
}

/* --- risks of a mounted target ---------------------------------------------------------- */

struct risk_args {
	const char *mount_point;
	struct umh_sd_where where;
};

static void risk_child(FILE *out, const void *arg)
{
	const struct risk_args *a = arg;
	struct umh_json j;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	umh_json_init(&j, out);
	umh_json_open_array(&j, NULL, false);
	/* Connected here: in the child, as the real user. */
	if (connect_sd(&a->where, &bus) >= 0)
		umh_sd_write_risks(bus, a->mount_point, &j);
	umh_json_close_array(&j);
}

int umh_mount_risks(const char *mount_point, const char *ns, int64_t budget_ns, struct umh_jnode **ret)
{
	struct risk_args a = { .mount_point = mount_point };
	*ret = NULL;
	_cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	umh_sd_locate(procfd, ns, &a.where);
	if (!a.where.found)
		return 0;
	return umh_run_json(risk_child, &a, budget_ns, ret);
}
