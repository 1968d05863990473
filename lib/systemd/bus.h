/* Connections to a systemd manager, and the names it answers to on D-Bus.
 * Every function returns 0 on success and a negative errno on failure. */
#pragma once

#include <sys/types.h>

#define UMH_SD_DEST      "org.freedesktop.systemd1"
#define UMH_SD_PATH      "/org/freedesktop/systemd1"
#define UMH_SD_MANAGER   "org.freedesktop.systemd1.Manager"
#define UMH_SD_UNIT      "org.freedesktop.systemd1.Unit"
#define UMH_SD_MOUNT     "org.freedesktop.systemd1.Mount"
#define UMH_SD_AUTOMOUNT "org.freedesktop.systemd1.Automount"
/* A unit's object path: this, "/", its name encoded (sd_bus_path_encode). */
#define UMH_SD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"

typedef struct sd_bus sd_bus;

/* Where systemd listens: its private socket (a direct connection: no bus
 * daemon needed, every signal sent unasked, root only). */
#define UMH_SD_PRIVATE_SOCKET "/run/systemd/private"

/* Connects to a systemd manager.  `where` is
 *   NULL                 the system bus (sd_bus_open_system());
 *   "/path/to/socket"    a direct connection to a manager's private socket,
 *                        normally UMH_SD_PRIVATE_SOCKET (root only);
 *   "unix:path=...", "x-machine-unix:pid=PID", ...
 *                        a D-Bus bus (a dbus-daemon) at that address, e.g. a
 *                        container's system bus:
 *                        "unix:path=/proc/PID/root/run/dbus/system_bus_socket".
 * In every case the manager is asked to send its signals (Subscribe()): on a
 * bus it sends them only to subscribers, on a direct connection always.  So
 * JobNew / JobRemoved / UnitRemoved arrive.  Method calls time out after 5 s.
 *
 * systemd accepts a connection on its private socket only from root, and
 * only from a process it can see: one in its own pid namespace (or below).
 * For the private socket of a container's systemd, use umh_sd_connect_pid(). */
int umh_sd_connect(const char *where, sd_bus **ret);

/* Connects directly to the private socket of the systemd whose host pid is
 * `pid` (the PID 1 of a container): the socket is connect()ed by a helper
 * process that entered that pid namespace, so that systemd sees a valid
 * peer, and reached through /proc/PID/root.  Needs root (setns).  Then as
 * umh_sd_connect(). */
int umh_sd_connect_pid(pid_t pid, sd_bus **ret);
