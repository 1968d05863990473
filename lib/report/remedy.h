/* What to do about a holder that is a mount in some namespace, for text
 * and JSON alike: the commands people can paste, each with why.
 *
 *   a mount in our namespace           umount PATH
 *   in another namespace with processes nsenter -t PID -m umount PATH
 *   ... that is a systemd service's    systemctl restart UNIT (why: its
 *                                      PrivateTmp= namespace kept a copy)
 *   ... that is a container's          stop or restart the container
 *   in a namespace no process is in    umount the nsfs mount that keeps
 *                                      it, or close the descriptor
 *   an overlay built on it             umount the overlay (nsenter ...)
 *
 * And one line about a namespace: its processes, unit and container. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "model/model.h"

#define UMH_REMEDIES_MAX 3
struct umh_remedy {
	char command[600];
	char why[600]; /* "" when the command says it all */
};

/* The remedies for holder H (a "mount", "overlay-layer" or
 * "namespace-copy"), best first.  Returns how many were written to OUT
 * (at most UMH_REMEDIES_MAX): 0 for the other kinds. */
size_t umh_remedies(const struct umh_report *r, const struct umh_holder *h, struct umh_remedy *out);

/* The remedies for a mount at PATH in namespace NS_INUM (0 or ours: this
 * one), whatever holds it: the same as a "mount" holder's. */
size_t umh_remedies_for_mount(const struct umh_report *r, uint64_t ns_inum, const char *path, struct umh_remedy *out);

/* How remedies name mount M: its mount point, or for a mount in no
 * namespace (whose path is only its own root) what it is: "the detached
 * mount", "the detached tree". */
const char *umh_remedy_target(const struct umh_mount *m);

/* NS in a few words, written to OUT: "pid 1234 (sleep) and 2 more
 * processes; unit foo.service (PrivateTmp=yes); container docker 3f2a...",
 * or what keeps it when no process is in it.  Names are escaped. */
void umh_namespace_print(FILE *out, const struct umh_namespace *ns);
