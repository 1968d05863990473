#include "bpf/refcount/kernrefs-load.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "bpf/common/loader.h"

#include "bpf/common/lskel.h"
UMH_LSKEL_BEGIN
#include "bpf/kernrefs.lskel.h"
UMH_LSKEL_END

struct umh_kernrefs {
	struct umh_kernrefs_lbpf *skel;
};

/* A load that failed, once more with the verifier's log, for its last
 * line (as scan-skel.c does). */
static void note_verifier_log(uint64_t cookie_key, bool pin_positive)
{
	const size_t size = 1 << 20;
	_cleanup_free_ char *log = calloc(1, size);
	struct umh_kernrefs_lbpf *skel = log ? umh_kernrefs_lbpf__open() : NULL;
	if (!skel)
		return;
	skel->ctx.log_level = 1;
	skel->ctx.log_size = (__u32)size;
	skel->ctx.log_buf = (__u64)(uintptr_t)log;
	skel->rodata->cookie_key = cookie_key;
	skel->rodata->pin_positive = pin_positive;
	if (umh_kernrefs_lbpf__load(skel) < 0)
		umh_bpf_note_log(log);
	umh_kernrefs_lbpf__destroy(skel);
}

int umh_kernrefs_open(uint64_t cookie_key, bool pin_positive, struct umh_kernrefs **out, char *why, size_t size)
{
	*out = NULL;
	int r = umh_bpf_precheck(why, size);
	if (r < 0)
		return r;
	umh_bpf_init();
	_cleanup_free_ struct umh_kernrefs *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->skel = umh_kernrefs_lbpf__open();
	if (!k->skel)
		return -ENOMEM;
	k->skel->rodata->cookie_key = cookie_key;
	k->skel->rodata->pin_positive = pin_positive;
	if ((r = umh_kernrefs_lbpf__load(k->skel)) < 0) {
		umh_kernrefs_lbpf__destroy(k->skel);
		note_verifier_log(cookie_key, pin_positive);
		umh_bpf_describe_error(r, "the kernel-reference programs", why, size);
		return r;
	}
	*out = TAKE_PTR(k);
	return 0;
}

void umh_kernrefs_close(struct umh_kernrefs *k)
{
	if (!k)
		return;
	umh_kernrefs_lbpf__destroy(k->skel);
	free(k);
}

/* Runs one of the programs (an iterator over tasks that acts on ours). */
static int run(struct umh_kernrefs *k, int prog_fd, uint32_t mnt_id, int64_t deadline_ns, const char *what, char *why,
	       size_t size)
{
	k->skel->bss->want_mnt_id = mnt_id;
	k->skel->bss->deadline_ns = deadline_ns > 0 ? (uint64_t)deadline_ns : 0;
	k->skel->bss->stats = (struct umh_kref_stats){ 0 };
	_cleanup_close_ int link = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, NULL);
	if (link < 0) {
		int r = -errno;
		umh_bpf_describe_error(r, what, why, size);
		return r;
	}
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = umh_bpf_read_iter(link, &buf, &len);
	if (r < 0) {
		snprintf(why, size, "%s did not run: %s", what, strerror(-r));
		return r;
	}
	switch (k->skel->bss->stats.status) {
	case UMH_KREF_NOT_RUN:
		snprintf(why, size, "%s never saw its own task", what);
		return -ESRCH;
	case UMH_KREF_NOT_FOUND:
		snprintf(why, size, "mount %u was not found in this mount namespace", mnt_id);
		return -ENOENT;
	default:
		return 0;
	}
}

/* Records 0 to N - 1 of array map FD, into *OUT (malloc'd). */
static int read_records(int fd, size_t n, size_t rec_size, void **out)
{
	*out = NULL;
	if (!n)
		return 0;
	_cleanup_free_ char *v = calloc(n, rec_size);
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_lookup_elem(fd, &i, v + i * rec_size) < 0)
			return -errno;
	*out = TAKE_PTR(v);
	return 0;
}

int umh_kernrefs_probes(struct umh_kernrefs *k, uint32_t mnt_id, const int *fds, size_t n,
			struct umh_kref_probe *out, char *why, size_t size)
{
	if (n > UMH_KREF_MAX_PROBES)
		n = UMH_KREF_MAX_PROBES;
	for (size_t i = 0; i < n; i++)
		k->skel->bss->probe_fds[i] = (uint32_t)fds[i];
	k->skel->bss->n_probe_fds = (uint32_t)n;
	int r = run(k, k->skel->progs.resolve_probes.prog_fd, mnt_id, 0, "the tracefs uprobe reader", why, size);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_lookup_elem(k->skel->maps.probes_out.map_fd, &i, &out[i]) < 0)
			memset(&out[i], 0, sizeof(out[i]));
	return 0;
}

int umh_kernrefs_modules(struct umh_kernrefs *k, uint32_t mnt_id, const int *fds, size_t n, int64_t deadline_ns,
			 struct umh_kref_hit **hits, size_t *n_hits, struct umh_kref_stats *st, char *why, size_t size)
{
	*hits = NULL;
	*n_hits = 0;
	if (n > UMH_KREF_MAX_MODULES)
		n = UMH_KREF_MAX_MODULES;
	for (size_t i = 0; i < n; i++)
		k->skel->bss->module_fds[i] = (uint32_t)fds[i];
	k->skel->bss->n_module_fds = (uint32_t)n;
	/* Where the kernel's memory layout is, for the bounds of the objects
	 * module data points to.  Without it (kallsyms without data symbols,
	 * or hidden) the scan still runs, reading those objects unbounded. */
	LIBBPF_OPTS(bpf_test_run_opts, once);
	if (bpf_prog_test_run_opts(k->skel->progs.find_layout.prog_fd, &once) < 0)
		k->skel->bss->page_offset_base_at = 0;
	int r = run(k, k->skel->progs.scan_modules.prog_fd, mnt_id, deadline_ns, "the module scan", why, size);
	if (r < 0)
		return r;
	*st = k->skel->bss->stats;
	size_t found = st->n_out < UMH_KREF_MAX_HITS ? st->n_out : UMH_KREF_MAX_HITS;
	if ((r = read_records(k->skel->maps.hits_out.map_fd, found, sizeof(**hits), (void **)hits)) < 0) {
		snprintf(why, size, "the module scan's results could not be read: %s", strerror(-r));
		return r;
	}
	*n_hits = found;
	return 0;
}

int umh_kernrefs_dentries(struct umh_kernrefs *k, uint32_t mnt_id, const uint64_t *dentries, const uint32_t *refs,
			  size_t n, int64_t deadline_ns, struct umh_kref_dentry **out, size_t *n_out,
			  struct umh_kref_stats *st, char *why, size_t size)
{
	*out = NULL;
	*n_out = 0;
	if (n > UMH_KREF_MAX_EXPECTED) {
		snprintf(why, size, "more files held (%zu) than the dentry walk can account for", n);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(k->skel->maps.expected.map_fd, &dentries[i], &refs[i], BPF_ANY) < 0) {
			int r = -errno;
			umh_bpf_describe_error(r, "the dentry walk's table", why, size);
			return r;
		}
	int r = run(k, k->skel->progs.walk_dentries.prog_fd, mnt_id, deadline_ns, "the dentry walk", why, size);
	if (r < 0)
		return r;
	*st = k->skel->bss->stats;
	size_t found = st->n_out < UMH_KREF_MAX_DENTRIES ? st->n_out : UMH_KREF_MAX_DENTRIES;
	if ((r = read_records(k->skel->maps.dentries_out.map_fd, found, sizeof(**out), (void **)out)) < 0) {
		snprintf(why, size, "the dentry walk's results could not be read: %s", strerror(-r));
		return r;
	}
	*n_out = found;
	return 0;
}
