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
	if (from->comm && !ns->comm && !(ns->comm = strdup(from->comm)))
		return NULL;
	return ns;
}

void umh_ns_note_pid(struct umh_namespace *ns, int32_t pid, const char *comm)
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
	if (i == 0) {
		free(ns->comm);
		ns->comm = comm ? strdup(comm) : NULL;
	}
}

void umh_ns_set_free(struct umh_ns_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		umh_namespace_clear(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
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

/* What was learned of a unit once, for every namespace of its processes:
 * a host with hundreds of namespaces has a handful of units. */
struct unit_facts {
	char *unit;
	char pidns[64];
	int32_t manager_pid;
	char *settings;
	bool known;
};

struct unit_cache {
	struct unit_facts *v;
	size_t n;
};

static void unit_cache_free(struct unit_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].unit);
		free(c->v[i].settings);
	}
	free(c->v);
}

/* The systemd that runs UNIT for process PID (ours, or a container's: the
 * first process of the pid namespace, when that is systemd), and what in
 * its files gives it a namespace of its own. */
static struct unit_facts *unit_facts(int procfd, int32_t pid, const char *unit, struct unit_cache *c)
{
	char path[64], pidns[64] = "";
	snprintf(path, sizeof(path), "%d/ns/pid", pid);
	umh_readlink(procfd, path, pidns, sizeof(pidns));
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].unit, unit) == 0 && strcmp(c->v[i].pidns, pidns) == 0)
			return &c->v[i];
	struct unit_facts *v = reallocarray(c->v, c->n + 1, sizeof(*v));
	if (!v)
		return NULL;
	c->v = v;
	struct unit_facts *f = &v[c->n];
	*f = (struct unit_facts){ .unit = strdup(unit) };
	if (!f->unit)
		return NULL;
	snprintf(f->pidns, sizeof(f->pidns), "%s", pidns);
	c->n++;
	int32_t init = pidns_init(procfd, pid);
	char root[64] = "";
	if (init > 1) {
		if (!is_systemd(procfd, init))
			return f;
		f->manager_pid = init;
		snprintf(root, sizeof(root), "/proc/%d/root", init);
	} else if (init != 1 || !is_systemd(procfd, 1)) {
		return f; /* no systemd runs it */
	}
	f->known = true;
	f->settings = unit_settings(root, unit);
	return f;
}

/* Unit, cgroup, container, and the unit's settings, for process PID. */
static int describe_cgroup(int procfd, int32_t pid, struct umh_namespace *ns, struct unit_cache *cache)
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
	struct unit_facts *f = unit_facts(procfd, pid, unit, cache);
	if (!f)
		return -ENOMEM;
	if (f->known) {
		ns->manager_pid = f->manager_pid;
		if (f->settings && !(ns->unit_settings = strdup(f->settings)))
			return -ENOMEM;
	}
	return 0;
}

/* Only what a namespace needs: a few reads each (a host has hundreds). */
static int describe(int procfd, struct umh_namespace *ns, struct unit_cache *cache)
{
	char dir[16];
	if (ns->kept_pid && !ns->kept_comm) {
		snprintf(dir, sizeof(dir), "%d", ns->kept_pid);
		ns->kept_comm = umh_process_comm(procfd, dir);
	}
	if (!ns->n_pids || ns->ours)
		return 0;
	int32_t pid = ns->pids[0];
	snprintf(dir, sizeof(dir), "%d", pid);
	if (!ns->comm)
		ns->comm = umh_process_comm(procfd, dir);
	ns->cmdline = umh_process_cmdline(procfd, dir);
	return describe_cgroup(procfd, pid, ns, cache);
}

int umh_ns_set_report(int procfd, struct umh_ns_set *set, struct umh_report *r)
{
	struct unit_cache cache = { 0 };
	int ret = 0;
	for (size_t i = 0; i < set->n && ret >= 0; i++) {
		ret = describe(procfd, &set->v[i], &cache);
		if (ret == 0)
			ret = umh_report_add_namespace(r, &set->v[i]);
	}
	unit_cache_free(&cache);
	return ret;
}
