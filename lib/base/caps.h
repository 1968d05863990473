/* Least privilege with libcap-ng: each phase of the analysis keeps only the
 * capabilities it needs, and the process that prints keeps none. */
#pragma once

enum umh_phase {
	UMH_PHASE_SETUP,  /* entering the target's namespace, reading binfmt_misc/nfsd */
	UMH_PHASE_BPF,    /* loading and running the scan's BPF iterators */
	UMH_PHASE_SCAN,   /* reading other processes' /proc entries */
	UMH_PHASE_REPORT, /* printing: nothing */
};

/* Narrows this thread's capabilities to what PHASE needs.  A process that
 * has no capabilities (an ordinary user) is left as it is.  Returns 0 or a
 * negative errno. */
int umh_caps_enter(enum umh_phase phase);

/* Becomes the real user for good: real, effective and saved ids all set
 * to the real uid and gid, and every capability cleared when that user is
 * not root.  A set-user-ID caller (umount installed setuid for "user"
 * mounts) must show only what the person who ran it may see.  A no-op for
 * a process that gained nothing.  Returns 0 or a negative errno. */
int umh_become_real_user(void);

/* With UMOUNT_HELPER_DEBUG=caps in the environment, prints the phase and
 * the effective capability mask (from /proc/self/status) to stderr. */
void umh_caps_debug(const char *phase);
