/* Where the programs of a umount.TYPE helper are: the distribution's helper
 * that ours wraps, the tool, and the lean helper (lean/main.c), which both
 * the tool and the lean helper need to find. */
#pragma once

#include <stdbool.h>

#include "config.h"

/* The distribution's helper to wrap: helper.TYPE from the configuration,
 * else umount.TYPE.distrib beside ARGV0 (where `make install-nfs-wrapper`
 * and dpkg-divert put it), else in libmount's search path.  ARGV0 NULL: not
 * beside it (set-user-ID: the name is the caller's choice).  NULL: none (or
 * no memory): unmount natively. */
char *umh_helper_find_original(const char *argv0, const char *type, const struct umh_config *c);

/* Whether PATH is one of our own programs (this one, the tool, the lean
 * helper): wrapping it would run us again, without end.  ARGV0 as for
 * umh_tool_path(); NULL when set-user-ID. */
bool umh_helper_is_ours(const char *path, const char *argv0);

/* The tool, and the lean helper: beside the running program (the build
 * directory holds both), else where `make install` puts them (UMH_TOOL_PATH,
 * UMH_LEAN_PATH, set from BINDIR and LIBEXECDIR).  The running program is
 * /proc/self/exe, or ARGV0 resolved where /proc is missing.  Allocated, or
 * NULL. */
char *umh_tool_path(const char *argv0);
char *umh_lean_path(const char *argv0);
