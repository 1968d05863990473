#include "wrap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/escape.h"
#include "../umount-helper.h"

uint64_t umh_lean_mount_id_at(const char *mount_point)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	uint64_t found = 0;
	while (getline(&line, &size, f) > 0) {
		/* "ID PARENT MAJ:MIN ROOT MOUNT-POINT ...", the mount point
		 * with octal escapes for space, tab, newline and backslash. */
		uint64_t id;
		int start = 0, end = 0;
		if (sscanf(line, "%" SCNu64 " %*u %*u:%*u %*s %n%*s%n", &id, &start, &end) != 1 || !end)
			continue;
		line[end] = '\0';
		umh_unescape_octal(line + start);
		if (strcmp(line + start, mount_point) == 0)
			found = id; /* the last one: mounted on top */
	}
	return found;
}

int umh_lean_run(const char *original, char **argv)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		fprintf(stderr, "%s: cannot run %s: %s\n", program_invocation_short_name, original, strerror(-r));
		return r;
	}
	if (pid == 0) {
		/* Run only by root (lean/main.c): as libmount runs helpers,
		 * the real user, is who we are already. */
		execv(original, argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", program_invocation_short_name, original, strerror(errno));
		_exit(EX_EXEC);
	}
	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return wstatus;
}
