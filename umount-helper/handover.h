/* What the lean helper (lean/main.c) hands over to the tool it execs.
 *
 * The lean helper unmounts by itself only where a bare umount(2) is all
 * that util-linux would do; for everything else it execs the tool with the
 * same arguments, in the same process, before it has changed anything, and
 * the tool does all of it as if it had been run itself.  One verdict is
 * handed over: its umount(2) said EBUSY.  The tool must not try again (the
 * second try might succeed where umount(8) alone would have failed); it
 * says so in util-linux's words and explains.
 *
 * The environment carries that verdict, bound to the process: the value is
 * the pid, which exec keeps, so a copy inherited by any other process means
 * nothing; the tool removes it before it starts anyone. */
#pragma once

#include <stdbool.h>

#define UMH_HANDOVER_BUSY_ENV "UMOUNT_HELPER_UMOUNT_BUSY"

/* The lean helper, just before the exec: its umount(2) said EBUSY.
 * Returns 0 or a negative errno. */
int umh_handover_busy(void);

/* Forgets any verdict in the environment (the lean helper, first thing:
 * only its own may reach the tool). */
void umh_handover_clear(void);

/* The tool: whether umount(2) already said EBUSY for this process (the lean
 * helper that was this process said so); clears the variable either way. */
bool umh_handover_take_busy(void);
