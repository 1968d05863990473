#include "base/debug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

bool umh_debug(const char *word)
{
	const char *dbg = getenv("UMOUNT_HELPER_DEBUG");
	return dbg && strstr(dbg, word);
}

void umh_debug_time(const char *stage, const char *what, int64_t *t)
{
	int64_t now = umh_now_ns();
	if (umh_debug("time"))
		fprintf(stderr, "umount-helper: debug: %s: %s %.1f ms\n", stage, what, (double)(now - *t) / 1e6);
	*t = now;
}
