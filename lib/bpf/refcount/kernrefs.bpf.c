// SPDX-License-Identifier: GPL-2.0
/* References to the target mount that no process holds, found with no
 * tracing started beforehand.  Run only when the mount's count shows
 * references that nothing found explains (lib/collect-kernel-refs.c).
 *
 *   resolve_probes  the uprobes registered in tracefs: each keeps a struct
 *                   path (trace_uprobe.c).  User space opens each probe's
 *                   events/GROUP/NAME/enable; the file's inode leads to
 *                   the trace event, the event to the trace_uprobe
 *   scan_modules    the loaded modules' writable data (.data, .bss, and
 *                   what is read-only after init), word by word, for a
 *                   struct file * or a struct path on the target, and one
 *                   level further: the objects those words point to, from
 *                   the word pointed at to the end of its slab object (at
 *                   most UMH_KREF_OBJ_WORDS words): what a neighbour in the
 *                   slab points to is not the module's.  The object's
 *                   bounds come from the slab's metadata, found through the
 *                   kernel's memory layout (find_layout); where the layout
 *                   is not known, the first UMH_KREF_OBJ_WORDS words are
 *                   read, past the end of a small object, and counted
 *                   (stats.unbounded).  User space opens /sys/module/NAME;
 *                   its kernfs node leads to the module's kobject, and that
 *                   to struct module
 *   find_layout     (a syscall program, run first) where kallsyms says the
 *                   direct map's base, the struct page array's and the
 *                   number of page frames are kept
 *   walk_dentries   the target's dentries, from its root through the
 *                   dcache, each one's reference count against what
 *                   accounts for it: its children, being a mount point or
 *                   a mount's root, the pin of filesystems that keep their
 *                   dentries (tmpfs, ramfs), NFS's open contexts, and the
 *                   objects the BPF scan found (by cookie).  What is left
 *                   over is held by something no scan sees
 *
 * All three are iter/task programs that act on the reader's own task
 * only: its mount namespace (where the target's id is looked up), its
 * descriptors (the files user space opened for them).  Everything is read
 * with bpf_probe_read_kernel, which fails safe on memory that is not what
 * it is taken for or changes under it; every loop is bounded in steps, and
 * the walks in time (DEADLINE_NS).  Iterators run under the RCU read lock:
 * a dentry or a module seen is not freed while the program runs. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "kernrefs.h"
#include "mounttree.bpf.h"
#include "path.bpf.h"
#include "uprobe.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The layouts older kernels have (Debian's 6.1): a dentry's children in a
 * list (d_subdirs, d_child) where 6.8 has an hlist (d_children, d_sib); a
 * superblock's mounts in a list (s_mounts, mnt_instance) where 6.17 has a
 * singly linked one; a module's memory as core_layout where 6.4 has mem[]. */
struct dentry___old {
	struct list_head d_subdirs;
	struct list_head d_child;
} __attribute__((preserve_access_index));

struct super_block___old {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));

struct mount___old {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));

struct module_layout___old {
	void *base;
	unsigned int size;
	unsigned int text_size;
	unsigned int ro_size;
	unsigned int ro_after_init_size;
} __attribute__((preserve_access_index));

struct module___old {
	struct module_layout___old core_layout;
} __attribute__((preserve_access_index));

/* A page's and a slab's fields as each kernel has them: the flags a word
 * (6.1) where newer kernels wrap it; whether a page is a slab's, a page
 * flag (before 6.10) or its page type (6.12 and later; 6.10 and 6.11 spell
 * it otherwise, and read objects unbounded). */
struct page___umh {
	unsigned long flags;
	unsigned long compound_head;
	unsigned int page_type;
} __attribute__((preserve_access_index));

struct slab___umh {
	struct kmem_cache *slab_cache;
	unsigned int objects: 15;
} __attribute__((preserve_access_index));

enum pageflags___umh { PG_slab___umh = 7 };
enum pagetype___umh { PGTY_slab___umh = 0xf5 };

/* NFS keeps a context per open file on its inode, each with a reference
 * to the file's dentry (alloc_nfs_open_context: dget).  The types are the
 * nfs module's: where it is not loaded they do not exist, and the code
 * that uses them is never verified. */
struct nfs_inode___umh {
	struct list_head open_files;
	struct inode vfs_inode;
} __attribute__((preserve_access_index));

struct nfs_open_context___umh {
	struct list_head list;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

#define NFS_SUPER_MAGIC 0x6969

const volatile __u64 cookie_key = 0; /* the BPF scan's (iter.bpf.c) */
const volatile __u32 pin_positive = 0; /* the filesystem keeps positive dentries */

__u32 want_mnt_id = 0;
__u64 deadline_ns = 0; /* bpf_ktime_get_ns() to stop at; 0: none */
__u32 n_probe_fds = 0;
__u32 probe_fds[UMH_KREF_MAX_PROBES] = {};
__u32 n_module_fds = 0;
__u32 module_fds[UMH_KREF_MAX_MODULES] = {};
struct umh_kref_stats stats = {};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UMH_KREF_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct umh_kref_probe);
} probes_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UMH_KREF_MAX_HITS);
	__type(key, __u32);
	__type(value, struct umh_kref_hit);
} hits_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UMH_KREF_MAX_DENTRIES);
	__type(key, __u32);
	__type(value, struct umh_kref_dentry);
} dentries_out SEC(".maps");

/* Dentry cookie -> references the objects the scan found explain. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UMH_KREF_MAX_EXPECTED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
} expected SEC(".maps");

/* Dentry address -> mounts of the superblock rooted there. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UMH_KREF_MAX_ROOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
} roots SEC(".maps");

/* The words of module data being read, and of an object they point to. */
struct words {
	__u64 data[UMH_KREF_OBJ_WORDS];
	__u64 obj[UMH_KREF_OBJ_WORDS];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct words);
} scratch SEC(".maps");

/* The walks' state: globals, not the stack, so that the verifier takes
 * their values as unknown and checks each callback once. */
__u64 target_mnt = 0;  /* the target's struct vfsmount */
__u64 target_sb = 0;
__u64 target_root = 0; /* its mnt_root */
__u64 sb_root = 0;     /* the superblock's s_root */
__u32 sb_nfs = 0;
__u32 kid_count = 0;
__u32 ctx_count = 0;
__u32 cur_module = 0;
__u64 region_lo = 0, region_hi = 0;

/* The kernel's memory layout, for the bounds of a slab object: where its
 * variables are (find_layout, from kallsyms; 0: not found), and their
 * values (read at the module scan's start; stats.layout_known once all
 * three are). */
__u64 page_offset_base_at = 0, vmemmap_base_at = 0, max_pfn_at = 0;
__u64 direct_map = 0, page_array = 0, n_pfns = 0;

/* As iter.bpf.c makes them: the same objects, the same cookies. */
static __always_inline __u64 cookie_of(__u64 obj)
{
	__u64 x = obj ^ cookie_key;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static __always_inline bool out_of_time(void)
{
	if (deadline_ns && bpf_ktime_get_ns() > deadline_ns) {
		stats.status = UMH_KREF_TIME;
		return true;
	}
	return false;
}

/* Names DENTRY on VFSMNT into OUT, as the reader sees the path. */
static __always_inline void name_into(struct umh_kref_path *out, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct task_struct *me = (void *)bpf_get_current_task();
	struct path root = { .dentry = BPF_CORE_READ(me, fs, root.dentry), .mnt = BPF_CORE_READ(me, fs, root.mnt) };
	struct umh_pathbuf *p = umh_walk_path(dentry, vfsmnt, &root);
	out->len = 0;
	out->complete = 0;
	if (!p)
		return;
	__u32 len = p->len;
	if (len > UMH_KREF_NAME_MAX)
		return; /* too long to keep: no name rather than a wrong one */
	bpf_probe_read_kernel(out->names, umh_mask(len, UMH_KREF_NAME_MAX - 1), p->buf);
	out->len = len;
	out->complete = p->complete;
}

/* The file behind descriptor FD of TASK (our own), or NULL. */
static __always_inline struct file *own_file(struct task_struct *task, __u32 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), fds + fd);
	return file;
}

/* The target, found once per program: false (and STATUS set) if it is not
 * in our namespace. */
static __always_inline bool find_target(struct task_struct *task)
{
	struct mount *m = umh_find_mount(task, want_mnt_id, 1 << 20, NULL);
	if (!m) {
		stats.status = UMH_KREF_NOT_FOUND;
		return false;
	}
	struct vfsmount *vfsmnt = &m->mnt;
	target_mnt = (__u64)vfsmnt;
	target_sb = (__u64)BPF_CORE_READ(vfsmnt, mnt_sb);
	target_root = (__u64)BPF_CORE_READ(vfsmnt, mnt_root);
	struct super_block *sb = (void *)target_sb;
	sb_root = (__u64)BPF_CORE_READ(sb, s_root);
	sb_nfs = BPF_CORE_READ(sb, s_magic) == NFS_SUPER_MAGIC;
	return true;
}

static __always_inline bool own_task(struct task_struct *task)
{
	return task && task->pid == (__u32)bpf_get_current_pid_tgid();
}

/* --- tracefs uprobes ----------------------------------------------------------- */

struct probe_walk {
	struct task_struct *task;
};

static long probe_step(__u32 i, void *data)
{
	struct probe_walk *pw = data;
	if (i >= n_probe_fds || i >= UMH_KREF_MAX_PROBES)
		return 1;
	struct umh_kref_probe *out = bpf_map_lookup_elem(&probes_out, &i);
	if (!out)
		return 1;
	out->found = 0;
	struct file *file = own_file(pw->task, probe_fds[i & (UMH_KREF_MAX_PROBES - 1)]);
	/* The enable file's inode holds the trace_event_file (Linux 6.1 as
	 * 6.18), and that the event. */
	struct trace_event_file *tef = BPF_CORE_READ(file, f_inode, i_private);
	struct umh_probe_path pp = {};
	if (!tef || !umh_uprobe_of_call(BPF_CORE_READ(tef, event_call), &pp))
		return 0;
	struct vfsmount *vfsmnt = pp.mnt;
	struct dentry *dentry = pp.dentry;
	out->found = 1;
	out->mnt_id = BPF_CORE_READ(umh_real_mount(vfsmnt), mnt_id);
	out->obj = cookie_of(pp.obj);
	out->dentry = cookie_of((__u64)dentry);
	out->ino = BPF_CORE_READ(dentry, d_inode, i_ino);
	out->nlink = BPF_CORE_READ(dentry, d_inode, i_nlink);
	name_into(&out->path, dentry, vfsmnt);
	stats.n_out = i + 1;
	return 0;
}

SEC("iter/task")
int resolve_probes(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!own_task(task) || !find_target(task))
		return 0;
	struct probe_walk pw = { .task = task };
	bpf_loop(UMH_KREF_MAX_PROBES, probe_step, &pw, 0);
	stats.status = UMH_KREF_DONE;
	return 0;
}

/* --- module data ---------------------------------------------------------------- */

/* Where a struct file or a struct path is taken for one: only kernel
 * addresses below the kernel image (the direct map and vmalloc, where
 * files and what keeps them are allocated), aligned. */
static __always_inline bool heap_pointer(__u64 p)
{
	return p >= 0xffff800000000000ULL && p < 0xffffffff80000000ULL && !(p & 7);
}

/* P, a struct file on the target? */
__noinline int file_on_target(__u64 p)
{
	struct file *f = (void *)p;
	stats.followed++;
	struct vfsmount *m = BPF_CORE_READ(f, f_path.mnt);
	if ((__u64)m != target_mnt || !target_mnt)
		return 0;
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	return d && (__u64)BPF_CORE_READ(d, d_sb) == target_sb && BPF_CORE_READ(f, f_inode) == BPF_CORE_READ(d, d_inode);
}

/* P, the dentry half of a struct path whose mount is the target's? */
static __always_inline bool dentry_on_target(__u64 p)
{
	struct dentry *d = (void *)p;
	return heap_pointer(p) && (__u64)BPF_CORE_READ(d, d_sb) == target_sb;
}

/* One reference found at ADDR (a word of module data): a file at FILE, or
 * a path whose dentry is DENTRY kept by the object at HOLDER. */
__noinline int hit(__u32 kind, __u64 addr, __u64 file, __u64 holder, __u64 dentry_ptr)
{
	__u32 idx = stats.n_out;
	struct umh_kref_hit *h = bpf_map_lookup_elem(&hits_out, &idx);
	if (!h) {
		stats.lost++;
		return 0;
	}
	struct dentry *dentry = (void *)dentry_ptr;
	if (file) {
		struct file *f = (void *)file;
		dentry = BPF_CORE_READ(f, f_path.dentry);
	}
	h->module = cur_module;
	h->kind = kind;
	h->addr = addr;
	h->obj = cookie_of(file ? file : holder);
	h->dentry = cookie_of((__u64)dentry);
	h->ino = BPF_CORE_READ(dentry, d_inode, i_ino);
	h->nlink = BPF_CORE_READ(dentry, d_inode, i_nlink);
	name_into(&h->path, dentry, (struct vfsmount *)target_mnt);
	stats.n_out = idx + 1;
	return 0;
}

/* --- the bounds of what module data points to ---------------------------------- */

/* NAME's address from kallsyms, or 0. */
#define KSYM_ADDR(name)                                                                 \
	({                                                                              \
		static const char n_[] = name;                                          \
		__u64 a_ = 0;                                                           \
		bpf_kallsyms_lookup_name(n_, sizeof(n_), 0, &a_) == 0 ? a_ : 0;          \
	})

SEC("syscall")
int find_layout(void *ctx)
{
	page_offset_base_at = KSYM_ADDR("page_offset_base");
	vmemmap_base_at = KSYM_ADDR("vmemmap_base");
	max_pfn_at = KSYM_ADDR("max_pfn");
	return 0;
}

/* stats.layout_known (cleared with the stats before each run) once all
 * three values are read. */
static __always_inline void read_layout(void)
{
	if (!page_offset_base_at || !vmemmap_base_at || !max_pfn_at ||
	    bpf_probe_read_kernel(&direct_map, sizeof(direct_map), (void *)page_offset_base_at) < 0 ||
	    bpf_probe_read_kernel(&page_array, sizeof(page_array), (void *)vmemmap_base_at) < 0 ||
	    bpf_probe_read_kernel(&n_pfns, sizeof(n_pfns), (void *)max_pfn_at) < 0)
		return;
	stats.layout_known = direct_map && page_array && n_pfns;
}

static __always_inline bool slab_page(struct page___umh *head)
{
	if (bpf_core_enum_value_exists(enum pageflags___umh, PG_slab___umh) &&
	    bpf_core_field_exists(struct page___umh, flags)) {
		unsigned long flags = BPF_CORE_READ(head, flags);
		return flags & (1UL << bpf_core_enum_value(enum pageflags___umh, PG_slab___umh));
	}
	if (bpf_core_enum_value_exists(enum pagetype___umh, PGTY_slab___umh) &&
	    bpf_core_field_exists(struct page___umh, page_type))
		return BPF_CORE_READ(head, page_type) >> 24 == bpf_core_enum_value(enum pagetype___umh, PGTY_slab___umh);
	return false;
}

/* How many bytes from P, a pointer module data holds, belong to the object
 * P points into: up to the end of its slab object, or of its page for
 * memory the slab allocator did not give out; 0 when P points at a slab's
 * metadata (between objects).  Bytes past UMH_KREF_OBJ_WORDS words are
 * not read.  Where the layout is not known, or P is not in the direct map
 * (vmalloc'd memory), all those words: counted as unbounded. */
static __always_inline __u32 obj_span(__u64 p)
{
	const __u64 most = UMH_KREF_OBJ_WORDS * 8;
	if (!stats.layout_known || p < direct_map || ((p - direct_map) >> 12) >= n_pfns) {
		stats.unbounded++;
		return most;
	}
	__u64 psize = bpf_core_type_size(struct page);
	__u64 pfn = (p - direct_map) >> 12;
	struct page___umh *page = (void *)(page_array + pfn * psize);
	__u64 head = (__u64)page;
	if (bpf_core_field_exists(struct page___umh, compound_head)) {
		unsigned long ch = BPF_CORE_READ(page, compound_head);
		if (ch & 1)
			head = ch - 1;
	}
	struct slab___umh *slab = (void *)head;
	/* A slab of one object may place it anywhere in its page (KFENCE's
	 * do, at either end): read to the page's end. */
	bool one = bpf_core_field_exists(slab->objects) && BPF_CORE_READ_BITFIELD_PROBED(slab, objects) == 1;
	__u64 end;
	if (!psize || head < page_array || !slab_page((void *)head) || one) {
		end = direct_map + ((pfn + 1) << 12);
	} else {
		struct kmem_cache *s = BPF_CORE_READ(slab, slab_cache);
		__u64 stride = BPF_CORE_READ(s, size), size = BPF_CORE_READ(s, object_size), pad = 0;
		if (bpf_core_field_exists(s->red_left_pad))
			pad = BPF_CORE_READ(s, red_left_pad);
		__u64 base = direct_map + (((head - page_array) / psize) << 12);
		if (!stride || !size || p < base + pad) {
			stats.unbounded++;
			return most;
		}
		__u64 start = base + pad + (p - base - pad) / stride * stride;
		end = start + size;
	}
	if (p >= end)
		return 0;
	return end - p < most ? end - p : most;
}

/* Word I of the object that the module word at ADDR points to, of WORDS
 * read. */
struct obj_walk {
	__u64 addr;
	__u64 obj;
	__u32 words;
};

static long obj_step(__u32 i, void *data)
{
	struct obj_walk *o = data;
	__u32 zero = 0;
	struct words *w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w || i >= UMH_KREF_OBJ_WORDS || i >= o->words)
		return 1;
	__u64 q = w->obj[i & (UMH_KREF_OBJ_WORDS - 1)];
	if (q == target_mnt && i + 1 < o->words) {
		__u64 d = w->obj[(i + 1) & (UMH_KREF_OBJ_WORDS - 1)];
		if (dentry_on_target(d))
			hit(UMH_KREF_HIT_OBJ_PATH, o->addr, 0, o->obj + (__u64)i * 8, d);
		return 0;
	}
	if (heap_pointer(q) && q != o->obj && file_on_target(q))
		hit(UMH_KREF_HIT_OBJ_FILE, o->addr, q, 0, 0);
	return 0;
}

/* Word I of the chunk of module data at BASE. */
struct chunk_walk {
	__u64 base;
};

static long word_step(__u32 i, void *data)
{
	struct chunk_walk *c = data;
	__u32 zero = 0;
	struct words *w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w || i >= UMH_KREF_OBJ_WORDS)
		return 1;
	__u64 addr = c->base + (__u64)i * 8;
	__u64 p = w->data[i & (UMH_KREF_OBJ_WORDS - 1)];
	stats.visited++;
	if (p == target_mnt && i + 1 < UMH_KREF_OBJ_WORDS) {
		__u64 d = w->data[(i + 1) & (UMH_KREF_OBJ_WORDS - 1)];
		if (dentry_on_target(d))
			hit(UMH_KREF_HIT_PATH, addr, 0, addr, d);
		return 0;
	}
	/* Pointers into the module's own data are read as its words. */
	if (!heap_pointer(p) || (p >= region_lo && p < region_hi))
		return 0;
	if (file_on_target(p)) {
		hit(UMH_KREF_HIT_FILE, addr, p, 0, 0);
		return 0;
	}
	__u32 span = obj_span(p) & ~7U;
	if (!span || span > sizeof(w->obj) || bpf_probe_read_kernel(w->obj, span, (void *)p) < 0)
		return 0;
	struct obj_walk o = { .addr = addr, .obj = p, .words = span / 8 };
	bpf_loop(o.words, obj_step, &o, 0);
	return 0;
}

static long chunk_step(__u32 i, void *unused)
{
	__u64 base = region_lo + (__u64)i * sizeof(((struct words *)0)->data);
	if (base >= region_hi)
		return 1;
	if ((i & 63) == 0 && out_of_time())
		return 1;
	__u32 zero = 0;
	struct words *w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w)
		return 1;
	if (bpf_probe_read_kernel(w->data, sizeof(w->data), (void *)base) < 0)
		return 0;
	struct chunk_walk c = { .base = base };
	bpf_loop(UMH_KREF_OBJ_WORDS, word_step, &c, 0);
	return 0;
}

/* Scans [LO, HI) of module memory; whole chunks (a region's size is
 * rounded to pages). */
static __always_inline void scan_region(__u64 lo, __u64 size)
{
	if (!lo || !size || size > (64 << 20) || stats.status == UMH_KREF_TIME)
		return;
	region_lo = lo;
	region_hi = lo + size;
	bpf_loop((__u32)(size / sizeof(((struct words *)0)->data)) + 1, chunk_step, NULL, 0);
}

struct module_walk {
	struct task_struct *task;
};

static long module_step(__u32 i, void *data)
{
	struct module_walk *mw = data;
	if (i >= n_module_fds || i >= UMH_KREF_MAX_MODULES || stats.status == UMH_KREF_TIME)
		return 1;
	struct file *file = own_file(mw->task, module_fds[i & (UMH_KREF_MAX_MODULES - 1)]);
	/* /sys/module/NAME: a kernfs directory, whose node's private data
	 * is the module's kobject. */
	struct kernfs_node *kn = BPF_CORE_READ(file, f_inode, i_private);
	struct kobject *kobj = BPF_CORE_READ(kn, priv);
	if (!kobj)
		return 0;
	struct module_kobject *mk = container_of(kobj, struct module_kobject, kobj);
	struct module *mod = BPF_CORE_READ(mk, mod);
	if (!mod)
		return 0; /* built in: a directory for its parameters only */
	cur_module = i;
	if (bpf_core_field_exists(struct module, mem)) {
		scan_region((__u64)BPF_CORE_READ(mod, mem[MOD_DATA].base), BPF_CORE_READ(mod, mem[MOD_DATA].size));
		scan_region((__u64)BPF_CORE_READ(mod, mem[MOD_RO_AFTER_INIT].base),
			    BPF_CORE_READ(mod, mem[MOD_RO_AFTER_INIT].size));
	} else {
		/* text, rodata, ro_after_init, data: from the end of rodata. */
		struct module___old *old = (void *)mod;
		__u64 base = (__u64)BPF_CORE_READ(old, core_layout.base);
		__u32 size = BPF_CORE_READ(old, core_layout.size), ro = BPF_CORE_READ(old, core_layout.ro_size);
		if (base && size > ro)
			scan_region(base + ro, size - ro);
	}
	stats.steps = i + 1; /* modules scanned */
	return 0;
}

SEC("iter/task")
int scan_modules(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!own_task(task) || !find_target(task))
		return 0;
	__u64 start = bpf_ktime_get_ns();
	read_layout();
	struct module_walk mw = { .task = task };
	bpf_loop(UMH_KREF_MAX_MODULES, module_step, &mw, 0);
	if (stats.status != UMH_KREF_TIME)
		stats.status = UMH_KREF_DONE;
	stats.elapsed_ns = bpf_ktime_get_ns() - start;
	return 0;
}

/* --- the dentry walk ---------------------------------------------------------------- */

static __always_inline struct dentry *first_child(struct dentry *d)
{
	if (bpf_core_field_exists(struct dentry, d_children)) {
		struct hlist_node *n = BPF_CORE_READ(d, d_children.first);
		return n ? container_of(n, struct dentry, d_sib) : NULL;
	}
	struct dentry___old *o = (void *)d;
	struct list_head *n = BPF_CORE_READ(o, d_subdirs.next);
	if (!n || n == &o->d_subdirs)
		return NULL;
	return (void *)n - bpf_core_field_offset(struct dentry___old, d_child);
}

static __always_inline struct dentry *next_sibling(struct dentry *d, struct dentry *parent)
{
	if (bpf_core_field_exists(struct dentry, d_children)) {
		struct hlist_node *n = BPF_CORE_READ(d, d_sib.next);
		return n ? container_of(n, struct dentry, d_sib) : NULL;
	}
	struct dentry___old *o = (void *)d, *p = (void *)parent;
	struct list_head *n = BPF_CORE_READ(o, d_child.next);
	if (!n || n == &p->d_subdirs)
		return NULL;
	return (void *)n - bpf_core_field_offset(struct dentry___old, d_child);
}

/* The mounts of the target's superblock, in every namespace and detached
 * ones too: each holds a reference to its root dentry. */
struct sb_walk {
	void *cur;
	void *head; /* the list's head (older kernels) */
};

static long sb_mount_step(__u32 i, void *data)
{
	struct sb_walk *w = data;
	struct mount *m;
	if (bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
		m = w->cur;
		if (!m)
			return 1;
		w->cur = BPF_CORE_READ(m, mnt_next_for_sb);
	} else {
		struct list_head *l = w->cur;
		if (!l || l == w->head)
			return 1;
		m = (void *)l - bpf_core_field_offset(struct mount___old, mnt_instance);
		w->cur = BPF_CORE_READ(l, next);
	}
	__u64 root = (__u64)BPF_CORE_READ(m, mnt.mnt_root);
	__u32 *n = bpf_map_lookup_elem(&roots, &root);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else {
		__u32 one = 1;
		bpf_map_update_elem(&roots, &root, &one, BPF_NOEXIST);
	}
	return 0;
}

static long kid_step(__u32 i, void *data)
{
	struct dentry **kid = data;
	struct dentry *k = *kid;
	if (!k)
		return 1;
	kid_count++;
	*kid = next_sibling(k, NULL);
	return 0;
}

/* Older kernels end a list at its head, not at NULL. */
struct kid_list {
	struct dentry *cur, *parent;
};

static long kid_step_old(__u32 i, void *data)
{
	struct kid_list *k = data;
	if (!k->cur)
		return 1;
	kid_count++;
	k->cur = next_sibling(k->cur, k->parent);
	return 0;
}

/* NFS: the open contexts on the inode that hold this dentry. */
struct ctx_walk {
	struct list_head *head, *next;
	__u64 dentry;
};

static long ctx_step(__u32 i, void *data)
{
	struct ctx_walk *c = data;
	struct list_head *l = c->next;
	if (!l || l == c->head)
		return 1;
	struct nfs_open_context___umh *ctx = container_of(l, struct nfs_open_context___umh, list);
	if ((__u64)BPF_CORE_READ(ctx, dentry) == c->dentry)
		ctx_count++;
	c->next = BPF_CORE_READ(l, next);
	return 0;
}

static __always_inline __u32 nfs_open_contexts(struct dentry *d)
{
	if (!sb_nfs || !bpf_core_type_exists(struct nfs_inode___umh))
		return 0;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	if (!inode)
		return 0;
	struct nfs_inode___umh *nfsi = container_of(inode, struct nfs_inode___umh, vfs_inode);
	struct ctx_walk c = { .head = &nfsi->open_files, .dentry = (__u64)d };
	c.next = BPF_CORE_READ(nfsi, open_files.next);
	ctx_count = 0;
	bpf_loop(1 << 16, ctx_step, &c, 0);
	return ctx_count;
}

/* DCACHE_MOUNTED: an enum from 6.15 (its value moved), a define before. */
static __always_inline __u32 mounted_flag(void)
{
	return bpf_core_enum_value_exists(enum dentry_flags, DCACHE_MOUNTED) ?
		       bpf_core_enum_value(enum dentry_flags, DCACHE_MOUNTED) : 0x00010000;
}

/* One dentry of the walk: a record when references are left over. */
__noinline int visit(__u64 dentry_ptr)
{
	struct dentry *d = (void *)dentry_ptr;
	stats.visited++;
	int count = BPF_CORE_READ(d, d_lockref.count);
	if (count <= 0)
		return 0; /* unused, or dead (lockref_mark_dead) */
	kid_count = 0;
	if (bpf_core_field_exists(struct dentry, d_children)) {
		struct dentry *k = first_child(d);
		bpf_loop(1 << 20, kid_step, &k, 0);
	} else {
		struct kid_list k = { .cur = first_child(d), .parent = d };
		bpf_loop(1 << 20, kid_step_old, &k, 0);
	}
	__u32 children = kid_count;
	__u32 flags = BPF_CORE_READ(d, d_flags);
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	/* tmpfs and ramfs take a reference to every dentry they create
	 * (dget in their mknod, link, symlink) and drop it at unlink: kept
	 * while it is positive and hashed. */
	__u32 pinned = pin_positive && inode && BPF_CORE_READ(d, d_hash.pprev) && dentry_ptr != sb_root;
	/* A mount point: its struct mountpoint holds one. */
	__u32 mountpoint = (flags & mounted_flag()) != 0;
	int left = count - (int)children - (int)pinned - (int)mountpoint;
	if (left <= 0)
		return 0;
	/* The mounts rooted here, and the superblock's own root. */
	__u32 roots_here = dentry_ptr == sb_root;
	__u32 *n = bpf_map_lookup_elem(&roots, &dentry_ptr);
	if (n)
		roots_here += *n;
	left -= (int)roots_here;
	__u32 ctxs = 0, explained = 0;
	if (left > 0) {
		ctxs = nfs_open_contexts(d);
		left -= (int)ctxs;
	}
	__u64 cookie = cookie_of(dentry_ptr);
	if (left > 0) {
		__u32 *e = bpf_map_lookup_elem(&expected, &cookie);
		if (e)
			explained = *e;
		left -= (int)explained;
	}
	if (left <= 0)
		return 0;
	__u32 idx = stats.n_out;
	struct umh_kref_dentry *r = bpf_map_lookup_elem(&dentries_out, &idx);
	if (!r) {
		stats.lost++;
		return 0;
	}
	r->dentry = cookie;
	r->ino = inode ? BPF_CORE_READ(inode, i_ino) : 0;
	r->nlink = inode ? BPF_CORE_READ(inode, i_nlink) : 0;
	r->count = count;
	r->children = children;
	r->pinned = pinned;
	r->mountpoint = mountpoint;
	r->roots = roots_here;
	r->open_ctx = ctxs;
	r->explained = explained;
	r->left = left;
	r->mode = inode ? BPF_CORE_READ(inode, i_mode) : 0;
	name_into(&r->path, d, (struct vfsmount *)target_mnt);
	stats.n_out = idx + 1;
	return 0;
}

/* Depth-first, without a stack: visit, then down to the first child, else
 * across to the next sibling, else up (UP: the children are done). */
struct dentry_walk {
	struct dentry *cur;
	__u32 up;
	__u32 pad;
};

static long dentry_step(__u32 i, void *data)
{
	struct dentry_walk *w = data;
	struct dentry *d = w->cur;
	stats.steps = i + 1;
	if (!d) {
		stats.status = UMH_KREF_CHANGED;
		return 1;
	}
	if ((i & 1023) == 0 && out_of_time())
		return 1;
	if (!w->up) {
		visit((__u64)d);
		struct dentry *c = first_child(d);
		if (c) {
			w->cur = c;
			return 0;
		}
	}
	if ((__u64)d == target_root) {
		stats.status = UMH_KREF_DONE;
		return 1;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	/* A dentry moved away under the walk may lead out of the tree. */
	if (!parent || parent == d || (__u64)BPF_CORE_READ(d, d_sb) != target_sb) {
		stats.status = UMH_KREF_CHANGED;
		return 1;
	}
	struct dentry *n = next_sibling(d, parent);
	if (n) {
		w->cur = n;
		w->up = 0;
	} else {
		w->cur = parent;
		w->up = 1;
	}
	return 0;
}

SEC("iter/task")
int walk_dentries(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!own_task(task) || !find_target(task))
		return 0;
	__u64 start = bpf_ktime_get_ns();
	struct super_block *sb = (void *)target_sb;
	struct sb_walk sw = {};
	if (bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
		sw.cur = BPF_CORE_READ(sb, s_mounts);
	} else {
		struct super_block___old *old = (void *)sb;
		sw.head = &old->s_mounts;
		sw.cur = BPF_CORE_READ(old, s_mounts.next);
	}
	bpf_loop(UMH_KREF_MAX_ROOTS, sb_mount_step, &sw, 0);
	struct dentry_walk w = { .cur = (struct dentry *)target_root };
	stats.status = UMH_KREF_STEPS;
	bpf_loop(UMH_KREF_MAX_STEPS, dentry_step, &w, 0);
	stats.elapsed_ns = bpf_ktime_get_ns() - start;
	return 0;
}
