/* What the mount-count program (mntcount.bpf.c) hands to user space
 * (mntcount.c).  Shared by the BPF side (vmlinux.h types) and the C side
 * (<linux/types.h>), so only fixed-width types. */
#ifndef UMH_BPF_MNTCOUNT_H
#define UMH_BPF_MNTCOUNT_H

#define UMH_MNTCOUNT_MAX_CPUS 4096 /* possible CPUs the sum covers */
#define UMH_MNTCOUNT_MAX_STEPS (1 << 20) /* mount tree walk: 3 steps a mount at most */
#define UMH_MNTCOUNT_MAX_READERS 256 /* reads in progress at once (the pinned program's) */

/* Why a read found no count. */
enum umh_mntcount_status {
	UMH_MNTCOUNT_OK = 1,
	UMH_MNTCOUNT_NOT_RUN = 0,     /* the program never saw its own task */
	UMH_MNTCOUNT_NOT_FOUND = -2,  /* no mount of that id in our namespace */
	UMH_MNTCOUNT_FAULT = -3,      /* a read of kernel memory failed */
};

struct umh_mntcount_result {
	__s32 status;     /* enum umh_mntcount_status */
	__s32 count;      /* mnt_get_count(): the sum over possible CPUs */
	__u32 children;   /* mounts on top of it (its mnt_mounts list) */
	__u32 steps;      /* tree walk steps taken */
};

/* One reader's read (the map "reads", keyed by its thread id). */
struct umh_mntcount_read {
	__u32 want_mnt_id; /* set by the reader */
	__u32 pad;
	struct umh_mntcount_result result; /* set by the program; status 0: it did not run */
};

#endif
