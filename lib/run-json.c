#include "run-json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"

/* More than any answer needs; a child that writes more is cut off. */
#define MAX_OUTPUT (1u << 20)

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Noreturn void child(umh_json_child_fn fn, const void *arg, int fd, pid_t parent)
{
	if (umh_become_real_user() < 0)
		_exit(1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGPIPE, SIG_IGN);
	FILE *out = fdopen(fd, "w");
	if (!out)
		_exit(1);
	fn(out, arg);
	_exit(fclose(out) == 0 ? 0 : 1);
}

int umh_run_json(umh_json_child_fn fn, const void *arg, int64_t budget_ns, struct umh_jnode **ret)
{
	int fds[2];
	*ret = NULL;
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
		child(fn, arg, fds[1], parent);
	}
	close(fds[1]);

	int64_t deadline = mono_ns() + budget_ns;
	_cleanup_free_ char *buf = malloc(MAX_OUTPUT);
	size_t len = 0;
	int r = buf ? 0 : -ENOMEM;
	while (r == 0) {
		int64_t left = deadline - mono_ns();
		if (left <= 0) {
			r = -ETIME;
			break;
		}
		struct pollfd p = { .fd = rd, .events = POLLIN };
		int n = poll(&p, 1, (int)((left + 999999) / 1000000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			continue;
		ssize_t k = read(rd, buf + len, MAX_OUTPUT - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || (len += (size_t)k) == MAX_OUTPUT)
			break;
	}
	if (r < 0)
		kill(pid, SIGKILL);
	/* Reaped, but never waited for long: a child stuck in the kernel is
	 * left to init. */
	int status = 0;
	pid_t w = 0;
	for (int i = 0; i < 100 && w == 0; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w < 0 && errno == EINTR)
			w = 0;
		if (w == 0)
			usleep(1000);
	}
	if (r < 0)
		return r;
	if (w != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	r = umh_jparse(buf, len, ret);
	return r == -EINVAL ? -ECHILD : r;
}
