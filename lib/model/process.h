/* A process as the report describes it: comm, command line, user. */
#pragma once

#include <stdint.h>

#include "model/model.h"

/* Fills P for process PID (its directory is DIRFD): comm, a command line of
 * at most MAX_CMDLINE bytes, the effective uid and its user name.  Strings
 * are allocated; release with umh_process_clear(). */
#define UMH_MAX_CMDLINE 4096
int umh_describe_process(int dirfd, int32_t pid, struct umh_process *p);

/* A process's comm, and its command line (arguments joined by spaces, at
 * most UMH_MAX_CMDLINE bytes), from its directory DIR under DIRFD ("." for
 * DIRFD itself, "1234" under /proc): allocated, NULL when unreadable (a
 * command line also when there is none: kernel threads, zombies). */
char *umh_process_comm(int dirfd, const char *dir);
char *umh_process_cmdline(int dirfd, const char *dir);
