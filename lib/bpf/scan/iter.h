/* What the scan's iterator programs (iter.bpf.c) hand to user space
 * (collect-bpf.c): one record per reference to a mount of interest, and
 * nothing for the hundreds of thousands of files that are elsewhere.
 *
 * Shared by the BPF side (vmlinux.h types) and the C side (<linux/types.h>),
 * so only fixed-width types. */
#ifndef UMH_BPF_ITER_H
#define UMH_BPF_ITER_H

#define UMH_ITER_MAX_MOUNTS 16384 /* target, copies, other mounts of the fs; or all of a filesystem's */
#define UMH_ITER_FAST_MOUNTS 8 /* as many are compared inline, without the map */
#define UMH_ITER_MAX_SCM 64    /* in-flight files reported per scan */
#define UMH_ITER_MAX_BOUND 64  /* unix sockets bound on the mounts, per scan */
/* What one task may write: the iterator's buffer (32 kB) must hold all of
 * one task's records, or the scan stops with E2BIG.  A descriptor table
 * with more references than fit is handed over whole to user space
 * (UMH_REC_FD_OVERFLOW), which reads it through /proc. */
#define UMH_ITER_TASK_BYTES (24 * 1024)
/* 32 hex digits of a sha256 and NULs: 36, so that the read-only section
 * (a __u32 before it) has no padding at its end, and its map's value size
 * is the size of the skeleton's struct, which a scan checks (scan-pin.c). */
#define UMH_ITER_BUILD_ID_SIZE 36

enum umh_iter_rec_kind {
	UMH_REC_FD = 1,      /* a leader's descriptor */
	UMH_REC_THREAD_FD,   /* a descriptor of a thread with its own table */
	UMH_REC_CWD,
	UMH_REC_ROOT,
	UMH_REC_EXE,
	UMH_REC_THREAD_CWD,  /* a thread with its own fs_struct */
	UMH_REC_THREAD_ROOT,
	UMH_REC_MMAP,
	UMH_REC_URING,       /* an io_uring descriptor: its files are read in user space */
	UMH_REC_SOCK_OWNER,  /* a descriptor of a socket that has files in flight */
	UMH_REC_FD_OVERFLOW, /* TID's table has more references than its records carry */
	UMH_REC_UPROBE,      /* a perf event or BPF link holding a uprobe on a file of the
			      * mounts (FLAGS: the link's id; SUB: enum umh_uprobe_via) */
};

/* How a process holds a uprobe (UMH_REC_UPROBE's SUB). */
enum umh_uprobe_via {
	UMH_UPROBE_PERF = 1,    /* a perf event: of the uprobe PMU, or of a tracefs uprobe */
	UMH_UPROBE_LINK = 2,    /* a BPF link: uprobe_multi, or a perf link to a uprobe */
	UMH_UPROBE_TRACEFS = 4, /* (a bit) the uprobe is registered in tracefs: the
				 * process only uses it, tracefs keeps the path */
};

/* PATH_STATE: how the names were walked (path.bpf.h). */
#define UMH_REC_PATH_COMPLETE 1 /* up to the reader's root, or the namespace's top */

/* Written with bpf_seq_write: the fixed part, then PATH_LEN bytes of names
 * as path.bpf.h walks them (leaf first, each NUL-terminated; user space
 * joins them with umh_bpf_join_path).  RECLEN is the size of both, so a
 * reader can step over a record it does not know. */
struct umh_iter_rec {
	__u32 reclen;
	__u16 kind;
	__u16 path_len;
	__s32 pid;    /* thread group id, in the reader's pid namespace */
	__s32 tid;
	__s32 fd;     /* -1 unless a descriptor */
	__u32 mnt_id;
	__u32 flags;  /* f_flags, or for mappings VM_READ/VM_WRITE bits */
	__u32 nlink;  /* the inode's link count: 0 means unlinked */
	__u64 ino;    /* the inode (for mappings: to drop the exe's own) */
	__u64 sock_ino; /* UMH_REC_SOCK_OWNER: the socket's inode */
	__u32 path_state;
	__u32 sub;    /* UMH_REC_UPROBE: enum umh_uprobe_via; else 0 */
	__u64 obj;    /* what holds the mount reference (see umh_refs): the
		       * struct file, or for cwd and root the fs_struct, or
		       * what keeps a uprobe's path, as a cookie: distinct
		       * objects, distinct cookies */
	__u64 dentry; /* the dentry it holds, as a cookie (0: none) */
};

/* One file found in flight in a unix socket's receive queue (iter/unix).
 * Kept in an array map: the queue walk runs in bpf_loop callbacks. */
#define UMH_SCM_NAME_MAX 2048
struct umh_scm_rec {
	__u64 sock_ino;  /* the receiving socket */
	__u64 ino;       /* the file in flight */
	__u32 mnt_id;
	__u32 nlink;
	__u32 flags;
	__u32 path_len;  /* bytes used in PATH, see path.bpf.h */
	__u32 path_parts;
	__u32 path_complete; /* the walk reached a root (else: cut off, too deep) */
	__u64 obj;       /* the struct file, as a cookie */
	__u64 dentry;    /* its dentry, as a cookie */
	char path[UMH_SCM_NAME_MAX];
};

/* One unix socket bound to a path on the mounts (iter/unix), kept as the
 * files in flight are. */
struct umh_bound_rec {
	__u64 sock_ino;  /* the socket's inode (sockfs), to find its owners */
	__u64 ino;       /* the socket file's inode on the mount */
	__u32 mnt_id;
	__u32 nlink;
	__u32 path_len;
	__u32 path_complete;
	__u64 obj;       /* the unix_sock, as a cookie */
	__u64 dentry;    /* the socket file's dentry, as a cookie */
	char path[UMH_SCM_NAME_MAX];
};

/* vm_flags bits the kernel has kept since 2.6 */
#define UMH_VM_READ  0x1
#define UMH_VM_WRITE 0x2

#endif
