/* A burst of failed unmounts (watch/busy.h) as the watcher writes it: a
 * sentence for people (stdout, the journal's MESSAGE, and what explain
 * quotes later),
 *
 *   umount of /run/containerd/.../rootfs by containerd-shim (pid 4242,
 *   uid 0) as '...', child of ..., in containerd.service failed 50 times
 *   (EBUSY, target is busy) between 12:00:01 and 12:00:03; held then by
 *   sleep (pid 4300: cwd /run/containerd/.../rootfs)
 *
 * the examination's report for people (holders with their remedies), and
 * the record's JSON line (see umount-helper(8), "THE RECORD": event
 * "failed-unmount"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "watch/busy.h"

/* Holders a record line keeps (the rest are counted). */
#define UMH_WFAILURE_HOLDERS 16
/* The report's text a record line keeps, in bytes. */
#define UMH_WFAILURE_TEXT_MAX 6144

struct umh_wfailure {
	char *sentence;
	char *text;     /* the examination's report for people, or NULL */
	char *holders;  /* the holders as one JSON array ("[]" when none or not examined) */
	char *line;     /* the record's line, at most UMH_WRECORD_LINE_MAX - 1 bytes */
	char *container; /* the caller's container (umh_container_of_cgroup), or NULL */
};

/* Composes BURST's entry.  FINAL: the burst is over; WATCHED_MNTNS: the
 * watcher's namespace.  Returns 0 or -ENOMEM. */
int umh_wfailure_compose(const struct umh_wburst *burst, bool final, uint64_t watched_mntns, struct umh_wfailure *out);
void umh_wfailure_clear(struct umh_wfailure *f);

/* Sends ENTRY (of BURST) to journald at JFD: MESSAGE (the sentence, then
 * the report), MESSAGE_ID=UMH_MESSAGE_FAILED_UNMOUNT, and the fields of
 * umount-helper(8), "JOURNAL FIELDS".  Returns 0 or a negative errno. */
int umh_wfailure_journal(int jfd, const struct umh_wburst *burst, const struct umh_wfailure *entry);

/* The component of a cgroup path that names a container ("docker-ID.scope",
 * "cri-containerd-ID.scope", "crio-ID.scope", "libpod-ID.scope", or a
 * 64-digit id under cgroupfs drivers), as a new string, or NULL. */
char *umh_container_of_cgroup(const char *cgroup);
