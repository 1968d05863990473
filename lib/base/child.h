/* The child processes that do the asking (runner.c: the analysis;
 * run-json.c: systemd, the journal, the watcher's record), started and
 * reaped the one way both need. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Forks a child that writes to its parent through a pipe.  In the parent:
 * returns the child's pid, *FD the pipe's reading end.  In the child:
 * returns 0, *FD the writing end; by then the child has become the real
 * user (a set-user-ID umount must not read what its user may not), dies
 * with its parent, and ignores SIGPIPE; if it could not, it has exited.
 * A negative errno when no child could be started. */
pid_t umh_child_fork(int *fd);

/* Reaps PID once it has ended, waiting until DEADLINE_NS (CLOCK_MONOTONIC)
 * and at least 100 ms: a child that closed its pipe is about to exit, but
 * a loaded machine may not run it at once, while one stuck in
 * uninterruptible sleep is left to init.  0 with *STATUS set, -EAGAIN
 * while it still runs, or another negative errno. */
int umh_child_reap(pid_t pid, int64_t deadline_ns, int *status);

/* Waits until the pipe FD from a child has something to say, or until
 * DEADLINE_NS (CLOCK_MONOTONIC; 0: no deadline), and reads it into BUF of
 * SIZE bytes.  Returns the bytes read; 0 at the end of the stream, or when
 * read() fails (what the child says ends there); -ETIME at the deadline;
 * another negative errno if poll() fails.  Signals are waited through. */
ssize_t umh_child_read(int fd, int64_t deadline_ns, void *buf, size_t size);
