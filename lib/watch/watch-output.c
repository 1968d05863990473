/* What the watcher says, and where: stdout, the journal, the record. */
#include "watch/watch-internal.h"

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
void umh_watch_note_line(struct umh_watch *w, const char *fmt, ...)
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

void umh_watch_record_line(struct umh_watch *w, const char *line)
{
	if (!w->record || !line)
		return;
	int r = umh_wrecord_append(&w->rec, line);
	if (r < 0 && w->cfg.verbose)
		fprintf(stderr, "umount-helper: watch: cannot write the record in %s: %s\n", w->record_dir,
			strerror(-r));
}

/* The watcher's own start and stop, for the record and the journal. */
void umh_watch_lifecycle(struct umh_watch *w, const char *event)
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
		umh_watch_record_line(w, line);
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

void umh_watch_emit(struct umh_watch *w, struct umh_wevent *ev)
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
	umh_watch_record_line(w, line);
	if (strcmp(ev->type, "unmount") == 0)
		w->unmounts++;
}

/* A burst of failed unmounts: its sentence and the examination's report on
 * stdout (or its JSON line), an entry in the journal, a line in the
 * record. */
void umh_watch_emit_failure(void *userdata, const struct umh_wburst *burst, const struct umh_wfailure *e, bool final)
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
	umh_watch_record_line(w, e->line);
}
