#include "bpf/common/tracefs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/cleanup.h"

bool umh_tracepoint_exists(const char *category, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s", roots[i], category, name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

bool umh_kprobes_exist(void)
{
	/* libbpf attaches kprobes through the perf "kprobe" event source,
	 * else through tracefs's kprobe_events. */
	return access("/sys/bus/event_source/devices/kprobe", F_OK) == 0 ||
	       access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

int umh_tracefs_ensure(void)
{
	if (umh_tracepoint_exists("syscalls", "") || umh_tracepoint_exists("sched", ""))
		return 0;
	/* Not mounted: mount it in a mount namespace of our own, so the host
	 * is left as it was; the tracepoints attached stay attached. */
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0)
		return -errno;
	return 0;
}
