#include "caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>

#include "cleanup.h"

#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

/* Reading another user's /proc/PID/{fd,cwd,maps,ns} is a ptrace-mode read
 * (CAP_SYS_PTRACE); /dev/loopN and unreadable directories need
 * CAP_DAC_READ_SEARCH; map_files/ needs CAP_CHECKPOINT_RESTORE (or, on
 * kernels before 5.9, CAP_SYS_ADMIN).  Setup also enters namespaces
 * (CAP_SYS_ADMIN, CAP_SYS_CHROOT) and opens detached mounts (CAP_SYS_ADMIN). */
static const int scan_caps[] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_CHECKPOINT_RESTORE };
static const int setup_caps[] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_CHECKPOINT_RESTORE,
				  CAP_SYS_ADMIN, CAP_SYS_CHROOT };

static int last_cap(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n;
	if (!f || fscanf(f, "%d", &n) != 1)
		return CAP_LAST_CAP;
	return n;
}

int umh_caps_enter(enum umh_phase phase)
{
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return 0; /* nothing to give up */

	const int *want = phase == UMH_PHASE_SETUP ? setup_caps : phase == UMH_PHASE_SCAN ? scan_caps : NULL;
	size_t n = phase == UMH_PHASE_SETUP ? ARRAY_SIZE(setup_caps) : phase == UMH_PHASE_SCAN ? ARRAY_SIZE(scan_caps) : 0;
	int keep[8];
	size_t nkeep = 0;
	for (size_t i = 0; i < n; i++) {
		int cap = want[i];
		/* Before CAP_CHECKPOINT_RESTORE existed, map_files/ wanted
		 * CAP_SYS_ADMIN. */
		if (cap == CAP_CHECKPOINT_RESTORE && last_cap() < CAP_CHECKPOINT_RESTORE)
			cap = CAP_SYS_ADMIN;
		if (capng_have_capability(CAPNG_EFFECTIVE, (unsigned)cap))
			keep[nkeep++] = cap;
	}

	capng_clear(CAPNG_SELECT_CAPS);
	for (size_t i = 0; i < nkeep; i++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)keep[i]);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return -EPERM;
	return 0;
}

int umh_become_real_user(void)
{
	uid_t ruid = getuid();
	gid_t rgid = getgid();
	bool gained = ruid != geteuid() || rgid != getegid();
	if (!gained && ruid == 0)
		return 0;
	/* Group first: once the uid is dropped, the gid can no longer be. */
	if (setresgid(rgid, rgid, rgid) < 0 || setresuid(ruid, ruid, ruid) < 0)
		return -errno;
	if (ruid != 0) {
		/* setresuid() away from root already emptied the sets; file
		 * capabilities of a non-root caller are cleared here. */
		capng_clear(CAPNG_SELECT_CAPS);
		if (capng_apply(CAPNG_SELECT_CAPS) < 0)
			return -EPERM;
		/* Be paranoid: getting root back must be impossible now. */
		if (setuid(0) == 0)
			return -EPERM;
	}
	return 0;
}

void umh_caps_debug(const char *phase)
{
	const char *dbg = getenv("UMOUNT_HELPER_DEBUG");
	if (!dbg || !strstr(dbg, "caps"))
		return;
	_cleanup_fclose_ FILE *f = fopen("/proc/thread-self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0)
			fprintf(stderr, "umount-helper: debug: phase %s: %s", phase, line);
}
