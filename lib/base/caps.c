#include "base/caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>

#include "base/debug.h"
#include "base/cleanup.h"

#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#define CAP_BPF 39
#endif

/* Reading another user's /proc/PID/{fd,cwd,maps,ns} is a ptrace-mode read
 * (CAP_SYS_PTRACE); /dev/loopN and unreadable directories need
 * CAP_DAC_READ_SEARCH; map_files/ needs CAP_CHECKPOINT_RESTORE (or, on
 * kernels before 5.9, CAP_SYS_ADMIN).  Setup also enters namespaces
 * (CAP_SYS_ADMIN, CAP_SYS_CHROOT) and opens detached mounts (CAP_SYS_ADMIN). */
static const int scan_caps[] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_CHECKPOINT_RESTORE };
/* The BPF scan: CAP_BPF to load, CAP_PERFMON for tracing programs (the
 * iterators read kernel memory); kernels before 5.8 wanted CAP_SYS_ADMIN.
 * CAP_SYSLOG: /proc/kallsyms shows addresses (to name the ledger's kernel
 * stacks) only with it where kptr_restrict is 1.
 * The scan's own capabilities stay, for the matches' /proc entries. */
static const int bpf_caps[] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_CHECKPOINT_RESTORE, CAP_BPF, CAP_PERFMON,
				CAP_SYSLOG };
static const int setup_caps[] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_CHECKPOINT_RESTORE,
				  CAP_SYS_ADMIN, CAP_SYS_CHROOT };

/* The kernel's last capability: read once (it does not change while the
 * kernel runs), where every phase of every thread asked /proc again, some
 * twenty times an explain.  Threads that race here read the same number. */
static int last_cap(void)
{
	static int cached = -1;
	int n = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (n >= 0)
		return n;
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (!f || fscanf(f, "%d", &n) != 1 || n < 0)
		return CAP_LAST_CAP;
	__atomic_store_n(&cached, n, __ATOMIC_RELAXED);
	return n;
}

/* Capabilities a phase does not use but a later one does: kept permitted,
 * not effective, so they can be raised when their phase comes. */
static bool wanted_later(enum umh_phase phase, int cap)
{
	if (phase != UMH_PHASE_SETUP)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(bpf_caps); i++)
		if (bpf_caps[i] == cap)
			return true;
	return false;
}

/* The capability to ask for on this kernel in place of CAP. */
static int on_this_kernel(int cap)
{
	/* Before CAP_CHECKPOINT_RESTORE existed, map_files/ wanted
	 * CAP_SYS_ADMIN; before CAP_BPF and CAP_PERFMON, BPF did. */
	if ((cap == CAP_CHECKPOINT_RESTORE || cap == CAP_BPF || cap == CAP_PERFMON) && last_cap() < cap)
		return CAP_SYS_ADMIN;
	return cap;
}

int umh_caps_enter(enum umh_phase phase)
{
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return 0; /* nothing to give up */

	const int *want = NULL;
	size_t n = 0;
	switch (phase) {
	case UMH_PHASE_SETUP:
		want = setup_caps, n = ARRAY_SIZE(setup_caps);
		break;
	case UMH_PHASE_BPF:
		want = bpf_caps, n = ARRAY_SIZE(bpf_caps);
		break;
	case UMH_PHASE_SCAN:
		want = scan_caps, n = ARRAY_SIZE(scan_caps);
		break;
	case UMH_PHASE_REPORT:
		break;
	}
	int keep[8], later[8];
	size_t nkeep = 0, nlater = 0;
	for (size_t i = 0; i < n; i++) {
		int cap = on_this_kernel(want[i]);
		if (capng_have_capability(CAPNG_PERMITTED, (unsigned)cap))
			keep[nkeep++] = cap;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bpf_caps); i++) {
		int cap = on_this_kernel(bpf_caps[i]);
		if (wanted_later(phase, bpf_caps[i]) && capng_have_capability(CAPNG_PERMITTED, (unsigned)cap))
			later[nlater++] = cap;
	}

	capng_clear(CAPNG_SELECT_CAPS);
	for (size_t i = 0; i < nlater; i++)
		capng_update(CAPNG_ADD, CAPNG_PERMITTED, (unsigned)later[i]);
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
	if (!umh_debug("caps"))
		return;
	_cleanup_fclose_ FILE *f = fopen("/proc/thread-self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0)
			fprintf(stderr, "umount-helper: debug: phase %s: %s", phase, line);
}
