/* A unit's setting, from its files.  See systemd/config.h. */
#include "systemd/config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

/* systemd 252's system unit search path, highest priority first. */
static const char *const search_path[] = {
	"/etc/systemd/system.control", "/run/systemd/system.control", "/run/systemd/transient",
	"/run/systemd/generator.early", "/etc/systemd/system", "/etc/systemd/system.attached",
	"/run/systemd/system", "/run/systemd/system.attached", "/run/systemd/generator",
	"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
	"/run/systemd/generator.late",
};
#define N_DIRS (sizeof(search_path) / sizeof(search_path[0]))
#define MAX_DROPINS 64

int umh_sd_parse_boolean(const char *v)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Where the unit files are read: ROOT ("" or /proc/PID/root, a container's
 * root) as a directory, and every path resolved inside it, as the
 * container's own systemd resolves them: an absolute symbolic link there
 * must not lead to the caller's files. */
struct root {
	int fd;
	const char *name; /* ROOT, for the paths the caller is given */
};

static int open_in_root(const struct root *rt, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rt->fd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

static FILE *fopen_in_root(const struct root *rt, const char *path)
{
	int fd = open_in_root(rt, path, O_RDONLY);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "re");
	if (!f)
		close(fd);
	return f;
}

/* Reads PATH (inside RT); each KEY= in SECTION replaces *VALUE, and *FILE
 * says where (as ROOT/PATH).  Missing files are no error. */
static int scan_file(const struct root *rt, const char *path, const char *section, const char *key, char **value,
		     char **file)
{
	_cleanup_fclose_ FILE *f = fopen_in_root(rt, path);
	if (!f)
		return 0;
	char line[4096];
	bool in_section = false;
	while (fgets(line, sizeof(line), f)) {
		char *l = trim(line);
		if (*l == '#' || *l == ';' || !*l)
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			in_section = end && (size_t)(end - l - 1) == strlen(section) && strncmp(l + 1, section, strlen(section)) == 0;
			continue;
		}
		char *eq = strchr(l, '=');
		if (!in_section || !eq)
			continue;
		*eq = 0;
		if (strcmp(trim(l), key) != 0)
			continue;
		char *v = strdup(trim(eq + 1)), *p = NULL;
		if (!v || asprintf(&p, "%s%s", rt->name, path) < 0) {
			free(v);
			free(p);
			return -ENOMEM;
		}
		free(*value);
		free(*file);
		*value = v;
		*file = p;
	}
	return 0;
}

struct dropin {
	char *name, *path;
};

static int cmp_dropin(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name, ((const struct dropin *)b)->name);
}

/* Drop-ins of DIRNAME ("mnt-u.mount.d") in every directory; of two with
 * the same name, the one in the directory of higher priority. */
static int collect(const struct root *rt, const char *dirname, struct dropin *v, size_t *n)
{
	for (size_t d = 0; d < N_DIRS; d++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%s", search_path[d], dirname);
		int fd = open_in_root(rt, dir, O_RDONLY | O_DIRECTORY);
		_cleanup_closedir_ DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
		if (fd >= 0 && !dp)
			close(fd);
		struct dirent *e;
		while (dp && (e = readdir(dp))) {
			size_t len = strlen(e->d_name);
			if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
				continue;
			bool seen = false;
			for (size_t i = 0; i < *n && !seen; i++)
				seen = strcmp(v[i].name, e->d_name) == 0;
			if (seen || *n == MAX_DROPINS)
				continue;
			v[*n].name = strdup(e->d_name);
			if (!v[*n].name || asprintf(&v[*n].path, "%s/%s", dir, e->d_name) < 0) {
				free(v[*n].name);
				return -ENOMEM;
			}
			(*n)++;
		}
	}
	return 0;
}

int umh_sd_unit_setting(const char *root, const char *unit, const char *section, const char *key, char **value,
			char **file)
{
	struct dropin v[MAX_DROPINS];
	size_t n = 0;
	int r = 0;
	*value = *file = NULL;
	if (strchr(unit, '/'))
		return -EINVAL;
	_cleanup_close_ int rootfd = open(*root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	const struct root rt = { .fd = rootfd, .name = root };
	/* The fragment: the first found. */
	for (size_t d = 0; d < N_DIRS; d++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", search_path[d], unit);
		_cleanup_fclose_ FILE *f = fopen_in_root(&rt, path);
		if (!f)
			continue;
		r = scan_file(&rt, path, section, key, value, file);
		break;
	}
	/* Then the drop-ins, by name: "mount.d/" ones first (they apply to
	 * every mount unit), then the unit's own. */
	const char *type = strrchr(unit, '.');
	char dirname[512];
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		size_t first = n;
		if (pass == 0 && !type)
			continue;
		snprintf(dirname, sizeof(dirname), "%s.d", pass == 0 ? type + 1 : unit);
		r = collect(&rt, dirname, v, &n);
		qsort(v + first, n - first, sizeof(v[0]), cmp_dropin);
		for (size_t i = first; i < n && r >= 0; i++)
			r = scan_file(&rt, v[i].path, section, key, value, file);
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].path);
	}
	if (r < 0) {
		free(*value);
		free(*file);
		*value = *file = NULL;
		return r;
	}
	return *value ? 1 : 0;
}
