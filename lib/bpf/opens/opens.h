/* Opens and closes of files, as the trace and the ledger see them
 * (opens.bpf.c), shared with user space (trace.c, ledger.c).
 *
 * A file is "pending" from the moment it is opened until it is installed
 * in a process's descriptor table (fd_install) or released (__fput).  A
 * pending file that lives on is held by kernel code: a module's filp_open,
 * a subsystem's dentry_open.  Fixed-width types only. */
#ifndef UMH_BPF_OPENS_H
#define UMH_BPF_OPENS_H

#define UMH_OPENS_PATH_MAX 2048
#define UMH_OPENS_MAX_PENDING 16384
#define UMH_OPENS_STACK_DEPTH 32
#define UMH_MODSYM_NAME 56

enum umh_open_ev_kind {
	UMH_EV_OPEN = 1, /* a file on the traced mount was opened */
	UMH_EV_INSTALL,  /* ...and got descriptor FD in PID's table */
	UMH_EV_CLOSE,    /* released (kernel probes), or its fd closed (syscalls) */
};

/* What the ledger remembers of one pending open. */
struct umh_pending {
	__u64 ts_ns;     /* CLOCK_BOOTTIME */
	__s32 pid, tid;  /* the task that was running: maybe insmod, maybe a kthread */
	__s32 stack_id;  /* in the stacks map; negative if none */
	__u32 mnt_id;
	__u32 flags;     /* f_flags */
	__u32 pad;
	char comm[16];
};

/* A trace event (ring buffer).  PATH holds PATH_LEN bytes of names, leaf
 * first (path.bpf.h), or for syscall events the same. */
struct umh_open_event {
	__u64 ts_ns;
	__u64 file;      /* an opaque cookie pairing open, install and close */
	__s32 pid, tid;
	__s32 fd;        /* -1 unless known */
	__s32 stack_id;
	__u32 kind;
	__u32 mnt_id;
	__u32 flags;
	__u32 path_len;
	__u32 path_complete;
	__u32 pad;
	char comm[16];
	char path[UMH_OPENS_PATH_MAX];
};

/* One record of the ledger reader (iter/bpf_map_elem over the pending
 * map), written to its seq_file: the pending entry, then PATH_LEN bytes. */
struct umh_ledger_rec {
	__u32 reclen;
	__u32 path_len;
	__u32 path_complete;
	__u32 nlink;
	__u64 file;
	struct umh_pending p;
};

/* A symbol of a module, kept from its load: a module's __init functions
 * are gone from /proc/kallsyms once it has loaded, yet they are exactly
 * what opened the file. */
struct umh_modsym {
	__u64 size;
	char name[UMH_MODSYM_NAME];
	char module[UMH_MODSYM_NAME];
};

#endif
