#include "bpf/refcount/mntcount-load.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/refcount/mntcount-internal.h"
#include "bpf/percpu.skel.h"
#include "base/debug.h"
#include "base/cleanup.h"
#include "bpf/common/loader.h"

static inline void percpu_bpf_destroyp(struct umh_percpu_bpf **p) { umh_percpu_bpf__destroy(*p); }

int umh_parse_cpu_list(const char *text, uint64_t *bits, unsigned int nbits)
{
	memset(bits, 0, (nbits + 63) / 64 * sizeof(*bits));
	unsigned long top = 0;
	const char *p = text;
	while (*p && *p != '\n') {
		char *end;
		errno = 0;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (errno || end == p || *p == '-' || *p == '+')
			return -EINVAL;
		p = end;
		if (*p == '-') {
			hi = strtoul(++p, &end, 10);
			if (errno || end == p || *p == '-' || *p == '+')
				return -EINVAL;
			p = end;
		}
		if (hi < lo || hi >= nbits)
			return -EINVAL;
		for (unsigned long c = lo; c <= hi; c++)
			bits[c / 64] |= 1ULL << (c % 64);
		if (hi + 1 > top)
			top = hi + 1;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return top ? (int)top : -EINVAL;
}

static int possible_cpus(uint64_t *bits, unsigned int nbits)
{
	char buf[4096];
	_cleanup_fclose_ FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		return -EIO;
	return umh_parse_cpu_list(buf, bits, nbits);
}

/* &__per_cpu_offset[0] into *ADDR, by percpu.bpf.c; 0 or a negative errno
 * with WHY set. */
static int find_percpu_offsets(uint64_t *addr, char *why, size_t size)
{
	_cleanup_(percpu_bpf_destroyp) struct umh_percpu_bpf *skel = umh_percpu_bpf__open_and_load();
	if (!skel) {
		int r = -errno;
		umh_bpf_describe_error(r, "the per-CPU offset lookup", why, size);
		return r;
	}
	LIBBPF_OPTS(bpf_test_run_opts, run);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.find_offsets), &run) < 0) {
		int r = -errno;
		umh_bpf_describe_error(r, "the per-CPU offset lookup", why, size);
		return r;
	}
	long err = (long)skel->bss->lookup_error;
	if (err == -ENOENT) {
		snprintf(why, size,
			 "it is per-CPU memory, and this kernel gives no program of ours the per-CPU offsets: "
			 "__per_cpu_offset is not in /proc/kallsyms (CONFIG_KALLSYMS_ALL unset)");
		return -ENOTSUP;
	}
	if (err == -EPERM) {
		snprintf(why, size,
			 "it is per-CPU memory, and the per-CPU offsets' address is hidden from this process "
			 "(kptr_restrict: CAP_SYSLOG needed)");
		return -EPERM;
	}
	if (err < 0 || !skel->bss->percpu_offsets) {
		snprintf(why, size, "the per-CPU offsets could not be found: %s", strerror(err < 0 ? (int)-err : EINVAL));
		return err < 0 ? (int)err : -EINVAL;
	}
	*addr = skel->bss->percpu_offsets;
	return 0;
}

/* Loads the program, its per-CPU offsets from OFFSETS (&__per_cpu_offset[0])
 * or, when 0, from its per-CPU map. */
static int load(uint64_t offsets, struct umh_mntcount_lbpf **out, char *why, size_t size)
{
	_cleanup_(mntcount_lbpf_destroyp) struct umh_mntcount_lbpf *skel = umh_mntcount_lbpf__open();
	if (!skel) {
		int r = -errno;
		umh_bpf_describe_error(r, "the mount-count program", why, size);
		return r;
	}
	int n = possible_cpus((uint64_t *)skel->rodata->possible_cpus, UMH_MNTCOUNT_MAX_CPUS);
	if (n < 0) {
		snprintf(why, size, "the possible CPUs (/sys/devices/system/cpu/possible) cannot be read");
		return n;
	}
	skel->rodata->n_cpus = (uint32_t)n;
	skel->rodata->percpu_offsets = offsets;
	int r = umh_mntcount_lbpf__load(skel);
	if (r < 0) {
		umh_bpf_describe_error(r, "the mount-count program", why, size);
		return r;
	}
	*out = TAKE_PTR(skel);
	return 0;
}

/* UMOUNT_HELPER_DEBUG=percpu-symbol: the offsets from kallsyms even where
 * the map would do, so that the tests keep that way checked on a kernel
 * that has both (Debian's). */
static bool symbol_wanted(void)
{
	return umh_debug("percpu-symbol");
}

int umh_mntcount_load(struct umh_mntcount **out, char *why, size_t size)
{
	*out = NULL;
	int r = umh_bpf_precheck(why, size);
	if (r < 0)
		return r;
	umh_bpf_init();
	_cleanup_(mntcount_lbpf_destroyp) struct umh_mntcount_lbpf *skel = NULL;
	bool by_symbol = symbol_wanted();
	/* The map needs no symbol, and no second program to find one. */
	char map_why[256] = "";
	if (!by_symbol && (r = load(0, &skel, map_why, sizeof(map_why))) < 0) {
		/* No privilege: the other way needs the same. */
		if (r == -EPERM || r == -EACCES) {
			snprintf(why, size, "%s", map_why);
			return r;
		}
		by_symbol = true;
	}
	if (by_symbol) {
		/* Before Linux 5.19 the verifier knows no
		 * bpf_map_lookup_percpu_elem: the symbol, where kallsyms
		 * has it. */
		uint64_t offsets = 0;
		if ((r = find_percpu_offsets(&offsets, why, size)) < 0 || (r = load(offsets, &skel, why, size)) < 0) {
			if (map_why[0]) {
				char sym_why[256];
				snprintf(sym_why, sizeof(sym_why), "%s", why);
				snprintf(why, size, "%s; and %s", map_why, sym_why);
			}
			return r;
		}
	}
	struct umh_mntcount *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->skel = TAKE_PTR(skel);
	m->prog_fd = m->skel->progs.read_count.prog_fd;
	m->reads_fd = m->skel->maps.reads.map_fd;
	m->way = by_symbol ? "the per-CPU offsets in kallsyms (__per_cpu_offset)"
			   : "the per-CPU offsets of a per-CPU map of its own";
	*out = m;
	return 0;
}

const char *umh_mntcount_way(const struct umh_mntcount *m)
{
	return m->way;
}

/* An iterator link for the reader's own task alone: the program acts on
 * no other, and a walk of every task was a millisecond of each read among
 * 2,000 processes.  Kernels before 6.1 take no task: every task, then. */
static int link_for_me(int prog_fd, uint32_t tid)
{
	union bpf_iter_link_info info = { .task.tid = tid };
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &info, .iter_info_len = sizeof(info));
	int fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
	if (fd < 0 && errno == EINVAL)
		fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, NULL);
	return fd < 0 ? -errno : fd;
}

/* Runs the program on this thread (TID, as it numbers itself); *KERNEL_TID
 * is then the number the program wrote, the kernel's (0 if it did not
 * run).  Returns 0 or a negative errno with WHY set. */
static int run_once(struct umh_mntcount *m, uint32_t tid, uint32_t *kernel_tid, char *why, size_t size)
{
	*kernel_tid = 0;
	_cleanup_close_ int link = link_for_me(m->prog_fd, tid);
	if (link < 0) {
		umh_bpf_describe_error(link, "the mount-count iterator", why, size);
		return link;
	}
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = umh_bpf_read_iter(link, &buf, &len);
	if (r < 0) {
		snprintf(why, size, "the mount-count iterator did not run: %s", strerror(-r));
		return r;
	}
	if (len == sizeof(*kernel_tid))
		memcpy(kernel_tid, buf, sizeof(*kernel_tid));
	return 0;
}

/* This thread's number as the kernel has it, which keys the program's
 * table: in a pid namespace of its own, gettid() numbers it otherwise.
 * Learnt from the program, once a thread (a forked child learns its own). */
static __thread uint32_t learnt_for, learnt_tid;

int umh_mntcount_read(struct umh_mntcount *m, uint32_t mnt_id, int64_t *count, uint32_t *children, char *why,
		      size_t size)
{
	uint32_t tid = (uint32_t)gettid(), seen;
	int r;
	if (learnt_for != tid) {
		if ((r = run_once(m, tid, &seen, why, size)) < 0)
			return r;
		learnt_for = tid;
		learnt_tid = seen;
	}
	struct umh_mntcount_read rd = { .want_mnt_id = mnt_id };
	if (learnt_tid && bpf_map_update_elem(m->reads_fd, &learnt_tid, &rd, BPF_ANY) < 0) {
		r = -errno;
		umh_bpf_describe_error(r, "the mount-count program's table", why, size);
		return r;
	}
	r = learnt_tid ? run_once(m, tid, &seen, why, size) : 0;
	if (r >= 0 && (!learnt_tid || bpf_map_lookup_elem(m->reads_fd, &learnt_tid, &rd) < 0))
		rd.result.status = UMH_MNTCOUNT_NOT_RUN; /* or made room for others' */
	if (learnt_tid)
		bpf_map_delete_elem(m->reads_fd, &learnt_tid);
	if (r < 0)
		return r;
	const struct umh_mntcount_result *res = &rd.result;
	switch (res->status) {
	case UMH_MNTCOUNT_OK:
		*count = res->count;
		*children = res->children;
		return 0;
	case UMH_MNTCOUNT_NOT_FOUND:
		snprintf(why, size, "mount %u was not found in this mount namespace (%u steps)", mnt_id, res->steps);
		return -ENOENT;
	case UMH_MNTCOUNT_FAULT:
		snprintf(why, size, "reading the count of mount %u faulted (it changed, or went away)", mnt_id);
		return -EFAULT;
	default:
		snprintf(why, size, "the mount-count iterator never saw its own task");
		return -ESRCH;
	}
}

void umh_mntcount_close(struct umh_mntcount *m)
{
	if (!m)
		return;
	if (m->skel) {
		umh_mntcount_lbpf__destroy(m->skel);
	} else {
		close(m->prog_fd);
		close(m->reads_fd);
	}
	free(m);
}
