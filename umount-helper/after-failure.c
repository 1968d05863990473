#include "after-failure.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup-mount.h"
#include "base/escape.h"
#include "model/mounttab.h"
#include "report/report.h"
#include "explain/runner.h"
#include "umount-helper.h"
#include "vanished/vanished.h"
#include "watch/attempts.h"

int umh_mount_lookup(struct libmnt_context *cxt, const char *spec, uint64_t *mnt_id, char **target)
{
	*mnt_id = 0;
	*target = NULL;
	/* Opened before entering the target namespace, which may have no
	 * /proc; "self/mountinfo" is then that namespace's table. */
	_cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	struct libmnt_ns *old = mnt_context_switch_target_ns(cxt);
	if (!old)
		return -EINVAL;
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
	struct libmnt_fs *fs = NULL;
	int r = umh_mounttab_read(procfd, NULL, &tb);
	if (r >= 0)
		r = umh_mounttab_find(tb, spec, &fs);
	if (r >= 0 && !(*target = strdup(mnt_fs_get_target(fs))))
		r = -ENOMEM;
	if (r >= 0)
		*mnt_id = (uint64_t)mnt_fs_get_id(fs);
	if (!mnt_context_switch_ns(cxt, old))
		r = r < 0 ? r : -EINVAL;
	return r;
}

void umh_explain_failure(const struct umh_failure *f, const struct umh_config *c)
{
	if (!c->explain || !f->mnt_id || !f->target)
		return;
	struct umh_run_opts o = {
		.explain = {
			.spec = f->target,
			.ns = f->ns,
			.expect_mnt_id = f->mnt_id,
			.known_busy = f->known_busy,
		},
		.budget_ns = c->budget_ns,
	};
	struct umh_report r;
	umh_report_init(&r);
	umh_run_explain(&o, &r);
	/* The analysis found the same mount (else no target): after a failed
	 * helper, that much is known even when no holder is found. */
	r.still_mounted = f->helper_failed;
	/* No target: it is gone or was replaced (-ESTALE), or the analysis
	 * could not start: nothing true to add. */
	if (umh_report_target(&r) && (umh_report_is_held(&r) || r.still_mounted)) {
		/* umount's own message was written; ours is extra.  A reader
		 * that went away (umount ... 2>&1 | head -1) must not turn the
		 * exit status into a death by SIGPIPE. */
		signal(SIGPIPE, SIG_IGN);
		fflush(stdout);
		umh_report_print_text(&r, stderr);
		/* What the watcher saw before: who else tried, and what held it
		 * then. */
		struct umh_attempts_opts ao = { .target = umh_report_target(&r)->target, .ns = f->ns,
						.budget_ns = c->budget_ns };
		struct umh_jnode *attempts = NULL;
		if (umh_attempts_lookup(&ao, &attempts) == 0 && attempts) {
			fputc('\n', stderr);
			umh_attempts_print_text(attempts, NULL, "", stderr);
		}
		umh_jfree(attempts);
		fflush(stderr);
	}
	umh_report_free(&r);
}

void umh_explain_vanished(const char *spec, const char *ns, const struct umh_config *c)
{
	if (!c->explain || !spec)
		return;
	struct umh_vanished_opts o = { .spec = spec, .ns = ns, .budget_ns = c->budget_ns };
	struct umh_jnode *v = NULL;
	umh_vanished_lookup(&o, &v);
	const char *sentence = umh_jstr(v, "sentence");
	if (umh_vanished_known(v) && sentence) {
		signal(SIGPIPE, SIG_IGN);
		fflush(stdout);
		fputs("umount: ", stderr);
		umh_fputs_escaped(spec, stderr);
		fputs(": ", stderr);
		umh_fputs_escaped(sentence, stderr);
		fputc('\n', stderr);
		fflush(stderr);
	}
	umh_jfree(v);
}

bool umh_frontend_explains(void)
{
	const char *v = getenv(UMH_FRONTEND_ENV);
	char *end;
	if (!v || !*v)
		return false;
	long pid = strtol(v, &end, 10);
	return !*end && pid > 1 && pid == (long)getppid();
}

