#include "model/kinds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* A name that may be absent prints as nothing, as the escaping printer
 * does with NULL. */
static const char *s(const char *name) { return name ? name : ""; }

/* ---- labels of what a process holds --------------------------------------------- */

/* " (rw)" after a descriptor or a mapping, when the access is known. */
static const char *open_paren(const struct umh_holder *h) { return *h->access ? " (" : ""; }
static const char *close_paren(const struct umh_holder *h) { return *h->access ? ")" : ""; }

static void label_fd(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "fd %d%s%s%s", h->fd, open_paren(h), h->access, close_paren(h));
}

static void label_thread_fd(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "thread %d fd %d%s%s%s", h->tid, h->fd, open_paren(h), h->access, close_paren(h));
}

static void label_thread_cwd(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "thread %d cwd", h->tid);
}

static void label_thread_root(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "thread %d root", h->tid);
}

static void label_mmap(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "mmap%s%s%s", open_paren(h), h->access, close_paren(h));
}

static void label_io_uring(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "io_uring fd %d", h->fd);
}

static void label_uprobe(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "uprobe fd %d", h->fd);
}

static void label_socket(char *buf, size_t size, const struct umh_holder *h)
{
	snprintf(buf, size, "socket fd %d", h->fd);
}

/* ---- holders that are not processes: what they are, what to do ------------------ */

static void describe_child_mount(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "child mount %s (%s)", s(h->object), s(h->detail));
}

static void remedy_child_mount(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	(void)pinned;
	fprintf(out, "umount %s first, or the whole tree: umount -R %s", s(h->object), s(target));
}

/* A copy in another namespace can be unmounted there first; one in this
 * namespace is freed by what frees its holders. */
static void copy_remedy(FILE *out, const struct umh_mount *copy)
{
	if (copy && copy->ns_pid)
		fprintf(out, "unmount the copy first: nsenter -t %d -m umount %s", copy->ns_pid, s(copy->target));
}

static void remedy_namespace_copy(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h,
				  const char *target)
{
	(void)h, (void)target;
	copy_remedy(out, pinned);
}

static void describe_loop(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "loop device %s, backed by %s", s(h->object), s(h->path));
	if (h->deleted)
		fputs(" (deleted)", out);
	if (h->detail && *h->detail)
		fprintf(out, " (%s)", h->detail);
}

static void remedy_loop(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	(void)pinned, (void)target;
	/* The loop collector says what uses the device in its detail. */
	if (h->detail && strstr(h->detail, "mounted at "))
		fputs("unmount what is mounted from it, then ", out);
	else if (h->detail && strstr(h->detail, "used as swap"))
		fputs("swapoff it, then ", out);
	fprintf(out, "losetup -d %s", s(h->object));
}

static void describe_swap(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "swap file %s is in use", s(h->path));
}

static void remedy_swap(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	(void)pinned, (void)target;
	fprintf(out, "swapoff %s", s(h->path));
}

static void describe_binfmt(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "binfmt_misc entry %s keeps its interpreter %s open (flag F)", s(h->object), s(h->path));
}

static void remedy_binfmt(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	(void)pinned, (void)target;
	fprintf(out, "remove the entry: echo -1 > /proc/sys/fs/binfmt_misc/%s", s(h->object));
}

static void describe_scm_inflight(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "a descriptor in flight in a unix socket: %s", s(h->path));
	if (h->object)
		fprintf(out, " (%s)", h->object);
}

static void remedy_scm_inflight(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h,
				const char *target)
{
	(void)pinned, (void)h, (void)target;
	fputs("the receiving side must read or close the socket", out);
}

/* PATH is the exported directory, OBJECT the client as exportfs -u takes it. */
static void describe_nfsd_export(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "the NFS server exports %s to %s", s(h->path), s(h->object));
}

static void remedy_nfsd_export(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h,
			       const char *target)
{
	(void)pinned, (void)target;
	fprintf(out, "exportfs -u %s:%s, then flush the kernel's export cache: exportfs -f", s(h->object), s(h->path));
}

static void describe_kernel_open(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "opened inside the kernel, by no process: %s", s(h->path));
}

static void remedy_kernel_open(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h,
			       const char *target)
{
	(void)pinned, (void)h, (void)target;
	fputs("release it in the kernel: unload the module or stop the subsystem that opened it", out);
}

/* A filesystem's mount in a namespace, and an overlay built on it.  What
 * else frees them depends on the namespace (its unit, what keeps it with
 * no process), which the report knows: report/remedy.c gives the whole
 * list; here the plain unmount. */
static void describe_fs_mount(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "mounted at %s (%s)", s(h->object), s(h->detail));
}

static void remedy_fs_mount(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	(void)h;
	if (pinned && pinned->ns_pid)
		fprintf(out, "nsenter -t %d -m umount %s", pinned->ns_pid, s(target));
	else
		fprintf(out, "umount %s", s(target));
}

static void describe_overlay_layer(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "an overlay mounted at %s uses it as %s", s(h->object), s(h->detail));
}

static void remedy_overlay_layer(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h,
				 const char *target)
{
	(void)pinned, (void)target;
	fprintf(out, "umount %s", s(h->object));
}

/* OBJECT is the tracefs event (GROUP/NAME); DETAIL says who uses it. */
static void describe_uprobe(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "uprobe %s on %s", s(h->object), s(h->path));
}

static void remedy_uprobe(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	(void)pinned, (void)target;
	/* tracefs refuses to remove a probe that a perf event uses. */
	if (h->detail && strstr(h->detail, "in use by"))
		fputs("stop what uses it, then ", out);
	fprintf(out, "remove it: echo '-:%s' >> /sys/kernel/tracing/uprobe_events", s(h->object));
}

/* A bound socket that no process has open (one in flight in another). */
static void describe_unix_socket(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "unix socket %s bound at %s", s(h->object), s(h->path));
}

static void remedy_unix_socket(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h,
			       const char *target)
{
	(void)pinned, (void)h, (void)target;
	fputs("it is released when the last descriptor of it is closed", out);
}

/* OBJECT is the module, PATH the file its data leads to. */
static void describe_module(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "kernel module %s holds %s%s", s(h->object), s(h->path), h->deleted ? " (deleted)" : "");
}

static void remedy_module(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	(void)pinned, (void)target;
	fprintf(out, "unload it: rmmod %s (or stop what uses the module first)", s(h->object));
}

static void describe_kernel_ref(FILE *out, const struct umh_holder *h)
{
	fprintf(out, "%s%s", s(h->path), h->deleted ? " (deleted)" : "");
}

static void remedy_kernel_ref(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h,
			      const char *target)
{
	(void)pinned, (void)h, (void)target;
	fputs("something in the kernel keeps it: `umount-helper ledger start` names what opens it from then on", out);
}

/* ---- the table ------------------------------------------------------------------- */

static const struct umh_kind_info kinds[_UMH_KIND_MAX] = {
	[UMH_KIND_FD] = {
		.name = "fd", .blocks = true, .refs = UMH_KREFS_FILE,
		.hold = UMH_HOLD_FILE, .label = label_fd,
	},
	[UMH_KIND_CWD] = {
		.name = "cwd", .blocks = true, .refs = UMH_KREFS_FS,
		.hold = UMH_HOLD_CWD,
	},
	[UMH_KIND_ROOT] = {
		.name = "root", .blocks = true, .refs = UMH_KREFS_FS,
		.hold = UMH_HOLD_ROOT,
	},
	[UMH_KIND_EXE] = {
		.name = "exe", .blocks = true, .refs = UMH_KREFS_FILE,
		.hold = UMH_HOLD_EXE,
	},
	[UMH_KIND_MMAP] = {
		.name = "mmap", .blocks = true, .refs = UMH_KREFS_FILE,
		.hold = UMH_HOLD_FILE, .label = label_mmap,
	},
	[UMH_KIND_THREAD_CWD] = {
		.name = "thread-cwd", .blocks = true, .refs = UMH_KREFS_FS,
		.hold = UMH_HOLD_CWD, .label = label_thread_cwd,
	},
	[UMH_KIND_THREAD_ROOT] = {
		.name = "thread-root", .blocks = true, .refs = UMH_KREFS_FS,
		.hold = UMH_HOLD_ROOT, .label = label_thread_root,
	},
	[UMH_KIND_THREAD_FD] = {
		.name = "thread-fd", .blocks = true, .refs = UMH_KREFS_FILE,
		.hold = UMH_HOLD_FILE, .label = label_thread_fd,
	},
	[UMH_KIND_IO_URING] = {
		.name = "io_uring", .blocks = true, .refs = UMH_KREFS_HANDED_FILE, .ledger_twin = true,
		.hold = UMH_HOLD_RING, .label = label_io_uring, .detail_after_path = true,
	},
	[UMH_KIND_CHILD_MOUNT] = {
		.name = "child-mount", .blocks = true, .refs = UMH_KREFS_CHILD_MOUNT,
		.describe = describe_child_mount, .remedy = remedy_child_mount,
		.one = "child mount", .many = "child mounts", .headline_rank = 1,
	},
	[UMH_KIND_NAMESPACE_COPY] = {
		.name = "namespace-copy", .blocks = true, .refs = UMH_KREFS_NONE,
		.remedy = remedy_namespace_copy, .is_copy = true,
		/* Not "in other namespaces": a copy may be in ours, at another place. */
		.one = "busy propagated copy", .many = "busy propagated copies",
		.headline_rank = 2,
	},
	[UMH_KIND_LOOP] = {
		.name = "loop", .blocks = true, .refs = UMH_KREFS_HANDED_FILE,
		.describe = describe_loop, .remedy = remedy_loop,
		.one = "loop device", .many = "loop devices", .headline_rank = 3,
	},
	[UMH_KIND_SWAP] = {
		.name = "swap", .blocks = true, .refs = UMH_KREFS_ONE, .ledger_twin = true,
		.describe = describe_swap, .remedy = remedy_swap,
		.one = "swap file", .many = "swap files", .headline_rank = 4,
	},
	[UMH_KIND_BINFMT] = {
		.name = "binfmt", .blocks = true, .refs = UMH_KREFS_ONE, .ledger_twin = true,
		.describe = describe_binfmt, .remedy = remedy_binfmt,
		.one = "binfmt_misc interpreter", .many = "binfmt_misc interpreters", .headline_rank = 5,
	},
	[UMH_KIND_NFSD_EXPORT] = {
		.name = "nfsd-export", .blocks = true, .refs = UMH_KREFS_UNCOUNTABLE,
		.refs_why = "the NFS server's export caches hold references to it, as many as they have entries "
			    "for it, which cannot be counted from here",
		.describe = describe_nfsd_export, .remedy = remedy_nfsd_export,
		.one = "nfsd export", .many = "nfsd exports", .headline_rank = 6,
	},
	[UMH_KIND_KERNEL_OPEN] = {
		.name = "kernel-open", .blocks = true, .refs = UMH_KREFS_ONE,
		.describe = describe_kernel_open, .detail_line = true, .remedy = remedy_kernel_open,
		.one = "file opened inside the kernel", .many = "files opened inside the kernel", .headline_rank = 7,
	},
	/* A filesystem's (explain/fs.h): never in the report of one mount. */
	[UMH_KIND_FS_MOUNT] = {
		.name = "mount", .blocks = true, .refs = UMH_KREFS_NONE,
		.describe = describe_fs_mount, .remedy = remedy_fs_mount,
		.one = "mount of the filesystem", .many = "mounts of the filesystem", .headline_rank = 9,
	},
	[UMH_KIND_OVERLAY_LAYER] = {
		.name = "overlay-layer", .blocks = true, .refs = UMH_KREFS_NONE,
		.describe = describe_overlay_layer, .remedy = remedy_overlay_layer,
		.one = "overlay built on it", .many = "overlays built on it", .headline_rank = 10,
	},
	[UMH_KIND_SCM_INFLIGHT] = {
		/* The BPF scan names the struct file in flight by its address. */
		.name = "scm-inflight", .blocks = true, .refs = UMH_KREFS_FILE,
		.describe = describe_scm_inflight, .detail_line = true, .remedy = remedy_scm_inflight,
		.one = "descriptor in flight", .many = "descriptors in flight", .headline_rank = 8,
	},
	/* The kinds below are counted by the address of what holds the path
	 * (refs.h: UMH_REF_PATH, UMH_REF_FILE), with the BPF scan's objects. */
	[UMH_KIND_UPROBE] = {
		/* A process's (perf event, BPF link: DETAIL says which) is
		 * listed under it; one registered in tracefs on its own. */
		.name = "uprobe", .blocks = true, .refs = UMH_KREFS_NONE,
		.hold = UMH_HOLD_PROBE, .label = label_uprobe, .detail_after_path = true,
		.describe = describe_uprobe, .detail_line = true, .remedy = remedy_uprobe,
		.one = "uprobe", .many = "uprobes", .headline_rank = 11,
	},
	[UMH_KIND_UNIX_SOCKET] = {
		.name = "unix-socket", .blocks = true, .refs = UMH_KREFS_NONE,
		.hold = UMH_HOLD_SOCKET, .label = label_socket, .detail_after_path = true,
		.describe = describe_unix_socket, .detail_line = true, .remedy = remedy_unix_socket,
		.one = "bound unix socket", .many = "bound unix sockets", .headline_rank = 12,
	},
	[UMH_KIND_MODULE] = {
		.name = "module", .blocks = true, .refs = UMH_KREFS_NONE,
		.describe = describe_module, .detail_line = true, .remedy = remedy_module,
		.one = "kernel module", .many = "kernel modules", .headline_rank = 13,
	},
	[UMH_KIND_KERNEL_REF] = {
		/* What is left of the count: never counted as explaining. */
		.name = "kernel-ref", .blocks = true, .refs = UMH_KREFS_NONE,
		.describe = describe_kernel_ref, .detail_line = true, .remedy = remedy_kernel_ref,
		.one = "file with unexplained references", .many = "files with unexplained references",
		.headline_rank = 14,
	},
};

/* A value out of range (a bug, or memory gone bad): shown by its name,
 * counted as blocking rather than hidden, and accounting for nothing. */
static const struct umh_kind_info unknown_kind = { .name = "unknown", .blocks = true };

const struct umh_kind_info *umh_kind_info(enum umh_kind kind)
{
	if ((unsigned)kind >= _UMH_KIND_MAX || !kinds[kind].name)
		return &unknown_kind;
	return &kinds[kind];
}

const char *umh_kind_name(enum umh_kind kind) { return umh_kind_info(kind)->name; }

int umh_kind_from_name(const char *name)
{
	for (int k = 0; k < _UMH_KIND_MAX; k++)
		if (kinds[k].name && strcmp(kinds[k].name, name) == 0)
			return k;
	return -EINVAL;
}

bool umh_kind_is_process(enum umh_kind kind) { return umh_kind_info(kind)->hold != UMH_HOLD_NONE; }

/* ---- words as strings ---------------------------------------------------------------- */

struct words {
	char *buf;
	size_t size;
	FILE *f;
};

static FILE *words_open(struct words *w)
{
	*w = (struct words){ 0 };
	return w->f = open_memstream(&w->buf, &w->size);
}

/* The string written, or NULL when there was none or memory ran out. */
static char *words_close(struct words *w)
{
	if (fclose(w->f) != 0 || !w->size) {
		free(w->buf);
		return NULL;
	}
	return w->buf;
}

char *umh_kind_describe(const struct umh_holder *h)
{
	const struct umh_kind_info *k = umh_kind_info(h->kind);
	struct words w;
	if (!words_open(&w))
		return NULL;
	if (k->describe)
		k->describe(w.f, h);
	else
		fprintf(w.f, "%s %s", k->name, s(h->path ? h->path : h->object));
	return words_close(&w);
}

char *umh_kind_remedy(const struct umh_mount *pinned, const struct umh_holder *h, const char *target)
{
	const struct umh_kind_info *k = umh_kind_info(h->kind);
	struct words w;
	if (!k->remedy || !words_open(&w))
		return NULL;
	k->remedy(w.f, pinned, h, target);
	return words_close(&w);
}

char *umh_copy_remedy(const struct umh_mount *copy)
{
	struct words w;
	if (!words_open(&w))
		return NULL;
	copy_remedy(w.f, copy);
	return words_close(&w);
}

/* ---- what a process should do ---------------------------------------------------------- */

void umh_holds_add(struct umh_holds *s, enum umh_kind kind)
{
	enum umh_kind_hold hold = umh_kind_info(kind)->hold;
	s->only_cwd &= hold == UMH_HOLD_CWD;
	s->only_fs &= hold == UMH_HOLD_CWD || hold == UMH_HOLD_ROOT;
	s->only_exe &= hold == UMH_HOLD_EXE;
	s->ring |= hold == UMH_HOLD_RING;
	s->only_probe &= hold == UMH_HOLD_PROBE;
	s->only_socket &= hold == UMH_HOLD_SOCKET;
}

static bool is_shell(const char *comm)
{
	static const char *const shells[] = { "bash", "sh", "dash", "zsh", "fish", "ksh", "mksh",
					      "tcsh", "csh", "ash", "busybox" };
	for (size_t i = 0; comm && i < sizeof(shells) / sizeof(shells[0]); i++)
		if (strcmp(comm, shells[i]) == 0)
			return true;
	return false;
}

char *umh_process_remedy(const struct umh_holds *hs, const struct umh_process *p, int32_t pid, const char *target)
{
	struct words w;
	if (!words_open(&w))
		return NULL;
	if (hs->only_cwd && p && is_shell(p->comm))
		fprintf(w.f, "cd out of %s in that shell, or end it: kill %d", s(target), pid);
	else if (hs->only_fs)
		fprintf(w.f, "make it leave %s, or end it: kill %d", s(target), pid);
	else if (hs->only_exe)
		fprintf(w.f, "it runs a program from %s: end it: kill %d", s(target), pid);
	else if (hs->only_probe)
		/* A perf event's or a link's uprobe goes with the descriptor. */
		fprintf(w.f, "its uprobe keeps the file until it closes that descriptor: stop it: kill %d", pid);
	else if (hs->only_socket)
		fprintf(w.f, "it keeps a unix socket bound there: close that socket, or end it: kill %d", pid);
	else if (hs->ring)
		fprintf(w.f, "its io_uring holds registered files until the ring is closed: kill %d", pid);
	else
		fprintf(w.f, "make it close what it holds, or end it: kill %d", pid);
	return words_close(&w);
}
