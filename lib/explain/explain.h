/* One explanation: resolve the target, then run every collector into a
 * report. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

struct umh_explain_opts {
	const char *spec;         /* TARGET: a mount point or a source */
	const char *ns;           /* -N: a pid or a namespace file; NULL for ours */
	int64_t deadline_ns;      /* CLOCK_MONOTONIC; 0: no budget */
	unsigned int workers;     /* threads for the process scan; 0: one per CPU, at most 4 */
	uint64_t expect_mnt_id;   /* when set, explain only if the target is still this mount */
	bool known_busy;          /* umount(2) has just said EBUSY */
	bool drop_caps;           /* narrow capabilities per phase (the analysis process) */
	bool no_bpf;              /* scan /proc even where the BPF scan could run */
	bool verbose;             /* also say why the BPF scan was not used */
	bool fs_view;             /* --fs: explain the filesystem SPEC's mount is of, not the mount */
	pid_t exclude_pid;        /* a process of ours that waits for the result */
};

/* Returns 0 when the target was found and scanned (the report says whether
 * the scan finished), or a negative errno with report->error set:
 * -EINVAL not mounted, -ENOENT no such path, -ESTALE the mount changed.
 *
 * A target that is not mounted here, but names a filesystem (a device, a
 * tag, MAJ:MIN) or a directory that is a mount point in another namespace,
 * is explained as a filesystem (report->fs.view; explain/fs.h), as is any
 * target with FS_VIEW. */
int umh_explain(const struct umh_explain_opts *o, struct umh_report *r);
