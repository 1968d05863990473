/* Which systemd manages a mount namespace, and how to reach it and its
 * journal.  explain and watch both ask this before they ask systemd
 * anything, so that where no systemd runs (a container without one, a
 * machine with another init) nothing is tried.
 *
 *   our own namespace: PID 1 is "systemd" and shares our mount namespace;
 *       its private socket as root, else the system bus; this machine's
 *       journal.
 *   -N PID or a namespace file: the process that is PID 1 of a pid
 *       namespace, named "systemd", in that mount namespace (a container's
 *       systemd); its private socket through umh_sd_connect_pid(), its
 *       journal under /proc/PID/root (root only).
 *
 * UMOUNT_HELPER_SYSTEMD=no in the environment turns all of it off. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct umh_sd_where {
	bool found;
	pid_t pid;            /* > 0: a container's systemd, host pid: umh_sd_connect_pid() */
	const char *bus;      /* else: umh_sd_connect()'s argument (NULL: the system bus) */
	char journal_dir[PATH_MAX]; /* "" for this machine's journal */
	char journal_socket[PATH_MAX];
	char why[256];        /* when not found: why */
};

/* NS is NULL (ours), a pid, or a namespace file.  Never fails: when no
 * systemd is found, ret->found is false and ret->why says why. */
void umh_sd_locate(int procfd, const char *ns, struct umh_sd_where *ret);
