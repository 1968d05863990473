#include "bpf/umount/umount-load.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "bpf/umount.skel.h"
#include "base/cleanup.h"
#include "bpf/common/loader.h"
#include "bpf/common/tracefs.h"

static bool tracefs_mounted(void)
{
	return umh_tracepoint_exists("syscalls", "") || umh_tracepoint_exists("sched", "");
}

/* Attaches both programs.  With tracefs missing: unshare, mount it,
 * attach, and setns back to the namespace we came from (ORIG). */
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
	if (!umh_tracepoint_exists("syscalls", "sys_enter_umount") ||
	    !umh_tracepoint_exists("syscalls", "sys_exit_umount")) {
		r = -ENOTSUP;
		snprintf(why, size, "this kernel has no umount system call tracepoints "
				    "(syscalls/sys_enter_umount; CONFIG_FTRACE_SYSCALLS)");
		goto back;
	}
	t->enter = bpf_program__attach(t->skel->progs.umount_enter);
	if (!t->enter) {
		r = -errno;
		snprintf(why, size, "the umount tracepoint could not be attached: %s", strerror(-r));
		goto back;
	}
	t->exit = bpf_program__attach(t->skel->progs.umount_exit);
	if (!t->exit) {
		r = -errno;
		snprintf(why, size, "the umount exit tracepoint could not be attached: %s", strerror(-r));
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

int umh_umount_trace_start(struct umh_umount_trace *t, umh_umount_event_fn fn, void *ctx, char *why, size_t size)
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
	r = umh_umount_bpf__load(t->skel);
	if (r < 0) {
		umh_bpf_describe_error(r, "the umount tracepoints", why, size);
		goto fail;
	}
	if ((r = attach(t, why, size)) < 0)
		goto fail;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), fn, ctx, NULL);
	if (!t->rb) {
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

uint64_t umh_umount_trace_lost(const struct umh_umount_trace *t)
{
	return t->skel && t->skel->bss ? t->skel->bss->events_lost : 0;
}

void umh_umount_trace_close(struct umh_umount_trace *t)
{
	ring_buffer__free(t->rb);
	bpf_link__destroy(t->enter);
	bpf_link__destroy(t->exit);
	umh_umount_bpf__destroy(t->skel);
	*t = (struct umh_umount_trace){ 0 };
}
