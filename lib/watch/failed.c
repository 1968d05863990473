/* The watcher's failed unmounts.  See watch/failed.h. */
#include "watch/failed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/clock.h"
#include "base/procfs.h"
#include "model/mounttab.h"

int umh_wfailed_init(struct umh_wfailed *f)
{
	f->x = (struct umh_wexamine){ .fd = -1 };
	return umh_wbusy_init(&f->busy);
}

void umh_wfailed_free(struct umh_wfailed *f)
{
	umh_wexamine_stop(&f->x);
	umh_wbusy_free(&f->busy);
}

/* A caller in our own mount namespace is examined there as it is, without
 * entering it (entering one resets the root: a watcher in a chroot would
 * look outside it); when the caller runs chrooted, its path is made one
 * of ours.  Returns true when the caller is in our namespace. */
static bool in_own_namespace(struct umh_wfailed *f, struct umh_wburst *u)
{
	if (u->mntns != f->own_mntns)
		return false;
	int32_t pids[1 + UMH_UMOUNT_ANCESTORS] = { u->local_pid };
	for (size_t i = 0; i < u->first.n_parents; i++)
		pids[1 + i] = u->local_parents[i];
	char root[4096] = "";
	for (size_t i = 0; i < 1 + u->first.n_parents && !root[0]; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%d", (int)pids[i]);
		int dirfd = pids[i] > 0 ? openat(f->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		if (dirfd >= 0 && umh_readlink(dirfd, "root", root, sizeof(root)) <= 0)
			root[0] = 0;
		if (dirfd >= 0)
			close(dirfd);
	}
	if (root[0] == '/' && root[1]) {
		_cleanup_free_ char *joined = NULL;
		if (asprintf(&joined, "%s/%s", root, u->first.path) >= 0)
			u->examine_path = umh_path_normalize(joined);
	}
	return true;
}

/* The caller's mount namespace, held: the watched one when it is that;
 * else through the caller or one of its parents in the same namespace,
 * as long as one of them lives. */
static int hold_namespace(struct umh_wfailed *f, const struct umh_wburst *u)
{
	if (u->mntns == f->watched_mntns && f->watched_ns_fd >= 0)
		return fcntl(f->watched_ns_fd, F_DUPFD_CLOEXEC, 3);
	int32_t pids[1 + UMH_UMOUNT_ANCESTORS] = { u->local_pid };
	for (size_t i = 0; i < u->first.n_parents; i++)
		pids[1 + i] = u->local_parents[i];
	for (size_t i = 0; i < 1 + u->first.n_parents; i++) {
		if (pids[i] <= 0)
			continue;
		char name[64];
		struct stat st;
		snprintf(name, sizeof(name), "%d/ns/mnt", (int)pids[i]);
		int fd = openat(f->procfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_ino == u->mntns)
			return fd;
		close(fd);
	}
	return -ESRCH;
}

void umh_wfailed_call(struct umh_wfailed *f, struct umh_wcall *call, int64_t now_ns, int64_t now_real_us)
{
	/* A caller outside our pid namespace (we watch from inside a
	 * container) is none of our business, and could not be examined. */
	if (umh_wcalls_local_pid(f->calls, &call->self) <= 0) {
		f->busy.not_followed++;
		return;
	}
	bool opened;
	struct umh_wburst *u = umh_wbusy_add(&f->busy, call, now_ns, now_real_us, &opened);
	if (!u || !opened)
		return;
	u->local_pid = umh_wcalls_local_pid(f->calls, &u->first.self);
	for (size_t i = 0; i < u->first.n_parents; i++)
		u->local_parents[i] = umh_wcalls_local_pid(f->calls, &u->first.parents[i]);
	if (!f->examine) {
		umh_wbusy_explained(u, NULL, "not examined (--no-explain)", now_ns);
		return;
	}
	if (!u->first.path) {
		umh_wbusy_explained(u, NULL, "not examined: the path it passed is relative, and its working directory "
					     "could not be read", now_ns);
		return;
	}
	if ((u->own_ns = in_own_namespace(f, u)))
		return;
	u->ns_fd = hold_namespace(f, u);
	if (u->ns_fd < 0) {
		char why[160];
		snprintf(why, sizeof(why), "not examined: its mount namespace mnt:[%llu] had no process left to enter it "
					   "through", (unsigned long long)u->mntns);
		umh_wbusy_explained(u, NULL, why, now_ns);
	}
}

void umh_wfailed_unmounted(struct umh_wfailed *f, const struct umh_wcall *call, int64_t now_real_us)
{
	umh_wbusy_unmounted(&f->busy, call, now_real_us);
}

int umh_wfailed_fd(const struct umh_wfailed *f)
{
	return umh_wexamine_fd(&f->x);
}

static void read_worker(struct umh_wfailed *f, int64_t now_ns, bool stop)
{
	if (!umh_wexamine_running(&f->x))
		return;
	struct umh_jnode *result = NULL;
	char why[256];
	if (stop) {
		umh_wexamine_stop(&f->x);
		snprintf(why, sizeof(why), "the examination was cut short: the watcher stopped");
	} else if (umh_wexamine_read(&f->x, &result, why, sizeof(why)) == 0) {
		return;
	}
	struct umh_wburst *u = umh_wbusy_find(&f->busy, f->x.id);
	if (u)
		umh_wbusy_explained(u, result, why, now_ns);
	else
		umh_jfree(result);
}

static void start_next(struct umh_wfailed *f, int64_t now_ns)
{
	while (!umh_wexamine_running(&f->x)) {
		struct umh_wburst *u = umh_wbusy_next_explain(&f->busy, now_ns);
		if (!u)
			return;
		const char *path = u->examine_path ? u->examine_path : u->first.path;
		int r = u->own_ns ? umh_wexamine_start(&f->x, u->id, path, -1, f->budget_ns) :
			u->ns_fd >= 0 ? umh_wexamine_start(&f->x, u->id, path, u->ns_fd, f->budget_ns) :
			-EBADF;
		if (r < 0) {
			char why[160];
			snprintf(why, sizeof(why), "not examined: the examination could not be started: %s", strerror(-r));
			umh_wbusy_explained(u, NULL, why, now_ns);
		}
	}
}

static void write_due(struct umh_wfailed *f, int64_t now_ns)
{
	bool final;
	struct umh_wburst *u;
	while ((u = umh_wbusy_due(&f->busy, now_ns, &final))) {
		struct umh_wfailure e;
		/* Calls of the same account held back since its last one
		 * came: there may have been more attempts than counted. */
		uint32_t dropped = f->trace ? umh_umount_trace_account_dropped(f->trace, u->first.account) : 0;
		if (dropped > u->dropped_last)
			u->dropped_last = dropped;
		if (umh_wfailure_compose(u, final, f->watched_mntns, &e) == 0) {
			f->emit(f->userdata, u, &e, final);
			f->entries++;
			umh_wfailure_clear(&e);
		}
		umh_wbusy_written(&f->busy, u, final, now_ns);
	}
}

void umh_wfailed_tick(struct umh_wfailed *f, int64_t now_ns, bool all)
{
	read_worker(f, now_ns, false);
	if (!all) {
		/* What is due is written before a new examination starts: a
		 * burst that goes on says what held it at first, then, when
		 * the next examination sees another holder, that. */
		write_due(f, now_ns);
		start_next(f, now_ns);
		return;
	}
	/* The end: what runs is cut short, what waits is not started, and
	 * every burst is written as it stands. */
	read_worker(f, now_ns, true);
	for (size_t i = 0; i < f->busy.n; i++) {
		struct umh_wburst *u = &f->busy.v[i];
		if (u->need_explain && !u->explained_ns)
			umh_wbusy_explained(u, NULL, "not examined: the watcher stopped first", now_ns);
		u->need_explain = false;
	}
	write_due(f, now_ns + UMH_WBUSY_IDLE_NS + UMH_WBUSY_REFRESH_NS);
}

int64_t umh_wfailed_wait_ns(const struct umh_wfailed *f, int64_t now_ns, int64_t limit_ns)
{
	int64_t wait = limit_ns;
	int64_t next = umh_wbusy_next_ns(&f->busy);
	if (next && next - now_ns < wait)
		wait = next - now_ns;
	if (umh_wexamine_running(&f->x)) {
		int64_t left = umh_wexamine_deadline(&f->x) - umh_now_ns();
		if (left < wait)
			wait = left;
	}
	return wait < 0 ? 0 : wait;
}
