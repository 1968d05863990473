/* Asking outside sources (systemd over D-Bus, the journal, the watcher's
 * record) from explain and the umount front end, within a time budget and
 * as the person who ran us.
 *
 * FN runs in a child process that has become the real user (a set-user-ID
 * umount must not read what its user may not) and dies with us; it writes
 * one JSON value to OUT.  The parent waits at most BUDGET_NS, then kills
 * it: a systemd that does not answer costs the budget, never a hang. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "base/json-read.h"

typedef void (*umh_json_child_fn)(FILE *out, const void *arg);

/* Returns 0 with *RET the parsed value, -ETIME when the budget ran out,
 * -ECHILD when the child died or wrote no valid JSON, or another negative
 * errno. */
int umh_run_json(umh_json_child_fn fn, const void *arg, int64_t budget_ns, struct umh_jnode **ret);
