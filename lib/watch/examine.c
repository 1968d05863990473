/* The watcher's examinations, in a worker process.  See watch/examine.h. */
#include "watch/examine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/child.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "report/report.h"
#include "explain/runner.h"
#include "base/clock.h"

/* The worker's own time around the analysis's budget: starting, writing. */
#define WORKER_MARGIN_NS (1000LL * 1000000)
/* Where the worker keeps its two descriptors. */
#define WORKER_OUT_FD 3
#define WORKER_NS_FD 4

static void add_text(struct umh_json *j, void *userdata)
{
	const struct umh_report *r = userdata;
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	if (!f)
		return;
	umh_report_print_text(r, f);
	if (fclose(f) == 0)
		umh_json_str(j, "text", text);
	free(text);
}

static _Noreturn void worker(int out, const char *path, int ns_fd, int64_t budget_ns)
{
	/* Only what it needs, at known numbers: nothing of the watcher's
	 * (its journal socket, its record, the ring buffers) lives on in the
	 * analysis, which would count them as holders of their own. */
	int o_fd = fcntl(out, F_DUPFD, 10), n_fd = ns_fd >= 0 ? fcntl(ns_fd, F_DUPFD, 10) : -1;
	int devnull = open("/dev/null", O_RDWR);
	if (o_fd < 0 || (ns_fd >= 0 && n_fd < 0) || devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
	    dup2(devnull, 2) < 0 || dup2(o_fd, WORKER_OUT_FD) < 0 || (n_fd >= 0 && dup2(n_fd, WORKER_NS_FD) < 0) ||
	    close_range(n_fd >= 0 ? WORKER_NS_FD + 1 : WORKER_OUT_FD + 1, ~0U, 0) < 0)
		_exit(1);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpriority(PRIO_PROCESS, 0, UMH_WEXAMINE_NICE);

	char ns[32];
	snprintf(ns, sizeof(ns), "/proc/self/fd/%d", WORKER_NS_FD);
	struct umh_run_opts o = {
		.explain = { .spec = path, .ns = n_fd >= 0 ? ns : NULL, .known_busy = true },
		.budget_ns = budget_ns,
	};
	struct umh_report r;
	umh_report_init(&r);
	umh_run_explain(&o, &r);
	FILE *f = fdopen(WORKER_OUT_FD, "w");
	if (!f)
		_exit(1);
	struct umh_json j;
	umh_json_init(&j, f);
	umh_report_write_json_extra(&r, path, &j, add_text, &r);
	_exit(fclose(f) == 0 ? 0 : 1);
}

int umh_wexamine_start(struct umh_wexamine *x, uint64_t id, const char *path, int ns_fd, int64_t budget_ns)
{
	if (x->pid > 0)
		return -EBUSY;
	int fd;
	pid_t pid = umh_child_fork(&fd);
	if (pid < 0)
		return pid;
	if (pid == 0)
		worker(fd, path, ns_fd, budget_ns);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int r = -errno;
		kill(pid, SIGKILL);
		int status;
		umh_child_reap(pid, 0, &status);
		close(fd);
		return r;
	}
	*x = (struct umh_wexamine){
		.pid = pid,
		.fd = fd,
		.id = id,
		.budget_ns = budget_ns,
		.deadline_ns = umh_now_ns() + budget_ns + WORKER_MARGIN_NS,
	};
	return 0;
}

static void finish(struct umh_wexamine *x, bool kill_it, int *status)
{
	if (kill_it)
		kill(x->pid, SIGKILL);
	if (umh_child_reap(x->pid, 0, status) < 0) {
		/* Stuck in the kernel: left to init, which reaps it. */
		kill(x->pid, SIGKILL);
		*status = -1;
	}
	close(x->fd);
	free(x->buf);
	uint64_t id = x->id;
	*x = (struct umh_wexamine){ .fd = -1, .id = id };
}

int umh_wexamine_read(struct umh_wexamine *x, struct umh_jnode **result, char *why, size_t size)
{
	*result = NULL;
	if (x->pid <= 0) {
		snprintf(why, size, "the examination did not run");
		return 1;
	}
	int status = 0;
	for (;;) {
		if (!x->buf && !(x->buf = malloc(UMH_WEXAMINE_MAX_OUTPUT))) {
			finish(x, true, &status);
			snprintf(why, size, "out of memory");
			return 1;
		}
		ssize_t k = read(x->fd, x->buf + x->len, UMH_WEXAMINE_MAX_OUTPUT - x->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			if (umh_now_ns() < x->deadline_ns)
				return 0;
			finish(x, true, &status);
			snprintf(why, size, "the examination did not finish within its time budget of %.1f s",
				 (double)x->budget_ns / 1e9);
			return 1;
		}
		if (k > 0 && (x->len += (size_t)k) < UMH_WEXAMINE_MAX_OUTPUT)
			continue;
		break; /* the end, an error, or too much */
	}
	bool full = x->len == UMH_WEXAMINE_MAX_OUTPUT;
	_cleanup_free_ char *buf = x->buf;
	size_t len = x->len;
	x->buf = NULL;
	finish(x, full, &status);
	if (full || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, size, "the examination failed (%s)",
			 full ? "it wrote too much" :
			 status == -1 ? "its process did not end" :
			 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "it exited with an error");
		return 1;
	}
	int r = umh_jparse(buf, len, result);
	if (r < 0 || (*result)->type != UMH_J_OBJ) {
		umh_jfree(*result);
		*result = NULL;
		snprintf(why, size, "the examination's answer could not be read");
	}
	return 1;
}

void umh_wexamine_stop(struct umh_wexamine *x)
{
	if (x->pid <= 0)
		return;
	int status;
	finish(x, true, &status);
}
