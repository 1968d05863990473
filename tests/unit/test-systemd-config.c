/* A unit's setting from its files (lib/systemd/config.c), read in a root
 * of its own as explain reads a container's (/proc/PID/root): the fragment
 * and drop-ins in systemd's order, and paths resolved inside that root, so
 * that an absolute symbolic link there does not lead to the caller's own
 * files. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "systemd/config.h"
#include "unit.h"

static char top[] = "/tmp/umh-sdconfig.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], dir[512];
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + strlen(top) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	if (!mkdtemp(top)) {
		CHECK(false, "mkdtemp: %s", strerror(errno));
		UNIT_EXIT();
	}
	char root[600], *value = NULL, *file = NULL;
	snprintf(root, sizeof(root), "%s/root", top);

	put("root/usr/lib/systemd/system/a.service", "[Service]\nPrivateTmp=no\n");
	put("root/etc/systemd/system/a.service.d/10-tmp.conf", "[Service]\nPrivateTmp=yes\n");
	CHECK(umh_sd_unit_setting(root, "a.service", "Service", "PrivateTmp", &value, &file) == 1 && value &&
		      strcmp(value, "yes") == 0,
	      "a drop-in overrides the fragment (%s)", value ? value : "none");
	char want[700];
	snprintf(want, sizeof(want), "%s/etc/systemd/system/a.service.d/10-tmp.conf", root);
	CHECK_STR(file, want, "the file that set it, under the root as given");
	free(value), free(file), value = file = NULL;

	/* The caller's own file, outside the root, and an absolute link to
	 * it inside: systemd in that root would read the root's file of that
	 * name (none), never ours. */
	char outside[600], link[700];
	snprintf(outside, sizeof(outside), "%s/caller-secret.service", top);
	put("caller-secret.service", "[Service]\nPrivateTmp=yes\n");
	snprintf(link, sizeof(link), "%s/etc/systemd/system/b.service", root);
	CHECK(symlink(outside, link) == 0, "an absolute link in the root to %s", outside);
	int r = umh_sd_unit_setting(root, "b.service", "Service", "PrivateTmp", &value, &file);
	CHECK(r == 0 && !value, "the link is resolved inside the root: nothing is read (%d, %s)", r,
	      file ? file : "no file");
	free(value), free(file), value = file = NULL;

	CHECK(umh_sd_unit_setting("", "no-such-unit-umh.service", "Service", "PrivateTmp", &value, &file) == 0,
	      "a unit with no file: 0");

	CHECK(umh_sd_unit_setting(root, "../a.service", "Service", "PrivateTmp", &value, &file) == -EINVAL,
	      "a unit name with a slash is refused");
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	CHECK(system(cmd) == 0, "cleaned up");
	UNIT_EXIT();
}
