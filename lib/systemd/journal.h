/* The journal: the watcher writes its lines there, and explain reads what
 * systemd (and the watcher) wrote about a mount that is gone.
 *
 * Writing speaks journald's native protocol on its socket directly (one
 * datagram per entry), rather than through sd_journal_send(), so that the
 * socket can be another one than /run/systemd/journal/socket: a
 * container's, reached through /proc/PID/root.  Reading uses sd-journal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Our own MESSAGE_IDs: an unmount the watcher saw, the watcher starting or
 * stopping, and a burst of unmounts that failed (EBUSY) with what held the
 * target (watch/failure.h). */
#define UMH_MESSAGE_UNMOUNT "82f7ee45fc0b465a974ec916ff902b0a"
#define UMH_MESSAGE_WATCHER "222285da7f384a43af77aae301b636c2"
#define UMH_MESSAGE_FAILED_UNMOUNT "09ece473646848888da6a70861ad6aa1"

/* systemd's: a unit being stopped, and stopped (job_emit_start_message,
 * job_emit_done_message). */
#define UMH_SD_MESSAGE_UNIT_STOPPING "de5b426a63be47a7b6ac3eaac82e2f6f"
#define UMH_SD_MESSAGE_UNIT_STOPPED  "9d1aaa27d60140bd96365438aad20286"

#define UMH_JOURNAL_SOCKET "/run/systemd/journal/socket"

/* A datagram socket connected to journald's native socket at PATH (NULL:
 * UMH_JOURNAL_SOCKET).  Returns the descriptor or a negative errno. */
int umh_journal_connect(const char *path);

/* Sends one entry: FIELDS are "KEY=value" strings (values may hold any
 * byte, newlines included).  Returns 0 or a negative errno. */
int umh_journal_send(int fd, const char *const *fields, size_t n);

/* What systemd's journal says about the last stop of UNIT. */
struct umh_sdj_stop {
	bool found;
	uint64_t realtime_us; /* of "Unmounting ..." (or "Unmounted ..." if that is all there is) */
	uint32_t job_id;
	char *invocation_id;
	char *job_result;     /* "done", ... (from "Unmounted") */
	char *message;        /* systemd's "Unmounting mnt-b.mount - /mnt/b..." */
	char *reason;         /* a debug-level line that says why, if systemd logged one */
	char *related_unit;   /* the unit that line names ("bound to inactive unit X") */
	bool stopped;         /* the stop finished ("Unmounted ...") */
};

/* The unit the shipped watcher runs as: the only one whose entries explain
 * believes (with _UID=0). */
#define UMH_WATCH_SERVICE "umount-helper-watch.service"

/* A journal in a directory (DIR below) is read only when root or the
 * reader owns the directory and others may not write it: -EPERM else. */

/* Looks in the journal in DIR (NULL: this machine's) for the newest
 * UNIT_STOPPING / UNIT_STOPPED entries about UNIT that systemd itself
 * wrote (_PID=1, _UID=0), and a line of its just before them that gives
 * the reason.  Returns 1 when found, 0 when not, or a negative errno (no
 * journal, no permission). */
int umh_journal_find_stop(const char *dir, const char *unit, struct umh_sdj_stop *ret);
void umh_sdj_stop_done(struct umh_sdj_stop *s);

/* The newest unmount of TARGET the watcher wrote to the journal in DIR, as
 * root's service (_UID=0, _SYSTEMD_UNIT=UMH_WATCH_SERVICE): its event as
 * JSON (the record line, allocated).  A watcher run any other way (by
 * hand, from outside a container's pid namespace: no _UID) is not read
 * here; its record is.  Returns 1, 0 when none, or a negative errno. */
int umh_journal_find_ours(const char *dir, const char *target, uint64_t mntns, char **event_json);
