#include "explain/explain.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/caps.h"
#include "bpf/common/loader.h"
#include "bpf/common/pins.h"
#include "base/cleanup-mount.h"
#include "model/mounttab.h"
#include "explain/fs.h"
#include "explain/scan.h"
#include "base/parse.h"
#include "base/procfs.h"

static int fail(struct umh_report *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct umh_report *r, int err, const char *fmt, ...)
{
	struct umh_report s = { .error_code = err, .unexplained_refs = -1 };
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s.error, fmt, ap) < 0)
		s.error = NULL;
	va_end(ap);
	umh_report_set_summary(r, &s);
	free(s.error);
	return err;
}

/* -N: a pid, or a file such as /proc/PID/ns/mnt or a bind mount of one. */
static int enter_namespace(int procfd, const char *ns)
{
	char path[64];
	const char *p = ns;
	pid_t pid = umh_parse_pid(ns);
	if (pid) {
		snprintf(path, sizeof(path), "%d/ns/mnt", (int)pid);
		p = path;
	}
	_cleanup_close_ int fd = openat(procfd, p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNS) < 0)
		return -errno;
	return 0;
}

static unsigned int default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4 ? 4 : (unsigned int)n;
}

static void enter_phase(const struct umh_explain_opts *o, enum umh_phase phase, const char *name)
{
	if (o->drop_caps)
		umh_caps_enter(phase);
	umh_caps_debug(name);
}

struct collector {
	int (*run)(struct umh_scan *s);
	const char *what;
};

/* A collector that fails costs only what it would have found: it is
 * recorded as not inspected, and the others still run.  Only running out of
 * memory ends the scan. */
static int run_collectors(struct umh_scan *s, const struct collector *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = c[i].run(s);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			umh_report_add_skip(s->report, 0, -r, c[i].what, strerror(-r));
	}
	return 0;
}

/* A propagated copy that is held blocks the unmount as a whole: name it as
 * one holder of its own, beside the processes that hold it.  Its namespace
 * is then described (namespaces.h); the other copies' are not looked at. */
static int add_held_copies(struct umh_scan *s)
{
	struct umh_report *r = s->report;
	struct umh_ns_set held = { .ours = s->mntns };
	int ret = 0;
	for (size_t m = 0; m < s->n_mounts && ret >= 0; m++) {
		if (s->mounts[m].role != UMH_ROLE_COPY)
			continue;
		bool is_held = false;
		pthread_mutex_lock(&r->lock);
		for (size_t i = 0; i < r->n_holders && !is_held; i++)
			is_held = r->holders[i].mnt_id == s->mounts[m].id;
		const struct umh_mount *c = umh_report_mount(r, s->mounts[m].id);
		char *target = c && c->target ? strdup(c->target) : NULL;
		uint64_t ns = c ? c->mntns : 0;
		int32_t ns_pid = c ? c->ns_pid : 0;
		pthread_mutex_unlock(&r->lock);
		if (!is_held) {
			free(target);
			continue;
		}
		char detail[96];
		if (ns)
			snprintf(detail, sizeof(detail), "mount namespace mnt:[%llu] of pid %d", (unsigned long long)ns,
				 ns_pid);
		else
			snprintf(detail, sizeof(detail), "in this mount namespace");
		const struct umh_namespace *known = umh_ns_set_find(&s->namespaces, ns);
		if (known && !umh_ns_set_find(&held, ns) && !umh_ns_set_add_pids(&held, known))
			ret = -ENOMEM;
		struct umh_holder h = {
			.kind = UMH_KIND_NAMESPACE_COPY,
			.mnt_id = s->mounts[m].id,
			.fd = -1,
			.object = target,
			.detail = detail,
		};
		ret = umh_report_add_holder(r, &h);
		free(target);
	}
	if (ret >= 0)
		ret = umh_ns_set_report(s->procfd, &held, r);
	umh_ns_set_free(&held);
	return ret;
}

static int summarize(const struct umh_explain_opts *o, struct umh_scan *s, int ret, int64_t start)
{
	struct umh_report summary = {
		.finished = ret >= 0 && !umh_scan_out_of_time(s),
		.known_busy = o->known_busy,
		.unexplained_refs = s->unexplained_refs,
		.method = s->bpf_scanned ? "bpf" : "procfs",
		.processes_scanned = atomic_load(&s->processes_scanned),
		.fds_scanned = atomic_load(&s->fds_scanned),
		.elapsed_us = (uint64_t)(umh_now_ns() - start) / 1000,
	};
	if (ret < 0) {
		summary.error_code = ret;
		if (asprintf(&summary.incomplete, "the scan failed: %s", strerror(-ret)) < 0)
			summary.incomplete = NULL;
	} else if (umh_scan_out_of_time(s)) {
		summary.incomplete = strdup("the time budget ran out before the scan ended");
	}
	umh_report_set_summary(s->report, &summary);
	free(summary.incomplete);
	free(s->mounts);
	free(s->index);
	free(s->probe_users);
	if (s->tracefs_fd >= 0)
		close(s->tracefs_fd);
	umh_ns_set_free(&s->namespaces);
	umh_refs_free(&s->refs);
	return ret < 0 ? ret : 0;
}

/* The holders of the mounts of interest, after setup: loop devices and
 * swap files, then the processes (the BPF scan where the kernel lets us,
 * else /proc) and the open ledger.  Runs in the BPF phase (or the scan
 * phase with --no-bpf), and ends in the scan phase.  COUNT: read the
 * target's reference count around the BPF scan. */
static int scan_holders(const struct umh_explain_opts *o, struct umh_scan *s, bool count)
{
	static const struct collector scan[] = {
		{ umh_collect_loop, "loop devices" },
		{ umh_collect_swap, "swap files" },
	};
	static const struct collector ledger = { umh_collect_ledger, "the open ledger" };
	static const struct collector kernel_refs = { umh_collect_kernel_refs, "references held inside the kernel" };
	static const struct collector procfs = { umh_collect_processes, "processes" };

	/* Loop devices and swap files come first, so that the ledger does
	 * not name their files again. */
	char bpf_why[384] = "--no-bpf was given";
	int ret = umh_scan_index(s);
	if (ret >= 0)
		ret = run_collectors(s, scan, ARRAY_SIZE(scan));
	if (ret >= 0 && !o->no_bpf) {
		if (count)
			umh_refs_count_before(s);
		int b = umh_collect_bpf(s, bpf_why, sizeof(bpf_why));
		if (count)
			umh_refs_count_after(s);
		if (b == -ENOMEM)
			ret = b;
		else if (b < 0 && s->bpf_scanned) /* failed after its first holder: no fallback */
			umh_report_add_skip(s->report, 0, -b, "processes (BPF scan)", strerror(-b));
		if (ret >= 0)
			ret = run_collectors(s, &ledger, 1);
		/* Everything else that holds the target is found by now: what
		 * the count still shows is held inside the kernel. */
		if (ret >= 0 && count)
			ret = run_collectors(s, &kernel_refs, 1);
	}
	enter_phase(o, UMH_PHASE_SCAN, "scan");
	if (ret >= 0 && !s->bpf_scanned) {
		/* Out of time (a BPF walk outlasted the budget): no /proc scan
		 * either, and the summary says the scan is incomplete. */
		bool late = umh_scan_out_of_time(s);
		if (o->verbose) {
			char why[448];
			snprintf(why, sizeof(why), "%s%s", bpf_why, late ? "" : "; /proc was scanned instead");
			umh_report_add_skip(s->report, 0, 0, "the BPF scan", why);
		}
		if (!late)
			ret = run_collectors(s, &procfs, 1);
	}
	return ret;
}

/* Says, with -v, why the kernel did not find the mounts (WHY), and that
 * every namespace's mountinfo was read instead. */
static void note_text_path(const struct umh_explain_opts *o, struct umh_scan *s, const char *why)
{
	if (!o->verbose || !*why)
		return;
	char text[448];
	snprintf(text, sizeof(text), "%s; every namespace's mountinfo was read instead", why);
	umh_report_add_skip(s->report, 0, 0, "the kernel-side walk of the filesystem's mounts", text);
}

/* Explain of a filesystem (fs.h): MOUNTED is the mount SPEC named here
 * (--fs), or NULL; FOUND what looking it up in our table said. */
static int explain_fs(const struct umh_explain_opts *o, struct umh_scan *s, struct libmnt_fs *mounted, int found,
		      int64_t start)
{
	_cleanup_(umh_fs_spec_close) struct umh_fs_spec fs = { .dirfd = -1 };
	int ret = umh_fs_identify(s, o->spec, mounted, &fs);
	if (ret < 0) {
		if (found == -ENOENT || ret == -ENOENT)
			return fail(s->report, -ENOENT, "%s: no such file or directory", o->spec);
		return fail(s->report, -EINVAL, "%s: not mounted", o->spec);
	}
	char why[384] = "";
	int64_t t = umh_now_ns();
	enter_phase(o, o->no_bpf ? UMH_PHASE_SCAN : UMH_PHASE_BPF, o->no_bpf ? "scan" : "bpf");
	ret = umh_collect_fs(s, o->spec, &fs, !o->no_bpf, why, sizeof(why));
	umh_scan_debug_time("the filesystem's mounts", &t);
	if (ret == -EINVAL) {
		umh_ns_set_free(&s->namespaces);
		free(s->mounts);
		return fail(s->report, -EINVAL, "%s: not mounted", o->spec);
	}
	if (ret >= 0 && o->no_bpf)
		snprintf(why, sizeof(why), "--no-bpf was given");
	if (ret >= 0 && why[0])
		note_text_path(o, s, why);
	struct umh_report *r = s->report;
	/* From the mount tables only, a filesystem in no namespace may still
	 * be held (a loop device on a detached mount): look anyway. */
	if (ret >= 0 && (r->fs.alive || r->fs.partial))
		ret = scan_holders(o, s, false);
	umh_scan_debug_time("their holders", &t);
	if (ret >= 0 && !r->fs.alive && r->n_holders) {
		struct umh_fs alive = r->fs;
		alive.alive = true;
		ret = umh_report_set_fs(r, &alive);
	}
	enter_phase(o, UMH_PHASE_SCAN, "scan");
	if (ret >= 0)
		ret = umh_ns_set_report(s->procfd, &s->namespaces, s->report);
	umh_scan_debug_time("their namespaces", &t);
	return summarize(o, s, ret, start);
}

int umh_explain(const struct umh_explain_opts *o, struct umh_report *r)
{
	int64_t start = umh_now_ns();
	int ret;
	enter_phase(o, UMH_PHASE_SETUP, "setup");

	_cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return fail(r, -errno, "/proc is not mounted");
	/* The watcher's programs are where it pinned them, in this
	 * namespace's BPF filesystem (where BPF may be used at all). */
	char no_bpf_why[256];
	if (o->ns && !o->no_bpf && umh_bpf_precheck(no_bpf_why, sizeof(no_bpf_why)) == 0)
		umh_pins_keep_root();
	if (o->ns && (ret = enter_namespace(procfd, o->ns)) < 0)
		return fail(r, ret, "cannot enter the mount namespace of %s: %s", o->ns, strerror(-ret));

	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
	if ((ret = umh_mounttab_read(procfd, NULL, &tb)) < 0)
		return fail(r, ret, "cannot read the mount table: %s", strerror(-ret));
	struct libmnt_fs *fs = NULL;
	int found = umh_mounttab_find(tb, o->spec, &fs);

	struct umh_scan s = {
		.report = r,
		.procfd = procfd,
		.table = tb,
		.deadline_ns = o->deadline_ns,
		.workers = o->workers ? o->workers : default_workers(),
		.self = getpid(),
		.parent = o->exclude_pid,
		.anon_inode_mnt_id = umh_anon_inode_mnt_id(procfd),
		.unexplained_refs = -1,
		.tracefs_fd = -1,
	};
	umh_read_mntns(procfd, "self", &s.mntns);
	s.namespaces.ours = s.mntns;
	/* Not mounted here, or --fs: the filesystem.  (Not after a failed
	 * umount: that asks about the one mount it tried.) */
	if (!o->expect_mnt_id && (o->fs_view || found == -EINVAL || found == -ENOENT))
		return explain_fs(o, &s, found == 0 ? fs : NULL, found, start);
	if (found == -ENOENT)
		return fail(r, found, "%s: no such file or directory", o->spec);
	if (found < 0)
		return fail(r, -EINVAL, "%s: not mounted", o->spec);

	struct umh_mount target;
	umh_mount_from_fs(fs, UMH_ROLE_TARGET, &target);
	umh_refs_init(&s.refs, target.id);
	if (o->expect_mnt_id && target.id != o->expect_mnt_id)
		return fail(r, -ESTALE, "%s is no longer the mount that umount tried", o->spec);
	if ((ret = umh_scan_add_mount(&s, &target)) < 0)
		return summarize(o, &s, ret, start);

	/* Setup needs CAP_SYS_ADMIN (detached binfmt_misc/nfsd mounts); the
	 * process scan that follows runs without it. */
	static const struct collector setup[] = {
		{ umh_collect_same_fs_mounts, "other mounts of this filesystem" },
		{ umh_collect_child_mounts, "child mounts" },
		{ umh_collect_binfmt, "binfmt_misc interpreters" },
		{ umh_collect_nfsd, "nfsd exports" },
	};
	ret = run_collectors(&s, setup, ARRAY_SIZE(setup));
	if (ret >= 0 && !o->no_bpf)
		ret = umh_kernel_refs_setup(&s);

	/* BPF (the copies, the process scan, the open ledger) where the
	 * kernel lets us: the only phase that holds CAP_BPF. */
	int64_t t = umh_now_ns();
	umh_scan_debug_time("setup", &t);
	enter_phase(o, o->no_bpf ? UMH_PHASE_SCAN : UMH_PHASE_BPF, o->no_bpf ? "scan" : "bpf");
	char why[384] = "";
	if (ret >= 0)
		ret = umh_collect_copies(&s, !o->no_bpf, why, sizeof(why));
	umh_scan_debug_time("copies", &t);
	if (ret >= 0)
		note_text_path(o, &s, why);
	if (ret >= 0)
		ret = scan_holders(o, &s, true);
	umh_scan_debug_time("holders", &t);
	if (ret >= 0)
		ret = add_held_copies(&s);
	umh_scan_debug_time("held copies", &t);
	if (ret >= 0) {
		if (o->no_bpf)
			snprintf(s.refs.why, sizeof(s.refs.why), "it is read with BPF, and --no-bpf was given");
		ret = umh_collect_refs(&s);
	}
	return summarize(o, &s, ret, start);
}
