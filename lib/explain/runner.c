#include "explain/runner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/child.h"
#include "base/cleanup.h"
#include "explain/scan.h"
#include "model/wire.h"

/* The child stops on its own a little before the caller gives up on it, so
 * that what it found and its summary (what it skipped) still arrive: a
 * tenth of the budget, at least 150 ms.  On a machine busy enough to make
 * the scan run out of time, the child waits its turn for a CPU too. */
#define CHILD_MARGIN_MIN_NS (150 * 1000000LL)

static int64_t child_margin(int64_t budget_ns)
{
	return budget_ns / 10 > CHILD_MARGIN_MIN_NS ? budget_ns / 10 : CHILD_MARGIN_MIN_NS;
}

static void send_item(struct umh_report *r, enum umh_item type, const void *item, void *userdata)
{
	(void)r;
	int fd = *(int *)userdata;
	if (fd >= 0 && umh_wire_send(fd, type, item) < 0)
		*(int *)userdata = -1; /* the reader is gone: stop writing */
	/* A testing aid, to prove that the caller survives a failing
	 * analysis: UMOUNT_HELPER_FAULT=crash|hang makes it crash or hang
	 * after its first holder, hang-start right after it found the target.
	 * Not in a set-user-ID run (secure_getenv): the user's analysis is
	 * not theirs to break. */
	const char *fault = secure_getenv("UMOUNT_HELPER_FAULT");
	if (!fault)
		return;
	bool first_holder = type == UMH_ITEM_HOLDER, target = type == UMH_ITEM_MOUNT;
	if (first_holder && strcmp(fault, "crash") == 0)
		raise(SIGSEGV);
	if ((first_holder && strcmp(fault, "hang") == 0) || (target && strcmp(fault, "hang-start") == 0))
		for (;;)
			pause();
}

/* In the child (umh_child_fork): the analysis, streamed to FD. */
static _Noreturn void run_child(const struct umh_run_opts *o, int fd, int64_t deadline)
{
	const int stream = fd; /* FD itself becomes -1 if the reader goes */
	struct umh_report r;
	umh_report_init(&r);
	r.sink = send_item;
	r.sink_data = &fd;
	struct umh_explain_opts e = o->explain;
	e.drop_caps = true;
	e.exclude_pid = getppid();
	if (deadline)
		e.deadline_ns = deadline - child_margin(o->budget_ns);
	umh_explain(&e, &r);
	umh_report_free(&r);
	/* The end of the stream now: a BPF walk still running in a thread
	 * of ours shares the descriptor, and would hold it open until the
	 * kernel lets it die. */
	close(stream);
	_exit(0);
}

static void mark_incomplete(struct umh_report *r, const char *why)
{
	struct umh_report s = {
		.known_busy = r->known_busy,
		.unexplained_refs = r->unexplained_refs,
		.method = r->method,
		.error = r->error,
		.error_code = r->error_code,
		.incomplete = (char *)why,
		.processes_scanned = r->processes_scanned,
		.fds_scanned = r->fds_scanned,
		.elapsed_us = r->elapsed_us,
	};
	umh_report_set_summary(r, &s);
}

static int run(const struct umh_run_opts *o, struct umh_report *r);

int umh_run_explain(const struct umh_run_opts *o, struct umh_report *r)
{
	int ret = run(o, r);
	umh_report_sort(r);
	return ret;
}

static int run(const struct umh_run_opts *o, struct umh_report *r)
{
	int64_t deadline = o->budget_ns ? umh_now_ns() + o->budget_ns : 0;
	int fd;
	pid_t pid = umh_child_fork(&fd);
	if (pid < 0)
		return pid;
	if (pid == 0)
		run_child(o, fd, deadline);
	_cleanup_close_ int rd = fd;

	struct umh_wire_reader w = { 0 };
	char buf[65536];
	int ret = 0;
	for (;;) {
		ssize_t len = umh_child_read(rd, deadline, buf, sizeof(buf));
		if (len < 0) {
			ret = (int)len;
			break;
		}
		if (len == 0)
			break; /* the child closed its end: done, or dead */
		/* A garbled stream is ignored from there on; what came before
		 * it stays. */
		umh_wire_feed(&w, buf, (size_t)len, r);
	}
	umh_wire_reader_free(&w);

	int status = 0;
	if (ret == -ETIME) {
		kill(pid, SIGKILL);
		umh_child_reap(pid, 0, &status);
		char why[128];
		snprintf(why, sizeof(why), "the analysis did not finish within its time budget of %.1f s",
			 (double)o->budget_ns / 1e9);
		mark_incomplete(r, why);
		return ret;
	}
	if (umh_child_reap(pid, deadline, &status) < 0) {
		kill(pid, SIGKILL);
		umh_child_reap(pid, 0, &status);
	}
	if (WIFSIGNALED(status)) {
		char why[128];
		snprintf(why, sizeof(why), "the analysis process was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
		mark_incomplete(r, why);
		return -ECHILD;
	}
	if (ret == 0 && !r->finished && !r->error && !r->incomplete) {
		mark_incomplete(r, "the analysis ended without its summary");
		return -ECHILD;
	}
	return ret;
}
