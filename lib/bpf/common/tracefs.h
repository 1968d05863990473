/* tracefs: which tracepoints and probe types this kernel has, and tracefs
 * mounted where a program needs it to attach. */
#pragma once

#include <stdbool.h>

/* Whether the kernel has the named tracepoint (under tracefs; NAME "" for
 * the category). */
bool umh_tracepoint_exists(const char *category, const char *name);
/* Mounts tracefs if it is not, in a private mount namespace of this
 * process.  0 or a negative errno. */
int umh_tracefs_ensure(void);
bool umh_kprobes_exist(void);
