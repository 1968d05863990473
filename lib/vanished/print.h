/* Printing what vanished.h found: for people after explain's report, and
 * as members of explain's JSON object. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "base/json-read.h"
#include "base/json.h"

/* For a target that is not mounted:
 *   /mnt/b is not mounted.
 *     At 2024-05-01 12:00:01: /mnt/b (tmpfs, mount id 87) unmounted by systemd ...
 *     (From the record of umount-helper watch in /run/umount-helper.)
 * SEEN_ALL false: the mounts were read only from the namespaces' tables (no
 * detached mount seen), so the first line claims no more than that. */
void umh_vanished_print_text(const struct umh_jnode *v, const char *spec, bool seen_all, FILE *out);

/* "  warning: systemd would stop mnt-b.mount, ..." for each warning. */
void umh_risks_print_text(const struct umh_jnode *warnings, FILE *out);

/* The members explain's JSON gets: "vanished" (an object), "warnings"
 * (an array; absent when systemd was not asked), and "failed_unmounts"
 * (the watcher's record of earlier failed attempts, watch/attempts.h; an
 * array, absent when there are none). */
struct umh_explain_extra {
	const struct umh_jnode *vanished;
	const struct umh_jnode *warnings;
	const struct umh_jnode *failed_unmounts;
};
void umh_explain_extra_json(struct umh_json *j, void *userdata);
