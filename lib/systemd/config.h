/* A unit's setting as its files say, read from disk.
 *
 * For explain after the fact: once systemd has garbage-collected a mount
 * unit that it knew only from /proc/self/mountinfo, reading it over D-Bus
 * loads it again as "not-found", without its drop-ins, so a drop-in's
 * StopWhenUnneeded=yes no longer shows.  The files still say it. */
#pragma once

/* Looks for KEY in section SECTION of UNIT's unit file and drop-ins
 * (UNIT.d/ and TYPE.d/ in systemd's system search path, under ROOT: "" or
 * "/proc/PID/root"), the last assignment winning as in systemd.  Returns 1
 * with *VALUE and *FILE (the file that set it) allocated, 0 when no file
 * sets it, or a negative errno. */
int umh_sd_unit_setting(const char *root, const char *unit, const char *section, const char *key, char **value,
			char **file);

/* "yes", "true", "on", "1" (systemd's parse_boolean). */
int umh_sd_parse_boolean(const char *v);
