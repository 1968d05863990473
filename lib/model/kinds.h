/* Kinds of holder, and what each kind means to the rest of the program, in
 * one table (in the spirit of util-linux lsfd's file_class): its name in
 * JSON, whether it blocks an unmount, how it counts in the reference
 * accounting (explain/refs.c), its words in the text report, and its remedy,
 * which the text and the JSON report both give.  A new kind is one value in
 * the enum and one row in kinds.c, plus the collector that finds it.
 *
 * The words and remedies are written raw, as the names in them are: the
 * text report escapes what it prints, the JSON writer what it writes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Kinds of holder.  Their names are part of the JSON output: add kinds,
 * never rename one.  Their order is the order holders of one process are
 * listed in. */
enum umh_kind {
	UMH_KIND_FD,
	UMH_KIND_CWD,
	UMH_KIND_ROOT,
	UMH_KIND_EXE,
	UMH_KIND_MMAP,
	UMH_KIND_THREAD_CWD,
	UMH_KIND_THREAD_ROOT,
	UMH_KIND_THREAD_FD,
	UMH_KIND_CHILD_MOUNT,
	UMH_KIND_NAMESPACE_COPY,
	UMH_KIND_LOOP,
	UMH_KIND_SWAP,
	UMH_KIND_BINFMT,
	UMH_KIND_IO_URING,
	UMH_KIND_SCM_INFLIGHT,
	UMH_KIND_NFSD_EXPORT,
	UMH_KIND_KERNEL_OPEN,
	/* Explain of a filesystem (model.h, struct umh_fs): */
	UMH_KIND_FS_MOUNT,      /* "mount": a mount of it in a namespace, which keeps it alive */
	UMH_KIND_OVERLAY_LAYER, /* "overlay-layer": an overlay built on it (its layer's private mount) */
	UMH_KIND_MODULE,      /* a kernel module's data leads to a file there */
	UMH_KIND_UPROBE,      /* a uprobe on a file there (tracefs, perf, BPF link) */
	UMH_KIND_UNIX_SOCKET, /* a unix socket bound to a path there */
	UMH_KIND_KERNEL_REF,  /* a file whose references nothing found explains */
	_UMH_KIND_MAX
};

/* How holders of a kind account for references to the mount they pin
 * (explain/refs.h). */
enum umh_kind_refs {
	/* None of its own: counted elsewhere, or another mount (a propagated
	 * copy holds no reference to the target).  Uprobes, bound sockets and
	 * modules' files are counted with the BPF scan's objects, by address
	 * (refs.h); a kernel-ref is what is left once all are counted. */
	UMH_KREFS_NONE,
	/* A struct file the BPF scan names by its address: one reference
	 * however many descriptors, mappings or sockets share it. */
	UMH_KREFS_FILE,
	/* A working or root directory: one per fs_struct, by its address. */
	UMH_KREFS_FS,
	/* A struct file a process handed to the kernel (LOOP_CONFIGURE and
	 * IORING_REGISTER_FILES take a descriptor): one each, and the count
	 * is unknown when another file on the mount has the same path, which
	 * may be that very file. */
	UMH_KREFS_HANDED_FILE,
	/* A file the kernel opened for itself: one each. */
	UMH_KREFS_ONE,
	/* References that cannot be counted from here: the count is unknown,
	 * for the reason in refs_why. */
	UMH_KREFS_UNCOUNTABLE,
	/* Counted from the kernel's list of child mounts (on kernels where a
	 * child mount holds one), not holder by holder. */
	UMH_KREFS_CHILD_MOUNT,
};

/* How a process holds a mount with a holder of this kind: together, its
 * holders pick the remedy for the process (umh_process_remedy). */
enum umh_kind_hold {
	UMH_HOLD_NONE, /* not held by a process */
	UMH_HOLD_FILE, /* an open file or a mapping */
	UMH_HOLD_CWD,  /* a working directory */
	UMH_HOLD_ROOT, /* a root directory */
	UMH_HOLD_EXE,  /* the program it runs */
	UMH_HOLD_RING, /* a file registered with an io_uring */
	UMH_HOLD_PROBE, /* a uprobe, through a perf event or a BPF link */
	UMH_HOLD_SOCKET, /* a unix socket bound there */
};

struct umh_holder;
struct umh_mount;
struct umh_process;
struct umh_report;

struct umh_kind_info {
	const char *name; /* "kind" in JSON and on the wire */
	/* Keeps the mount it pins from being unmounted (when that mount is
	 * the target or a copy umount takes along; see umh_holder_blocks). */
	bool blocks;
	enum umh_kind_refs refs;
	const char *refs_why; /* UMH_KREFS_UNCOUNTABLE: why, as a clause */
	/* The kernel opened its file itself (swapon, a binfmt_misc F entry,
	 * an io_uring's direct descriptors): the ledger's kernel open of the
	 * same path on the same mount is this holder, not another. */
	bool ledger_twin;

	/* Kinds held by a process (hold != UMH_HOLD_NONE) are listed under
	 * their process, each as a label and a path.  A uprobe or a bound
	 * socket may also be held by no process (a tracefs uprobe, a socket
	 * in flight): those kinds have the rest of the row too. */
	enum umh_kind_hold hold;
	/* The label ("fd 3 (r)", "thread 4243 cwd"); NULL: the name. */
	void (*label)(char *buf, size_t size, const struct umh_holder *h);
	bool detail_after_path; /* ", DETAIL" after the path */

	/* Other kinds are listed one by one: a line that describes the
	 * holder (NULL: the name and its path or object), then
	 * its detail on a line of its own where detail_line, then the remedy. */
	void (*describe)(FILE *out, const struct umh_holder *h);
	bool detail_line;
	/* What to do about it; NULL where the kind has none of its own.
	 * TARGET is the mount point of the mount the holder pins. */
	void (*remedy)(FILE *out, const struct umh_mount *pinned, const struct umh_holder *h, const char *target);
	/* A propagated copy: the report gives it a section of its own, with
	 * what holds it, instead of a line among the holders. */
	bool is_copy;
	/* How the first line of the report counts holders of this kind
	 * ("2 loop devices"), and where among them (1 first; 0: not counted
	 * there, as for kinds held by a process, which count as processes). */
	const char *one, *many;
	unsigned headline_rank;
};

/* The row of KIND (a row named "unknown" for a value out of range). */
const struct umh_kind_info *umh_kind_info(enum umh_kind kind);

const char *umh_kind_name(enum umh_kind kind);
int umh_kind_from_name(const char *name); /* -EINVAL if unknown */
bool umh_kind_is_process(enum umh_kind kind);

/* The line that describes a holder not held by a process, the remedy of
 * one, and the remedy for a copy umount would take along (NULL when it has
 * none of its own: it is in this namespace) — each a new string, raw (to
 * be escaped where printed), or NULL (also when memory runs out).  PINNED is
 * the mount the holder pins (umh_report_mount), TARGET its mount point. */
char *umh_kind_describe(const struct umh_holder *h);
char *umh_kind_remedy(const struct umh_mount *pinned, const struct umh_holder *h, const char *target);
char *umh_copy_remedy(const struct umh_mount *copy);

/* How one process holds one mount, summed over its holders there. */
struct umh_holds {
	bool only_cwd; /* working directories only */
	bool only_fs;  /* working and root directories only */
	bool only_exe; /* the program it runs only */
	bool ring;     /* a file registered with an io_uring among them */
	bool only_probe; /* uprobes only (perf events, BPF links) */
	bool only_socket; /* bound unix sockets only */
};
#define UMH_HOLDS_INIT                                                                              \
	((struct umh_holds){                                                                        \
		.only_cwd = true, .only_fs = true, .only_exe = true, .only_probe = true, .only_socket = true \
	})
void umh_holds_add(struct umh_holds *s, enum umh_kind kind);
/* What to do about process PID (P: its description, or NULL) holding
 * TARGET as S says: a new string, raw, or NULL when memory runs out. */
char *umh_process_remedy(const struct umh_holds *s, const struct umh_process *p, int32_t pid, const char *target);
