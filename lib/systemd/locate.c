/* Finding the systemd of a mount namespace.  See systemd/locate.h. */
#include "systemd/locate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/procfs.h"
#include "systemd/cause.h"
#include "systemd/journal.h"
#include "base/parse.h"

static bool is_systemd(int procfd, pid_t pid)
{
	char name[32], comm[32];
	snprintf(name, sizeof(name), "%d/comm", (int)pid);
	if (umh_read_small(procfd, name, comm, sizeof(comm)) <= 0)
		return false;
	comm[strcspn(comm, "\n")] = 0;
	return strcmp(comm, "systemd") == 0;
}

static int ns_ino(int procfd, const char *name, ino_t *ino)
{
	struct stat st;
	*ino = 0;
	if (fstatat(procfd, name, &st, 0) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

/* The pid of P in its own (innermost) pid namespace: NSpid's last number. */
static long innermost_pid(int procfd, pid_t p)
{
	char name[32], buf[4096];
	snprintf(name, sizeof(name), "%d/status", (int)p);
	if (umh_read_small(procfd, name, buf, sizeof(buf)) <= 0)
		return -1;
	const char *l = strstr(buf, "\nNSpid:");
	if (!l)
		return -1;
	l += 7;
	long last = -1;
	while (*l && *l != '\n') {
		char *end;
		long v = strtol(l, &end, 10);
		if (end == l)
			break;
		last = v;
		l = end;
	}
	return last;
}

/* A process that is PID 1 of its pid namespace, called systemd, in the
 * mount namespace MNT (and, if PIDNS, that pid namespace). */
static pid_t find_init(int procfd, ino_t mnt, ino_t pidns)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n = 0;
	if (umh_list_pids(procfd, &pids, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char name[48];
		ino_t ino = 0;
		snprintf(name, sizeof(name), "%d/ns/mnt", pids[i]);
		if (ns_ino(procfd, name, &ino) < 0 || ino != mnt)
			continue;
		if (pidns) {
			snprintf(name, sizeof(name), "%d/ns/pid", pids[i]);
			if (ns_ino(procfd, name, &ino) < 0 || ino != pidns)
				continue;
		}
		if (innermost_pid(procfd, pids[i]) == 1 && is_systemd(procfd, pids[i]))
			return pids[i];
	}
	return 0;
}

/* journald writes to /var/log/journal/MACHINE-ID when that exists
 * (Storage=auto or persistent), else to /run/log/journal/MACHINE-ID. */
static void container_paths(struct umh_sd_where *w)
{
	char path[PATH_MAX], mid[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/root/etc/machine-id", (int)w->pid);
	if (umh_read_small(AT_FDCWD, path, mid, sizeof(mid)) > 0)
		mid[strcspn(mid, "\n")] = 0;
	snprintf(path, sizeof(path), "/proc/%d/root/var/log/journal/%s", (int)w->pid, mid);
	if (mid[0] && access(path, F_OK) == 0)
		snprintf(w->journal_dir, sizeof(w->journal_dir), "/proc/%d/root/var/log/journal", (int)w->pid);
	else
		snprintf(w->journal_dir, sizeof(w->journal_dir), "/proc/%d/root/run/log/journal", (int)w->pid);
	snprintf(w->journal_socket, sizeof(w->journal_socket), "/proc/%d/root%s", (int)w->pid, UMH_JOURNAL_SOCKET);
}

void umh_sd_locate(int procfd, const char *ns, struct umh_sd_where *w)
{
	*w = (struct umh_sd_where){ 0 };
	const char *off = getenv("UMOUNT_HELPER_SYSTEMD");
	if (off && strcmp(off, "no") == 0) {
		snprintf(w->why, sizeof(w->why), "UMOUNT_HELPER_SYSTEMD=no");
		return;
	}
	if (!ns) {
		ino_t a = 0, b = 0;
		if (!is_systemd(procfd, 1)) {
			snprintf(w->why, sizeof(w->why), "PID 1 is not systemd");
			return;
		}
		/* An ordinary user may not look at PID 1's namespaces: then
		 * assume that we share them, as on any host. */
		if (ns_ino(procfd, "1/ns/mnt", &a) == 0 && ns_ino(procfd, "self/ns/mnt", &b) == 0 && a != b) {
			snprintf(w->why, sizeof(w->why), "this process is in another mount namespace than systemd");
			return;
		}
		w->found = true;
		w->bus = geteuid() == 0 && access(UMH_SD_PRIVATE_SOCKET, F_OK) == 0 ? UMH_SD_PRIVATE_SOCKET : NULL;
		snprintf(w->journal_socket, sizeof(w->journal_socket), "%s", UMH_JOURNAL_SOCKET);
		return;
	}
	if (geteuid() != 0) {
		snprintf(w->why, sizeof(w->why), "only root can reach the systemd of another namespace");
		return;
	}
	long pid = umh_parse_pid(ns);
	ino_t mnt = 0, pidns = 0;
	char name[64];
	if (pid) {
		snprintf(name, sizeof(name), "%ld/ns/mnt", pid);
		if (ns_ino(procfd, name, &mnt) < 0) {
			snprintf(w->why, sizeof(w->why), "no process %ld", pid);
			return;
		}
		snprintf(name, sizeof(name), "%ld/ns/pid", pid);
		if (ns_ino(procfd, name, &pidns) < 0)
			pidns = 0;
		if (innermost_pid(procfd, (pid_t)pid) == 1 && is_systemd(procfd, (pid_t)pid))
			w->pid = (pid_t)pid;
	} else {
		struct stat st;
		if (stat(ns, &st) < 0) {
			snprintf(w->why, sizeof(w->why), "%s: %s", ns, strerror(errno));
			return;
		}
		mnt = st.st_ino;
	}
	if (!w->pid)
		w->pid = find_init(procfd, mnt, pidns);
	if (!w->pid) {
		snprintf(w->why, sizeof(w->why), "no systemd runs as PID 1 in that namespace");
		return;
	}
	w->found = true;
	/* Our own PID 1 (the service runs `watch -N 1` from a sandbox with a
	 * mount namespace of its own): reach it the ordinary way. */
	ino_t mine = 0, its = 0;
	snprintf(name, sizeof(name), "%d/ns/pid", (int)w->pid);
	if (w->pid == 1 && ns_ino(procfd, "self/ns/pid", &mine) == 0 && ns_ino(procfd, name, &its) == 0 &&
	    mine == its) {
		w->pid = 0;
		w->bus = access(UMH_SD_PRIVATE_SOCKET, F_OK) == 0 ? UMH_SD_PRIVATE_SOCKET : NULL;
		snprintf(w->journal_socket, sizeof(w->journal_socket), "%s", UMH_JOURNAL_SOCKET);
		return;
	}
	container_paths(w);
}
