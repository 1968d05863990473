/* The state one explanation's collectors share.
 *
 * A collector finds one class of holder and adds it to the report; it never
 * prints.  When it cannot look (no permission, nothing mounted to read, the
 * time budget spent) it records a skip, so the report can say what it did
 * not see. */
#pragma once

#include <libmount.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/clock.h"
#include "explain/namespaces.h"
#include "explain/refs.h"
#include "model/model.h"

struct umh_scan_mount {
	uint64_t id;
	unsigned int major, minor;
	enum umh_mount_role role;
};

struct umh_scan_index {
	uint64_t id;
	size_t i; /* in MOUNTS */
};

struct umh_scan {
	struct umh_report *report;
	int procfd;                 /* /proc, opened before any setns(2) */
	struct libmnt_table *table; /* the target's mount namespace */
	uint64_t mntns;             /* its inode */
	int64_t deadline_ns;        /* CLOCK_MONOTONIC; 0: no budget */
	unsigned int workers;       /* threads for the process scan */
	pid_t self;                 /* our own process: never a holder */
	pid_t parent;               /* the process that started us, if it is ours */

	/* The mounts whose holders are looked for: the target, the copies
	 * umount propagates to, other mounts of the same filesystem; or, to
	 * explain a filesystem, every mount of it. */
	struct umh_scan_mount *mounts;
	size_t n_mounts, cap_mounts;
	struct umh_scan_index *index; /* MOUNTS by id, once umh_scan_index() built it */
	size_t n_index;
	bool fs_view;               /* explain of a filesystem (fs.c) */
	unsigned int fs_major, fs_minor; /* its device */
	struct umh_ns_set namespaces; /* the namespaces of copies (or of the filesystem's mounts) */
	uint64_t anon_inode_mnt_id; /* where io_uring and eventfd files live */

	atomic_uint_fast64_t processes_scanned;
	atomic_uint_fast64_t fds_scanned;
	atomic_bool out_of_time;

	bool bpf_scanned;        /* the BPF scan ran: holders came from it */
	uint64_t cookie_key;     /* how the BPF scan named kernel objects (iter.h) */
	/* Processes that use a uprobe registered in tracefs (a perf event or
	 * a link to it): the probe holds the mount, they only keep it alive. */
	struct umh_probe_user {
		uint64_t obj; /* the uprobe, as a cookie */
		int32_t pid, fd;
		uint32_t link_id; /* 0: a perf event */
	} *probe_users;
	size_t n_probe_users, cap_probe_users;
	int tracefs_fd;          /* tracefs's root, or -1 (umh_kernel_refs_setup) */
	struct umh_refs refs;    /* the target's count, what holds it */
	int64_t unexplained_refs; /* -1: unknown (see refs.h) */
};

/* The scan's view of a mount id: its entry, or NULL if not of interest. */
const struct umh_scan_mount *umh_scan_lookup(const struct umh_scan *s, uint64_t mnt_id);
/* Whether a (major, minor) device is one of the scanned filesystems'. */
bool umh_scan_has_dev(const struct umh_scan *s, unsigned int major, unsigned int minor);
/* Adds a mount to the report and the scan set (duplicates ignored). */
int umh_scan_add_mount(struct umh_scan *s, const struct umh_mount *m);
/* Sorts the scan set for lookups by id, once every mount is in: a
 * filesystem may have thousands of mounts, each looked up per descriptor. */
int umh_scan_index(struct umh_scan *s);
/* The scanned mount a kernel-printed path lies on, by path, or NULL. */
const struct umh_scan_mount *umh_scan_mount_for_path(const struct umh_scan *s, const char *path);

/* The io_uring holders an io_uring descriptor's fdinfo text (FDINFO) lists:
 * one per registered file on a scanned mount, for thread TID's descriptor
 * FD, each handed to ADD (which describes the process, then adds it).
 * Returns 0 or ADD's negative errno.  Both process scans use it. */
typedef int (*umh_holder_fn)(struct umh_holder *h, void *userdata);
int umh_scan_uring_fdinfo(struct umh_scan *s, const char *fdinfo, int32_t tid, int32_t fd, umh_holder_fn add,
			  void *userdata);

/* The inode of /proc/PID/ns/mnt (PID may be "self"). */
int umh_read_mntns(int procfd, const char *pid, uint64_t *ns);

/* With UMOUNT_HELPER_DEBUG=time: prints how long WHAT took since *T, and
 * sets *T to now. */
void umh_scan_debug_time(const char *what, int64_t *t);

/* True once the time budget is spent (and remembered: every later call
 * agrees). */
bool umh_scan_out_of_time(struct umh_scan *s);

/* The collectors, in the order the explanation runs them. */
int umh_collect_same_fs_mounts(struct umh_scan *s);
/* The target's propagated copies (copies.c): found by the kernel where BPF
 * may run (BPF; else WHY says why not), from every namespace's mountinfo
 * otherwise. */
int umh_collect_copies(struct umh_scan *s, bool bpf, char *why, size_t size);
int umh_collect_child_mounts(struct umh_scan *s);
int umh_collect_processes(struct umh_scan *s);      /* procfs: fds, cwd, maps, threads */
/* The same holders, plus files in flight in unix sockets, from BPF
 * iterators.  On failure before any holder was added, returns a negative
 * errno with WHY set, and bpf_scanned stays false: scan /proc instead. */
int umh_collect_bpf(struct umh_scan *s, char *why, size_t size);
/* One descriptor table through /proc: the leader's (TID == PID) or a
 * thread's own, for the BPF scan when a table holds more references than
 * its programs can hand over.  DESCRIBED: whether PID's process entry was
 * added already (updated). */
int umh_collect_fd_table(struct umh_scan *s, int32_t pid, int32_t tid, bool *described);
/* Files opened by kernel code while the open ledger ran (nothing when it
 * does not run). */
int umh_collect_ledger(struct umh_scan *s);
int umh_collect_loop(struct umh_scan *s);
int umh_collect_swap(struct umh_scan *s);
int umh_collect_binfmt(struct umh_scan *s);
/* The root of filesystem FSTYPE: where it is mounted at WHERE in the
 * target's namespace, else a detached mount of it (CAP_SYS_ADMIN).  A
 * descriptor, or a negative errno. */
int umh_open_fs_root(struct umh_scan *s, const char *fstype, const char *where);
/* Opens tracefs for the kernel-reference search (needs CAP_SYS_ADMIN where
 * it is not mounted: run in the setup phase). */
int umh_kernel_refs_setup(struct umh_scan *s);
/* References no process holds (collect-kernel-refs.c): tracefs uprobes,
 * kernel modules, then the files that carry what is still unexplained.
 * Runs when the BPF scan ran and the count does not show the mount free. */
int umh_collect_kernel_refs(struct umh_scan *s);
int umh_collect_nfsd(struct umh_scan *s);
/* The target's reference count (collect-refs.c): read just before and just
 * after the BPF scan, then compared with every holder found, which sets
 * unexplained_refs and the report's refs. */
void umh_refs_count_before(struct umh_scan *s);
void umh_refs_count_after(struct umh_scan *s);
int umh_collect_refs(struct umh_scan *s);
