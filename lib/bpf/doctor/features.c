#include "bpf/doctor/features.h"

#include <bpf/libbpf.h>
#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "bpf/refcount/mntcount-load.h"
#include "bpf/scan/scan-skel.h"
#include "bpf/probe.skel.h"
#include "base/cleanup.h"
#include "bpf/common/loader.h"
#include "bpf/common/tracefs.h"
#include "bpf/opens/opens-load.h"

#ifndef CAP_BPF
#define CAP_PERFMON 38
#define CAP_BPF 39
#endif

static void set(struct umh_feature_state *s, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(struct umh_feature_state *s, bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	s->ok = ok;
}

static inline void probe_destroyp(struct umh_probe_bpf **p) { umh_probe_bpf__destroy(*p); }

/* Loads PROG alone from probe.bpf.c and attaches it; 0 or negative errno
 * with WHY set. */
static int try_probe(const char *prog_name, const char *what, char *why, size_t size)
{
	_cleanup_(probe_destroyp) struct umh_probe_bpf *skel = umh_probe_bpf__open();
	if (!skel) {
		umh_bpf_describe_error(-errno, what, why, size);
		return -errno;
	}
	struct bpf_program *prog, *want = NULL;
	bpf_object__for_each_program(prog, skel->obj)
	{
		bool me = strcmp(bpf_program__name(prog), prog_name) == 0;
		bpf_program__set_autoload(prog, me);
		if (me)
			want = prog;
	}
	int r = umh_probe_bpf__load(skel);
	if (r < 0) {
		umh_bpf_describe_error(r, what, why, size);
		return r;
	}
	struct bpf_link *link = bpf_program__attach(want);
	if (!link) {
		r = -errno;
		snprintf(why, size, "%s load, but attaching one failed: %s", what, strerror(-r));
		return r;
	}
	if (strcmp(prog_name, "probe_iter") == 0) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		r = umh_bpf_read_iter(bpf_link__fd(link), &buf, &len);
		if (r == 0 && skel->bss->runs == 0)
			r = -ENODATA;
		if (r < 0)
			snprintf(why, size, "an iterator loaded but did not run: %s", strerror(-r));
	}
	bpf_link__destroy(link);
	return r;
}

static void probe_privilege(struct umh_feature_state *s)
{
	capng_get_caps_process();
	bool admin = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN);
	bool bpf = capng_have_capability(CAPNG_EFFECTIVE, CAP_BPF) || admin;
	bool perfmon = capng_have_capability(CAPNG_EFFECTIVE, CAP_PERFMON) || admin;
	if (getauxval(AT_SECURE))
		set(s, false, "running set-user-ID: no BPF is loaded on another user's behalf");
	else if (bpf && perfmon)
		set(s, true, "this process has CAP_BPF and CAP_PERFMON");
	else
		set(s, false, "this process lacks %s%s%s (run it as root)", bpf ? "" : "CAP_BPF",
		    !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
}

/* securityfs may be unmounted: look in a private mount of our own. */
static void probe_lockdown(struct umh_feature_state *s)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");
	if (!f && unshare(CLONE_NEWNS) == 0 && mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) == 0)
		f = fopen("/sys/kernel/security/lockdown", "re");
	if (!f) {
		set(s, true, "no lockdown (the kernel has no lockdown LSM)");
		return;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	char *open = strchr(buf, '['), *close = open ? strchr(open, ']') : NULL;
	if (!open || !close) {
		set(s, true, "lockdown state unreadable: %s", buf);
		return;
	}
	*close = '\0';
	const char *mode = open + 1;
	if (strcmp(mode, "none") == 0)
		set(s, true, "lockdown is off");
	else if (strcmp(mode, "integrity") == 0)
		set(s, true, "lockdown=integrity: BPF may read kernel memory; writing it is refused");
	else
		set(s, false, "lockdown=%s: BPF may not read kernel memory, so no BPF tracing", mode);
}

static void probe_kallsyms(struct umh_feature_state *s)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/kallsyms", "re");
	if (!f) {
		set(s, false, "/proc/kallsyms cannot be read: stacks show bare addresses");
		return;
	}
	char line[512];
	unsigned long funcs = 0, data = 0, nonzero = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;
		if (sscanf(line, "%llx %c", &addr, &type) != 2)
			continue;
		nonzero += addr != 0;
		if (type == 't' || type == 'T')
			funcs++;
		/* Data symbols beyond the linker's section markers mean
		 * CONFIG_KALLSYMS_ALL. */
		else if ((type == 'd' || type == 'D' || type == 'b' || type == 'B') && !strstr(line, " __"))
			data++;
	}
	if (!nonzero)
		set(s, false, "/proc/kallsyms hides addresses (kptr_restrict): stacks show bare addresses");
	else if (data > 100)
		set(s, true, "functions and data symbols (%lu functions)", funcs);
	else
		set(s, true, "functions only (%lu), no data symbols (CONFIG_KALLSYMS_ALL unset)", funcs);
}

/* What explain does (collect-refs.c), on the root mount: its count read, or
 * why not; and, where not, whether bpf_per_cpu_ptr, the direct way, is
 * refused too (the verifier's word for it). */
static void probe_refcount(struct umh_feature_state *s)
{
	char why[320];
	struct statx stx;
	if (statx(AT_FDCWD, "/", AT_STATX_DONT_SYNC, 0, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID)) {
		set(s, false, "the root's mount id cannot be read (statx)");
		return;
	}
	_cleanup_(umh_mntcount_closep) struct umh_mntcount *m = NULL;
	int64_t count;
	uint32_t children;
	int r = umh_mntcount_load(&m, why, sizeof(why));
	if (r == 0 && (r = umh_mntcount_read(m, (uint32_t)stx.stx_mnt_id, &count, &children, why, sizeof(why))) == 0) {
		set(s, true, "read through %s: / (mount %llu) has %lld references", umh_mntcount_way(m),
		    (unsigned long long)stx.stx_mnt_id, (long long)count);
		return;
	}
	char percpu[160];
	if (try_probe("probe_percpu", "bpf_per_cpu_ptr on mnt_pcp", percpu, sizeof(percpu)) == 0)
		snprintf(percpu, sizeof(percpu), "bpf_per_cpu_ptr would be accepted on mnt_pcp, but explain does not use it");
	else
		snprintf(percpu, sizeof(percpu), "bpf_per_cpu_ptr is refused on mnt_pcp");
	set(s, false, "%s; %s", why, percpu);
}

void umh_features_probe(struct umh_feature_state st[_UMH_FEAT_MAX])
{
	static const char *const names[_UMH_FEAT_MAX] = {
		[UMH_FEAT_BTF] = "BTF",
		[UMH_FEAT_PRIVILEGE] = "privilege",
		[UMH_FEAT_ITERATORS] = "BPF iterators",
		[UMH_FEAT_SCAN] = "BPF scan",
		[UMH_FEAT_FENTRY] = "fentry/fexit",
		[UMH_FEAT_KPROBES] = "kprobes",
		[UMH_FEAT_TRACEPOINTS] = "tracepoints",
		[UMH_FEAT_STACKS] = "kernel stacks",
		[UMH_FEAT_RINGBUF] = "ring buffer",
		[UMH_FEAT_MODULES] = "module symbols",
		[UMH_FEAT_LOCKDOWN] = "lockdown",
		[UMH_FEAT_KALLSYMS] = "kallsyms",
		[UMH_FEAT_REFCOUNT] = "mount refcount",
	};
	for (int i = 0; i < _UMH_FEAT_MAX; i++)
		st[i] = (struct umh_feature_state){ .name = names[i] };
	umh_bpf_init();
	char why[320];

	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		set(&st[UMH_FEAT_BTF], true, "/sys/kernel/btf/vmlinux is there: the CO-RE programs can load");
	else
		set(&st[UMH_FEAT_BTF], false, "the kernel has no BTF (/sys/kernel/btf/vmlinux): no BPF program of ours loads");
	probe_privilege(&st[UMH_FEAT_PRIVILEGE]);
	probe_lockdown(&st[UMH_FEAT_LOCKDOWN]);
	probe_kallsyms(&st[UMH_FEAT_KALLSYMS]);

	if (try_probe("probe_iter", "BPF iterators", why, sizeof(why)) == 0)
		set(&st[UMH_FEAT_ITERATORS], true, "an iter/task program loads and runs");
	else
		set(&st[UMH_FEAT_ITERATORS], false, "%s", why);

	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *scan = NULL;
	int r = umh_scan_skel_load(0, &scan, why, sizeof(why));
	if (r == 0)
		set(&st[UMH_FEAT_SCAN], true, "the scan's iterators (task, task_vma, unix) load");
	else
		set(&st[UMH_FEAT_SCAN], false, "%s", why);

	if (try_probe("probe_fentry", "fentry programs", why, sizeof(why)) == 0)
		set(&st[UMH_FEAT_FENTRY], true, "an fentry program on fd_install loads and attaches");
	else
		set(&st[UMH_FEAT_FENTRY], false, "%s", why);

	if (!umh_kprobes_exist())
		set(&st[UMH_FEAT_KPROBES], false, "this kernel has no kprobes (no kprobe event source, no kprobe_events)");
	else if (try_probe("probe_kprobe", "kprobes", why, sizeof(why)) == 0)
		set(&st[UMH_FEAT_KPROBES], true, "a kprobe on fd_install attaches");
	else
		set(&st[UMH_FEAT_KPROBES], false, "%s", why);

	r = umh_tracefs_ensure();
	if (r < 0)
		set(&st[UMH_FEAT_TRACEPOINTS], false, "tracefs is not mounted and could not be: %s", strerror(-r));
	else if (!umh_tracepoint_exists("syscalls", "sys_exit_openat"))
		set(&st[UMH_FEAT_TRACEPOINTS], false, "no system call tracepoints (CONFIG_FTRACE_SYSCALLS unset)");
	else if (try_probe("probe_tp", "tracepoint programs", why, sizeof(why)) == 0)
		set(&st[UMH_FEAT_TRACEPOINTS], true, "a program on syscalls/sys_exit_openat attaches");
	else
		set(&st[UMH_FEAT_TRACEPOINTS], false, "%s", why);

	if (st[UMH_FEAT_TRACEPOINTS].ok && try_probe("probe_stack", "bpf_get_stack", why, sizeof(why)) == 0)
		set(&st[UMH_FEAT_STACKS], true, "programs may take kernel stacks");
	else
		set(&st[UMH_FEAT_STACKS], false, "%s",
		    st[UMH_FEAT_TRACEPOINTS].ok ? why : "not tried: no tracepoint program loads");

	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1)
		set(&st[UMH_FEAT_RINGBUF], true, "BPF ring buffers can be created");
	else
		set(&st[UMH_FEAT_RINGBUF], false, "no BPF ring buffer (kernels before 5.8): trace cannot stream events");

	if (access("/proc/modules", F_OK) < 0)
		set(&st[UMH_FEAT_MODULES], false, "this kernel has no loadable modules: no module code can hold a file");
	else if (umh_tracepoint_exists("module", "module_load"))
		set(&st[UMH_FEAT_MODULES], true, "the module_load tracepoint lets probes keep a module's symbols");
	else
		set(&st[UMH_FEAT_MODULES], false, "no module_load tracepoint: a module's __init functions show as addresses");

	probe_refcount(&st[UMH_FEAT_REFCOUNT]);
}
