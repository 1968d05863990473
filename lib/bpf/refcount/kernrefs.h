/* What the kernel-reference programs (kernrefs.bpf.c) hand to user space
 * (kernrefs-load.c): the uprobes registered in tracefs, the kernel modules
 * whose data leads to a file of the target, and the files of the target
 * whose dentries carry references that nothing found explains.
 *
 * Shared by the BPF side (vmlinux.h types) and the C side (<linux/types.h>),
 * so only fixed-width types. */
#ifndef UMH_BPF_KERNREFS_H
#define UMH_BPF_KERNREFS_H

#define UMH_KREF_MAX_PROBES 256   /* tracefs uprobes resolved per explain */
#define UMH_KREF_MAX_MODULES 1024 /* loaded modules scanned */
#define UMH_KREF_MAX_HITS 64      /* module references reported */
#define UMH_KREF_MAX_DENTRIES 64  /* dentries with references left over, reported */
#define UMH_KREF_MAX_EXPECTED 65536 /* dentries whose references the scan explains */
#define UMH_KREF_MAX_ROOTS 1024   /* mounts of the target's superblock */
#define UMH_KREF_NAME_MAX 2048    /* path bytes kept per record */
/* The dentry walk: two steps a dentry (down, then across or up), and a
 * child counted once more by its parent. */
#define UMH_KREF_MAX_STEPS (1 << 23)
#define UMH_KREF_OBJ_WORDS 32     /* words read at most of an object module data points to */

/* Why a program stopped where it did (STATUS). */
enum umh_kref_status {
	UMH_KREF_NOT_RUN = 0,   /* the program never saw its own task */
	UMH_KREF_DONE = 1,      /* walked to the end */
	UMH_KREF_NOT_FOUND = -1, /* no mount of that id in our namespace */
	UMH_KREF_STEPS = -2,    /* out of steps */
	UMH_KREF_TIME = -3,     /* out of time (the deadline) */
	UMH_KREF_CHANGED = -4,  /* the tree changed under the walk */
};

/* A path as path.bpf.h walks it: names leaf first, each NUL-terminated. */
struct umh_kref_path {
	__u32 len;
	__u32 complete;
	char names[UMH_KREF_NAME_MAX];
};

/* A uprobe registered in tracefs, from the descriptor of its enable file
 * (resolve_probes). */
struct umh_kref_probe {
	__u32 found;   /* the descriptor led to a uprobe with a path */
	__u32 mnt_id;  /* the mount its path holds */
	__u64 obj;     /* the trace_uprobe, as a cookie */
	__u64 dentry;  /* as a cookie */
	__u64 ino;
	__u32 nlink;
	__u32 pad;
	struct umh_kref_path path;
};

/* Where in a module a reference to the target was found (scan_modules). */
enum umh_kref_hit_kind {
	UMH_KREF_HIT_FILE = 1, /* a struct file * in its data */
	UMH_KREF_HIT_PATH,     /* a struct path in its data */
	UMH_KREF_HIT_OBJ_FILE, /* a struct file * in an object its data points to */
	UMH_KREF_HIT_OBJ_PATH, /* a struct path in an object its data points to */
};

struct umh_kref_hit {
	__u32 module;  /* index into the descriptors user space gave */
	__u32 kind;    /* enum umh_kref_hit_kind */
	__u64 addr;    /* the word of its data that leads there (for kallsyms) */
	__u64 obj;     /* the struct file, or what holds the struct path, as a cookie */
	__u64 dentry;  /* as a cookie */
	__u64 ino;
	__u32 nlink;
	__u32 pad;
	struct umh_kref_path path;
};

/* A dentry of the target with references left over (walk_dentries). */
struct umh_kref_dentry {
	__u64 dentry;   /* as a cookie */
	__u64 ino;
	__s32 count;    /* d_lockref.count */
	__u32 children; /* dentries in its list of children: one reference each */
	__u32 pinned;   /* 1: the filesystem keeps positive dentries (tmpfs, ramfs) */
	__u32 mountpoint; /* 1: something is mounted on it */
	__u32 roots;    /* mounts (and the superblock) whose root it is */
	__u32 open_ctx; /* NFS: open contexts on it (each holds a reference) */
	__u32 explained; /* references of the objects the scan found on it */
	__s32 left;     /* what nothing accounts for */
	__u32 nlink;
	__u32 mode;     /* the inode's i_mode (0: negative) */
	struct umh_kref_path path;
};

struct umh_kref_stats {
	__s32 status;
	__u32 n_out;      /* records written */
	__u32 lost;       /* records that did not fit */
	__u32 unbounded;  /* objects read without their bounds (module scan) */
	__u64 visited;    /* dentries, or module words */
	__u64 steps;
	__u64 followed;   /* module pointers followed */
	__u64 elapsed_ns;
	__u32 layout_known; /* the kernel's memory layout, for objects' bounds */
	__u32 pad;
};

#endif
