/* Failed unmounts from the watcher's record.  See watch/attempts.h. */
#include "watch/attempts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/escape.h"
#include "base/json.h"
#include "base/parse.h"
#include "base/run-json.h"
#include "watch/event.h"
#include "watch/record.h"

struct lookup {
	const struct umh_attempts_opts *o;
	uint64_t mntns;
	struct umh_jnode *kept[UMH_ATTEMPTS_MAX]; /* oldest first */
	size_t n;
};

static uint64_t ns_inode(const char *ns)
{
	struct stat st;
	char name[64];
	pid_t pid = umh_parse_pid(ns);
	if (!ns)
		return stat("/proc/self/ns/mnt", &st) == 0 ? st.st_ino : 0;
	if (pid) {
		snprintf(name, sizeof(name), "/proc/%d/ns/mnt", (int)pid);
		return stat(name, &st) == 0 ? st.st_ino : 0;
	}
	return stat(ns, &st) == 0 ? st.st_ino : 0;
}

static bool str_is(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static int on_record(const struct umh_jnode *ev, void *userdata)
{
	struct lookup *l = userdata;
	const struct umh_jnode *m = umh_jget(ev, "mount"), *caller = umh_jget(ev, "caller");
	uint64_t ns = 0;
	if (!str_is(umh_jstr(ev, "event"), "failed-unmount") || !str_is(umh_jstr(ev, "boot_id"), umh_boot_id()))
		return 0;
	if (!str_is(umh_jstr(ev, "target"), l->o->target) && !str_is(umh_jstr(m, "target"), l->o->target))
		return 0;
	if (!(umh_juint(m, "mntns", &ns) || umh_juint(caller, "mntns", &ns)) || ns != l->mntns)
		return 0;
	if (l->n == UMH_ATTEMPTS_MAX) {
		umh_jfree(l->kept[0]);
		memmove(&l->kept[0], &l->kept[1], (UMH_ATTEMPTS_MAX - 1) * sizeof(l->kept[0]));
		l->n--;
	}
	l->kept[l->n++] = (struct umh_jnode *)ev;
	return 1; /* kept */
}

static void attempts_child(FILE *out, const void *arg)
{
	const struct umh_attempts_opts *o = arg;
	struct lookup l = { .o = o, .mntns = ns_inode(o->ns) };
	struct umh_json j;
	umh_json_init(&j, out);
	umh_json_open_array(&j, NULL, false);
	char why[256]; /* a record we may not trust is not read: nothing is said */
	if (l.mntns && umh_wrecord_read(o->state_dir ? o->state_dir : umh_wrecord_dir(), on_record, &l, why,
					sizeof(why)) >= 0)
		for (size_t i = 0; i < l.n; i++)
			umh_jwrite(&j, NULL, l.kept[i]);
	umh_json_close_array(&j);
	for (size_t i = 0; i < l.n; i++)
		umh_jfree(l.kept[i]);
}

int umh_attempts_lookup(const struct umh_attempts_opts *o, struct umh_jnode **ret)
{
	*ret = NULL;
	if (!o->target || o->target[0] != '/')
		return 0;
	/* No record, no child to start. */
	const char *dir = o->state_dir ? o->state_dir : umh_wrecord_dir();
	char file[4096];
	snprintf(file, sizeof(file), "%s/events.jsonl", dir);
	struct stat st;
	if (stat(file, &st) < 0 && errno == ENOENT) {
		snprintf(file, sizeof(file), "%s/events.jsonl.1", dir);
		if (stat(file, &st) < 0 && errno == ENOENT)
			return 0;
	}
	struct umh_jnode *a = NULL;
	int r = umh_run_json(attempts_child, o, o->budget_ns, &a);
	if (r < 0)
		return r;
	if (a->type != UMH_J_ARR || !a->child) {
		umh_jfree(a);
		return 0;
	}
	*ret = a;
	return 0;
}

void umh_attempts_print_text(const struct umh_jnode *attempts, const char *record_dir, const char *prefix, FILE *out)
{
	if (!attempts || attempts->type != UMH_J_ARR || !attempts->child)
		return;
	fprintf(out, "%sumount-helper watch saw earlier attempts to unmount it fail:\n", prefix);
	for (const struct umh_jnode *a = attempts->child; a; a = a->next) {
		const char *sentence = umh_jstr(a, "sentence");
		int64_t t = 0;
		char when[64];
		if (!sentence || !umh_jint(a, "t_us", &t))
			continue;
		fprintf(out, "%s  At %s: ", prefix, umh_format_time(t, when, sizeof(when)));
		umh_fputs_escaped(sentence, out);
		fputs(".\n", out);
	}
	fprintf(out, "%s  (From the record of umount-helper watch in ", prefix);
	umh_fputs_escaped(record_dir ? record_dir : umh_wrecord_dir(), out);
	fputs(".)\n", out);
}
