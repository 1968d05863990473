#include "explain-run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/caps.h"
#include "base/cleanup.h"
#include "base/clock.h"
#include "base/escape.h"
#include "base/json.h"
#include "explain/runner.h"
#include "model/mounttab.h"
#include "report/report.h"
#include "umount-helper.h"
#include "vanished/print.h"
#include "vanished/vanished.h"
#include "watch/attempts.h"
#include "watch/record.h"

/* The budget is for the whole run (--timeout).  Each step (a target's
 * scan, then what systemd and the watcher's record add) may take what is
 * left, less what the targets after it are promised: the budget's share of
 * each, at most this.  So a scan that hangs takes its share, not the others',
 * and one that needs long gets what the quick ones before it left. */
#define PROMISE_MAX_NS (1LL * 1000000000)

/* Not mounted (or no such path: a mount point may be removed after its
 * unmount): where did it go?  Mounted: what does systemd plan for it?
 * Where no systemd manages the namespace and no record exists, this adds
 * nothing to a mounted target's report. */
static void look_further(const struct explain_args *a, const char *spec, const struct umh_report *r,
			 int64_t budget_ns, struct umh_explain_extra *x)
{
	const struct umh_mount *t = umh_report_target(r);
	struct umh_jnode *n = NULL;
	bool gone = r->fs.view && !r->error && !r->fs.alive;
	_cleanup_free_ char *path = NULL;
	int64_t end = umh_now_ns() + budget_ns;
	if ((!t && (r->error_code == -EINVAL || r->error_code == -ENOENT)) || gone) {
		struct umh_vanished_opts o = { .spec = spec, .ns = a->ns, .state_dir = a->state_dir,
					       .budget_ns = budget_ns };
		umh_vanished_lookup(&o, &n);
		x->vanished = n;
		path = spec[0] == '/' ? umh_path_normalize(spec) : NULL;
	} else if (t && t->target && r->finished && budget_ns > 0) {
		umh_mount_risks(t->target, a->ns, budget_ns, &n);
		x->warnings = n;
	}
	/* What the watcher saw of earlier attempts to unmount it, in what
	 * is left of this step. */
	struct umh_attempts_opts ao = { .target = t ? t->target : path, .ns = a->ns, .state_dir = a->state_dir,
					.budget_ns = end - umh_now_ns() };
	n = NULL;
	if (ao.budget_ns > 0)
		umh_attempts_lookup(&ao, &n);
	x->failed_unmounts = n;
}

/* The exit status for one report: held wins; free only when the kernel's
 * count agrees.  A scan that did not finish, or a count that could not be
 * read, cannot say "free": 2, as util-linux tools exit for what they could
 * not examine. */
static int exit_status(const struct umh_report *r)
{
	/* A filesystem: alive is held (a mount of it at least). */
	if (r->fs.view && !r->error) {
		if (r->fs.alive)
			return EX_FAIL;
		return r->finished && !r->incomplete && !r->fs.partial ? EX_OK : EX_SYSERR;
	}
	if (!umh_report_target(r))
		return EX_SYSERR;
	if (umh_report_is_held(r))
		return EX_FAIL;
	return umh_report_is_free(r) ? EX_OK : EX_SYSERR;
}

/* What the step of target I (of N) may take, from DEADLINE; <= 0: nothing. */
static int64_t step_budget(const struct explain_args *a, int64_t deadline, int i, int n)
{
	int64_t promise = a->budget_ns / n < PROMISE_MAX_NS ? a->budget_ns / n : PROMISE_MAX_NS;
	return deadline - umh_now_ns() - (int64_t)(n - 1 - i) * promise;
}

static void explain_one(const struct explain_args *a, const char *spec, int64_t budget_ns, struct umh_report *r)
{
	struct umh_run_opts o = {
		.explain = { .spec = spec, .ns = a->ns, .workers = a->workers, .no_bpf = a->no_bpf,
			     .verbose = a->verbose, .fs_view = a->fs_view },
		.budget_ns = budget_ns,
	};
	umh_report_init(r);
	if (budget_ns > 0) {
		umh_run_explain(&o, r);
		return;
	}
	char why[PATH_MAX + 128];
	snprintf(why, sizeof(why), "%s: not examined: the time budget of %.1f s for the whole run ran out before it",
		 spec, (double)a->budget_ns / 1e9);
	struct umh_report s = { .error = why, .error_code = -ETIME, .unexplained_refs = -1 };
	umh_report_set_summary(r, &s);
}

int explain_run(const struct explain_args *a, char *const *targets, int n)
{
	int status = EX_OK;
	struct umh_report *reports = calloc((size_t)n, sizeof(*reports));
	struct umh_explain_extra *extra = calloc((size_t)n, sizeof(*extra));
	if (!reports || !extra) {
		free(reports);
		free(extra);
		fprintf(stderr, "%s: %s\n", PROGRAM_NAME, strerror(ENOMEM));
		return EX_SYSERR;
	}
	/* Every analysis and lookup first: each runs in a child that needs
	 * our capabilities.  Then the printing, with none. */
	int64_t deadline = umh_now_ns() + a->budget_ns;
	for (int i = 0; i < n; i++) {
		explain_one(a, targets[i], step_budget(a, deadline, i, n), &reports[i]);
		look_further(a, targets[i], &reports[i], step_budget(a, deadline, i, n), &extra[i]);
	}
	umh_caps_enter(UMH_PHASE_REPORT);
	umh_caps_debug("report");

	bool any_held = false, any_error = false;
	struct umh_json j;
	umh_json_init(&j, stdout);
	if (a->json && n > 1)
		umh_json_open_array(&j, NULL, false);
	for (int i = 0; i < n; i++) {
		struct umh_report *r = &reports[i];
		int st = exit_status(r);
		if (a->json) {
			umh_report_write_json_extra(r, targets[i], &j, umh_explain_extra_json, &extra[i]);
		} else {
			if (i > 0)
				fputc('\n', stdout);
			if (r->fs.view && !r->error) {
				umh_report_print_text(r, stdout);
				if (extra[i].vanished)
					umh_vanished_print_text(extra[i].vanished, targets[i], !r->fs.partial, stdout);
			} else if (!umh_report_target(r)) {
				fprintf(stderr, "%s: ", PROGRAM_NAME);
				umh_fputs_escaped(r->error ? r->error : "cannot be examined", stderr);
				fputc('\n', stderr);
				if (extra[i].vanished)
					umh_vanished_print_text(extra[i].vanished, targets[i], true, stdout);
			} else {
				umh_report_print_text(r, stdout);
				umh_risks_print_text(extra[i].warnings, stdout);
			}
			if (extra[i].failed_unmounts) {
				fputc('\n', stdout);
				umh_attempts_print_text(extra[i].failed_unmounts,
							a->state_dir ? a->state_dir : umh_wrecord_dir(), "", stdout);
			}
		}
		umh_jfree((struct umh_jnode *)extra[i].vanished);
		umh_jfree((struct umh_jnode *)extra[i].warnings);
		umh_jfree((struct umh_jnode *)extra[i].failed_unmounts);
		any_held |= st == EX_FAIL;
		any_error |= st == EX_SYSERR;
		umh_report_free(r);
	}
	free(reports);
	free(extra);
	if (a->json && n > 1)
		umh_json_close_array(&j);

	status = any_held ? EX_FAIL : any_error ? EX_SYSERR : EX_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!any_held)
			status = EX_SYSERR;
	}
	return status;
}
