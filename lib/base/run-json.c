#include "base/run-json.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/child.h"
#include "base/cleanup.h"
#include "base/clock.h"

/* More than any answer needs; a child that writes more is cut off. */
#define MAX_OUTPUT (1u << 20)

/* In the child (umh_child_fork): FN's answer, written to FD. */
static _Noreturn void child(umh_json_child_fn fn, const void *arg, int fd)
{
	FILE *out = fdopen(fd, "w");
	if (!out)
		_exit(1);
	fn(out, arg);
	_exit(fclose(out) == 0 ? 0 : 1);
}

int umh_run_json(umh_json_child_fn fn, const void *arg, int64_t budget_ns, struct umh_jnode **ret)
{
	*ret = NULL;
	int fd;
	pid_t pid = umh_child_fork(&fd);
	if (pid < 0)
		return pid;
	if (pid == 0)
		child(fn, arg, fd);
	_cleanup_close_ int rd = fd;

	int64_t deadline = umh_now_ns() + budget_ns;
	_cleanup_free_ char *buf = malloc(MAX_OUTPUT);
	size_t len = 0;
	int r = buf ? 0 : -ENOMEM;
	while (r == 0 && len < MAX_OUTPUT) {
		ssize_t k = umh_child_read(rd, deadline, buf + len, MAX_OUTPUT - len);
		if (k <= 0) {
			r = (int)k;
			break;
		}
		len += (size_t)k;
	}
	if (r < 0)
		kill(pid, SIGKILL);
	int status = 0;
	bool reaped = umh_child_reap(pid, deadline, &status) == 0;
	if (r < 0)
		return r;
	if (!reaped || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	r = umh_jparse(buf, len, ret);
	return r == -EINVAL ? -ECHILD : r;
}
