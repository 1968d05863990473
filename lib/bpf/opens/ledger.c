#include "bpf/opens/ledger.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "base/grow.h"
#include "bpf/opens.skel.h"
#include "base/cleanup.h"
#include "base/clock.h"
#include "base/ksyms.h"
#include "base/str.h"
#include "bpf/common/loader.h"
#include "bpf/opens/opens-load.h"
#include "bpf/opens/opens-print.h"
#include "bpf/opens/opens.h"
#include "bpf/common/pathjoin.h"

/* What is pinned, by name under UMH_LEDGER_DIR. */
static const char *const map_pins[] = { "pending", "stacks", "modsyms", "state" };
#define LINK_PREFIX "link-"

static void pin_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", UMH_LEDGER_DIR, name);
}

/* bpffs at /sys/fs/bpf, mounted if it is not (as systemd would). */
static int ensure_bpffs(void)
{
	struct statfs st;
	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

int umh_ledger_stop(void)
{
	_cleanup_closedir_ DIR *d = opendir(UMH_LEDGER_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && !r)
			r = -errno;
	}
	if (rmdir(UMH_LEDGER_DIR) < 0 && !r)
		r = -errno;
	rmdir("/sys/fs/bpf/umount-helper");
	return r;
}

static inline void opens_closep(struct umh_opens *o) { umh_opens_close(o); }

int umh_ledger_start(bool no_fentry, char *why, size_t size)
{
	if (access(UMH_LEDGER_DIR, F_OK) == 0) {
		snprintf(why, size, "the ledger is already running");
		return -EEXIST;
	}
	int r = ensure_bpffs();
	if (r < 0) {
		snprintf(why, size, "no BPF filesystem at /sys/fs/bpf, and mounting one failed: %s", strerror(-r));
		return r;
	}
	struct umh_opens_cfg cfg = { .no_fentry = no_fentry };
	_cleanup_(opens_closep) struct umh_opens o = { 0 };
	if ((r = umh_opens_start(&o, &cfg, why, size)) < 0)
		return r;
	if ((mkdir("/sys/fs/bpf/umount-helper", 0700) < 0 && errno != EEXIST) || mkdir(UMH_LEDGER_DIR, 0700) < 0) {
		r = -errno;
		snprintf(why, size, "cannot create %s: %s", UMH_LEDGER_DIR, strerror(-r));
		return r;
	}
	o.skel->bss->started_ns = (uint64_t)umh_boot_ns();
	o.skel->bss->mode = (uint32_t)o.mode;

	struct bpf_map *maps[] = { o.skel->maps.pending, o.skel->maps.stacks, o.skel->maps.modsyms, o.skel->maps.bss };
	char path[256];
	for (size_t i = 0; i < ARRAY_SIZE(maps) && r >= 0; i++) {
		pin_path(path, sizeof(path), map_pins[i]);
		r = bpf_map__pin(maps[i], path);
	}
	for (size_t i = 0; i < o.n_links && r >= 0; i++) {
		char name[64];
		snprintf(name, sizeof(name), LINK_PREFIX "%s", o.link_names[i]);
		pin_path(path, sizeof(path), name);
		r = bpf_link__pin(o.links[i], path);
	}
	if (r < 0) {
		snprintf(why, size, "cannot pin the ledger in %s: %s", UMH_LEDGER_DIR, strerror(-r));
		umh_ledger_stop();
		return r;
	}
	return 0;
}

static int open_pin(const char *name)
{
	char path[256];
	pin_path(path, sizeof(path), name);
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static uint64_t count_entries(int fd)
{
	uint64_t key, next, n = 0;
	uint64_t *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0 && n < 1000000) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

int umh_ledger_status(struct umh_ledger_status *st)
{
	*st = (struct umh_ledger_status){ 0 };
	umh_bpf_init();
	_cleanup_close_ int state = open_pin("state");
	if (state == -ENOENT)
		return 0;
	if (state < 0)
		return state;
	_cleanup_close_ int pending = open_pin("pending");
	if (pending < 0)
		return pending;
	struct umh_opens_bpf__bss bss;
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(state, &zero, &bss) < 0)
		return -errno;
	st->running = true;
	snprintf(st->mode, sizeof(st->mode), "%s", umh_opens_mode_name((enum umh_opens_mode)bss.mode));
	st->started_ns = (int64_t)bss.started_ns;
	st->dropped = bss.dropped;
	st->opens_seen = bss.opens_seen;
	st->pending = count_entries(pending);
	return 0;
}

void umh_ledger_entries_free(struct umh_ledger_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].path);
		free(e[i].stack);
	}
	free(e);
}

static inline void opens_bpf_destroyp(struct umh_opens_bpf **s) { umh_opens_bpf__destroy(*s); }

/* The ledger reader: opens.bpf.c's map iterator, on the pinned map. */
static int read_records(int pending, const uint32_t *ids, size_t n_ids, char **buf, size_t *len, char *why,
			size_t size)
{
	_cleanup_(opens_bpf_destroyp) struct umh_opens_bpf *skel = umh_opens_bpf__open();
	if (!skel) {
		umh_bpf_describe_error(-errno, "the ledger reader", why, size);
		return -errno;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.ledger_read);
	int r = bpf_map__reuse_fd(skel->maps.pending, pending);
	if (r >= 0)
		r = umh_opens_bpf__load(skel);
	if (r < 0) {
		umh_bpf_describe_error(r, "the ledger reader", why, size);
		return r;
	}
	uint8_t one = 1;
	for (size_t i = 0; i < n_ids; i++)
		bpf_map_update_elem(bpf_map__fd(skel->maps.read_mounts), &ids[i], &one, BPF_ANY);
	union bpf_iter_link_info info = { .map = { .map_fd = (uint32_t)pending } };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.ledger_read, &opts);
	if (!link) {
		r = -errno;
		umh_bpf_describe_error(r, "the ledger reader", why, size);
		return r;
	}
	r = umh_bpf_read_iter(bpf_link__fd(link), buf, len);
	bpf_link__destroy(link);
	if (r < 0)
		snprintf(why, size, "reading the ledger failed: %s", strerror(-r));
	return r;
}

static int to_entry(const struct umh_ledger_rec *rec, const char *names, struct umh_ksyms *ks, int stacks,
		    struct umh_ledger_entry *e)
{
	char path[UMH_OPENS_PATH_MAX + 16];
	if (umh_bpf_join_path(names, rec->path_len, rec->path_complete, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "(a file on mount %u)", rec->p.mnt_id);
	*e = (struct umh_ledger_entry){
		.path = strdup(path),
		.deleted = rec->nlink == 0,
		.mnt_id = rec->p.mnt_id,
		.flags = rec->p.flags,
		.pid = rec->p.pid,
		.tid = rec->p.tid,
		.ts_ns = (int64_t)rec->p.ts_ns,
	};
	umh_copy_field(e->comm, sizeof(e->comm), rec->p.comm, sizeof(rec->p.comm));
	uint64_t ips[UMH_OPENS_STACK_DEPTH];
	int n = umh_opens_read_stack(stacks, rec->p.stack_id, ips, UMH_OPENS_STACK_DEPTH);
	if (n > 0) {
		char chain[1024];
		umh_ksyms_chain(ks, ips, (size_t)n, 10, chain, sizeof(chain));
		if (chain[0])
			e->stack = strdup(chain);
	}
	return e->path ? 0 : -ENOMEM;
}

int umh_ledger_read(const uint32_t *mnt_ids, size_t n_ids, struct umh_ledger_entry **out, char *why, size_t size)
{
	*out = NULL;
	umh_bpf_init();
	_cleanup_close_ int pending = open_pin("pending");
	if (pending == -ENOENT)
		return 0;
	if (pending < 0) {
		snprintf(why, size, "cannot open the ledger: %s", strerror(-pending));
		return pending;
	}
	_cleanup_close_ int stacks = open_pin("stacks");
	_cleanup_close_ int modsyms = open_pin("modsyms");
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_records(pending, mnt_ids, n_ids, &buf, &len, why, size);
	if (r < 0)
		return r;
	struct umh_ksyms ks = { 0 };
	umh_opens_load_symbols(&ks, modsyms);
	struct umh_ledger_entry *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t off = 0; off + sizeof(struct umh_ledger_rec) <= len;) {
		struct umh_ledger_rec rec;
		memcpy(&rec, buf + off, sizeof(rec));
		if (rec.reclen != sizeof(rec) + rec.path_len || rec.reclen > len - off)
			break;
		if (UMH_GROW(v, cap, n + 1, 8) < 0 || to_entry(&rec, buf + off + sizeof(rec), &ks, stacks, &v[n]) < 0) {
			umh_ksyms_free(&ks);
			umh_ledger_entries_free(v, n);
			return -ENOMEM;
		}
		n++;
		off += rec.reclen;
	}
	umh_ksyms_free(&ks);
	*out = v;
	return (int)n;
}
