#include "watch/calls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/str.h"
#include "model/mounttab.h"
#include "base/procfs.h"
#include "systemd/cause.h"

/* The initial pid namespace's inode number: fixed (PROC_PID_INIT_INO). */
#define INIT_PIDNS_INO 0xEFFFFFFCU

int umh_wcalls_init(struct umh_wcalls *c, int procfd)
{
	*c = (struct umh_wcalls){ .procfd = procfd };
	c->v = calloc(UMH_WCALLS_MAX, sizeof(*c->v));
	if (!c->v)
		return -ENOMEM;
	/* Whether BPF's pids (the initial namespace's) are ours.  Not from
	 * /proc/self/status's NSpid: inside a container, the container's
	 * /proc lists one number there too. */
	struct stat st;
	if (fstatat(procfd, "self/ns/pid", &st, 0) == 0) {
		c->my_pidns = st.st_ino;
		c->init_pidns = st.st_ino == INIT_PIDNS_INO;
	}
	return 0;
}

void umh_wcall_clear(struct umh_wcall *call)
{
	free(call->cgroup);
	free(call->unit);
	free(call->target);
	free(call->path);
	free(call->cmdline);
	*call = (struct umh_wcall){ 0 };
}

void umh_wcalls_free(struct umh_wcalls *c)
{
	for (size_t i = 0; c->v && i < c->n; i++)
		umh_wcall_clear(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* Arguments as the kernel keeps them (NUL-separated, N bytes) as one line;
 * CUT: there were more. */
static char *args_line(const char *buf, size_t n, bool cut)
{
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	if (n == 0)
		return NULL;
	char *line = malloc(n + sizeof("…"));
	if (!line)
		return NULL;
	for (size_t i = 0; i < n; i++)
		line[i] = buf[i] ? buf[i] : ' ';
	strcpy(line + n, cut ? "…" : "");
	return line;
}

static int dup_str(char **dst, const char *s)
{
	*dst = NULL;
	if (s && !(*dst = strdup(s)))
		return -ENOMEM;
	return 0;
}

int umh_wcall_copy(struct umh_wcall *dst, const struct umh_wcall *src)
{
	*dst = *src;
	dst->cgroup = dst->unit = dst->target = dst->path = dst->cmdline = NULL;
	if (dup_str(&dst->cgroup, src->cgroup) < 0 || dup_str(&dst->unit, src->unit) < 0 ||
	    dup_str(&dst->target, src->target) < 0 || dup_str(&dst->path, src->path) < 0 ||
	    dup_str(&dst->cmdline, src->cmdline) < 0) {
		umh_wcall_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

static void copy_task(struct umh_wtask *t, const struct umh_umount_task *k)
{
	t->pid = k->tgid;
	t->ns_pid = k->ns_tgid;
	t->pidns = k->pidns;
	umh_copy_field(t->comm, sizeof(t->comm), k->comm, sizeof(k->comm));
}

/* A cgroup name that is a systemd unit: "<name>.<type>" for the types that
 * own processes. */
static bool is_unit_name(const char *s)
{
	static const char *const types[] = { ".service", ".scope", ".mount", ".swap", ".socket", ".slice" };
	size_t n = strlen(s);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t k = strlen(types[i]);
		if (n > k && strcmp(s + n - k, types[i]) == 0)
			return true;
	}
	return false;
}

static int cgroup_path(struct umh_wcall *call, const struct umh_umount_call *e)
{
	size_t n = e->n_cgroup < UMH_UMOUNT_CG_DEPTH ? e->n_cgroup : UMH_UMOUNT_CG_DEPTH;
	size_t len = 8;
	for (size_t i = 0; i < n; i++)
		len += strnlen(e->cgroup[i], UMH_UMOUNT_CG_NAME) + 1;
	char *p = malloc(len), *o = p;
	if (!p)
		return -ENOMEM;
	if (!e->cgroup_complete)
		o += sprintf(o, "…");
	for (size_t i = n; i-- > 0;)
		o += sprintf(o, "/%.*s", (int)strnlen(e->cgroup[i], UMH_UMOUNT_CG_NAME), e->cgroup[i]);
	if (n == 0)
		o += sprintf(o, "/");
	call->cgroup = p;
	if (n > 0) {
		char leaf[UMH_UMOUNT_CG_NAME + 1];
		snprintf(leaf, sizeof(leaf), "%.*s", (int)strnlen(e->cgroup[0], UMH_UMOUNT_CG_NAME), e->cgroup[0]);
		if (is_unit_name(leaf) && dup_str(&call->unit, leaf) < 0)
			return -ENOMEM;
	}
	return 0;
}

int umh_wcall_from_event(struct umh_wcall *call, const struct umh_umount_call *e)
{
	*call = (struct umh_wcall){
		.enter_ns = (int64_t)e->h.ts_ns,
		.tid = e->h.tid,
		.uid = e->uid,
		.flags = e->flags,
		.mntns = e->mntns,
		.cgroup_id = e->cgroup_id,
		.account = e->account,
		.account_dropped = e->account_dropped,
		.exited = true,
		.ret = e->ret,
	};
	copy_task(&call->self, &e->self);
	call->n_parents = e->n_ancestors < UMH_UMOUNT_ANCESTORS ? e->n_ancestors : UMH_UMOUNT_ANCESTORS;
	for (size_t i = 0; i < call->n_parents; i++)
		copy_task(&call->parents[i], &e->ancestors[i]);
	char target[UMH_UMOUNT_TARGET_MAX + 1];
	snprintf(target, sizeof(target), "%.*s", (int)strnlen(e->target, UMH_UMOUNT_TARGET_MAX), e->target);
	if (dup_str(&call->target, target) < 0 || cgroup_path(call, e) < 0) {
		umh_wcall_clear(call);
		return -ENOMEM;
	}
	/* The arguments as BPF read them. */
	size_t n = e->cmdline_len < UMH_UMOUNT_CMDLINE ? e->cmdline_len : UMH_UMOUNT_CMDLINE - 1;
	call->cmdline = args_line(e->cmdline, n, e->cmdline_cut);
	if (target[0] == '/' && !(call->path = umh_path_normalize(target)) && errno == ENOMEM) {
		umh_wcall_clear(call);
		return -ENOMEM;
	}
	return 0;
}

int32_t umh_wcalls_local_pid(const struct umh_wcalls *c, const struct umh_wtask *t)
{
	if (c->my_pidns && t->pidns == c->my_pidns)
		return t->ns_pid;
	return c->init_pidns ? t->pid : 0;
}

/* Whether /proc/PID is still the process that made the call (not a new
 * one with its pid): its start time, in clock ticks, as /proc/PID/stat
 * says. */
static bool same_process(int dirfd, uint64_t start_ns)
{
	char buf[1024];
	if (umh_read_small(dirfd, "stat", buf, sizeof(buf)) <= 0)
		return false;
	const char *p = strrchr(buf, ')');
	if (!p)
		return false;
	/* Field 22, starttime; the ")" ends field 2, one space before each
	 * field after it. */
	p++;
	for (int field = 3; field < 22; field++)
		if (!(p = strchr(p + 1, ' ')))
			return false;
	unsigned long long ticks = strtoull(p + 1, NULL, 10);
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 && ticks == start_ns / (1000000000ULL / (unsigned long long)hz);
}

/* What /proc still tells about the caller: a short process may be gone. */
static int enrich(struct umh_wcalls *c, struct umh_wcall *call, uint64_t start_ns)
{
	int32_t pid = umh_wcalls_local_pid(c, &call->self);
	char name[32];
	if (pid <= 0)
		return 0;
	snprintf(name, sizeof(name), "%d", pid);
	_cleanup_close_ int dirfd = openat(c->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || !same_process(dirfd, start_ns))
		return 0;
	char buf[512];
	ssize_t n = call->cmdline ? 0 : umh_read_small(dirfd, "cmdline", buf, sizeof(buf));
	if (n > 0)
		call->cmdline = args_line(buf, (size_t)n, (size_t)n == sizeof(buf) - 1);
	if (!call->path && call->target && call->target[0]) {
		/* A relative path: against its working directory, as the
		 * kernel resolved it (as seen from our root). */
		char cwd[4096];
		_cleanup_free_ char *joined = NULL;
		if (umh_readlink(dirfd, "cwd", cwd, sizeof(cwd)) > 0 && cwd[0] == '/' &&
		    asprintf(&joined, "%s/%s", cwd, call->target) >= 0)
			call->path = umh_path_normalize(joined);
	}
	return 0;
}

int umh_wcalls_read_event(struct umh_wcalls *c, const void *data, size_t size, struct umh_wcall *call)
{
	const struct umh_umount_head *h = data;
	if (size < sizeof(struct umh_umount_call) || h->kind != UMH_UMOUNT_CALL)
		return 0;
	const struct umh_umount_call *e = data;
	int r = umh_wcall_from_event(call, e);
	if (r < 0)
		return r;
	r = enrich(c, call, e->self.start_ns);
	return r < 0 ? r : 1;
}

/* Which call goes when the list is full: one already matched, then one
 * from another namespace than the watched one (a call that can only have
 * propagated), then one not by root, then the oldest. */
static size_t least_useful(const struct umh_wcalls *c)
{
	size_t best = 0;
	int best_rank = -1;
	for (size_t i = 0; i < c->n; i++) {
		const struct umh_wcall *k = &c->v[i];
		int rank = k->used ? 3 : k->mntns != c->mntns ? 2 : k->account != 0 ? 1 : 0;
		if (rank > best_rank) {
			best_rank = rank;
			best = i;
		}
	}
	return best;
}

void umh_wcalls_keep(struct umh_wcalls *c, struct umh_wcall *call)
{
	if (c->n == UMH_WCALLS_MAX) {
		size_t i = least_useful(c);
		if (!c->v[i].used)
			c->lost++;
		umh_wcall_clear(&c->v[i]);
		memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(c->v[0]));
		c->v[--c->n] = (struct umh_wcall){ 0 };
	}
	c->v[c->n++] = *call;
	*call = (struct umh_wcall){ 0 };
}

void umh_wcalls_expire(struct umh_wcalls *c, int64_t now_ns, int64_t keep_ns)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].enter_ns < now_ns - keep_ns)
			umh_wcall_clear(&c->v[i]);
		else
			c->v[k++] = c->v[i];
	}
	for (size_t i = k; i < c->n; i++)
		c->v[i] = (struct umh_wcall){ 0 };
	c->n = k;
}

bool umh_wcall_by_systemd(const struct umh_wcall *call)
{
	if (call->n_parents == 0)
		return false;
	const struct umh_wtask *p = &call->parents[0];
	if (strcmp(p->comm, "systemd") != 0 || p->ns_pid != 1)
		return false;
	if (call->unit)
		return umh_sd_is_mount_unit(call->unit);
	return strcmp(call->self.comm, "umount") == 0;
}
