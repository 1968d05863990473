#include "bpf/umount/umount-load.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/umount.skel.h"
#include "base/cleanup.h"
#include "bpf/common/loader.h"
#include "bpf/common/tracefs.h"
#include "bpf/umount/umount.h"

static bool tracefs_mounted(void)
{
	return umh_tracepoint_exists("syscalls", "") || umh_tracepoint_exists("sched", "");
}

/* Attaches the program.  With tracefs missing: unshare, mount it, attach,
 * and setns back to the namespace we came from (ORIG). */
static int attach(struct umh_umount_trace *t, char *why, size_t size)
{
	_cleanup_close_ int orig = -1;
	int r = 0;

	if (!tracefs_mounted()) {
		orig = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
		if (orig < 0) {
			r = -errno;
			snprintf(why, size, "tracefs is not mounted, and /proc/self/ns/mnt cannot be opened: %s",
				 strerror(-r));
			return r;
		}
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0) {
			r = -errno;
			snprintf(why, size, "tracefs is not mounted, and mounting it failed: %s", strerror(-r));
			goto back;
		}
	}
	if (!umh_tracepoint_exists("syscalls", "sys_exit_umount")) {
		r = -ENOTSUP;
		snprintf(why, size, "this kernel has no umount system call tracepoints "
				    "(syscalls/sys_exit_umount; CONFIG_FTRACE_SYSCALLS)");
		goto back;
	}
	t->exit = bpf_program__attach(t->skel->progs.umount_exit);
	if (!t->exit) {
		r = -errno;
		snprintf(why, size, "the umount tracepoint could not be attached: %s", strerror(-r));
	}
back:
	/* Attached tracepoints stay attached when the namespace goes. */
	if (orig >= 0 && setns(orig, CLONE_NEWNS) < 0) {
		int e = -errno;
		snprintf(why, size, "could not return to the original mount namespace after mounting tracefs: %s",
			 strerror(-e));
		return e;
	}
	return r;
}

/* The user namespace that owns the mount namespace MNTNS_FD, and its
 * ancestors as far as we may see them (NS_GET_PARENT stops at our own
 * user namespace's parent), into the programs' configuration.  Nothing is
 * filtered by namespace when this fails. */
static void watched_userns(struct umh_umount_bpf *skel, int mntns_fd)
{
	unsigned int n = 0;
	int fd = mntns_fd >= 0 ? ioctl(mntns_fd, NS_GET_USERNS) : -1;
	while (fd >= 0 && n < UMH_UMOUNT_USERNS_MAX) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			n = 0;
			break;
		}
		skel->rodata->userns[n++] = st.st_ino;
		int parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		fd = parent;
	}
	if (fd >= 0) {
		/* Deeper than we keep: a call from above could not be told. */
		close(fd);
		n = 0;
	}
	skel->rodata->n_userns = n;
}

int umh_umount_trace_start(struct umh_umount_trace *t, int mntns_fd, umh_umount_event_fn fn, void *ctx, char *why,
			   size_t size)
{
	*t = (struct umh_umount_trace){ 0 };
	int r = umh_bpf_precheck(why, size);
	if (r < 0)
		return r;
	umh_bpf_init();
	t->skel = umh_umount_bpf__open();
	if (!t->skel) {
		r = -errno;
		umh_bpf_describe_error(r, "the umount tracepoints", why, size);
		return r;
	}
	watched_userns(t->skel, mntns_fd);
	t->n_userns = t->skel->rodata->n_userns;
	r = umh_umount_bpf__load(t->skel);
	if (r < 0) {
		umh_bpf_describe_error(r, "the umount tracepoints", why, size);
		goto fail;
	}
	if ((r = attach(t, why, size)) < 0)
		goto fail;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.unmounts), fn, ctx, NULL);
	if (!t->rb || ring_buffer__add(t->rb, bpf_map__fd(t->skel->maps.failures), fn, ctx) < 0) {
		r = -errno;
		snprintf(why, size, "the umount events' ring buffer could not be opened: %s", strerror(-r));
		goto fail;
	}
	return 0;
fail:
	umh_umount_trace_close(t);
	return r;
}

int umh_umount_trace_fd(const struct umh_umount_trace *t)
{
	return t->rb ? ring_buffer__epoll_fd(t->rb) : -EBADF;
}

int umh_umount_trace_consume(struct umh_umount_trace *t)
{
	return t->rb ? ring_buffer__consume(t->rb) : -EBADF;
}

int umh_umount_trace_stats(const struct umh_umount_trace *t, uint64_t *out)
{
	memset(out, 0, UMH_USTAT_N * sizeof(*out));
	if (!t->skel)
		return -EBADF;
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	_cleanup_free_ uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < UMH_USTAT_N; k++) {
		if (bpf_map__lookup_elem(t->skel->maps.stats, &k, sizeof(k), v, (size_t)ncpu * sizeof(*v), 0) < 0)
			return -errno;
		for (int c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
	return 0;
}

uint32_t umh_umount_trace_account_dropped(const struct umh_umount_trace *t, uint32_t account)
{
	struct umh_umount_rate w;
	if (!t->skel || bpf_map__lookup_elem(t->skel->maps.rate, &account, sizeof(account), &w, sizeof(w), 0) < 0)
		return 0;
	return w.dropped;
}

uint64_t umh_umount_trace_lost(const struct umh_umount_trace *t)
{
	uint64_t s[UMH_USTAT_N];
	return umh_umount_trace_stats(t, s) == 0 ? s[UMH_USTAT_LOST] : 0;
}

void umh_umount_trace_close(struct umh_umount_trace *t)
{
	ring_buffer__free(t->rb);
	bpf_link__destroy(t->exit);
	umh_umount_bpf__destroy(t->skel);
	*t = (struct umh_umount_trace){ 0 };
}
