#include "base/child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/caps.h"
#include "base/clock.h"

pid_t umh_child_fork(int *fd)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid > 0) {
		close(fds[1]);
		*fd = fds[0];
		return pid;
	}
	close(fds[0]);
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
	*fd = fds[1];
	return 0;
}

int umh_child_reap(pid_t pid, int64_t deadline_ns, int *status)
{
	/* At least 100 ms: a child that has just closed its pipe may not
	 * have been scheduled to exit yet on a loaded machine. */
	int64_t until = umh_now_ns() + 100 * 1000000LL;
	if (deadline_ns > until)
		until = deadline_ns;
	for (useconds_t pause = 500;; pause = pause < 16000 ? 2 * pause : pause) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (umh_now_ns() >= until)
			return -EAGAIN;
		usleep(pause);
	}
}

ssize_t umh_child_read(int fd, int64_t deadline_ns, void *buf, size_t size)
{
	for (;;) {
		int timeout = -1;
		if (deadline_ns) {
			int64_t left = deadline_ns - umh_now_ns();
			if (left <= 0)
				return -ETIME;
			int64_t ms = (left + 999999) / 1000000;
			timeout = ms > INT_MAX ? INT_MAX : (int)ms;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			continue; /* the deadline check above ends the wait */
		ssize_t len = read(fd, buf, size);
		if (len < 0 && errno == EINTR)
			continue;
		return len < 0 ? 0 : len;
	}
}
