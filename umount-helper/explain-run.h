/* explain, once its options are read: the analysis of each target (each in
 * a child process, within the budget), what systemd and the watcher's record
 * add, then the report (text or JSON), printed with no capability left.
 * cmd-explain.c reads the command line; the front end's --explain calls
 * this directly. */
#pragma once

#include <stdbool.h>

#define EXPLAIN_DEFAULT_BUDGET_NS (10LL * 1000000000)

struct explain_args {
	bool json;
	const char *ns;
	long long budget_ns;
	unsigned int workers;
	bool no_bpf;
	bool verbose;
	bool fs_view; /* --fs */
	const char *state_dir;
};

/* Explains TARGETS[0..N-1]; returns the exit status: 0 when nothing holds
 * any of them, 32 when one is held, 2 when one is not mounted or could not
 * be examined.  A filesystem (explain/fs.h): 32 while anything keeps it
 * alive, 0 when it is gone, 2 when nothing has that name. */
int explain_run(const struct explain_args *a, char *const *targets, int n);
