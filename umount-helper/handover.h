/* What the lean helper (lean/main.c) hands over to the tool it execs.
 *
 * The lean helper unmounts by itself only where a bare umount(2) is all
 * that util-linux would do, and runs the distribution's helper by itself
 * where there is one to wrap; for everything else it execs the tool with
 * the same arguments, in the same process, before it has changed anything,
 * and the tool does all of it as if it had been run itself.  Two verdicts
 * are handed over, after which the tool must not try again (the second try
 * might succeed where umount(8) alone would have failed):
 *
 *   busy     its umount(2) said EBUSY; the tool says so in util-linux's
 *            words and explains;
 *   wrapped  the distribution's helper ran and failed with a status that
 *            may mean busy, its messages already printed; the tool explains
 *            when the mount noted before it ran is still there, and exits
 *            with that status.
 *
 * The environment carries a verdict, bound to the process: the value
 * starts with the pid, which exec keeps, so a copy inherited by any other
 * process means nothing; the tool removes it before it starts anyone. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define UMH_HANDOVER_BUSY_ENV "UMOUNT_HELPER_UMOUNT_BUSY"
#define UMH_HANDOVER_WRAPPED_ENV "UMOUNT_HELPER_WRAPPED"

/* The lean helper, just before the exec: its umount(2) said EBUSY.
 * Returns 0 or a negative errno. */
int umh_handover_busy(void);

/* The lean helper, just before the exec: the helper it wrapped exited with
 * STATUS; MNT_ID was mounted at MOUNT_POINT before it ran (0 and NULL: not
 * known, or not asked: the tool then says nothing).  Returns 0 or a
 * negative errno. */
int umh_handover_wrapped(int status, uint64_t mnt_id, const char *mount_point);

/* Forgets any verdict in the environment (the lean helper, first thing:
 * only its own may reach the tool). */
void umh_handover_clear(void);

/* The tool: whether umount(2) already said EBUSY for this process (the lean
 * helper that was this process said so); clears the variable either way. */
bool umh_handover_take_busy(void);

/* The tool: whether the helper this process wrapped as the lean helper
 * failed; if so, sets *STATUS, *MNT_ID and *MOUNT_POINT (allocated; NULL
 * when not known).  Clears the variable either way. */
bool umh_handover_take_wrapped(int *status, uint64_t *mnt_id, char **mount_point);

/* Whether a helper's exit STATUS may mean that the unmount was tried and
 * refused: not 0, not 1 (usage: nothing was tried), not 126/127 (it did not
 * run).  nfs-utils exits 16 for every failed umount, so no finer reading is
 * possible. */
bool umh_helper_status_may_be_busy(int status);

/* The exit status to pass on for a wrapped helper that ended with WSTATUS
 * (waitpid's): its own; for a death by a signal, the same death (raised
 * here), so that the caller sees the same status. */
int umh_helper_pass_status(int wstatus);
