/* What a process's cgroup says about who runs it: the systemd unit (the
 * deepest component that names one, slices aside) and the container, by
 * the names container runtimes give their cgroups.  Pure functions: no
 * /proc is read here (namespaces.c does that). */
#pragma once

#include <stddef.h>

/* The cgroup path in /proc/PID/cgroup's text FILE: the unified hierarchy's
 * ("0::PATH"), else systemd's named one ("N:name=systemd:PATH").  Writes
 * it to OUT; returns 0, or -ENOENT when neither line is there. */
int umh_cgroup_path(const char *file, char *out, size_t size);

/* The unit the cgroup PATH belongs to ("foo.service", "session-2.scope"),
 * into OUT; returns 0, or -ENOENT when it names none. */
int umh_cgroup_unit(const char *path, char *out, size_t size);

/* The container PATH belongs to, as "RUNTIME ID" (the id cut to 12
 * characters, as `docker ps` shows it: "docker 3f2a9c0d1e4b",
 * "podman ...", "containerd ...", "cri-o ...", "kubernetes pod ...",
 * "lxc NAME", "machine NAME"), into OUT; returns 0, or -ENOENT. */
int umh_cgroup_container(const char *path, char *out, size_t size);
