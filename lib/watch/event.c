#include "watch/event.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/text.h"
#include "watch/record.h"

const char *umh_wby_name(enum umh_wby by)
{
	switch (by) {
	case UMH_WBY_PROCESS: return "process";
	case UMH_WBY_SYSTEMD: return "systemd";
	case UMH_WBY_UNKNOWN: break;
	}
	return "unknown";
}

const char *umh_whow_name(enum umh_whow how)
{
	switch (how) {
	case UMH_WHOW_DIRECT: return "direct";
	case UMH_WHOW_TAKEN_ALONG: return "taken-along";
	case UMH_WHOW_PROPAGATED: return "propagated";
	case UMH_WHOW_MOVED: return "moved";
	case UMH_WHOW_UNKNOWN: break;
	}
	return "unknown";
}

static void sd_clear(struct umh_wsystemd *s)
{
	free(s->unit);
	free(s->kind);
	free(s->related_unit);
	free(s->related_state);
	free(s->reason);
	free(s->sentence);
	free(s->evidence);
	free(s->note);
	*s = (struct umh_wsystemd){ 0 };
}

void umh_wevent_clear(struct umh_wevent *ev)
{
	umh_wmount_clear(&ev->mount);
	free(ev->moved_to);
	free(ev->along_with);
	umh_wcall_clear(&ev->caller);
	sd_clear(&ev->sd);
	free(ev->no_caller);
	free(ev->sentence);
	*ev = (struct umh_wevent){ 0 };
}

static const char *format_local(int64_t t_us, const char *fmt, char *buf, size_t size)
{
	time_t t = (time_t)(t_us / 1000000);
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(buf, size, fmt, &tm))
		snprintf(buf, size, "?");
	return buf;
}

const char *umh_format_clock(int64_t t_us, char *buf, size_t size)
{
	return format_local(t_us, "%H:%M:%S", buf, size);
}

const char *umh_format_time(int64_t t_us, char *buf, size_t size)
{
	return format_local(t_us, "%Y-%m-%d %H:%M:%S", buf, size);
}

const char *umh_format_iso(int64_t t_us, bool ms, char *buf, size_t size)
{
	time_t t = (time_t)(t_us / 1000000);
	struct tm tm;
	size_t n;
	if (!gmtime_r(&t, &tm) || !(n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, size, "?");
		return buf;
	}
	if (ms)
		snprintf(buf + n, size - n, ".%03dZ", (int)((t_us / 1000) % 1000));
	else
		snprintf(buf + n, size - n, "Z");
	return buf;
}

static void add_mount(struct umh_text *t, const struct umh_wmount *m, bool short_lived)
{
	umh_text_add_escaped(t, m->target);
	if (short_lived) {
		umh_text_add(t, " (");
		if (m->fstype) {
			umh_text_add_escaped(t, m->fstype);
			umh_text_add(t, ", ");
		}
		umh_text_add(t, "a mount that came and went between two reads of the mount table)");
		return;
	}
	umh_text_add(t, " (");
	umh_text_add_escaped(t, m->fstype ? m->fstype : "?");
	if (m->source && strcmp(m->source, "none") != 0 && (!m->fstype || strcmp(m->source, m->fstype) != 0)) {
		umh_text_add(t, " from ");
		umh_text_add_escaped(t, m->source);
	}
	umh_text_add(t, ", mount id %" PRIu64 ")", m->id);
}

/* "bash (pid 4100)", with the pid namespace's own number when that says
 * more: "systemd (pid 3791, PID 1 of its pid namespace)"; EXTRA (or NULL)
 * goes inside the parentheses. */
static void add_task(struct umh_text *t, const struct umh_wtask *k, int32_t local, const char *extra)
{
	umh_text_add_escaped(t, k->comm);
	if (local > 0)
		umh_text_add(t, " (pid %d", local);
	else
		umh_text_add(t, " (pid %d on the host", k->pid);
	if (k->ns_pid == 1 && local != 1)
		umh_text_add(t, ", PID 1 of its pid namespace");
	else if (k->ns_pid > 0 && k->ns_pid != local && k->ns_pid != k->pid)
		umh_text_add(t, ", %d in its pid namespace", k->ns_pid);
	if (extra)
		umh_text_add(t, ", %s", extra);
	umh_text_add(t, ")");
}

static void add_verb(struct umh_text *t, uint32_t flags)
{
	if (flags & 2)
		umh_text_add(t, "detached lazily (MNT_DETACH)");
	else if (flags & 1)
		umh_text_add(t, "unmounted by force (MNT_FORCE)");
	else if (flags & 4)
		umh_text_add(t, "expired (MNT_EXPIRE)");
	else
		umh_text_add(t, "unmounted");
}

/* "umount (pid 4242, uid 0) as 'umount /mnt/e', child of bash (pid 4100),
 * in session-1.scope" */
static void add_process(struct umh_text *t, const struct umh_wcall *c, int32_t local_pid, const int32_t *local_parents)
{
	char uid[32];
	snprintf(uid, sizeof(uid), "uid %u", c->uid);
	add_task(t, &c->self, local_pid, uid);
	if (c->cmdline && *c->cmdline) {
		umh_text_add(t, " as '");
		umh_text_add_escaped(t, c->cmdline);
		umh_text_add(t, "'");
	}
	/* Up to three parents: enough to see the shell, the session, the
	 * service; the record has them all. */
	for (size_t i = 0; i < c->n_parents && i < 3; i++) {
		umh_text_add(t, i ? " < " : ", child of ");
		add_task(t, &c->parents[i], local_parents[i], NULL);
	}
	if (c->unit) {
		umh_text_add(t, ", in ");
		umh_text_add_escaped(t, c->unit);
	}
}

char *umh_wcall_describe(const struct umh_wcall *c, int32_t local_pid, const int32_t *local_parents)
{
	struct umh_text t = { 0 };
	add_process(&t, c, local_pid, local_parents);
	return umh_text_take(&t);
}

static void add_caller(struct umh_text *t, const struct umh_wevent *ev)
{
	const struct umh_wcall *c = &ev->caller;
	if (ev->by == UMH_WBY_SYSTEMD && c->n_parents > 0) {
		umh_text_add(t, "by ");
		add_task(t, &c->parents[0], ev->local_parents[0], NULL);
		if (ev->sd.unit) {
			umh_text_add(t, " via ");
			umh_text_add_escaped(t, ev->sd.unit);
		}
		return;
	}
	umh_text_add(t, "by ");
	add_process(t, c, ev->local_pid, ev->local_parents);
}

static void add_systemd_cause(struct umh_text *t, const struct umh_wevent *ev)
{
	const struct umh_wsystemd *s = &ev->sd;
	if (s->reason) {
		umh_text_add(t, ": ");
		umh_text_add_escaped(t, s->reason);
	} else if (s->sentence) {
		umh_text_add(t, "; ");
		umh_text_add_escaped(t, s->sentence);
	} else if (s->note) {
		umh_text_add(t, "; why is not known: ");
		umh_text_add_escaped(t, s->note);
	}
}

int umh_wevent_compose(struct umh_wevent *ev)
{
	struct umh_text t = { 0 };
	add_mount(&t, &ev->mount, ev->short_lived);
	umh_text_add(&t, " ");
	switch (ev->how) {
	case UMH_WHOW_MOVED:
		umh_text_add(&t, "moved to ");
		umh_text_add_escaped(&t, ev->moved_to);
		break;
	case UMH_WHOW_TAKEN_ALONG:
		umh_text_add(&t, "went along when ");
		umh_text_add_escaped(&t, ev->along_with);
		umh_text_add(&t, " was ");
		add_verb(&t, ev->caller.flags);
		umh_text_add(&t, " ");
		add_caller(&t, ev);
		break;
	case UMH_WHOW_PROPAGATED:
		umh_text_add(&t, "unmounted by propagation from mount namespace mnt:[%" PRIu64 "] (an unmount of ",
		    ev->caller.mntns);
		umh_text_add_escaped(&t, ev->caller.target);
		umh_text_add(&t, " there) ");
		add_caller(&t, ev);
		break;
	case UMH_WHOW_DIRECT:
		add_verb(&t, ev->caller.flags);
		umh_text_add(&t, " ");
		add_caller(&t, ev);
		break;
	case UMH_WHOW_UNKNOWN:
		umh_text_add(&t, "unmounted");
		if (ev->by == UMH_WBY_SYSTEMD && ev->sd.unit) {
			umh_text_add(&t, " by systemd via ");
			umh_text_add_escaped(&t, ev->sd.unit);
		}
		break;
	}
	if (ev->by == UMH_WBY_SYSTEMD)
		add_systemd_cause(&t, ev);
	if (ev->how == UMH_WHOW_UNKNOWN && ev->by != UMH_WBY_SYSTEMD) {
		umh_text_add(&t, "; who did it is unknown");
		if (ev->no_caller) {
			umh_text_add(&t, ": ");
			umh_text_add_escaped(&t, ev->no_caller);
		}
	} else if (ev->how == UMH_WHOW_UNKNOWN && ev->no_caller) {
		umh_text_add(&t, " (the umount call itself was not seen: ");
		umh_text_add_escaped(&t, ev->no_caller);
		umh_text_add(&t, ")");
	}
	char *sentence = umh_text_take(&t);
	if (!sentence)
		return -ENOMEM;
	free(ev->sentence);
	ev->sentence = sentence;
	return 0;
}

/* KEY: V when there is one, else null (unknown is null, never a guess). */
static void int_or_null(struct umh_json *j, const char *key, int64_t v, bool known)
{
	if (known)
		umh_json_int(j, key, v);
	else
		umh_json_null(j, key);
}

static void write_task(struct umh_json *j, const struct umh_wtask *k, int32_t local)
{
	umh_json_open_object(j, NULL, true);
	int_or_null(j, "pid", local, local > 0);
	umh_json_int(j, "host_pid", k->pid);
	umh_json_int(j, "ns_pid", k->ns_pid);
	umh_json_uint(j, "pidns", k->pidns);
	umh_json_str(j, "comm", k->comm);
	umh_json_close_object(j);
}

void umh_wcall_write_json(struct umh_json *j, const char *key, const struct umh_wcall *c, int32_t local_pid,
			  const int32_t *local_parents)
{
	umh_json_open_object(j, key, true);
	int_or_null(j, "pid", local_pid, local_pid > 0);
	umh_json_int(j, "host_pid", c->self.pid);
	umh_json_int(j, "ns_pid", c->self.ns_pid);
	umh_json_int(j, "tid", c->tid);
	umh_json_str(j, "comm", c->self.comm);
	umh_json_uint(j, "uid", c->uid);
	umh_json_str(j, "cmdline", c->cmdline);
	umh_json_str(j, "target", c->target);
	umh_json_uint(j, "flags", c->flags);
	umh_json_uint(j, "mntns", c->mntns);
	umh_json_str(j, "cgroup", c->cgroup);
	umh_json_str(j, "unit", c->unit);
	int_or_null(j, "result", c->ret, c->exited);
	umh_json_open_array(j, "parents", true);
	for (size_t i = 0; i < c->n_parents; i++)
		write_task(j, &c->parents[i], local_parents[i]);
	umh_json_close_array(j);
	umh_json_close_object(j);
}

void umh_wevent_write_json(const struct umh_wevent *ev, struct umh_json *j)
{
	char when[64];
	umh_format_iso(ev->t_us, true, when, sizeof(when));
	umh_json_open_object(j, NULL, true);
	umh_json_int(j, "v", 1);
	umh_json_str(j, "event", ev->type ? ev->type : "unmount");
	umh_json_str(j, "time", when);
	umh_json_int(j, "t_us", ev->t_us);
	umh_json_str(j, "boot_id", umh_boot_id());
	umh_json_uint(j, "mntns", ev->mntns);

	umh_json_open_object(j, "mount", true);
	umh_json_uint(j, "id", ev->mount.id);
	umh_json_uint(j, "parent_id", ev->mount.parent_id);
	umh_json_str(j, "target", ev->mount.target);
	umh_json_str(j, "source", ev->mount.source);
	umh_json_str(j, "fstype", ev->mount.fstype);
	if (ev->mount.shared)
		umh_json_uint(j, "shared", ev->mount.shared);
	if (ev->mount.master)
		umh_json_uint(j, "master", ev->mount.master);
	/* When the watcher saw it appear; null: it was there when the
	 * watcher started. */
	int_or_null(j, "mounted_us", ev->mount.seen_us, ev->mount.seen_us != 0);
	umh_json_close_object(j);

	if (ev->short_lived)
		umh_json_bool(j, "short_lived", true);
	umh_json_str(j, "how", umh_whow_name(ev->how));
	if (ev->moved_to)
		umh_json_str(j, "moved_to", ev->moved_to);
	if (ev->along_with)
		umh_json_str(j, "along_with", ev->along_with);
	umh_json_str(j, "match", ev->match);
	umh_json_str(j, "by", umh_wby_name(ev->by));

	if (ev->has_caller) {
		umh_wcall_write_json(j, "caller", &ev->caller, ev->local_pid, ev->local_parents);
	} else {
		umh_json_null(j, "caller");
	}
	if (ev->no_caller)
		umh_json_str(j, "no_caller", ev->no_caller);

	if (ev->has_systemd) {
		const struct umh_wsystemd *s = &ev->sd;
		umh_json_open_object(j, "systemd", true);
		umh_json_str(j, "unit", s->unit);
		int_or_null(j, "job_id", s->job_id, s->job_id != 0);
		umh_json_str(j, "cause", s->kind);
		umh_json_str(j, "related_unit", s->related_unit);
		umh_json_str(j, "related_state", s->related_state);
		umh_json_str(j, "reason", s->reason);
		umh_json_str(j, "sentence", s->sentence);
		umh_json_bool(j, "in_time", s->in_time);
		umh_json_bool(j, "consistent", s->consistent);
		umh_json_str(j, "evidence", s->evidence);
		umh_json_str(j, "note", s->note);
		umh_json_close_object(j);
	} else {
		umh_json_null(j, "systemd");
	}
	umh_json_str(j, "sentence", ev->sentence);
	umh_json_close_object(j);
}

static void write_event(struct umh_json *j, const void *ev)
{
	umh_wevent_write_json(ev, j);
}

char *umh_wevent_to_line(const struct umh_wevent *ev)
{
	return umh_json_to_line(write_event, ev);
}
