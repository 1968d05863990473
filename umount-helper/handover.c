#include "handover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/parse.h"

int umh_handover_busy(void)
{
	char pid[24];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return setenv(UMH_HANDOVER_BUSY_ENV, pid, 1) < 0 ? -errno : 0;
}

void umh_handover_clear(void)
{
	unsetenv(UMH_HANDOVER_BUSY_ENV);
}

bool umh_handover_take_busy(void)
{
	/* Not in a set-user-ID process: its caller chose its environment. */
	const char *v = secure_getenv(UMH_HANDOVER_BUSY_ENV);
	bool busy = v && umh_parse_pid(v) == getpid();
	umh_handover_clear();
	return busy;
}
