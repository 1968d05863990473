#include "bpf/opens/opens-load.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf/opens.skel.h"
#include "base/cleanup.h"
#include "bpf/common/loader.h"
#include "bpf/common/tracefs.h"

const char *umh_opens_mode_name(enum umh_opens_mode mode)
{
	switch (mode) {
	case UMH_OPENS_FENTRY: return "fentry";
	case UMH_OPENS_KPROBE: return "kprobe";
	case UMH_OPENS_SYSCALLS: return "syscall tracepoints";
	default: return "none";
	}
}

static bool kernel_has_btf_type(const char *name, int kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	bool found = btf__find_by_name_kind(btf, name, kind) > 0;
	btf__free(btf);
	return found;
}

static void set_autoload_set(struct umh_opens_bpf *s, enum umh_opens_mode mode, bool streaming)
{
	bpf_program__set_autoload(s->progs.open_fexit, mode == UMH_OPENS_FENTRY);
	bpf_program__set_autoload(s->progs.install_fentry, mode == UMH_OPENS_FENTRY);
	bpf_program__set_autoload(s->progs.release_fentry, mode == UMH_OPENS_FENTRY);
	bpf_program__set_autoload(s->progs.open_kprobe, mode == UMH_OPENS_KPROBE);
	bpf_program__set_autoload(s->progs.install_kprobe, mode == UMH_OPENS_KPROBE);
	bpf_program__set_autoload(s->progs.release_kprobe, mode == UMH_OPENS_KPROBE);
	/* Module symbols matter where module code can be on a stack. */
	bpf_program__set_autoload(s->progs.module_load,
				  mode != UMH_OPENS_SYSCALLS && kernel_has_btf_type("btf_trace_module_load", BTF_KIND_TYPEDEF));
	struct {
		struct bpf_program *prog;
		const char *name;
	} sys[] = {
		{ s->progs.sys_exit_openat, "sys_exit_openat" },
		{ s->progs.sys_exit_open, "sys_exit_open" },
		{ s->progs.sys_exit_openat2, "sys_exit_openat2" },
		{ s->progs.sys_exit_creat, "sys_exit_creat" },
		{ s->progs.sys_exit_open_by_handle_at, "sys_exit_open_by_handle_at" },
		{ s->progs.sys_enter_close, "sys_enter_close" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(sys); i++)
		bpf_program__set_autoload(sys[i].prog, mode == UMH_OPENS_SYSCALLS &&
							      umh_tracepoint_exists("syscalls", sys[i].name));
	bpf_program__set_autoload(s->progs.capture_root, streaming);
	bpf_program__set_autoload(s->progs.ledger_read, false);
}

static void close_links(struct umh_opens *o)
{
	for (size_t i = 0; i < o->n_links; i++)
		bpf_link__destroy(o->links[i]);
	o->n_links = 0;
}

static int attach_loaded(struct umh_opens *o)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, o->skel->obj)
	{
		if (!bpf_program__autoload(prog) || prog == o->skel->progs.capture_root)
			continue;
		if (o->n_links == ARRAY_SIZE(o->links))
			return -E2BIG;
		struct bpf_link *l = bpf_program__attach(prog);
		if (!l)
			return -errno;
		o->link_names[o->n_links] = bpf_program__name(prog);
		o->links[o->n_links++] = l;
	}
	return 0;
}

/* The tracer's root, for the paths events carry. */
static int capture_root(struct umh_opens *o)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct bpf_link *l = bpf_program__attach_iter(o->skel->progs.capture_root, NULL);
	if (!l)
		return -errno;
	int r = umh_bpf_read_iter(bpf_link__fd(l), &buf, &len);
	bpf_link__destroy(l);
	return r;
}

static int try_mode(struct umh_opens *o, const struct umh_opens_cfg *c, enum umh_opens_mode mode, char *why,
		    size_t size)
{
	const char *what = mode == UMH_OPENS_FENTRY ? "fentry programs" : mode == UMH_OPENS_KPROBE ? "kprobes" :
										       "the open/close tracepoints";
	if ((mode == UMH_OPENS_FENTRY && c->no_fentry) || (mode == UMH_OPENS_KPROBE && c->no_kprobe)) {
		snprintf(why, size, "%s were turned off for this run", what);
		return -ECANCELED;
	}
	if (mode == UMH_OPENS_KPROBE && !umh_kprobes_exist()) {
		snprintf(why, size, "this kernel has no kprobes (no kprobe event source)");
		return -ENOTSUP;
	}
	if (mode == UMH_OPENS_SYSCALLS) {
		int t = umh_tracefs_ensure();
		if (t < 0) {
			snprintf(why, size, "tracefs is not mounted, and mounting it failed: %s", strerror(-t));
			return t;
		}
		if (!umh_tracepoint_exists("syscalls", "sys_exit_openat")) {
			snprintf(why, size, "this kernel has no system call tracepoints (CONFIG_FTRACE_SYSCALLS)");
			return -ENOTSUP;
		}
	}
	o->skel = umh_opens_bpf__open();
	if (!o->skel) {
		int r = -errno;
		umh_bpf_describe_error(r, what, why, size);
		return r;
	}
	o->skel->rodata->target_mnt_id = c->target_mnt_id;
	o->skel->rodata->tracer_tgid = (uint32_t)c->tracer;
	o->skel->rodata->streaming = c->streaming;
	set_autoload_set(o->skel, mode, c->streaming);
	int r = umh_opens_bpf__load(o->skel);
	if (r < 0) {
		umh_bpf_describe_error(r, what, why, size);
	} else if ((r = attach_loaded(o)) < 0) {
		snprintf(why, size, "%s loaded but could not be attached: %s", what, strerror(-r));
	} else if (c->streaming && (r = capture_root(o)) < 0) {
		snprintf(why, size, "the tracer's root could not be read: %s", strerror(-r));
	}
	if (r < 0) {
		close_links(o);
		umh_opens_bpf__destroy(o->skel);
		o->skel = NULL;
		return r;
	}
	o->mode = mode;
	return 0;
}

int umh_opens_start(struct umh_opens *o, const struct umh_opens_cfg *c, char *why, size_t size)
{
	*o = (struct umh_opens){ 0 };
	int r = umh_bpf_precheck(why, size);
	if (r < 0)
		return r;
	umh_bpf_init();
	if (try_mode(o, c, UMH_OPENS_FENTRY, o->fentry_why, sizeof(o->fentry_why)) == 0)
		return 0;
	if (try_mode(o, c, UMH_OPENS_KPROBE, o->kprobe_why, sizeof(o->kprobe_why)) == 0)
		return 0;
	if (c->allow_syscalls) {
		char sys_why[320];
		if ((r = try_mode(o, c, UMH_OPENS_SYSCALLS, sys_why, sizeof(sys_why))) == 0)
			return 0;
		snprintf(why, size, "%s; %s; and %s", o->fentry_why, o->kprobe_why, sys_why);
		return r;
	}
	snprintf(why, size, "%s; and %s", o->fentry_why, o->kprobe_why);
	return -ENOTSUP;
}

void umh_opens_close(struct umh_opens *o)
{
	close_links(o);
	umh_opens_bpf__destroy(o->skel);
	o->skel = NULL;
	o->mode = UMH_OPENS_NONE;
}
