/* A process as the report describes it: comm, command line, user. */
#pragma once

#include <stdint.h>

#include "model/model.h"

/* Fills P for process PID (its directory is DIRFD): comm, a command line of
 * at most MAX_CMDLINE bytes, the effective uid and its user name.  Strings
 * are allocated; release with umh_process_clear(). */
#define UMH_MAX_CMDLINE 4096
int umh_describe_process(int dirfd, int32_t pid, struct umh_process *p);
