/* Mount point <-> mount unit name, as systemd names them: a fixed table
 * (checked against systemd-escape 252), long names shortened with the hashes
 * systemd 252 gave, then, when systemd-escape is installed, the same paths
 * and a hundred generated ones compared with what it prints. */
#include "systemd/cause.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failed;

#define OK(cond, ...)                                   \
	do {                                            \
		if (cond) {                             \
			printf("ok - ");                \
		} else {                                \
			printf("not ok - ");            \
			failed++;                       \
		}                                       \
		printf(__VA_ARGS__);                    \
		putchar('\n');                          \
	} while (0)

static const struct {
	const char *path, *unit;
	int err;
} cases[] = {
	{ "/", "-.mount", 0 },
	{ "/mnt/b", "mnt-b.mount", 0 },
	{ "/hello/kitty", "hello-kitty.mount", 0 },
	{ "/mnt/b/", "mnt-b.mount", 0 },
	{ "//mnt///b//", "mnt-b.mount", 0 },
	{ "/mnt/./b", "mnt-b.mount", 0 },
	{ "/a-b", "a\\x2db.mount", 0 },
	{ "/a-b/c d/.x/\xc3\xbc\\/", "a\\x2db-c\\x20d-.x-\\xc3\\xbc\\x5c.mount", 0 },
	{ "/.hidden//x/./y/", "\\x2ehidden-x-y.mount", 0 },
	{ "/run/user/1000/gvfs", "run-user-1000-gvfs.mount", 0 },
	{ "/srv/a:b_c.d", "srv-a:b_c.d.mount", 0 },
	{ "/x/\x01\x7f", "x-\\x01\\x7f.mount", 0 },
	{ "/a/../b", NULL, -EINVAL },
	{ "/..", NULL, -EINVAL },
	{ "relative/path", NULL, -EINVAL },
	{ "", NULL, -EINVAL },
};

/* What `systemd-escape --path --suffix=mount PATH` prints, or NULL. */
static char *systemd_escape(const char *path)
{
	int p[2], status;
	char buf[4096];
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	if (pipe(p) < 0)
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execlp("systemd-escape", "systemd-escape", "--path", "--suffix=mount", "--", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (n < sizeof(buf) - 1 && (k = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)k;
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NULL;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return strdup(buf);
}

static int have_systemd_escape(void)
{
	char *s = systemd_escape("/x");
	int ok = s && strcmp(s, "x.mount") == 0;
	free(s);
	return ok;
}

int main(void)
{
	char *name = NULL, *back = NULL;
	int r, have;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = umh_sd_mount_unit_name(cases[i].path, &name);
		if (cases[i].unit)
			OK(r == 0 && name && strcmp(name, cases[i].unit) == 0,
			   "name of %s is %s (got %s, r=%d)", cases[i].path, cases[i].unit, name ? name : "(none)", r);
		else
			OK(r == cases[i].err && !name, "name of '%s' is refused with %d (r=%d)", cases[i].path,
			   cases[i].err, r);
		free(name);
		name = NULL;
	}

	/* Names of 256 bytes or more are shortened with a hash, as systemd 252
	 * does; the expected names are what systemd 252 itself called these
	 * mount points (tests/systemd container, systemctl list-units). */
	{
		static const struct {
			char c;
			int n;
			const char *prefix, *hash;
		} longs[] = {
			{ '-', 80, "/mnt/", "_b39155bbf47a83ae.mount" },
			{ 'a', 250, "/srv/", "_b6c75b3cb840a6cc.mount" },
		};
		char path[600];

		for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
			size_t k = strlen(longs[i].prefix);

			memcpy(path, longs[i].prefix, k);
			memset(path + k, longs[i].c, (size_t)longs[i].n);
			path[k + (size_t)longs[i].n] = 0;
			r = umh_sd_mount_unit_name(path, &name);
			OK(r == 0 && name && strlen(name) == 255 &&
			   strcmp(name + 255 - strlen(longs[i].hash), longs[i].hash) == 0,
			   "%s + %d x '%c': shortened as systemd does (got %s)", longs[i].prefix, longs[i].n,
			   longs[i].c, name ? name + 200 : "(none)");
			OK(umh_sd_mount_unit_path(name ? name : "x.mount", &back) == -EINVAL && !back,
			   "a shortened name is not turned back into a path");
			free(name);
			name = NULL;
		}
		/* /x/ + 200 'b' + / + 100 'c' */
		memcpy(path, "/x/", 3);
		memset(path + 3, 'b', 200);
		path[203] = '/';
		memset(path + 204, 'c', 100);
		path[304] = 0;
		r = umh_sd_mount_unit_name(path, &name);
		OK(r == 0 && name && strncmp(name, "x-bbb", 5) == 0 &&
		   strcmp(name + 255 - 23, "_b280294fba56d32c.mount") == 0,
		   "two long components: shortened as systemd does (got %s)", name ? name + 200 : "(none)");
		free(name);
		name = NULL;

		memset(path, 'a', sizeof(path));
		path[0] = '/';
		memset(path + 1, 'a', 249);
		path[250] = 0;
		r = umh_sd_mount_unit_name(path, &name);
		OK(r == 0 && name && strlen(name) == 255 && !strchr(name, '_'),
		   "a 249-byte component gives a 255-byte name, not shortened");
		free(name);
		name = NULL;
		memset(path + 1, 'a', 256);
		path[257] = 0;
		r = umh_sd_mount_unit_name(path, &name);
		OK(r == -EINVAL && !name, "a 256-byte component is no valid path (r=%d)", r);
	}

	/* Back from the name to the path. */
	{
		static const char *const paths[] = { "/", "/mnt/b", "/a-b", "/a-b/c d/.x/\xc3\xbc\\", "/.hidden/x/y" };
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			r = umh_sd_mount_unit_name(paths[i], &name);
			if (r == 0)
				r = umh_sd_mount_unit_path(name, &back);
			OK(r == 0 && back && strcmp(back, paths[i]) == 0, "%s -> %s -> %s", paths[i],
			   name ? name : "?", back ? back : "?");
			free(name);
			free(back);
			name = back = NULL;
		}
		OK(umh_sd_mount_unit_path("mnt-b.service", &back) == -EINVAL && !back, "not a .mount name: refused");
		OK(umh_sd_mount_unit_path("a\\x2.mount", &back) == -EINVAL && !back, "a short \\x escape: refused");
	}

	/* Against systemd's own escaping. */
	have = have_systemd_escape();
	if (!have) {
		printf("not ok - systemd-escape is not installed (package systemd): cannot compare\n");
		failed++;
	} else {
		int mismatches = 0, n = 0;
		unsigned seed = 12345;
		static const char alphabet[] = "ab-_.:/ \\\x01\x7f\xc3\xbc%$@~";

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char *theirs;
			if (!cases[i].unit)
				continue;
			theirs = systemd_escape(cases[i].path);
			if (!theirs || strcmp(theirs, cases[i].unit) != 0) {
				printf("# systemd-escape %s gives %s, the table says %s\n", cases[i].path,
				       theirs ? theirs : "(failure)", cases[i].unit);
				mismatches++;
			}
			free(theirs);
			n++;
		}
		for (int k = 0; k < 120; k++) {
			char path[40] = "/", *theirs;
			int len = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 30;

			for (int j = 1; j <= len; j++)
				path[j] = alphabet[((seed = seed * 1103515245u + 12345u) >> 16) % (sizeof(alphabet) - 1)];
			path[len + 1] = 0;
			theirs = systemd_escape(path);
			r = umh_sd_mount_unit_name(path, &name);
			if ((theirs == NULL) != (r < 0) || (theirs && (!name || strcmp(theirs, name) != 0))) {
				printf("# path '%s': systemd-escape %s, ours %s (r=%d)\n", path,
				       theirs ? theirs : "(refuses)", name ? name : "(refuses)", r);
				mismatches++;
			}
			free(theirs);
			free(name);
			name = NULL;
			n++;
		}
		OK(mismatches == 0, "the same names as systemd-escape for %d paths", n);
	}

	OK(strcmp(umh_sd_cause_kind_name(UMH_SD_CAUSE_BINDS_TO_INACTIVE), "binds-to-inactive") == 0 &&
	   strcmp(umh_sd_cause_kind_name(UMH_SD_CAUSE_STOP_WHEN_UNNEEDED), "stop-when-unneeded") == 0 &&
	   strcmp(umh_sd_cause_kind_name(UMH_SD_CAUSE_UNKNOWN), "unknown") == 0,
	   "cause kinds have their names");
	return failed ? 1 : 0;
}
