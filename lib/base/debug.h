/* UMOUNT_HELPER_DEBUG=WORD,...: what a developer asked to see on stderr
 * (time, caps, bpf, load, percpu-symbol; umount-helper(8)).  Honoured
 * set-user-ID too, unlike the fault injection: it only adds the process's
 * own timings and capabilities, and libbpf's messages, to the caller's
 * stderr (t-helper-setuid checks that way that the analysis runs with no
 * capability), and "load" only makes explain load its own programs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Whether UMOUNT_HELPER_DEBUG names WORD. */
bool umh_debug(const char *word);

/* With UMOUNT_HELPER_DEBUG=time, "umount-helper: debug: STAGE: WHAT N ms"
 * for the time since *T; *T becomes now either way. */
void umh_debug_time(const char *stage, const char *what, int64_t *t);
