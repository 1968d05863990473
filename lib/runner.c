#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "scan.h"
#include "wire.h"

/* The child stops on its own a little before the caller gives up on it, so
 * that its summary (what it skipped) still arrives. */
#define CHILD_MARGIN_NS (150 * 1000000LL)

static void send_item(struct umh_report *r, enum umh_item type, const void *item, void *userdata)
{
	(void)r;
	int fd = *(int *)userdata;
	if (fd >= 0 && umh_wire_send(fd, type, item) < 0)
		*(int *)userdata = -1; /* the reader is gone: stop writing */
	/* A testing aid, to prove that the caller survives a failing
	 * analysis: UMOUNT_HELPER_FAULT=crash|hang makes it crash or hang
	 * after its first holder, hang-start right after it found the target. */
	const char *fault = getenv("UMOUNT_HELPER_FAULT");
	if (!fault)
		return;
	bool first_holder = type == UMH_ITEM_HOLDER, target = type == UMH_ITEM_MOUNT;
	if (first_holder && strcmp(fault, "crash") == 0)
		raise(SIGSEGV);
	if ((first_holder && strcmp(fault, "hang") == 0) || (target && strcmp(fault, "hang-start") == 0))
		for (;;)
			pause();
}

static _Noreturn void run_child(const struct umh_run_opts *o, int fd, pid_t parent, int64_t deadline)
{
	/* See only what the person who ran us may see, before reading
	 * anything.  Changing credentials clears the parent-death signal, so
	 * this comes first. */
	if (umh_become_real_user() < 0)
		_exit(1);
	/* Die with the caller, whatever it dies of. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGPIPE, SIG_IGN);

	struct umh_report r;
	umh_report_init(&r);
	r.sink = send_item;
	r.sink_data = &fd;
	struct umh_explain_opts e = o->explain;
	e.drop_caps = true;
	e.exclude_pid = parent;
	if (deadline)
		e.deadline_ns = deadline - CHILD_MARGIN_NS;
	umh_explain(&e, &r);
	umh_report_free(&r);
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

/* Reaps the child if it has ended; never blocks for long: a child stuck in
 * uninterruptible sleep is left to init. */
static int reap(pid_t pid, int *status)
{
	for (int i = 0; i < 50; i++) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		usleep(2000);
	}
	return -EAGAIN;
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
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	_cleanup_close_ int rd = fds[0];
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		close(rd);
		run_child(o, fds[1], parent, deadline);
	}
	close(fds[1]);

	struct umh_wire_reader w = { 0 };
	char buf[65536];
	int ret = 0;
	for (;;) {
		int timeout = -1;
		if (deadline) {
			int64_t left = deadline - umh_now_ns();
			if (left <= 0) {
				ret = -ETIME;
				break;
			}
			timeout = (int)((left + 999999) / 1000000);
		}
		struct pollfd p = { .fd = rd, .events = POLLIN };
		int n = poll(&p, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			continue; /* the deadline check above ends the wait */
		ssize_t len = read(rd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break; /* the child closed its end: done, or dead */
		/* A garbled stream is ignored from there on; what came before
		 * it stays. */
		umh_wire_feed(&w, buf, (size_t)len, r);
	}
	umh_wire_reader_free(&w);

	int status = 0;
	if (ret == -ETIME) {
		kill(pid, SIGKILL);
		reap(pid, &status);
		char why[128];
		snprintf(why, sizeof(why), "the analysis did not finish within its time budget of %.1f s",
			 (double)o->budget_ns / 1e9);
		mark_incomplete(r, why);
		return ret;
	}
	if (reap(pid, &status) < 0) {
		kill(pid, SIGKILL);
		reap(pid, &status);
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
