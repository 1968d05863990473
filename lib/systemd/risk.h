/* Before a mount vanishes: whether systemd is about to stop (unmount) a
 * mounted target, or would stop it, and why.  explain adds these as
 * warnings to its report, so that the user learns it while the mount is
 * still there: a unit bound (BindsTo=) to a unit that is inactive, one
 * with StopWhenUnneeded=yes that nothing needs, a stop job already queued,
 * a unit file (or /etc/fstab) changed on disk since systemd loaded it. */
#pragma once

#include "base/json.h"

typedef struct sd_bus sd_bus;

/* Reads the mount unit of MOUNT_POINT from the manager on BUS and writes
 * one JSON object per warning through J (inside an array the caller
 * opened): {"kind", "unit", "related_unit", "sentence"}.  Returns the
 * number of warnings, or a negative errno. */
int umh_sd_write_risks(sd_bus *bus, const char *mount_point, struct umh_json *j);
