/* umount(2) calls, as umount.bpf.c sends them and the watcher reads them
 * (watch/calls.c).  Fixed-width types only: shared with the BPF side.
 *
 * One event per call that matters, sent when the call returns: one that
 * unmounted something the watched table may have lost (in the watched
 * mount namespace, or in one whose unmounts can propagate there), or one
 * that failed with EBUSY, anywhere.  Every other call (a failure for
 * another reason, a success in a namespace the watched table cannot
 * hear from) stays in the kernel, and is only counted.  What is sent is
 * rate-bounded per account (the uid answerable for the call); a
 * successful unmount by root is never held back. */
#ifndef UMH_BPF_UMOUNT_H
#define UMH_BPF_UMOUNT_H

#define UMH_UMOUNT_TARGET_MAX 512 /* the path string the caller passed */
#define UMH_UMOUNT_ANCESTORS 6    /* parent, grandparent, ... */
#define UMH_UMOUNT_CG_DEPTH 8     /* cgroup path components kept, leaf first */
#define UMH_UMOUNT_CG_NAME 96     /* a unit name is at most 255, but rarely above 64 */
#define UMH_UMOUNT_CMDLINE 256    /* the caller's arguments, NUL-separated, as much as fits */
/* The watched namespace's user namespace and its ancestors: a call in a
 * mount namespace owned by one of these may propagate into the watched
 * table; one owned by any other (a user namespace someone made, below)
 * cannot (the kernel made its copies of shared mounts slaves). */
#define UMH_UMOUNT_USERNS_MAX 8

/* The rate bound: calls sent per account, a second (and as many at once,
 * after a quiet second).  Root's successful unmounts are not counted;
 * root's failures are. */
#define UMH_UMOUNT_RATE_ROOT 100
#define UMH_UMOUNT_RATE_USER 50
#define UMH_UMOUNT_ACCOUNTS 4096

#define UMH_UMOUNT_EBUSY 16

/* Each account's place in the rate bound (the "rate" map, keyed by the
 * account), and the calls it held back all along (the watcher compares
 * two readings).  The bound is a token bucket kept as one time (GCRA): a
 * call may go when NEXT_NS is less than a second ahead of now, and moves
 * it one period (a second / the rate) on.  A steady flood thus sends one
 * call every period, not a burst each second. */
struct umh_umount_rate {
	__u64 next_ns;
	__u32 dropped;
	__u32 unused;
};

/* Kinds 1 and 2 (a call's entry and its exit, sent apart) are retired. */
enum umh_umount_ev_kind {
	UMH_UMOUNT_CALL = 3,
};

/* Counters, per CPU, that the watcher sums (umh_umount_trace_stats). */
enum umh_umount_stat {
	UMH_USTAT_CALLS,        /* calls that returned while traced */
	UMH_USTAT_OTHER_RESULT, /* failed, not with EBUSY: not sent */
	UMH_USTAT_OTHER_NS,     /* succeeded where the watched table cannot hear of it: not sent */
	UMH_USTAT_RATE,         /* over their account's rate bound: not sent */
	UMH_USTAT_SENT,
	UMH_USTAT_LOST,         /* the ring buffer was full: not sent */
	UMH_USTAT_N,
};

struct umh_umount_task {
	__s32 tgid;    /* in the initial pid namespace */
	__s32 ns_tgid; /* in the task's own pid namespace */
	__u64 pidns;   /* inode of that pid namespace */
	__u64 start_ns; /* its start, CLOCK_BOOTTIME: /proc/PID/stat's starttime */
	char comm[16];
};

struct umh_umount_head {
	__u32 kind;
	__s32 tid;
	__u64 ts_ns; /* the call's return, CLOCK_BOOTTIME */
};

struct umh_umount_call {
	struct umh_umount_head h;
	__s64 ret;       /* 0, or -EBUSY */
	struct umh_umount_task self;
	__u32 uid;
	__u32 flags;     /* umount2's flags: MNT_FORCE 1, MNT_DETACH 2, MNT_EXPIRE 4, UMOUNT_NOFOLLOW 8 */
	__u64 mntns;     /* inode of the caller's mount namespace */
	__u64 cgroup_id; /* its cgroup in the unified hierarchy */
	__u32 account;   /* the uid answerable: its own in the initial user namespace, else the
			  * owner of the outermost user namespace it runs under */
	__u32 account_dropped; /* that account's calls held back by the rate bound so far */
	__u32 n_ancestors;
	__u32 n_cgroup;     /* names in cgroup[], leaf first */
	__u32 cgroup_complete; /* the walk reached the hierarchy's root */
	__s32 target_len;   /* bpf_probe_read_user_str's result: < 0 if unreadable */
	__u32 cmdline_len;  /* bytes in cmdline[] */
	__u32 cmdline_cut;  /* the arguments were longer */
	struct umh_umount_task ancestors[UMH_UMOUNT_ANCESTORS];
	char cgroup[UMH_UMOUNT_CG_DEPTH][UMH_UMOUNT_CG_NAME];
	char target[UMH_UMOUNT_TARGET_MAX];
	char cmdline[UMH_UMOUNT_CMDLINE];
};

#endif
