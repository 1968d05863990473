// SPDX-License-Identifier: GPL-2.0-or-later
/* Opens and closes of files, for `trace` (live) and `ledger` (pinned, read
 * later by explain).  Three ways to see them, chosen at load time (each set
 * is autoloaded alone, the others off):
 *
 *   fentry   fexit/do_dentry_open, fentry/fd_install, fentry/__fput
 *            (BPF trampolines: refused on some kernels)
 *   kprobe   the same three functions with kprobes
 *   syscalls tracepoints on the open*(2) exits and close(2) entry: process
 *            opens only.  A file opened by kernel code (filp_open in a
 *            module) makes no system call of its own: this set cannot see it.
 *
 * The kernel-probe sets keep every open that has not (yet) reached a
 * descriptor table in the `pending` map, with its kernel stack; fd_install
 * takes it out, __fput forgets it.  What stays there is held by the kernel.
 * Opens for exec (FMODE_EXEC) are left out: the process scan reports them
 * as exe and mmap holders. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "opens.h"
#include "path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define UMH_FMODE_EXEC 0x20

const volatile __u32 target_mnt_id = 0; /* 0: every mount (the ledger) */
const volatile __u32 tracer_tgid = 0;   /* our own opens are not news */
const volatile bool streaming = false;  /* trace: send events; ledger: only keep state */

__u64 dropped = 0;    /* opens not kept: the pending map was full */
__u64 events_lost = 0;
__u64 opens_seen = 0;
__u64 root_dentry = 0, root_mnt = 0; /* the tracer's root, for paths */
__u64 started_ns = 0; /* the ledger: when it started (CLOCK_BOOTTIME) */
__u32 mode = 0;       /* the ledger: enum umh_opens_mode */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UMH_OPENS_MAX_PENDING);
	__type(key, __u64); /* the struct file, as a number: never dereferenced but by the reader */
	__type(value, struct umh_pending);
} pending SEC(".maps");

/* trace: files on the target that reached a descriptor table, to report
 * their release. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __s32);
} installed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, UMH_OPENS_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64); /* address */
	__type(value, struct umh_modsym);
} modsyms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* The ledger reader's filter: the mounts explain looks at. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} read_mounts SEC(".maps");

struct ledger_buf {
	struct umh_ledger_rec rec;
	char path[UMH_OPENS_PATH_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ledger_buf);
} ledger_buf SEC(".maps");

static __always_inline __u32 mnt_id_of(struct vfsmount *vfsmnt)
{
	return vfsmnt ? BPF_CORE_READ(umh_real_mount(vfsmnt), mnt_id) : 0;
}

static __always_inline __u32 copy_path(char *dst, struct dentry *dentry, struct vfsmount *vfsmnt,
				       const struct path *root, __u32 *complete)
{
	struct umh_pathbuf *p = umh_walk_path(dentry, vfsmnt, root);
	if (!p)
		return 0;
	__u32 len = p->len < UMH_OPENS_PATH_MAX ? p->len : UMH_OPENS_PATH_MAX;
	bpf_probe_read_kernel(dst, umh_mask(len, UMH_OPENS_PATH_MAX - 1), p->buf);
	*complete = p->complete && len == p->len;
	return umh_mask(len, UMH_OPENS_PATH_MAX - 1);
}

static __always_inline void send(__u32 kind, struct file *file, __s32 fd, __s32 stack_id, bool with_path)
{
	struct umh_open_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		events_lost++;
		return;
	}
	__u64 id = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->file = (__u64)file;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->fd = fd;
	e->stack_id = stack_id;
	e->kind = kind;
	e->flags = BPF_CORE_READ(file, f_flags);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	e->mnt_id = mnt_id_of(vfsmnt);
	e->path_len = 0;
	e->path_complete = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (with_path) {
		struct path root = { .dentry = (void *)root_dentry, .mnt = (void *)root_mnt };
		e->path_len = copy_path(e->path, BPF_CORE_READ(file, f_path.dentry), vfsmnt,
					root_dentry ? &root : NULL, &e->path_complete);
	}
	bpf_ringbuf_submit(e, 0);
}

/* --- the kernel probes ------------------------------------------------------- */

/* open(2), creat(2), openat(2), open_by_handle_at(2), openat2(2) on x86_64:
 * a file they open reaches the caller's descriptor table or is released
 * before they return.  The ledger lets them be (no stack, no map update):
 * that is most opens on a busy system, and what makes it cheap. */
static __always_inline bool in_open_syscall(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = BPF_CORE_READ(regs, orig_ax);
	return nr == 2 || nr == 85 || nr == 257 || nr == 304 || nr == 437;
}

static __always_inline int on_open(void *ctx, struct file *file)
{
	__u32 mnt_id = mnt_id_of(BPF_CORE_READ(file, f_path.mnt));
	if (target_mnt_id && mnt_id != target_mnt_id)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (tracer_tgid && id >> 32 == tracer_tgid)
		return 0;
	__u32 flags = BPF_CORE_READ(file, f_flags);
	if (flags & UMH_FMODE_EXEC)
		return 0;
	opens_seen++;
	if (!streaming && in_open_syscall())
		return 0;
	struct umh_pending p = {
		.ts_ns = bpf_ktime_get_boot_ns(),
		.pid = id >> 32,
		.tid = (__u32)id,
		.mnt_id = mnt_id,
		.flags = flags,
	};
	p.stack_id = bpf_get_stackid(ctx, &stacks, 0);
	bpf_get_current_comm(p.comm, sizeof(p.comm));
	__u64 key = (__u64)file;
	/* BPF_ANY: a file freed without passing __fput (a failed open seen
	 * by a kprobe) leaves a stale entry that a new file may replace. */
	if (bpf_map_update_elem(&pending, &key, &p, BPF_ANY) < 0)
		dropped++;
	if (streaming)
		send(UMH_EV_OPEN, file, -1, p.stack_id, true);
	return 0;
}

static __always_inline int on_install(unsigned int fd, struct file *file)
{
	__u64 key = (__u64)file;
	if (!bpf_map_lookup_elem(&pending, &key))
		return 0;
	bpf_map_delete_elem(&pending, &key);
	if (streaming) {
		__s32 v = (__s32)fd;
		bpf_map_update_elem(&installed, &key, &v, BPF_ANY);
		send(UMH_EV_INSTALL, file, (__s32)fd, -1, false);
	}
	return 0;
}

static __always_inline int on_release(struct file *file)
{
	__u64 key = (__u64)file;
	bool was_pending = bpf_map_delete_elem(&pending, &key) == 0;
	bool was_installed = streaming && bpf_map_delete_elem(&installed, &key) == 0;
	if (streaming && (was_pending || was_installed))
		send(UMH_EV_CLOSE, file, -1, -1, false);
	return 0;
}

SEC("?fexit/do_dentry_open")
int BPF_PROG(open_fexit, struct file *file)
{
	/* do_dentry_open(file, open) on 6.18, (file, inode, open) on 6.1:
	 * bpf_get_func_ret finds the return value after either. */
	__u64 ret = 0;
	bpf_get_func_ret(ctx, &ret);
	if (ret != 0)
		return 0; /* a failed open holds nothing */
	return on_open(ctx, file);
}

SEC("?fentry/fd_install")
int BPF_PROG(install_fentry, unsigned int fd, struct file *file)
{
	return on_install(fd, file);
}

SEC("?fentry/__fput")
int BPF_PROG(release_fentry, struct file *file)
{
	return on_release(file);
}

SEC("?kprobe/do_dentry_open")
int BPF_KPROBE(open_kprobe, struct file *file)
{
	return on_open(ctx, file);
}

SEC("?kprobe/fd_install")
int BPF_KPROBE(install_kprobe, unsigned int fd, struct file *file)
{
	return on_install(fd, file);
}

SEC("?kprobe/__fput")
int BPF_KPROBE(release_kprobe, struct file *file)
{
	return on_release(file);
}

/* --- module symbols, kept while they still exist -------------------------------- */

struct sym_walk {
	Elf64_Sym *symtab;
	char *strtab;
	char *typetab;
	char *module;
	__u32 n;
};

static __always_inline bool same_str(const char *a, const char *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static __always_inline bool is_alias(const char *name)
{
	return same_str(name, "init_module", sizeof("init_module")) ||
	       same_str(name, "cleanup_module", sizeof("cleanup_module"));
}

static long keep_symbol(__u32 i, void *data)
{
	struct sym_walk *w = data;
	if (i >= w->n)
		return 1;
	char type = 0;
	char *typetab = w->typetab;
	bpf_probe_read_kernel(&type, 1, typetab + i);
	if (type != 't' && type != 'T')
		return 0;
	Elf64_Sym sym = {};
	Elf64_Sym *symtab = w->symtab;
	bpf_probe_read_kernel(&sym, sizeof(sym), symtab + i);
	if (!sym.st_value)
		return 0;
	struct umh_modsym v = { .size = sym.st_size };
	bpf_probe_read_kernel_str(v.name, sizeof(v.name), w->strtab + sym.st_name);
	bpf_probe_read_kernel_str(v.module, sizeof(v.module), w->module);
	__u64 addr = sym.st_value;
	/* module_init() makes init_module an alias of the real function
	 * (and module_exit, cleanup_module): keep the real name. */
	bool alias = is_alias(v.name);
	bpf_map_update_elem(&modsyms, &addr, &v, alias ? BPF_NOEXIST : BPF_ANY);
	return 0;
}

/* Runs just before the module's init function: its init symbols exist
 * now and are freed once it returns. */
SEC("?tp_btf/module_load")
int BPF_PROG(module_load, struct module *mod)
{
	struct mod_kallsyms *ks = BPF_CORE_READ(mod, kallsyms);
	if (!ks)
		return 0;
	struct sym_walk w = {
		.symtab = BPF_CORE_READ(ks, symtab),
		.strtab = BPF_CORE_READ(ks, strtab),
		.typetab = BPF_CORE_READ(ks, typetab),
		.module = mod->name,
		.n = BPF_CORE_READ(ks, num_symtab),
	};
	bpf_loop(w.n < 4096 ? w.n : 4096, keep_symbol, &w, 0);
	return 0;
}

/* --- process opens through system calls ------------------------------------------- */

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline int syscall_event(__u32 kind, long fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (fd < 0 || (tracer_tgid && id >> 32 == tracer_tgid))
		return 0;
	struct file *file = fd_file((int)fd);
	if (!file || mnt_id_of(BPF_CORE_READ(file, f_path.mnt)) != target_mnt_id)
		return 0;
	send(kind, file, (__s32)fd, -1, true);
	return 0;
}

SEC("?tp/syscalls/sys_exit_openat")
int sys_exit_openat(struct trace_event_raw_sys_exit *ctx) { return syscall_event(UMH_EV_OPEN, ctx->ret); }
SEC("?tp/syscalls/sys_exit_open")
int sys_exit_open(struct trace_event_raw_sys_exit *ctx) { return syscall_event(UMH_EV_OPEN, ctx->ret); }
SEC("?tp/syscalls/sys_exit_openat2")
int sys_exit_openat2(struct trace_event_raw_sys_exit *ctx) { return syscall_event(UMH_EV_OPEN, ctx->ret); }
SEC("?tp/syscalls/sys_exit_creat")
int sys_exit_creat(struct trace_event_raw_sys_exit *ctx) { return syscall_event(UMH_EV_OPEN, ctx->ret); }
SEC("?tp/syscalls/sys_exit_open_by_handle_at")
int sys_exit_open_by_handle_at(struct trace_event_raw_sys_exit *ctx) { return syscall_event(UMH_EV_OPEN, ctx->ret); }
SEC("?tp/syscalls/sys_enter_close")
int sys_enter_close(struct trace_event_raw_sys_enter *ctx) { return syscall_event(UMH_EV_CLOSE, (long)ctx->args[0]); }

/* --- helpers run by user space ------------------------------------------------------ */

/* Read once by the tracer: remembers its root, so that event paths are
 * named as the tracer would see them. */
SEC("?iter/task")
int capture_root(struct bpf_iter__task *ctx)
{
	if (root_dentry)
		return 0;
	struct task_struct *me = bpf_get_current_task_btf();
	root_dentry = (__u64)BPF_CORE_READ(me, fs, root.dentry);
	root_mnt = (__u64)BPF_CORE_READ(me, fs, root.mnt);
	return 0;
}

/* explain: the ledger's pending opens on the mounts it looks at, with
 * their paths as explain sees them. */
SEC("?iter/bpf_map_elem")
int ledger_read(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *key = ctx->key;
	struct umh_pending *val = ctx->value;
	if (!key || !val)
		return 0;
	struct file *file = (struct file *)*key;
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	__u32 mnt_id = mnt_id_of(vfsmnt);
	/* A stale entry (its file freed unseen, the memory reused) no longer
	 * names the mount it was recorded on. */
	if (!mnt_id || mnt_id != val->mnt_id || !bpf_map_lookup_elem(&read_mounts, &mnt_id))
		return 0;
	__u32 zero = 0;
	struct ledger_buf *b = bpf_map_lookup_elem(&ledger_buf, &zero);
	if (!b)
		return 0;
	b->rec.file = *key;
	b->rec.p = *val;
	b->rec.nlink = BPF_CORE_READ(file, f_inode, i_nlink);
	struct task_struct *me = bpf_get_current_task_btf();
	struct path root = { .dentry = BPF_CORE_READ(me, fs, root.dentry), .mnt = BPF_CORE_READ(me, fs, root.mnt) };
	b->rec.path_len = copy_path(b->path, BPF_CORE_READ(file, f_path.dentry), vfsmnt, &root, &b->rec.path_complete);
	b->rec.reclen = sizeof(b->rec) + b->rec.path_len;
	bpf_seq_write(ctx->meta->seq, b, b->rec.reclen <= sizeof(*b) ? b->rec.reclen : sizeof(*b));
	return 0;
}
