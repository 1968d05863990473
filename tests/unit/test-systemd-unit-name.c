/* Mount point <-> mount unit name, as systemd names them: a fixed table
 * (checked against systemd-escape 252), then, when systemd-escape is
 * installed, the same paths and a few hundred generated ones compared with
 * what it prints. */
#include "systemd-cause.h"

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

	/* Names too long for systemd (>= 256 with the suffix) are refused, as
	 * systemd 252's unit_name_from_path() refuses them. */
	{
		char path[400] = "/";
		memset(path + 1, 'a', 249);
		path[250] = 0;
		r = umh_sd_mount_unit_name(path, &name);
		OK(r == 0 && name && strlen(name) == 255, "a 249-byte component gives a 255-byte name");
		free(name);
		name = NULL;
		path[250] = 'a';
		path[251] = 0;
		r = umh_sd_mount_unit_name(path, &name);
		OK(r == -ENAMETOOLONG && !name, "a 250-byte component is too long for a unit name (r=%d)", r);
		memset(path + 1, '-', 80); /* each '-' takes 4 bytes */
		path[81] = 0;
		r = umh_sd_mount_unit_name(path, &name);
		OK(r == -ENAMETOOLONG && !name, "80 dashes (320 bytes escaped) are too long (r=%d)", r);
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
