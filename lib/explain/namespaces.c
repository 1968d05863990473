#include "explain/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/procfs.h"
#include "explain/cgroup.h"
#include "model/process.h"
#include "systemd/config.h"

struct umh_namespace *umh_ns_set_find(const struct umh_ns_set *set, uint64_t inum)
{
	for (size_t i = 0; inum && i < set->n; i++)
		if (set->v[i].inum == inum)
			return &set->v[i];
	return NULL;
}

struct umh_namespace *umh_ns_set_get(struct umh_ns_set *set, uint64_t inum)
{
	struct umh_namespace *ns = umh_ns_set_find(set, inum);
	if (ns)
		return ns;
	struct umh_namespace *v = reallocarray(set->v, set->n + 1, sizeof(*v));
	if (!v)
		return NULL;
	set->v = v;
	v[set->n] = (struct umh_namespace){ .inum = inum, .ours = inum == set->ours, .kept_fd = -1 };
	return &v[set->n++];
}

struct umh_namespace *umh_ns_set_add_pids(struct umh_ns_set *set, const struct umh_namespace *from)
{
	struct umh_namespace *ns = umh_ns_set_get(set, from->inum);
	if (!ns)
		return NULL;
	ns->n_processes = from->n_processes;
	ns->n_pids = from->n_pids;
	memcpy(ns->pids, from->pids, sizeof(ns->pids));
	return ns;
}

void umh_ns_note_pid(struct umh_namespace *ns, int32_t pid)
{
	ns->n_processes++;
	/* The lowest pids, in order: the oldest processes, mostly. */
	uint32_t i = ns->n_pids;
	if (i == UMH_NS_PIDS) {
		if (pid >= ns->pids[i - 1])
			return;
		i--;
	} else {
		ns->n_pids++;
	}
	while (i > 0 && ns->pids[i - 1] > pid) {
		ns->pids[i] = ns->pids[i - 1];
		i--;
	}
	ns->pids[i] = pid;
}

void umh_ns_set_free(struct umh_ns_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		umh_namespace_clear(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

int umh_ns_set_pids_procfs(int procfd, struct umh_ns_set *set)
{
	_cleanup_free_ int32_t *pids = NULL;
	size_t n;
	int r = umh_list_pids(procfd, &pids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char path[64], link[64];
		uint64_t inum;
		snprintf(path, sizeof(path), "%d/ns/mnt", pids[i]);
		if (umh_readlink(procfd, path, link, sizeof(link)) < 0 || sscanf(link, "mnt:[%" SCNu64 "]", &inum) != 1)
			continue; /* gone, or not ours to see */
		struct umh_namespace *ns = inum != set->ours ? umh_ns_set_find(set, inum) : NULL;
		if (ns)
			umh_ns_note_pid(ns, pids[i]);
	}
	return 0;
}

/* --- who runs the processes -------------------------------------------------- */

/* The parent of PID, and whether it is in the same pid namespace. */
static int32_t parent_in_same_pidns(int procfd, int32_t pid)
{
	char path[64], status[4096], a[64], b[64];
	snprintf(path, sizeof(path), "%d/status", pid);
	if (umh_read_small(procfd, path, status, sizeof(status)) < 0)
		return 0;
	const char *pp = strstr(status, "\nPPid:");
	int32_t ppid = pp ? (int32_t)strtol(pp + 6, NULL, 10) : 0;
	if (ppid <= 0)
		return 0;
	snprintf(path, sizeof(path), "%d/ns/pid", pid);
	if (umh_readlink(procfd, path, a, sizeof(a)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%d/ns/pid", ppid);
	if (umh_readlink(procfd, path, b, sizeof(b)) < 0 || strcmp(a, b) != 0)
		return 0;
	return ppid;
}

/* The first process of PID's pid namespace (its "PID 1"), as we number
 * it: the oldest ancestor in the same pid namespace. */
static int32_t pidns_init(int procfd, int32_t pid)
{
	for (int depth = 0; depth < 4096; depth++) {
		int32_t up = parent_in_same_pidns(procfd, pid);
		if (!up)
			return pid;
		pid = up;
	}
	return 0;
}

static bool is_systemd(int procfd, int32_t pid)
{
	char path[64], comm[32];
	snprintf(path, sizeof(path), "%d/comm", pid);
	if (umh_read_small(procfd, path, comm, sizeof(comm)) < 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "systemd") == 0;
}

/* The settings that give a service a mount namespace of its own, as its
 * unit files say (systemd.exec(5)).  Only those set to something other
 * than "no" are named. */
static const char *const ns_settings[] = {
	"PrivateTmp",         "PrivateMounts",         "PrivateDevices",       "ProtectSystem",
	"ProtectHome",        "DynamicUser",           "ReadOnlyPaths",        "ReadWritePaths",
	"InaccessiblePaths",  "TemporaryFileSystem",   "BindPaths",            "BindReadOnlyPaths",
	"RootDirectory",      "RootImage",             "ProtectKernelTunables", "ProtectKernelModules",
	"ProtectKernelLogs",  "ProtectControlGroups",  "ProtectClock",         "ProtectHostname",
	"ProtectProc",        "ProcSubset",            "MountAPIVFS",          "PrivateNetwork",
};

static char *unit_settings(const char *root, const char *unit)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(ns_settings); i++) {
		_cleanup_free_ char *value = NULL, *file = NULL;
		if (umh_sd_unit_setting(root, unit, "Service", ns_settings[i], &value, &file) <= 0 || !value)
			continue;
		if (!*value || umh_sd_parse_boolean(value) == 0)
			continue;
		fprintf(f, "%s%s=%s", ftell(f) ? " " : "", ns_settings[i], value);
	}
	if (fclose(f) != 0 || !size) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Unit, cgroup, container, and the unit's settings, for process PID. */
static int describe_cgroup(int procfd, int32_t pid, struct umh_namespace *ns)
{
	char path[64], file[8192], cg[4096], unit[512], container[256];
	snprintf(path, sizeof(path), "%d/cgroup", pid);
	if (umh_read_small(procfd, path, file, sizeof(file)) < 0 || umh_cgroup_path(file, cg, sizeof(cg)) < 0)
		return 0;
	if (!(ns->cgroup = strdup(cg)))
		return -ENOMEM;
	if (umh_cgroup_container(cg, container, sizeof(container)) == 0 && !(ns->container = strdup(container)))
		return -ENOMEM;
	if (umh_cgroup_unit(cg, unit, sizeof(unit)) < 0)
		return 0;
	if (!(ns->unit = strdup(unit)))
		return -ENOMEM;
	/* The systemd that runs it: ours, or a container's (the first
	 * process of the pid namespace, when that is systemd). */
	int32_t init = pidns_init(procfd, pid);
	char root[64] = "";
	if (init > 1 || (init == 1 && !is_systemd(procfd, 1))) {
		if (!is_systemd(procfd, init))
			return 0;
		ns->manager_pid = init;
		snprintf(root, sizeof(root), "/proc/%d/root", init);
	} else if (init != 1) {
		return 0;
	}
	ns->unit_settings = unit_settings(root, unit);
	return 0;
}

static char *comm_of(int procfd, int32_t pid)
{
	char path[64], comm[64];
	snprintf(path, sizeof(path), "%d/comm", pid);
	if (umh_read_small(procfd, path, comm, sizeof(comm)) < 0)
		return NULL;
	comm[strcspn(comm, "\n")] = '\0';
	return strdup(comm);
}

static int describe(int procfd, struct umh_namespace *ns)
{
	if (ns->kept_pid && !ns->kept_comm)
		ns->kept_comm = comm_of(procfd, ns->kept_pid);
	if (!ns->n_pids || ns->ours)
		return 0;
	int32_t pid = ns->pids[0];
	char dir[32];
	snprintf(dir, sizeof(dir), "%d", pid);
	_cleanup_close_ int dirfd = openat(procfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0; /* gone meanwhile */
	struct umh_process p;
	if (umh_describe_process(dirfd, pid, &p) == 0) {
		ns->comm = TAKE_PTR(p.comm);
		ns->cmdline = TAKE_PTR(p.cmdline);
	}
	umh_process_clear(&p);
	return describe_cgroup(procfd, pid, ns);
}

int umh_ns_set_report(int procfd, struct umh_ns_set *set, struct umh_report *r)
{
	for (size_t i = 0; i < set->n; i++) {
		int ret = describe(procfd, &set->v[i]);
		if (ret == 0)
			ret = umh_report_add_namespace(r, &set->v[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}
