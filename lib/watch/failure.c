/* A burst of failed unmounts as an entry.  See watch/failure.h. */
#include "watch/failure.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/text.h"
#include "base/json.h"
#include "systemd/journal.h"
#include "watch/event.h"
#include "watch/record.h"

void umh_wfailure_clear(struct umh_wfailure *f)
{
	free(f->sentence);
	free(f->text);
	free(f->holders);
	free(f->line);
	free(f->container);
	*f = (struct umh_wfailure){ 0 };
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

char *umh_container_of_cgroup(const char *cgroup)
{
	static const char *const scopes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	const char *found = NULL;
	size_t found_len = 0;
	for (const char *p = cgroup; p && *p;) {
		p += strspn(p, "/");
		size_t n = strcspn(p, "/");
		for (size_t k = 0; k < sizeof(scopes) / sizeof(scopes[0]); k++) {
			size_t pl = strlen(scopes[k]);
			if (n > pl + 6 && strncmp(p, scopes[k], pl) == 0 && strncmp(p + n - 6, ".scope", 6) == 0 &&
			    all_hex(p + pl, n - pl - 6)) {
				found = p;
				found_len = n;
			}
		}
		if (n == 64 && all_hex(p, n)) {
			found = p;
			found_len = n;
		}
		p += n;
	}
	return found ? strndup(found, found_len) : NULL;
}

/* "sleep (pid 4300: cwd /mnt/x)", "loop device (/dev/loop0)" */
static void add_holder(struct umh_text *t, const struct umh_jnode *h)
{
	int64_t pid = 0;
	const char *kind = umh_jstr(h, "kind"), *path = umh_jstr(h, "path"), *object = umh_jstr(h, "object");
	if (umh_jint(h, "pid", &pid) && pid > 0) {
		umh_text_add_escaped(t, umh_jstr(h, "comm") ? umh_jstr(h, "comm") : "?");
		umh_text_add(t, " (pid %" PRId64 ": ", pid);
		umh_text_add_escaped(t, kind);
		if (path) {
			umh_text_add(t, " ");
			umh_text_add_escaped(t, path);
		}
		umh_text_add(t, ")");
		return;
	}
	umh_text_add_escaped(t, kind);
	if (object || path) {
		umh_text_add(t, " ");
		umh_text_add_escaped(t, object ? object : path);
	}
}

static size_t count_children(const struct umh_jnode *n)
{
	size_t k = 0;
	for (const struct umh_jnode *c = n ? n->child : NULL; c; c = c->next)
		k++;
	return k;
}

/* What the examination said, after "; ". */
static void add_finding(struct umh_text *t, const struct umh_wburst *u)
{
	const struct umh_jnode *r = u->result;
	if (!r) {
		umh_text_add_escaped(t, u->why ? u->why : "not examined");
		return;
	}
	const char *error = umh_jstr(r, "error");
	if (error) {
		umh_text_add(t, "when examined: ");
		umh_text_add_escaped(t, error);
		return;
	}
	const struct umh_jnode *holders = umh_jget(r, "holders");
	size_t n = count_children(holders), shown = 0;
	if (n == 0) {
		int64_t unexplained = 0;
		umh_text_add(t, "nothing holding it was found");
		if (umh_jint(r, "unexplained_refs", &unexplained) && unexplained > 0)
			umh_text_add(t, " (%" PRId64 " reference%s to it not explained by anything found)", unexplained,
			    unexplained == 1 ? "" : "s");
	} else {
		umh_text_add(t, "held then by ");
		for (const struct umh_jnode *h = holders->child; h && shown < 3; h = h->next, shown++) {
			if (shown)
				umh_text_add(t, ", ");
			add_holder(t, h);
		}
		if (n > shown)
			umh_text_add(t, " and %zu more", n - shown);
	}
	const char *incomplete = umh_jstr(r, "incomplete");
	if (incomplete) {
		umh_text_add(t, " (the examination is incomplete: ");
		umh_text_add_escaped(t, incomplete);
		umh_text_add(t, ")");
	}
}

static int compose_sentence(const struct umh_wburst *u, bool final, char **ret)
{
	struct umh_text t = { 0 };
	char a[16], b[16];
	_cleanup_free_ char *who = umh_wcall_describe(&u->first, u->local_pid, u->local_parents);
	if (!who)
		return -ENOMEM;
	umh_text_add(&t, "umount of ");
	umh_text_add_escaped(&t, u->path);
	umh_text_add(&t, " by %s failed %u time%s (EBUSY, target is busy) ", who, u->attempts, u->attempts == 1 ? "" : "s");
	if (u->attempts == 1 || u->last_real_us / 1000000 == u->first_real_us / 1000000)
		umh_text_add(&t, "at %s", umh_format_clock(u->first_real_us, a, sizeof(a)));
	else
		umh_text_add(&t, "between %s and %s", umh_format_clock(u->first_real_us, a, sizeof(a)),
		    umh_format_clock(u->last_real_us, b, sizeof(b)));
	if (u->n_pids > 1 || u->more_pids)
		umh_text_add(&t, ", by %s%zu processes", u->more_pids ? "more than " : "", u->n_pids);
	if (u->dropped_last > u->dropped_first)
		umh_text_add(&t, ", and up to %u more (calls of uid %u over the rate bound were not traced meanwhile)",
		    u->dropped_last - u->dropped_first, u->first.account);
	if (!final)
		umh_text_add(&t, ", and goes on");
	umh_text_add(&t, "; ");
	add_finding(&t, u);
	if (u->unmounted)
		umh_text_add(&t, "; then it was unmounted at %s", umh_format_clock(u->unmounted_real_us, a, sizeof(a)));
	*ret = umh_text_take(&t);
	return *ret ? 0 : -ENOMEM;
}

/* The holders array of the result, at most MAX of them, as JSON. */
static void write_holders(struct umh_json *j, const char *key, const struct umh_jnode *result, size_t max)
{
	const struct umh_jnode *holders = umh_jget(result, "holders");
	umh_json_open_array(j, key, true);
	size_t k = 0;
	for (const struct umh_jnode *h = holders ? holders->child : NULL; h && k < max; h = h->next, k++)
		umh_jwrite(j, NULL, h);
	umh_json_close_array(j);
}

static void write_all_holders(struct umh_json *j, const void *result)
{
	write_holders(j, NULL, result, SIZE_MAX);
}

static char *holders_json(const struct umh_jnode *result)
{
	return umh_json_to_line(write_all_holders, result);
}

static void int_or_null(struct umh_json *j, const char *key, const struct umh_jnode *from, const char *member)
{
	int64_t v;
	if (umh_jint(from, member, &v))
		umh_json_int(j, key, v);
	else
		umh_json_null(j, key);
}

static char *compose_line(const struct umh_wburst *u, const struct umh_wfailure *f, bool final,
			  uint64_t watched_mntns, size_t max_holders, bool with_text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	if (!out)
		return NULL;
	const struct umh_jnode *r = u->result;
	char when[64];
	struct umh_json j;
	umh_json_init(&j, out);
	umh_json_open_object(&j, NULL, true);
	umh_json_int(&j, "v", 1);
	umh_json_str(&j, "event", "failed-unmount");
	umh_json_str(&j, "time", umh_format_iso(u->first_real_us, true, when, sizeof(when)));
	umh_json_int(&j, "t_us", u->first_real_us);
	umh_json_str(&j, "boot_id", umh_boot_id());
	umh_json_uint(&j, "mntns", watched_mntns);
	umh_json_str(&j, "target", u->path);
	if (r && !umh_jstr(r, "error")) {
		umh_json_open_object(&j, "mount", true);
		int_or_null(&j, "id", r, "mount_id");
		umh_json_str(&j, "target", umh_jstr(r, "target"));
		umh_json_str(&j, "source", umh_jstr(r, "source"));
		umh_json_str(&j, "fstype", umh_jstr(r, "fstype"));
		umh_json_uint(&j, "mntns", u->mntns);
		umh_json_close_object(&j);
	} else {
		umh_json_null(&j, "mount");
	}
	umh_json_str(&j, "error", "EBUSY");
	umh_json_uint(&j, "attempts", u->attempts);
	umh_json_int(&j, "first_us", u->first_real_us);
	umh_json_int(&j, "last_us", u->last_real_us);
	umh_json_uint(&j, "processes", u->n_pids);
	umh_json_bool(&j, "processes_more", u->more_pids);
	umh_json_bool(&j, "rate_limited", u->dropped_last > u->dropped_first);
	umh_json_uint(&j, "not_traced_at_most", u->dropped_last - u->dropped_first);
	umh_json_str(&j, "state", u->unmounted ? "unmounted" : final ? "ended" : "going-on");
	if (u->unmounted)
		umh_json_int(&j, "unmounted_us", u->unmounted_real_us);
	umh_wcall_write_json(&j, "caller", &u->first, u->local_pid, u->local_parents);
	umh_json_str(&j, "container", f->container);
	umh_json_bool(&j, "examined", r != NULL);
	umh_json_str(&j, "not_examined", r ? NULL : u->why ? u->why : "not examined");
	if (r) {
		umh_json_bool(&j, "held", umh_jbool(r, "busy", false));
		write_holders(&j, "holders", r, max_holders);
		umh_json_uint(&j, "holders_total", count_children(umh_jget(r, "holders")));
		int_or_null(&j, "unexplained_refs", r, "unexplained_refs");
		umh_json_str(&j, "incomplete", umh_jstr(r, "incomplete"));
		umh_json_str(&j, "error_examined", umh_jstr(r, "error"));
	}
	if (with_text && f->text)
		umh_json_str(&j, "explanation", f->text);
	umh_json_str(&j, "sentence", f->sentence);
	umh_json_close_object(&j);
	if (fclose(out) != 0) {
		free(buf);
		return NULL;
	}
	if (size && buf[size - 1] == '\n')
		buf[--size] = 0;
	if (size + 1 > UMH_WRECORD_LINE_MAX && (with_text || max_holders > 0)) {
		free(buf);
		return compose_line(u, f, final, watched_mntns, with_text ? max_holders : max_holders / 4, false);
	}
	return buf;
}

int umh_wfailure_compose(const struct umh_wburst *u, bool final, uint64_t watched_mntns, struct umh_wfailure *f)
{
	*f = (struct umh_wfailure){ 0 };
	const char *text = u->result ? umh_jstr(u->result, "text") : NULL;
	if (compose_sentence(u, final, &f->sentence) < 0 || (text && !(f->text = strndup(text, UMH_WFAILURE_TEXT_MAX))) ||
	    !(f->holders = holders_json(u->result)))
		goto oom;
	errno = 0;
	if (u->first.cgroup && !(f->container = umh_container_of_cgroup(u->first.cgroup)) && errno == ENOMEM)
		goto oom;
	if (!(f->line = compose_line(u, f, final, watched_mntns, UMH_WFAILURE_HOLDERS, true)))
		goto oom;
	return 0;
oom:
	umh_wfailure_clear(f);
	return -ENOMEM;
}

/* One "KEY=value" field, allocated into F[*N] (nothing for a NULL value). */
static int field(char **f, size_t *n, const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int field(char **f, size_t *n, const char *key, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = asprintf(&f[*n], "%s=%s", key, v);
	free(v);
	if (r < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

#define FAILURE_FIELDS 24

int umh_wfailure_journal(int jfd, const struct umh_wburst *u, const struct umh_wfailure *e)
{
	char *f[FAILURE_FIELDS] = { 0 };
	size_t n = 0;
	int r = 0;
	const struct umh_jnode *res = u->result;
	const struct umh_wcall *c = &u->first;
	const char *source = res && !umh_jstr(res, "error") ? umh_jstr(res, "source") : NULL;
	const char *fstype = res && !umh_jstr(res, "error") ? umh_jstr(res, "fstype") : NULL;
	uint64_t mount_id = 0;
	bool has_id = res && !umh_jstr(res, "error") && umh_juint(res, "mount_id", &mount_id);
	if (e->text)
		r = field(f, &n, "MESSAGE", "%s\n\n%s", e->sentence, e->text);
	else
		r = field(f, &n, "MESSAGE", "%s", e->sentence);
	r = r ?: field(f, &n, "MESSAGE_ID", "%s", UMH_MESSAGE_FAILED_UNMOUNT);
	r = r ?: field(f, &n, "PRIORITY", "%d", 4);
	r = r ?: field(f, &n, "SYSLOG_IDENTIFIER", "%s", "umount-helper");
	r = r ?: field(f, &n, "UMOUNT_HELPER_TARGET", "%s", u->path);
	if (source)
		r = r ?: field(f, &n, "UMOUNT_HELPER_SOURCE", "%s", source);
	if (fstype)
		r = r ?: field(f, &n, "UMOUNT_HELPER_FSTYPE", "%s", fstype);
	if (has_id)
		r = r ?: field(f, &n, "UMOUNT_HELPER_MOUNT_ID", "%" PRIu64, mount_id);
	r = r ?: field(f, &n, "UMOUNT_HELPER_MNTNS", "%" PRIu64, u->mntns);
	r = r ?: field(f, &n, "UMOUNT_HELPER_CALLER_PID", "%d", u->local_pid > 0 ? u->local_pid : c->self.pid);
	r = r ?: field(f, &n, "UMOUNT_HELPER_CALLER_COMM", "%s", c->self.comm);
	r = r ?: field(f, &n, "UMOUNT_HELPER_CALLER_UID", "%u", c->uid);
	if (c->cmdline)
		r = r ?: field(f, &n, "UMOUNT_HELPER_CALLER_CMDLINE", "%s", c->cmdline);
	if (c->cgroup)
		r = r ?: field(f, &n, "UMOUNT_HELPER_CALLER_CGROUP", "%s", c->cgroup);
	if (c->unit) {
		r = r ?: field(f, &n, "UMOUNT_HELPER_CALLER_UNIT", "%s", c->unit);
		/* journalctl -u UNIT shows it beside the caller's own lines. */
		r = r ?: field(f, &n, "OBJECT_SYSTEMD_UNIT", "%s", c->unit);
	}
	if (e->container)
		r = r ?: field(f, &n, "UMOUNT_HELPER_CONTAINER", "%s", e->container);
	r = r ?: field(f, &n, "UMOUNT_HELPER_ATTEMPTS", "%u", u->attempts);
	r = r ?: field(f, &n, "UMOUNT_HELPER_FIRST_US", "%" PRId64, u->first_real_us);
	r = r ?: field(f, &n, "UMOUNT_HELPER_LAST_US", "%" PRId64, u->last_real_us);
	r = r ?: field(f, &n, "UMOUNT_HELPER_HOLDERS", "%s", e->holders);
	r = r ?: field(f, &n, "UMOUNT_HELPER_EVENT", "%s", e->line);
	if (r == 0)
		r = umh_journal_send(jfd, (const char *const *)f, n);
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	return r;
}
