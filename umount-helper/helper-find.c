#include "helper-find.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"

#define DISTRIB_SUFFIX ".distrib"
/* libmount's FS_SEARCH_PATH: where umount looks for umount.<type>. */
static const char *const helper_dirs[] = { "/sbin", "/sbin/fs.d", "/sbin/fs" };

char *umh_helper_find_original(const char *argv0, const char *type, const struct umh_config *c)
{
	char *path = NULL;
	if (c->helper_none)
		return NULL;
	if (c->helper)
		return strdup(c->helper);
	if (argv0 && strchr(argv0, '/')) {
		if (asprintf(&path, "%s%s", argv0, DISTRIB_SUFFIX) >= 0 && access(path, X_OK) == 0)
			return path;
		free(path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(helper_dirs); i++) {
		if (asprintf(&path, "%s/umount.%s%s", helper_dirs[i], type, DISTRIB_SUFFIX) >= 0 &&
		    access(path, X_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The running program's file: /proc/self/exe, or where /proc is missing
 * (a chroot, a test that hides it), what ARGV0 names. */
static bool self_path(const char *argv0, char self[static PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", self, PATH_MAX - 1);
	if (n > 0) {
		self[n] = '\0';
		return true;
	}
	return argv0 && strchr(argv0, '/') && realpath(argv0, self);
}

static char *program_path(const char *name, const char *installed, const char *argv0)
{
	char self[PATH_MAX];
	if (self_path(argv0, self)) {
		char *slash = strrchr(self, '/');
		char *path = NULL;
		if (slash && asprintf(&path, "%.*s/%s", (int)(slash - self), self, name) >= 0) {
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return strdup(installed);
}

#ifndef UMH_TOOL_PATH
#define UMH_TOOL_PATH "/usr/local/bin/umount-helper"
#endif
#ifndef UMH_LEAN_PATH
#define UMH_LEAN_PATH "/usr/local/libexec/umount-helper/umount-helper-lean"
#endif

char *umh_tool_path(const char *argv0)
{
	return program_path("umount-helper", UMH_TOOL_PATH, argv0);
}

char *umh_lean_path(const char *argv0)
{
	return program_path("umount-helper-lean", UMH_LEAN_PATH, argv0);
}

bool umh_helper_is_ours(const char *path, const char *argv0)
{
	_cleanup_free_ char *tool = umh_tool_path(argv0);
	_cleanup_free_ char *lean = umh_lean_path(argv0);
	return same_file(path, "/proc/self/exe") || same_file(path, tool) || same_file(path, lean);
}
