/* References to the target that no process holds, named with no tracing
 * started beforehand (lib/bpf/refcount/kernrefs.bpf.c).  Looked for only when the
 * mount's count says something is left that the scan did not explain, or
 * cannot say (refs.h): a free mount pays nothing.
 *
 *   1. uprobes registered in tracefs (uprobe_events): each keeps the file it
 *      probes, and its mount, until it is removed
 *   2. kernel modules: a struct file * or a struct path on the target in a
 *      module's data, or in an object its data points to (the seed case: a
 *      module that filp_open()ed /mnt/dir/file)
 *   3. when references are still left, the files that carry them: a walk of
 *      the target's dentries, each one's count against what explains it
 *
 * Each finding explains its references by cookie, as the BPF scan's
 * objects do, so that one object is never counted twice. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/debug.h"
#include "base/cleanup.h"
#include "base/clock.h"
#include "base/grow.h"
#include "base/ksyms.h"
#include "base/parse.h"
#include "base/procfs.h"
#include "bpf/common/pathjoin.h"
#include "bpf/refcount/kernrefs-load.h"
#include "explain/scan.h"

/* How long each walk may take at most, within the scan's own deadline. */
#define WALK_BUDGET_NS (500 * 1000000LL)

/* Filesystems that take a reference to each dentry they create and keep it
 * while the file exists (dget in their mknod: shmem.c, ramfs, hugetlbfs,
 * bpffs). */
static bool pins_dentries(const char *fstype)
{
	static const char *const pinning[] = { "tmpfs", "ramfs", "devtmpfs", "hugetlbfs", "bpf" };
	for (size_t i = 0; fstype && i < ARRAY_SIZE(pinning); i++)
		if (strcmp(fstype, pinning[i]) == 0)
			return true;
	return false;
}

static int64_t walk_deadline(const struct umh_scan *s)
{
	int64_t d = umh_now_ns() + WALK_BUDGET_NS;
	return s->deadline_ns && s->deadline_ns < d ? s->deadline_ns : d;
}

/* UMOUNT_HELPER_DEBUG=time: what each walk cost (make bench reads it). */
static void debug_time(const char *what, const struct umh_kref_stats *st, const char *unit)
{
	if (!umh_debug("time"))
		return;
	if (*unit)
		fprintf(stderr, "umount-helper: debug: kernel refs: %s %.1f ms, %llu %s\n", what, (double)st->elapsed_ns / 1e6,
			(unsigned long long)st->visited, unit);
	else
		fprintf(stderr, "umount-helper: debug: kernel refs: %s %.1f ms\n", what, (double)st->elapsed_ns / 1e6);
}

static void join(const struct umh_kref_path *p, char *out, size_t size)
{
	if (!p->len || umh_bpf_join_path(p->names, p->len, p->complete, out, size) < 0)
		snprintf(out, size, "%s", "");
}

/* --- tracefs --------------------------------------------------------------------- */

int umh_kernel_refs_setup(struct umh_scan *s)
{
	s->tracefs_fd = -1;
	int fd = umh_open_fs_root(s, "tracefs", "/sys/kernel/tracing");
	if (fd >= 0)
		s->tracefs_fd = fd;
	return 0;
}

struct probe_event {
	char name[160]; /* GROUP/EVENT */
	char offset[24]; /* "0x1000", or "" */
	bool ret;       /* a return probe */
};

/* The events of uprobe_events (base/parse.c reads each line). */
static int parse_uprobe_events(char *text, struct probe_event **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		struct umh_uprobe_event e;
		if (umh_parse_uprobe_event(line, &e) < 0 || strlen(e.event) >= sizeof((*out)->name))
			continue;
		if (UMH_GROW(*out, cap, *n + 1, 16) < 0)
			return -ENOMEM;
		struct probe_event *p = &(*out)[(*n)++];
		*p = (struct probe_event){ .ret = e.ret };
		snprintf(p->name, sizeof(p->name), "%s", e.event);
		if (e.has_offset)
			snprintf(p->offset, sizeof(p->offset), "0x%llx", (unsigned long long)e.offset);
	}
	return 0;
}

/* "in use by pid 812 (agent) through its perf event, fd 3": who keeps
 * the probe busy (tracefs refuses to remove a probe in use). */
static void describe_users(const struct umh_scan *s, uint64_t obj, char *buf, size_t size)
{
	size_t used = 0;
	pthread_mutex_lock(&s->report->lock);
	for (size_t i = 0; i < s->n_probe_users && used + 96 < size; i++) {
		const struct umh_probe_user *u = &s->probe_users[i];
		if (u->obj != obj)
			continue;
		const struct umh_process *p = umh_report_process(s->report, u->pid);
		char how[48];
		if (u->link_id)
			snprintf(how, sizeof(how), "BPF link %u, fd %d", u->link_id, u->fd);
		else
			snprintf(how, sizeof(how), "perf event, fd %d", u->fd);
		used += (size_t)snprintf(buf + used, size - used, "%s pid %d (%s) through its %s", used ? "," : "; in use by",
					 u->pid, p && p->comm ? p->comm : "?", how);
	}
	pthread_mutex_unlock(&s->report->lock);
}

static int tracefs_uprobes(struct umh_scan *s, struct umh_kernrefs *k)
{
	if (s->tracefs_fd < 0)
		return umh_report_add_skip(s->report, 0, 0, "uprobes registered in tracefs",
					   "tracefs could not be opened");
	_cleanup_free_ char *text = NULL;
	size_t text_size = 0;
	if (umh_read_all(s->tracefs_fd, "uprobe_events", &text, &text_size) < 0)
		return 0; /* no uprobe events in this kernel */
	_cleanup_free_ struct probe_event *ev = NULL;
	size_t n = 0;
	int r = parse_uprobe_events(text, &ev, &n);
	if (r < 0 || !n)
		return r;
	if (n > UMH_KREF_MAX_PROBES)
		n = UMH_KREF_MAX_PROBES;
	int fds[UMH_KREF_MAX_PROBES];
	for (size_t i = 0; i < n; i++) {
		char path[200];
		snprintf(path, sizeof(path), "events/%s/enable", ev[i].name);
		fds[i] = openat(s->tracefs_fd, path, O_RDONLY | O_CLOEXEC);
	}
	struct umh_kref_probe *out = calloc(n, sizeof(*out));
	char why[384];
	r = out ? umh_kernrefs_probes(k, (uint32_t)s->refs.target, fds, n, out, why, sizeof(why)) : -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r < 0) {
		free(out);
		return r == -ENOMEM ? r : umh_report_add_skip(s->report, 0, -r, "uprobes registered in tracefs", why);
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct umh_kref_probe *p = &out[i];
		if (!p->found || !umh_scan_lookup(s, p->mnt_id))
			continue;
		char path[PATH_MAX], detail[512];
		join(&p->path, path, sizeof(path));
		int len = snprintf(detail, sizeof(detail), "registered in tracefs (uprobe_events)%s%s%s",
				   ev[i].ret ? ", a return probe" : "", ev[i].offset[0] ? ", at offset " : "", ev[i].offset);
		describe_users(s, p->obj, detail + len, sizeof(detail) - (size_t)len);
		struct umh_holder h = {
			.kind = UMH_KIND_UPROBE,
			.mnt_id = p->mnt_id,
			.fd = -1,
			.path = path,
			.object = ev[i].name,
			.detail = detail,
			.deleted = p->nlink == 0,
		};
		r = umh_report_add_holder(s->report, &h);
		if (r >= 0)
			r = umh_refs_note(&s->refs, p->mnt_id, UMH_REF_PATH, p->obj, p->dentry);
	}
	free(out);
	return r;
}

/* --- modules --------------------------------------------------------------------- */

/* The data symbol of MODULE that ADDR lies in, from /proc/kallsyms: its
 * variable's name, or "" (kallsyms hidden, no symbol, or DEADLINE passed:
 * the name only adds to a finding, and the kernel lists every symbol of
 * its own before the modules': 250 ms of Debian's 6.1 under QEMU). */
static void data_symbol(int procfd, const char *module, uint64_t addr, int64_t deadline, char *out, size_t size)
{
	out[0] = '\0';
	_cleanup_close_ int fd = openat(procfd, "kallsyms", O_RDONLY | O_CLOEXEC);
	_cleanup_fclose_ FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!f)
		return;
	fd = -1;
	char line[512];
	uint64_t best = 0;
	for (unsigned long i = 0; fgets(line, sizeof(line), f); i++) {
		if (i % 4096 == 0 && umh_now_ns() > deadline) {
			out[0] = '\0';
			return;
		}
		uint64_t a;
		char type, *name, *mod;
		if (umh_parse_kallsyms_line(line, &a, &type, &name, &mod) < 0 || !mod || strcmp(mod, module) != 0 ||
		    !strchr("dDbBrR", type) || a > addr || a < best)
			continue;
		best = a;
		if (addr - a < 1 << 20)
			snprintf(out, size, "%s", name);
	}
}

static bool named_by_its_kind(const struct umh_report *rep, uint64_t mnt_id, const char *path, bool *counted)
{
	*counted = false;
	for (size_t i = 0; i < rep->n_holders; i++) {
		const struct umh_holder *h = &rep->holders[i];
		if (h->mnt_id != mnt_id || !h->path || strcmp(h->path, path) != 0)
			continue;
		switch (h->kind) {
		case UMH_KIND_LOOP:
		case UMH_KIND_SWAP:
		case UMH_KIND_BINFMT:
			*counted = true;
			return true; /* the loop driver's file, binfmt_misc's interpreter */
		case UMH_KIND_KERNEL_OPEN:
			*counted = true; /* the ledger's: counted already, the module named anyway */
			break;
		default:
			break;
		}
	}
	return false;
}

static const char *hit_words(enum umh_kref_hit_kind kind)
{
	switch (kind) {
	case UMH_KREF_HIT_FILE: return "an open file (struct file) in its data";
	case UMH_KREF_HIT_PATH: return "a path (struct path) in its data";
	case UMH_KREF_HIT_OBJ_FILE: return "an open file (struct file) in an object its data points to";
	case UMH_KREF_HIT_OBJ_PATH: return "a path (struct path) in an object its data points to";
	}
	return "a reference";
}

static int module_hits(struct umh_scan *s, char (*names)[64], const struct umh_kref_hit *hits, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct umh_kref_hit *h = &hits[i];
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = hits[j].obj == h->obj;
		if (dup)
			continue; /* one file, kept in two places */
		char path[PATH_MAX], symbol[128], detail[512];
		join(&h->path, path, sizeof(path));
		bool counted;
		pthread_mutex_lock(&s->report->lock);
		bool elsewhere = named_by_its_kind(s->report, s->refs.target, path, &counted);
		pthread_mutex_unlock(&s->report->lock);
		if (elsewhere)
			continue;
		const char *module = names[h->module < UMH_KREF_MAX_MODULES ? h->module : 0];
		/* Not the walks' 500 ms: the kernel lists its own symbols
		 * first (250-400 ms of Debian's 6.1 under QEMU on a loaded
		 * host), and a name found late is worth more than a walk not
		 * needed once the module explains the reference. */
		data_symbol(s->procfd, module, h->addr, s->deadline_ns ? s->deadline_ns : INT64_MAX, symbol,
			    sizeof(symbol));
		snprintf(detail, sizeof(detail), "%s%s%s%s", hit_words(h->kind), symbol[0] ? " (" : "", symbol,
			 symbol[0] ? ")" : "");
		struct umh_holder holder = {
			.kind = UMH_KIND_MODULE,
			.mnt_id = s->refs.target,
			.fd = -1,
			.path = path,
			.object = (char *)module,
			.detail = detail,
			.deleted = h->nlink == 0,
		};
		r = umh_report_add_holder(s->report, &holder);
		bool file = h->kind == UMH_KREF_HIT_FILE || h->kind == UMH_KREF_HIT_OBJ_FILE;
		if (r >= 0 && !counted)
			r = umh_refs_note(&s->refs, s->refs.target, file ? UMH_REF_FILE : UMH_REF_PATH, h->obj, h->dentry);
	}
	return r;
}

static int modules(struct umh_scan *s, struct umh_kernrefs *k)
{
	_cleanup_free_ char *text = NULL;
	size_t text_size = 0;
	if (umh_read_all(s->procfd, "modules", &text, &text_size) < 0)
		return 0; /* a kernel without modules */
	char (*names)[64] = calloc(UMH_KREF_MAX_MODULES, sizeof(*names));
	int *fds = calloc(UMH_KREF_MAX_MODULES, sizeof(*fds));
	size_t n = 0;
	int r = names && fds ? 0 : -ENOMEM;
	for (char *line = strtok(text, "\n"); line && n < UMH_KREF_MAX_MODULES && r >= 0; line = strtok(NULL, "\n")) {
		size_t len = strcspn(line, " ");
		if (!len || len >= sizeof(names[0]))
			continue;
		memcpy(names[n], line, len);
		names[n][len] = '\0';
		char dir[96];
		snprintf(dir, sizeof(dir), "/sys/module/%s", names[n]);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			fds[n++] = fd;
	}
	struct umh_kref_hit *hits = NULL;
	size_t n_hits = 0;
	struct umh_kref_stats st = { 0 };
	char why[384];
	if (r >= 0 && n) {
		r = umh_kernrefs_modules(k, (uint32_t)s->refs.target, fds, n, walk_deadline(s), &hits, &n_hits, &st, why,
					 sizeof(why));
		debug_time("module scan", &st, "words of module data");
		if (umh_debug("time"))
			fprintf(stderr,
				"umount-helper: debug: kernel refs: module scan: %llu pointers followed, the objects "
				"read to their ends (%s), %u of them whole (not in the direct map, or the layout unknown)\n",
				(unsigned long long)st.followed,
				st.layout_known ? "the kernel's memory layout known" : "the kernel's memory layout unknown",
				st.unbounded);
		if (r < 0 && r != -ENOMEM)
			r = umh_report_add_skip(s->report, 0, -r, "kernel modules", why);
		else if (r >= 0 && n_hits) {
			int64_t t0 = umh_now_ns();
			r = module_hits(s, names, hits, n_hits);
			struct umh_kref_stats named = { .elapsed_ns = (uint64_t)(umh_now_ns() - t0) };
			debug_time("module findings (their variables named from kallsyms)", &named, "");
		}
		if (r >= 0 && st.status == UMH_KREF_TIME) {
			snprintf(why, sizeof(why), "the time budget ran out after %llu of %zu", (unsigned long long)st.steps,
				 n);
			r = umh_report_add_skip(s->report, 0, ETIME, "kernel modules' data", why);
		}
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	free(hits);
	free(fds);
	free(names);
	return r;
}

/* --- the dentry walk ----------------------------------------------------------------- */

/* Holders found by their own collectors, with no cookie (loop, swap,
 * binfmt, the ledger's opens, an io_uring's registered files), keep one
 * reference each to their file's dentry, through the struct file they
 * hold: matched by path, as they were found.  (A registered file that a
 * descriptor also has is one struct file: then this lets one reference go
 * unnamed rather than name a file falsely.) */
static int kernel_holders_at(const struct umh_report *rep, uint64_t mnt_id, const char *path)
{
	int n = 0;
	for (size_t i = 0; i < rep->n_holders; i++) {
		const struct umh_holder *h = &rep->holders[i];
		if (h->mnt_id != mnt_id || !h->path || strcmp(h->path, path) != 0)
			continue;
		n += (!h->pid && (h->kind == UMH_KIND_LOOP || h->kind == UMH_KIND_SWAP || h->kind == UMH_KIND_BINFMT ||
				  h->kind == UMH_KIND_KERNEL_OPEN)) ||
		     h->kind == UMH_KIND_IO_URING;
	}
	return n;
}

static int dentries(struct umh_scan *s, struct umh_kernrefs *k)
{
	_cleanup_free_ struct umh_dentry_refs *expected = NULL;
	int n = umh_refs_dentries(&s->refs, &expected);
	if (n < 0)
		return n;
	_cleanup_free_ uint64_t *cookies = calloc((size_t)n + 1, sizeof(*cookies));
	_cleanup_free_ uint32_t *refs = calloc((size_t)n + 1, sizeof(*refs));
	if (!cookies || !refs)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		cookies[i] = expected[i].dentry;
		refs[i] = expected[i].refs;
	}
	_cleanup_free_ struct umh_kref_dentry *out = NULL;
	size_t n_out = 0;
	struct umh_kref_stats st = { 0 };
	char why[384];
	int r = umh_kernrefs_dentries(k, (uint32_t)s->refs.target, cookies, refs, (size_t)n, walk_deadline(s), &out,
				      &n_out, &st, why, sizeof(why));
	if (r < 0)
		return r == -ENOMEM ? r : umh_report_add_skip(s->report, 0, -r, "the files of the mount (dentry walk)", why);
	debug_time("dentry walk", &st, "dentries");
	for (size_t i = 0; i < n_out && r >= 0; i++) {
		const struct umh_kref_dentry *d = &out[i];
		char path[PATH_MAX], detail[256];
		join(&d->path, path, sizeof(path));
		pthread_mutex_lock(&s->report->lock);
		int left = d->left - kernel_holders_at(s->report, s->refs.target, path);
		pthread_mutex_unlock(&s->report->lock);
		if (left <= 0)
			continue;
		/* Nothing found holds it: inside the kernel, most often, but
		 * what a process keeps through an object no scan reads holds
		 * it too (a socket bound there from another network
		 * namespace: iter/unix sees this one's). */
		snprintf(detail, sizeof(detail), "%d reference%s that nothing found explains%s", left,
			 left == 1 ? "" : "s",
			 S_ISSOCK(d->mode) ? " (a unix socket file: a socket bound to it in another network namespace, "
					     "or held by the kernel)"
					   : "");
		struct umh_holder h = {
			.kind = UMH_KIND_KERNEL_REF,
			.mnt_id = s->refs.target,
			.fd = -1,
			.path = path,
			.object = "kernel",
			.detail = detail,
			.deleted = d->nlink == 0 && !S_ISDIR(d->mode),
		};
		r = umh_report_add_holder(s->report, &h);
	}
	if (r < 0)
		return r;
	const char *stopped = NULL;
	switch (st.status) {
	case UMH_KREF_TIME: stopped = "the time budget ran out"; break;
	case UMH_KREF_STEPS: stopped = "it took more steps than it may"; break;
	case UMH_KREF_CHANGED: stopped = "the directory tree changed under it"; break;
	default: break;
	}
	if (stopped) {
		snprintf(why, sizeof(why), "%s after %llu dentries: the rest were not walked", stopped,
			 (unsigned long long)st.visited);
		r = umh_report_add_skip(s->report, 0, ETIME, "the files of the mount (dentry walk)", why);
	}
	if (r >= 0 && st.lost) {
		snprintf(why, sizeof(why), "%u more than the walk keeps", st.lost);
		r = umh_report_add_skip(s->report, 0, ENOBUFS, "files with references left over", why);
	}
	return r;
}

/* The references left unexplained now. */
static int64_t left_now(struct umh_scan *s)
{
	struct umh_refcount c;
	pthread_mutex_lock(&s->report->lock);
	int64_t left = umh_refs_tally(&s->refs, s->report, &c);
	pthread_mutex_unlock(&s->report->lock);
	return left;
}

int umh_collect_kernel_refs(struct umh_scan *s)
{
	/* The scan's cookies are what the findings are matched against;
	 * and a count that shows nothing left needs nothing more. */
	if (!s->bpf_scanned || left_now(s) == 0 || umh_scan_out_of_time(s))
		return 0;
	const struct umh_mount *t = umh_report_target(s->report);
	_cleanup_(umh_kernrefs_closep) struct umh_kernrefs *k = NULL;
	char why[384];
	int64_t t0 = umh_now_ns();
	int r = umh_kernrefs_open(s->cookie_key, pins_dentries(t ? t->fstype : NULL), &k, why, sizeof(why));
	if (r < 0)
		return r == -ENOMEM ? r : umh_report_add_skip(s->report, 0, -r, "references held inside the kernel", why);
	struct umh_kref_stats load = { .elapsed_ns = (uint64_t)(umh_now_ns() - t0) };
	debug_time("load", &load, "");
	t0 = umh_now_ns();
	if ((r = tracefs_uprobes(s, k)) < 0)
		return r;
	struct umh_kref_stats probes = { .elapsed_ns = (uint64_t)(umh_now_ns() - t0) };
	debug_time("tracefs uprobes", &probes, "");
	if ((r = modules(s, k)) < 0)
		return r;
	/* What is still left, by file: only where the count is known (the
	 * dcache's references are not the mount's, and without the count
	 * nothing says that any is left). */
	if (left_now(s) > 0 && !umh_scan_out_of_time(s))
		r = dentries(s, k);
	return r;
}
