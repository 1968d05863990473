/* Printing a report: text for people, grouped by holder with a remedy for
 * each, and JSON for programs.  Renderers never scan.  They expect a sorted
 * report (umh_report_sort(), which umh_run_explain() does). */
#pragma once

#include <stdio.h>

#include "base/json.h"
#include "model/model.h"

/* Most references listed for one process before the rest are counted. */
#define UMH_TEXT_MAX_REFS 20

void umh_report_print_text(const struct umh_report *r, FILE *out);

/* The report as one JSON object (umount-helper(8), docs/DESIGN.md),
 * written through J so that several reports can go into one array.  SPEC,
 * the target as the user wrote it, names it when it could not be resolved. */
void umh_report_write_json(const struct umh_report *r, const char *spec, struct umh_json *j);
/* The same, with more members from EXTRA at the end of the object: what
 * explain learned besides the scan ("vanished" for a target that is not
 * mounted, "warnings" from systemd; see vanished.h). */
typedef void (*umh_json_extra_fn)(struct umh_json *j, void *userdata);
void umh_report_write_json_extra(const struct umh_report *r, const char *spec, struct umh_json *j,
				 umh_json_extra_fn extra, void *userdata);
