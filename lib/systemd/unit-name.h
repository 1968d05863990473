/* The names systemd gives mount units, both ways. */
#pragma once

#include <stdbool.h>

/* The mount unit systemd names after a mount point, as systemd 252's
 * unit_name_from_path() does: "/mnt/b" -> "mnt-b.mount", "/" -> "-.mount",
 * "/a-b" -> "a\x2db.mount".  The path must be absolute; "//", "/./" and a
 * trailing "/" are simplified away; ".." is refused (-EINVAL).  A name of 256
 * bytes or more is shortened as systemd does: its first 232 bytes, "_", a
 * 16-hex-digit SipHash of the whole name, ".mount" (checked against the
 * names systemd 252 gave such mount points). */
int umh_sd_mount_unit_name(const char *path, char **ret);

/* Whether UNIT names a mount unit ("....mount"). */
bool umh_sd_is_mount_unit(const char *unit);

/* The reverse, for a ".mount" name: "mnt-b.mount" -> "/mnt/b".  A
 * shortened (hashed) name cannot be turned back: -EINVAL (ask systemd for
 * the unit's Where= instead). */
int umh_sd_mount_unit_path(const char *unit, char **ret);
