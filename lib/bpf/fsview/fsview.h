/* What the filesystem's mount walks (sbmounts.bpf.c, fsview.bpf.c) hand to
 * user space (fsview-load.c).  Shared by the BPF side (vmlinux.h types)
 * and the C side (<linux/types.h>), so only fixed-width types. */
#ifndef UMH_BPF_FSVIEW_H
#define UMH_BPF_FSVIEW_H

#define UMH_FSV_MAX_SBS (1 << 16)          /* superblocks walked at most */
#define UMH_FSV_MAX_MOUNTS (1 << 17)       /* mounts of one superblock walked at most */
#define UMH_FSV_MAX_CHILD_STEPS (1 << 22)  /* MOUNTPOINT: children looked at, in all */
#define UMH_FSV_MAX_OVERLAYS 1024          /* overlay superblocks looked at */
#define UMH_FSV_MAX_LAYERS 512             /* layers of one overlay */
#define UMH_FSV_MAX_NS 16384               /* namespaces of interest */
#define UMH_FSV_RINGBUF (1 << 20)          /* records of one walk; more: the walk runs again */
#define UMH_FSV_MASTERS 4                  /* a parent's chain of masters, as far as it is read */
#define UMH_FSV_NAMES 4096                 /* names of one path, as path.bpf.h writes them */

enum umh_fsv_mode {
	UMH_FSV_BY_DEV = 1, /* the superblock whose s_dev is want_dev */
	UMH_FSV_MOUNTPOINT, /* fsview.bpf.c: the mounts on the directory of our descriptor want_fd */
};

enum umh_fsv_status {
	UMH_FSV_NOT_RUN = 0,      /* the program never saw its own task */
	UMH_FSV_OK = 1,
	UMH_FSV_NO_SB = -1,       /* no live superblock has that device */
	UMH_FSV_NO_FD = -2,       /* want_fd is not open */
	UMH_FSV_NOT_MOUNTED = -3, /* MOUNTPOINT: nothing is mounted on it, anywhere */
	UMH_FSV_TRUNCATED = -4,   /* a walk reached its bound: what it found is not all */
};

enum umh_fsv_rec_kind {
	UMH_FSV_REC_MOUNT = 1,  /* a mount of the superblock */
	UMH_FSV_REC_NSFS,       /* an nsfs mount that keeps a namespace of interest (EXTRA: its inum) */
	UMH_FSV_REC_OVERLAY,    /* a mount of an overlay with a layer on the superblock
				 * (EXTRA: the layer's private mount, as a cookie; EXTRA2: its index) */
	UMH_FSV_REC_MOUNTPOINT, /* MOUNTPOINT: a mount on the directory */
	UMH_FSV_REC_TASK,       /* a process in a namespace of interest */
	UMH_FSV_REC_NSFD,       /* a descriptor on a namespace of interest */
};

/* What a mount's mnt_ns says. */
enum umh_fsv_ns_state {
	UMH_FSV_NS_ATTACHED = 1, /* in a mount namespace */
	UMH_FSV_NS_ANON,         /* in an anonymous one: a tree from open_tree(OPEN_TREE_CLONE) or fsmount() */
	UMH_FSV_NS_DETACHED,     /* in none: unmounted (umount -l) and still referenced */
	UMH_FSV_NS_INTERNAL,     /* the kernel's own: kern_mount(), an overlay's private copy of a layer */
};

#define UMH_FSV_F_NS_ROOT 1      /* the root of its namespace (its parent is itself) */
#define UMH_FSV_F_PATH_COMPLETE 2 /* the names reach the top of its namespace */
#define UMH_FSV_F_ROOT_COMPLETE 4 /* the names of ROOT reach the filesystem's root */
#define UMH_FSV_F_HAS_CHILDREN 8  /* mounts sit on top of directories of it */

/* One mount.  After it: PATH_LEN bytes of names of its mount point in its
 * namespace, then ROOT_LEN bytes of names of the directory it shows; both
 * leaf first, each NUL-terminated (path.bpf.h; umh_bpf_join_path). */
struct umh_fsv_mount {
	__u32 reclen;
	__u16 kind;     /* enum umh_fsv_rec_kind */
	__u16 ns_state; /* enum umh_fsv_ns_state */
	__u16 path_len;
	__u16 root_len;
	__u32 flags;
	__u32 mnt_id;
	__u32 parent_id;
	__u32 dev;       /* its superblock's s_dev, the kernel's encoding */
	__u64 ns_inum;   /* its namespace's inode (ATTACHED, ANON) */
	__u32 group;     /* its peer group, 0 if not shared */
	__u32 master;    /* the group it receives from, 0 if none */
	__u32 parent_group;
	__u32 parent_masters[UMH_FSV_MASTERS]; /* its parent's master's group, that one's master's, ... */
	__u32 mnt_flags;
	__u64 mountpoint; /* the dentry it is mounted on, as a cookie: propagated copies share it */
	__u64 cookie;     /* the mount itself, as a cookie */
	__u64 extra;
	__u32 extra2;
	__u32 pad;
};

/* TASK and NSFD records, written to the iterator's seq_file. */
struct umh_fsv_task {
	__u32 reclen;
	__u16 kind;
	__u16 pad;
	__s32 pid;      /* the process, in the reader's pid namespace */
	__s32 fd;       /* NSFD: the descriptor */
	__u64 ns_inum;
	char comm[16];
};

struct umh_fsv_result {
	__s32 status;    /* enum umh_fsv_status */
	__u32 sbs;       /* superblocks walked */
	__u32 records;   /* mount records written */
	__u32 full;      /* the ring buffer filled up: run again from SKIP = RECORDS + skip */
	__u32 steps;     /* MOUNTPOINT: children looked at */
	__u32 magic;     /* the superblock's s_magic */
	__u32 dev;       /* its s_dev */
	__u32 overlays;  /* overlay superblocks looked at */
	char fstype[32];
};

#endif
