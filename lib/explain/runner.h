/* Running an explanation in its own process, within a time budget.
 *
 * The analysis reads /proc entries of processes that may be stuck on a dead
 * server, and runs code that could fail.  So it runs in a child process that
 * streams its findings over a pipe (wire.h); the caller's process only waits,
 * with a deadline, and keeps whatever arrived.  If the child hangs in the
 * kernel, crashes or is killed, the caller still returns on time, with a
 * report that says it is incomplete and why.  Nothing the child does can
 * change the caller's own result. */
#pragma once

#include "explain/explain.h"
#include "model/model.h"

struct umh_run_opts {
	struct umh_explain_opts explain;
	int64_t budget_ns; /* the whole run, from the call; 0 for none */
};

/* Returns 0 when the analysis ran to its end, -ETIME when the budget ran
 * out, -ECHILD when the analysis process died, or another negative errno if
 * it could not be started.  R holds what arrived in every case. */
int umh_run_explain(const struct umh_run_opts *o, struct umh_report *r);
