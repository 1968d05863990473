/* The watcher: its setup, its loop, and what it does with each mount that
 * goes.  See watch.h. */
#include "watch/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "base/procfs.h"
#include "bpf/scan/scan-pin.h"
#include "bpf/umount/umount-load.h"
#include "base/cleanup.h"
#include "base/clock.h"
#include "base/escape.h"
#include "base/json.h"
#include "systemd/cause.h"
#include "systemd/journal.h"
#include "systemd/locate.h"
#include "systemd/watch.h"
#include "watch/calls.h"
#include "watch/event.h"
#include "watch/failed.h"
#include "watch/match.h"
#include "watch/mounts.h"
#include "watch/record.h"
#include "base/parse.h"

/* Calls are kept this long after they entered: long enough for the table
 * change to be seen, short enough to keep the list small. */
#define CALLS_KEEP_NS (30LL * 1000000000)
/* After losing systemd (daemon-reexec closes its private connections),
 * try again this often. */
#define SD_RETRY_NS (5LL * 1000000000)
/* A call's event is sent when it returns, which can be after the table
 * change is seen (the kernel waits for an RCU grace period first, and a
 * loaded machine may make it wait longer): mounts gone with no call yet
 * wait this long for one, without holding up the loop. */
#define CALL_LATE_NS (2000LL * 1000000)
#define MAX_LATE 64
/* Calls held back by the rate bound are looked at once a second, and said
 * at most this often. */
#define RATE_SAY_NS (10LL * 1000000000)

struct pending {
	struct umh_wevent ev;
	int64_t deadline_ns;
};

/* Mounts that went together, seen before the calls that took them. */
struct late {
	struct umh_wmount *gone;
	size_t n;
	int64_t seen_boot_ns, seen_real_us; /* when the table showed it */
};

struct umh_watch {
	struct umh_watch_cfg cfg;
	FILE *out;
	int procfd, mi_fd, pidfd, sigfd, jfd;
	int ns_fd;              /* the watched mount namespace */
	pid_t ns_pid;           /* -N PID */
	uint64_t mntns;
	char ns_desc[PATH_MAX]; /* what is watched, for people: escaped */

	struct umh_wtable table;

	bool bpf;
	char bpf_why[640];
	struct umh_umount_trace trace;
	struct umh_wcalls calls;
	struct umh_wfailed failed;

	/* Explain's BPF scan, kept loaded and pinned while this runs
	 * (bpf/scan/scan-pin.h), or why not. */
	struct umh_scan_pins *pins;
	char pins_why[256];

	struct umh_sd_where sdw_where;
	bool sd;
	char sd_why[512];
	int64_t sd_retry_ns;
	struct umh_sdw sdw;

	bool record;
	char record_dir[PATH_MAX];
	char record_why[256];
	struct umh_wrecord rec;

	char journal_where[PATH_MAX];

	struct pending *pending;
	size_t n_pending;
	struct late late[MAX_LATE]; /* oldest first: later changes wait behind */
	size_t n_late;

	uint64_t unmounts;
	uint64_t lost_said;     /* calls lost (ring buffer or list full), as last said */
	uint64_t rate_said;     /* calls held back by the rate bound, as last said */
	int64_t rate_check_ns;  /* ... when to look again */
	int64_t rate_said_ns;   /* ... and when it was last said */
	bool stdout_gone;
	bool stdout_is_journal; /* under systemd: the events go to the journal as entries of their own */
	char stop_reason[128];
};

/* --- output: stdout, the journal, the record ------------------------------------ */

static void out_line(struct umh_watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_line(struct umh_watch *w, const char *fmt, ...)
{
	va_list ap;
	if (w->stdout_gone)
		return;
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
	if (fflush(w->out) != 0 || ferror(w->out))
		w->stdout_gone = true;
}

/* What is not an event: the header, notes, the last line.  With --json,
 * stdout carries JSON objects only, and these go to stderr. */
static void note_line(struct umh_watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_line(struct umh_watch *w, const char *fmt, ...)
{
	va_list ap;
	if (!w->cfg.json) {
		char *s = NULL;
		va_start(ap, fmt);
		int n = vasprintf(&s, fmt, ap);
		va_end(ap);
		if (n >= 0)
			out_line(w, "%s", s);
		free(s);
		return;
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void record_line(struct umh_watch *w, const char *line)
{
	if (!w->record || !line)
		return;
	int r = umh_wrecord_append(&w->rec, line);
	if (r < 0 && w->cfg.verbose)
		fprintf(stderr, "umount-helper: watch: cannot write the record in %s: %s\n", w->record_dir,
			strerror(-r));
}

/* The watcher's own start and stop, for the record and the journal. */
static void lifecycle(struct umh_watch *w, const char *event)
{
	char *line = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&line, &size);
	if (!f)
		return;
	struct umh_json j;
	umh_json_init(&j, f);
	umh_json_open_object(&j, NULL, true);
	umh_json_int(&j, "v", 1);
	umh_json_str(&j, "event", event);
	umh_json_int(&j, "t_us", umh_wall_us());
	umh_json_str(&j, "boot_id", umh_boot_id());
	umh_json_int(&j, "pid", getpid());
	umh_json_uint(&j, "mntns", w->mntns);
	umh_json_str(&j, "namespace", w->ns_desc);
	umh_json_bool(&j, "bpf", w->bpf);
	umh_json_str(&j, "bpf_why", w->bpf ? NULL : w->bpf_why);
	umh_json_str(&j, "systemd", w->sd ? w->sdw.where : NULL);
	umh_json_str(&j, "systemd_why", w->sd ? NULL : w->sd_why);
	umh_json_bool(&j, "failures_examined", w->bpf && w->failed.examine);
	if (strcmp(event, "watch-stop") == 0) {
		uint64_t st[UMH_USTAT_N] = { 0 };
		if (w->bpf)
			umh_umount_trace_stats(&w->trace, st);
		umh_json_uint(&j, "unmounts", w->unmounts);
		umh_json_uint(&j, "failed_unmounts", w->failed.entries);
		umh_json_uint(&j, "calls_lost", w->lost_said);
		umh_json_uint(&j, "calls_rate_limited", st[UMH_USTAT_RATE]);
		umh_json_uint(&j, "calls_filtered", st[UMH_USTAT_OTHER_RESULT] + st[UMH_USTAT_OTHER_NS]);
		umh_json_str(&j, "reason", w->stop_reason);
	}
	umh_json_close_object(&j);
	if (fclose(f) == 0 && line) {
		line[strcspn(line, "\n")] = 0;
		record_line(w, line);
		if (w->cfg.json)
			out_line(w, "%s\n", line);
	}
	free(line);
}

static void journal_event(struct umh_watch *w, const struct umh_wevent *ev, const char *line)
{
	if (w->jfd < 0)
		return;
	_cleanup_free_ char *f_msg = NULL, *f_target = NULL, *f_source = NULL, *f_fstype = NULL, *f_id = NULL,
			    *f_ns = NULL, *f_by = NULL, *f_pid = NULL, *f_comm = NULL, *f_cause = NULL,
			    *f_rel = NULL, *f_unit = NULL, *f_event = NULL;
	const char *fields[20];
	size_t n = 0;
	const struct umh_wcall *c = &ev->caller;
	if (asprintf(&f_msg, "MESSAGE=%s", ev->sentence) < 0 ||
	    asprintf(&f_target, "UMOUNT_HELPER_TARGET=%s", ev->mount.target ? ev->mount.target : "") < 0 ||
	    asprintf(&f_source, "UMOUNT_HELPER_SOURCE=%s", ev->mount.source ? ev->mount.source : "") < 0 ||
	    asprintf(&f_fstype, "UMOUNT_HELPER_FSTYPE=%s", ev->mount.fstype ? ev->mount.fstype : "") < 0 ||
	    asprintf(&f_id, "UMOUNT_HELPER_MOUNT_ID=%" PRIu64, ev->mount.id) < 0 ||
	    asprintf(&f_ns, "UMOUNT_HELPER_MNTNS=%" PRIu64, ev->mntns) < 0 ||
	    asprintf(&f_by, "UMOUNT_HELPER_BY=%s", umh_wby_name(ev->by)) < 0 ||
	    asprintf(&f_event, "UMOUNT_HELPER_EVENT=%s", line ? line : "") < 0)
		return;
	fields[n++] = f_msg;
	fields[n++] = "MESSAGE_ID=" UMH_MESSAGE_UNMOUNT;
	fields[n++] = "PRIORITY=5";
	fields[n++] = "SYSLOG_IDENTIFIER=umount-helper";
	fields[n++] = f_target;
	fields[n++] = f_source;
	fields[n++] = f_fstype;
	fields[n++] = f_id;
	fields[n++] = f_ns;
	fields[n++] = f_by;
	if (ev->has_caller && asprintf(&f_pid, "UMOUNT_HELPER_CALLER_PID=%d", ev->local_pid > 0 ? ev->local_pid : c->self.pid) >= 0 &&
	    asprintf(&f_comm, "UMOUNT_HELPER_CALLER_COMM=%s", c->self.comm) >= 0) {
		fields[n++] = f_pid;
		fields[n++] = f_comm;
	}
	if (ev->has_systemd && ev->sd.unit) {
		/* OBJECT_SYSTEMD_UNIT: `journalctl -u UNIT` shows this line too. */
		if (asprintf(&f_unit, "OBJECT_SYSTEMD_UNIT=%s", ev->sd.unit) >= 0)
			fields[n++] = f_unit;
		if (ev->sd.kind && asprintf(&f_cause, "UMOUNT_HELPER_CAUSE=%s", ev->sd.kind) >= 0)
			fields[n++] = f_cause;
		if (ev->sd.related_unit && asprintf(&f_rel, "UMOUNT_HELPER_RELATED_UNIT=%s", ev->sd.related_unit) >= 0)
			fields[n++] = f_rel;
	}
	fields[n++] = f_event;
	int r = umh_journal_send(w->jfd, fields, n);
	if (r < 0 && w->cfg.verbose)
		fprintf(stderr, "umount-helper: watch: cannot write to the journal: %s\n", strerror(-r));
}

static void emit(struct umh_watch *w, struct umh_wevent *ev)
{
	if (umh_wevent_compose(ev) < 0)
		return;
	_cleanup_free_ char *line = umh_wevent_to_line(ev);
	char clock[16];
	if (w->stdout_is_journal && w->jfd >= 0)
		; /* the same journal gets the entry below, with its fields */
	else if (w->cfg.json)
		out_line(w, "%s\n", line ? line : "{}");
	else
		out_line(w, "%s %s\n", umh_format_clock(ev->t_us, clock, sizeof(clock)), ev->sentence);
	journal_event(w, ev, line);
	record_line(w, line);
	if (strcmp(ev->type, "unmount") == 0)
		w->unmounts++;
}

/* A burst of failed unmounts: its sentence and the examination's report on
 * stdout (or its JSON line), an entry in the journal, a line in the
 * record. */
static void emit_failure(void *userdata, const struct umh_wburst *burst, const struct umh_wfailure *e, bool final)
{
	struct umh_watch *w = userdata;
	(void)final;
	char clock[16];
	if (w->stdout_is_journal && w->jfd >= 0)
		; /* the same journal gets the entry below, with its fields */
	else if (w->cfg.json)
		out_line(w, "%s\n", e->line);
	else {
		out_line(w, "%s %s\n", umh_format_clock(burst->last_real_us, clock, sizeof(clock)), e->sentence);
		/* The report, indented under its sentence. */
		for (const char *p = e->text; p && *p;) {
			size_t n = strcspn(p, "\n");
			out_line(w, "  %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	if (w->jfd >= 0) {
		int r = umh_wfailure_journal(w->jfd, burst, e);
		if (r < 0 && w->cfg.verbose)
			fprintf(stderr, "umount-helper: watch: cannot write to the journal: %s\n", strerror(-r));
	}
	record_line(w, e->line);
}

/* --- systemd: the cause of a stop ------------------------------------------------ */

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

static void queue(struct umh_watch *w, struct umh_wevent *ev)
{
	if (annotate(w, ev, false)) {
		emit(w, ev);
		umh_wevent_clear(ev);
		return;
	}
	if (w->n_pending == UMH_WATCH_MAX_PENDING) {
		/* Full: the oldest goes out with what is known. */
		annotate(w, &w->pending[0].ev, true);
		emit(w, &w->pending[0].ev);
		umh_wevent_clear(&w->pending[0].ev);
		memmove(&w->pending[0], &w->pending[1], (w->n_pending - 1) * sizeof(w->pending[0]));
		w->n_pending--;
	}
	w->pending[w->n_pending++] = (struct pending){ .ev = *ev, .deadline_ns = umh_boot_ns() + UMH_WATCH_SD_WAIT_NS };
	*ev = (struct umh_wevent){ 0 };
}

/* Sends what is complete, in order: an event waits for the ones before it. */
static void flush_pending(struct umh_watch *w, bool all)
{
	int64_t now = umh_boot_ns();
	size_t k = 0;
	for (; k < w->n_pending; k++) {
		struct pending *p = &w->pending[k];
		bool last = all || now >= p->deadline_ns;
		if (!annotate(w, &p->ev, last))
			break;
		emit(w, &p->ev);
		umh_wevent_clear(&p->ev);
	}
	memmove(&w->pending[0], &w->pending[k], (w->n_pending - k) * sizeof(w->pending[0]));
	w->n_pending -= k;
}

static void on_job(struct umh_sdw *s, const struct umh_sdw_job *job, void *userdata)
{
	struct umh_watch *w = userdata;
	(void)s;
	if (!w->cfg.verbose)
		return;
	char clock[16];
	_cleanup_free_ char *unit = umh_escape(job->unit);
	if (job->read_err < 0)
		note_line(w, "%s systemd job %u for %s: its state could not be read: %s\n",
			 umh_format_clock(umh_wall_us(), clock, sizeof(clock)), job->id, unit ? unit : "?",
			 strerror(-job->read_err));
	else if (job->stop) {
		_cleanup_free_ char *sentence = umh_escape(job->cause.sentence ? job->cause.sentence : "");
		const char *when = umh_format_clock(umh_wall_us(), clock, sizeof(clock));
		note_line(w, "%s systemd stop job %u for %s: %s\n", when, job->id, unit ? unit : "?",
			  sentence ? sentence : "");
	}
}

/* --- the mount table ----------------------------------------------------------------- */

/* Matches the mounts of B with their calls and queues the events: the
 * mounts a call named first, then what went along.  Frees B's mounts. */
static int match_late(struct umh_watch *w, struct late *b)
{
	_cleanup_free_ struct umh_wevent *evs = calloc(b->n, sizeof(*evs));
	struct umh_wmatch_in in = {
		.calls = w->bpf ? &w->calls : NULL,
		.no_calls_why = w->bpf_why,
		.mntns = w->mntns,
		.table = &w->table,
		.now_boot_ns = b->seen_boot_ns,
		.now_real_us = b->seen_real_us,
	};
	int r = evs ? umh_wmatch(&in, b->gone, b->n, evs) : -ENOMEM;
	if (r >= 0) {
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < b->n; i++)
				if ((evs[i].how == UMH_WHOW_TAKEN_ALONG) == (pass == 1))
					queue(w, &evs[i]);
	}
	for (size_t i = 0; i < b->n; i++)
		umh_wmount_clear(&b->gone[i]);
	free(b->gone);
	*b = (struct late){ 0 };
	return r;
}

/* Matches the batches whose calls have all come, or have waited
 * CALL_LATE_NS (ALL: every one, at the end), in order. */
static int match_ready(struct umh_watch *w, bool all)
{
	int r = 0;
	int64_t now = umh_boot_ns();
	while (w->n_late) {
		struct late *b = &w->late[0];
		struct umh_wmatch_in in = {
			.calls = &w->calls,
			.mntns = w->mntns,
			.table = &w->table,
			.now_boot_ns = b->seen_boot_ns,
		};
		if (!all && w->bpf && now < b->seen_boot_ns + CALL_LATE_NS && umh_wmatch_unexplained(&in, b->gone, b->n) > 0)
			break;
		int k = match_late(w, b);
		r = r < 0 ? r : k;
		memmove(&w->late[0], &w->late[1], (w->n_late - 1) * sizeof(w->late[0]));
		w->late[--w->n_late] = (struct late){ 0 };
	}
	return r;
}

static int table_changed(struct umh_watch *w)
{
	struct umh_wtable now;
	int r = umh_wtable_read(w->mi_fd, &now);
	if (r < 0)
		return r;
	_cleanup_free_ struct umh_wmount *gone = NULL;
	size_t n_gone, n_added;
	int64_t t = umh_wall_us();
	r = umh_wtable_diff(&w->table, &now, t, &gone, &n_gone, &n_added);
	if (r < 0) {
		umh_wtable_free(&now);
		return r;
	}
	if (w->cfg.verbose && n_added) {
		char clock[16];
		for (size_t i = 0; i < now.n; i++) {
			if (now.v[i].seen_us != t)
				continue;
			_cleanup_free_ char *target = umh_escape(now.v[i].target ? now.v[i].target : "");
			_cleanup_free_ char *fstype = umh_escape(now.v[i].fstype ? now.v[i].fstype : "");
			note_line(w, "%s %s (%s, mount id %" PRIu64 ") mounted\n", umh_format_clock(t, clock, sizeof(clock)),
				 target ? target : "", fstype ? fstype : "", now.v[i].id);
		}
	}
	umh_wtable_free(&w->table);
	w->table = now;
	if (!n_gone)
		return 0;
	/* Matched when their calls have come (match_ready), in order; the
	 * oldest goes out with what is known when there are too many. */
	if (w->n_late == MAX_LATE)
		match_ready(w, true);
	w->late[w->n_late++] = (struct late){ .gone = TAKE_PTR(gone), .n = n_gone,
					       .seen_boot_ns = umh_boot_ns(), .seen_real_us = t };
	return match_ready(w, false);
}

/* Calls the BPF side could not send (ring buffer full) or the list could
 * not keep: their unmounts are reported without a caller.  Said once per
 * change. */
static void say_lost(struct umh_watch *w)
{
	uint64_t lost = (w->bpf ? umh_umount_trace_lost(&w->trace) : 0) + w->calls.lost;
	if (lost == w->lost_said)
		return;
	char clock[16];
	note_line(w, "%s %" PRIu64 " umount call%s could not be traced (too many at once): their unmounts show no caller\n",
		  umh_format_clock(umh_wall_us(), clock, sizeof(clock)), lost - w->lost_said, lost - w->lost_said == 1 ? "" : "s");
	w->lost_said = lost;
}

/* Calls the rate bound held back (umount.h): said when there were more,
 * at most every RATE_SAY_NS (a flood goes on: a line a second of it would
 * be a flood of its own), and at the END. */
static void say_rate_limited(struct umh_watch *w, bool end)
{
	uint64_t st[UMH_USTAT_N];
	int64_t now = umh_boot_ns();
	if (!w->bpf || (!end && now < w->rate_check_ns))
		return;
	w->rate_check_ns = now + 1000000000LL;
	if ((!end && w->rate_said_ns && now - w->rate_said_ns < RATE_SAY_NS) ||
	    umh_umount_trace_stats(&w->trace, st) < 0 || st[UMH_USTAT_RATE] == w->rate_said)
		return;
	w->rate_said_ns = now;
	char clock[16];
	uint64_t n = st[UMH_USTAT_RATE] - w->rate_said;
	note_line(w, "%s %" PRIu64 " umount call%s over the rate bound (%d a second for one uid, %d for root's failures) "
		     "%s not traced\n",
		  umh_format_clock(umh_wall_us(), clock, sizeof(clock)), n, n == 1 ? "" : "s", UMH_UMOUNT_RATE_USER,
		  UMH_UMOUNT_RATE_ROOT, n == 1 ? "was" : "were");
	w->rate_said = st[UMH_USTAT_RATE];
}

/* Successful umount calls here that no table change showed.  Not while
 * mounts gone wait for their calls: the call may be theirs. */
static void orphans(struct umh_watch *w, bool all)
{
	if (!w->bpf || w->n_late)
		return;
	struct umh_wmatch_in in = {
		.calls = &w->calls,
		.mntns = w->mntns,
		/* At the end, every call: there is no later table to wait for. */
		.now_boot_ns = umh_boot_ns() + (all ? UMH_WMATCH_ORPHAN_NS : 0),
		.now_real_us = umh_wall_us(),
	};
	for (size_t i = 0; i < w->calls.n; i++) {
		struct umh_wevent ev;
		if (umh_wmatch_orphan(&in, &w->calls.v[i], &ev) > 0)
			queue(w, &ev);
	}
}

/* --- setup ------------------------------------------------------------------------------ */

/* A successful call is kept for matching (and ends a burst of failures
 * on its target); a failed one (EBUSY) goes to the failures. */
static int on_bpf_event(void *ctx, void *data, size_t size)
{
	struct umh_watch *w = ctx;
	struct umh_wcall call;
	if (umh_wcalls_read_event(&w->calls, data, size, &call) <= 0)
		return 0;
	if (call.ret == 0) {
		umh_wfailed_unmounted(&w->failed, &call, umh_wall_us());
		umh_wcalls_keep(&w->calls, &call);
	} else {
		umh_wfailed_call(&w->failed, &call, umh_boot_ns(), umh_wall_us());
	}
	umh_wcall_clear(&call);
	return 0;
}

/* Opens the mountinfo of the namespace to watch, and notes its inode. */
static int open_namespace(struct umh_watch *w, char *err, size_t size)
{
	const char *ns = w->cfg.ns;
	struct stat st;
	long pid = umh_parse_pid(ns);
	if (!ns) {
		w->mi_fd = openat(w->procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
		if (w->mi_fd < 0 || fstatat(w->procfd, "self/ns/mnt", &st, 0) < 0) {
			int r = -errno;
			snprintf(err, size, "cannot open /proc/self/mountinfo: %s", strerror(-r));
			return r;
		}
		w->mntns = st.st_ino;
		w->ns_fd = openat(w->procfd, "self/ns/mnt", O_RDONLY | O_CLOEXEC);
		snprintf(w->ns_desc, sizeof(w->ns_desc), "this mount namespace");
		return 0;
	}
	if (pid) {
		/* /proc/PID/mountinfo: the file keeps the namespace (and the
		 * root it shows paths from) once opened. */
		char name[64];
		snprintf(name, sizeof(name), "%ld/mountinfo", pid);
		w->mi_fd = openat(w->procfd, name, O_RDONLY | O_CLOEXEC);
		snprintf(name, sizeof(name), "%ld/ns/mnt", pid);
		if (w->mi_fd < 0 || fstatat(w->procfd, name, &st, 0) < 0) {
			int r = -errno;
			snprintf(err, size, "cannot open the mount table of pid %ld: %s", pid, strerror(-r));
			return r;
		}
		w->mntns = st.st_ino;
		w->ns_fd = openat(w->procfd, name, O_RDONLY | O_CLOEXEC);
		w->ns_pid = (pid_t)pid;
		/* When that process ends, its namespace may end: stop then. */
		w->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		snprintf(w->ns_desc, sizeof(w->ns_desc), "the mount namespace of pid %ld", pid);
		return 0;
	}
	/* A namespace file: enter it just long enough to open our own
	 * mountinfo there (through our /proc: it shows the namespace we are
	 * in), then come back.  Its path is the caller's: shown escaped, on
	 * the terminal as in the record and the journal. */
	_cleanup_free_ char *shown = umh_escape(ns);
	if (!shown) {
		snprintf(err, size, "out of memory");
		return -ENOMEM;
	}
	_cleanup_close_ int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int back = openat(w->procfd, "self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || back < 0 || fstat(nsfd, &st) < 0) {
		int r = -errno;
		snprintf(err, size, "cannot open %s: %s", shown, strerror(-r));
		return r;
	}
	if (setns(nsfd, CLONE_NEWNS) < 0) {
		int r = -errno;
		snprintf(err, size, "cannot enter the mount namespace %s: %s", shown, strerror(-r));
		return r;
	}
	w->mi_fd = openat(w->procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	int e = errno;
	if (setns(back, CLONE_NEWNS) < 0) {
		int r = -errno;
		snprintf(err, size, "cannot return to our mount namespace: %s", strerror(-r));
		return r;
	}
	if (w->mi_fd < 0) {
		snprintf(err, size, "cannot open the mount table of %s: %s", shown, strerror(e));
		return -e;
	}
	w->mntns = st.st_ino;
	w->ns_fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3);
	snprintf(w->ns_desc, sizeof(w->ns_desc), "the mount namespace %s", shown);
	return 0;
}

static void open_systemd(struct umh_watch *w)
{
	const struct umh_watch_cfg *c = &w->cfg;
	if (c->no_systemd) {
		snprintf(w->sd_why, sizeof(w->sd_why), "--no-systemd");
		return;
	}
	if (!c->bus && !c->sd_pid && !w->sdw_where.found) {
		snprintf(w->sd_why, sizeof(w->sd_why), "%s", w->sdw_where.why);
		return;
	}
	const char *bus = c->bus ? c->bus : c->sd_pid ? NULL : w->sdw_where.bus;
	pid_t pid = c->bus ? 0 : c->sd_pid ? c->sd_pid : w->sdw_where.pid;
	w->sdw.on_job = on_job;
	w->sdw.userdata = w;
	w->sd = umh_sdw_open(&w->sdw, bus, pid, w->sd_why, sizeof(w->sd_why)) >= 0;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE when stdout goes to the journal. */
static bool stdout_is_journal(FILE *out)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	return e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(fileno(out), &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void open_journal(struct umh_watch *w)
{
	const struct umh_watch_cfg *c = &w->cfg;
	const char *path = c->journal_socket;
	w->jfd = -1;
	if (c->no_journal)
		return;
	if (!path) {
		/* With a systemd given by hand, its namespace's journal. */
		static char buf[PATH_MAX];
		if (c->sd_pid) {
			snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)c->sd_pid, UMH_JOURNAL_SOCKET);
			path = buf;
		} else if (w->sdw_where.found) {
			path = w->sdw_where.journal_socket;
		} else if (!c->ns) {
			path = UMH_JOURNAL_SOCKET;
		}
	}
	if (!path || access(path, F_OK) < 0)
		return;
	int fd = umh_journal_connect(path);
	if (fd >= 0) {
		w->jfd = fd;
		snprintf(w->journal_where, sizeof(w->journal_where), "%s", path);
	} else if (c->journal_socket) {
		fprintf(stderr, "umount-helper: watch: cannot connect to the journal at %s: %s\n", path, strerror(-fd));
	}
}

int umh_watch_open(struct umh_watch **ret, const struct umh_watch_cfg *cfg, char *err, size_t size)
{
	struct umh_watch *w = calloc(1, sizeof(*w));
	int r;
	*ret = NULL;
	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->out = cfg->out ? cfg->out : stdout;
	w->procfd = w->mi_fd = w->pidfd = w->sigfd = w->jfd = w->ns_fd = -1;
	w->rec.dirfd = -1;
	w->pending = calloc(UMH_WATCH_MAX_PENDING, sizeof(*w->pending));
	if (!w->pending) {
		umh_watch_close(w);
		return -ENOMEM;
	}

	/* Signals as events of the loop: a clean stop (the record says
	 * watch-stop) on SIGTERM from systemd, on Ctrl-C. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	w->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	w->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->procfd < 0 || w->sigfd < 0) {
		r = -errno;
		snprintf(err, size, "%s: %s", w->procfd < 0 ? "/proc is not mounted" : "signalfd", strerror(-r));
		goto fail;
	}
	/* Everything that depends on our mount namespace comes first: the
	 * BPF loader may enter a private one for a moment. */
	if ((r = open_namespace(w, err, size)) < 0)
		goto fail;
	if ((r = umh_wtable_read(w->mi_fd, &w->table)) < 0) {
		snprintf(err, size, "cannot read the mount table: %s", strerror(-r));
		goto fail;
	}
	umh_sd_locate(w->procfd, cfg->ns, &w->sdw_where);

	const char *dir = cfg->state_dir ? cfg->state_dir : umh_wrecord_dir();
	snprintf(w->record_dir, sizeof(w->record_dir), "%s", dir);
	if (cfg->no_record) {
		snprintf(w->record_why, sizeof(w->record_why), "--no-record");
	} else if ((r = umh_wrecord_open(&w->rec, dir, cfg->max_events)) < 0) {
		snprintf(w->record_why, sizeof(w->record_why), "cannot write to %s: %s", dir, strerror(-r));
	} else {
		w->record = true;
	}
	open_journal(w);
	w->stdout_is_journal = stdout_is_journal(w->out) && !cfg->journal_socket;
	open_systemd(w);

	if ((r = umh_wcalls_init(&w->calls, w->procfd)) < 0) {
		snprintf(err, size, "out of memory");
		goto fail;
	}
	w->calls.mntns = w->mntns;
	struct stat own;
	w->failed = (struct umh_wfailed){
		.own_mntns = fstatat(w->procfd, "self/ns/mnt", &own, 0) == 0 ? own.st_ino : 0,
		.examine = !cfg->no_explain,
		.budget_ns = cfg->explain_budget_ns ? cfg->explain_budget_ns : UMH_WFAILED_BUDGET_NS,
		.procfd = w->procfd,
		.watched_mntns = w->mntns,
		.watched_ns_fd = w->ns_fd,
		.calls = &w->calls,
		.trace = &w->trace,
		.emit = emit_failure,
		.userdata = w,
	};
	if ((r = umh_wfailed_init(&w->failed)) < 0) {
		snprintf(err, size, "out of memory");
		goto fail;
	}
	char why[512] = "--no-bpf was given";
	if (!cfg->no_bpf)
		w->bpf = umh_umount_trace_start(&w->trace, w->ns_fd, on_bpf_event, w, why, sizeof(why)) >= 0;
	if (!w->bpf)
		snprintf(w->bpf_why, sizeof(w->bpf_why), "umount calls are not traced: %s", why);
	snprintf(w->pins_why, sizeof(w->pins_why), "--no-bpf was given");
	if (!cfg->no_bpf)
		umh_scan_pin((uint32_t)umh_anon_inode_mnt_id(w->procfd), &w->pins, w->pins_why, sizeof(w->pins_why));

	/* The first line: what is watched, and with what. */
	note_line(w, "Watching %s (mnt:[%" PRIu64 "], %zu mounts) for unmounts.\n", w->ns_desc, w->mntns, w->table.n);
	note_line(w, "  callers: %s\n", w->bpf ? "traced (umount system call tracepoints)" : w->bpf_why);
	if (!w->bpf)
		note_line(w, "  failed unmounts: not seen (umount calls are not traced)\n");
	else if (w->failed.examine)
		note_line(w, "  failed unmounts: EBUSY, in any mount namespace, examined there within %.1f s\n",
			 (double)w->failed.budget_ns / 1e9);
	else
		note_line(w, "  failed unmounts: EBUSY, in any mount namespace, counted but not examined (--no-explain)\n");
	if (w->pins)
		note_line(w, "  explain: its BPF scan kept loaded, in %s\n", umh_scan_pins_where(w->pins));
	else
		note_line(w, "  explain: its BPF scan not kept loaded (%s)\n", w->pins_why);
	if (w->sd)
		note_line(w, "  systemd: asked at %s when it stops a mount unit\n", w->sdw.where);
	else
		note_line(w, "  systemd: not asked (%s)\n", w->sd_why);
	note_line(w, "  journal: %s\n", w->jfd >= 0 ? w->journal_where : "none");
	if (w->record)
		note_line(w, "  record: %s (the last %zu to %zu events)\n", w->record_dir, w->rec.max_events,
			 2 * w->rec.max_events);
	else
		note_line(w, "  record: none (%s)\n", w->record_why);
	lifecycle(w, "watch-start");
	sd_notify(0, "READY=1\nSTATUS=watching for unmounts");
	*ret = w;
	return 0;
fail:
	umh_watch_close(w);
	return r;
}

/* --- the loop ---------------------------------------------------------------------------- */

static void lost_systemd(struct umh_watch *w, int r)
{
	char clock[16];
	note_line(w, "%s lost the connection to systemd at %s: %s; trying again every %lld s\n",
		 umh_format_clock(umh_wall_us(), clock, sizeof(clock)), w->sdw.where, strerror(-r), SD_RETRY_NS / 1000000000);
	snprintf(w->sd_why, sizeof(w->sd_why), "the connection to %s was lost: %s", w->sdw.where, strerror(-r));
	umh_sdw_close(&w->sdw);
	w->sd = false;
	w->sd_retry_ns = umh_boot_ns() + SD_RETRY_NS;
}

static void retry_systemd(struct umh_watch *w)
{
	if (w->sd || !w->sd_retry_ns || umh_boot_ns() < w->sd_retry_ns)
		return;
	char why[512];
	snprintf(why, sizeof(why), "%s", w->sd_why);
	open_systemd(w);
	if (w->sd) {
		char clock[16];
		note_line(w, "%s connected to systemd at %s again\n",
			 umh_format_clock(umh_wall_us(), clock, sizeof(clock)), w->sdw.where);
		w->sd_retry_ns = 0;
	} else {
		snprintf(w->sd_why, sizeof(w->sd_why), "%s", why);
		w->sd_retry_ns = umh_boot_ns() + SD_RETRY_NS;
	}
}

int umh_watch_run(struct umh_watch *w)
{
	int64_t end = w->cfg.duration_ns ? umh_boot_ns() + w->cfg.duration_ns : 0;
	int ret = 0;
	bool sd_more = false; /* systemd messages read but not handled yet */
	for (;;) {
		struct pollfd pfd[9];
		size_t n = 0, i_sig, i_mi, i_bpf = SIZE_MAX, i_pid = SIZE_MAX;
		i_sig = n;
		pfd[n++] = (struct pollfd){ .fd = w->sigfd, .events = POLLIN };
		i_mi = n;
		pfd[n++] = (struct pollfd){ .fd = w->mi_fd, .events = POLLPRI };
		if (w->bpf) {
			i_bpf = n;
			pfd[n++] = (struct pollfd){ .fd = umh_umount_trace_fd(&w->trace), .events = POLLIN };
		}
		if (w->pidfd >= 0) {
			i_pid = n;
			pfd[n++] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
		}
		if (umh_wfailed_fd(&w->failed) >= 0)
			pfd[n++] = (struct pollfd){ .fd = umh_wfailed_fd(&w->failed), .events = POLLIN };
		if (w->sd)
			n += umh_sdw_pollfds(&w->sdw, &pfd[n]);

		int64_t now = umh_boot_ns(), wait = 1000LL * 1000000;
		if (w->n_pending && w->pending[0].deadline_ns - now < wait)
			wait = w->pending[0].deadline_ns - now;
		if (w->n_late && w->late[0].seen_boot_ns + CALL_LATE_NS - now < wait)
			wait = w->late[0].seen_boot_ns + CALL_LATE_NS - now;
		if (end && end - now < wait)
			wait = end - now;
		wait = umh_wfailed_wait_ns(&w->failed, now, wait);
		if (sd_more)
			wait = 0;
		if (wait < 0)
			wait = 0;
		int k = poll(pfd, n, (int)((wait + 999999) / 1000000));
		if (k < 0 && errno != EINTR) {
			ret = -errno;
			snprintf(w->stop_reason, sizeof(w->stop_reason), "poll: %s", strerror(errno));
			break;
		}
		if (k > 0 && (pfd[i_sig].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
				snprintf(w->stop_reason, sizeof(w->stop_reason), "%s", sigabbrev_np((int)si.ssi_signo));
				break;
			}
		}
		/* The calls first: a call is mostly in before the table
		 * change it caused is read (one that comes later is waited
		 * for: match_ready()).  Then the table, then systemd: a JobNew
		 * read takes 10-20 ms, and a mount that systemd stops at once
		 * must be seen in the table before that.  An event that needs
		 * the cause waits for it (queue()). */
		if (w->bpf)
			umh_umount_trace_consume(&w->trace);
		if (k > 0 && (pfd[i_mi].revents & (POLLPRI | POLLERR))) {
			int r = table_changed(w);
			if (r < 0) {
				ret = r;
				snprintf(w->stop_reason, sizeof(w->stop_reason), "reading the mount table: %s", strerror(-r));
				break;
			}
		}
		match_ready(w, false);
		sd_more = false;
		if (w->sd) {
			int r = umh_sdw_process(&w->sdw);
			if (r < 0)
				lost_systemd(w, r);
			sd_more = r > 0;
		}
		retry_systemd(w);
		umh_wfailed_tick(&w->failed, umh_boot_ns(), false);
		say_lost(w);
		say_rate_limited(w, false);
		orphans(w, false);
		flush_pending(w, false);
		umh_wcalls_expire(&w->calls, umh_boot_ns(), CALLS_KEEP_NS);
		if (i_bpf != SIZE_MAX && (pfd[i_bpf].revents & (POLLERR | POLLHUP))) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "the BPF ring buffer failed");
			ret = -EIO;
			break;
		}
		if (i_pid != SIZE_MAX && k > 0 && (pfd[i_pid].revents & POLLIN)) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "pid %d, whose mount namespace was watched, exited",
				 (int)w->ns_pid);
			break;
		}
		/* Stdout gone (watch | head): go on only for a record. */
		if (w->stdout_gone && !w->record) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "stdout is gone");
			break;
		}
		if (end && umh_boot_ns() >= end) {
			snprintf(w->stop_reason, sizeof(w->stop_reason), "the duration ran out");
			break;
		}
	}
	sd_notify(0, "STOPPING=1");
	/* A last look: what changed just before the stop still counts. */
	if (w->bpf)
		umh_umount_trace_consume(&w->trace);
	if (ret == 0)
		table_changed(w);
	match_ready(w, true);
	orphans(w, true);
	flush_pending(w, true);
	umh_wfailed_tick(&w->failed, umh_boot_ns(), true);
	say_rate_limited(w, true);
	char clock[16];
	note_line(w, "%s stopped (%s): %" PRIu64 " unmount%s seen.\n", umh_format_clock(umh_wall_us(), clock, sizeof(clock)),
		 w->stop_reason, w->unmounts, w->unmounts == 1 ? "" : "s");
	lifecycle(w, "watch-stop");
	return ret;
}

void umh_watch_close(struct umh_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->pending && i < w->n_pending; i++)
		umh_wevent_clear(&w->pending[i].ev);
	for (size_t i = 0; i < w->n_late; i++) {
		for (size_t k = 0; k < w->late[i].n; k++)
			umh_wmount_clear(&w->late[i].gone[k]);
		free(w->late[i].gone);
	}
	free(w->pending);
	umh_umount_trace_close(&w->trace);
	umh_scan_unpin(w->pins);
	umh_wfailed_free(&w->failed);
	umh_wcalls_free(&w->calls);
	if (w->sd)
		umh_sdw_close(&w->sdw);
	umh_wrecord_close(&w->rec);
	umh_wtable_free(&w->table);
	int fds[] = { w->procfd, w->mi_fd, w->pidfd, w->sigfd, w->jfd, w->ns_fd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(w);
}
