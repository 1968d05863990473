#include "handover.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/parse.h"
#include "umount-helper.h"

int umh_handover_busy(void)
{
	char pid[24];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return setenv(UMH_HANDOVER_BUSY_ENV, pid, 1) < 0 ? -errno : 0;
}

int umh_handover_wrapped(int status, uint64_t mnt_id, const char *mount_point)
{
	/* The mount point last: it may hold spaces. */
	_cleanup_free_ char *v = NULL;
	if (asprintf(&v, "%d %d %" PRIu64 " %s", (int)getpid(), status, mount_point ? mnt_id : 0,
		     mount_point ? mount_point : "") < 0)
		return -ENOMEM;
	return setenv(UMH_HANDOVER_WRAPPED_ENV, v, 1) < 0 ? -errno : 0;
}

void umh_handover_clear(void)
{
	unsetenv(UMH_HANDOVER_BUSY_ENV);
	unsetenv(UMH_HANDOVER_WRAPPED_ENV);
}

bool umh_handover_take_busy(void)
{
	/* Not in a set-user-ID process: its caller chose its environment. */
	const char *v = secure_getenv(UMH_HANDOVER_BUSY_ENV);
	bool busy = v && umh_parse_pid(v) == getpid();
	unsetenv(UMH_HANDOVER_BUSY_ENV);
	return busy;
}

bool umh_handover_take_wrapped(int *status, uint64_t *mnt_id, char **mount_point)
{
	*mount_point = NULL;
	const char *v = secure_getenv(UMH_HANDOVER_WRAPPED_ENV);
	int pid = 0, st = 0, used = 0;
	uint64_t id = 0;
	bool ours = v && sscanf(v, "%d %d %" SCNu64 " %n", &pid, &st, &id, &used) == 3 && used > 0 &&
		    pid == (int)getpid() && st > 0 && st < 256;
	if (ours) {
		*status = st;
		*mnt_id = id;
		if (id && v[used])
			*mount_point = strdup(v + used);
		if (!*mount_point)
			*mnt_id = 0; /* unknown (or no memory): say nothing */
	}
	unsetenv(UMH_HANDOVER_WRAPPED_ENV);
	return ours;
}

bool umh_helper_status_may_be_busy(int status)
{
	return status != EX_OK && status != EX_USAGE && status != EX_EXEC && status != 127;
}

int umh_helper_pass_status(int wstatus)
{
	if (WIFSIGNALED(wstatus)) {
		signal(WTERMSIG(wstatus), SIG_DFL);
		raise(WTERMSIG(wstatus));
		return EX_SOFTWARE;
	}
	return WEXITSTATUS(wstatus);
}
