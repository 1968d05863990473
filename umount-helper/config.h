/* /etc/umount-helper.conf: what the umount.<type> helpers and the umount
 * front end do after a failed umount.
 *
 *   # a comment
 *   explain = yes                       yes|no: explain a failed umount
 *   timeout = 2                         seconds the explanation may take
 *   helper.nfs = /sbin/umount.nfs.distrib
 *                                       the original helper umount.nfs wraps;
 *                                       "none": unmount through libmount
 *
 * UMOUNT_HELPER_CONF names another file (ignored in a set-user-ID process);
 * UMOUNT_HELPER_EXPLAIN=0 turns explanations off whatever the file says. */
#pragma once

#include <stdbool.h>

#define UMH_CONF_PATH "/etc/umount-helper.conf"
#define UMH_DEFAULT_BUDGET_NS (2LL * 1000000000)

struct umh_config {
	bool explain;
	long long budget_ns;
	char *helper;      /* helper.TYPE for the type asked about, or NULL */
	bool helper_none;  /* helper.TYPE = none */
	char *path;        /* the file read (for messages) */
};

/* Reads the configuration; TYPE (may be NULL) selects the helper.TYPE line.
 * A missing file gives the defaults; a line that cannot be understood is
 * reported on stderr as PROG: FILE:LINE: ... and ignored, so that a typo
 * never stops an unmount (PROG NULL: ignored silently, by the lean helper,
 * which leaves the saying to the tool it may exec).  Returns 0 or -ENOMEM. */
int umh_config_load(const char *prog, const char *type, struct umh_config *c);

/* The file's lines from F, applied to C (which holds the defaults or what
 * came before); what umh_config_load() does once the file is open. */
#include <stdio.h>
int umh_config_parse(FILE *f, const char *prog, const char *type, struct umh_config *c);
void umh_config_free(struct umh_config *c);
