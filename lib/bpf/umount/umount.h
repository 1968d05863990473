/* umount(2) calls, as umount.bpf.c sees them and the watcher reads them
 * (watch/calls.c).  Fixed-width types only: shared with the BPF side.
 *
 * Each call gives two events: ENTER, with everything about the caller that
 * can be read while it runs (it may be gone a millisecond later: systemd's
 * /bin/umount is), and EXIT with the result. */
#ifndef UMH_BPF_UMOUNT_H
#define UMH_BPF_UMOUNT_H

#define UMH_UMOUNT_TARGET_MAX 512 /* the path string the caller passed */
#define UMH_UMOUNT_ANCESTORS 6    /* parent, grandparent, ... */
#define UMH_UMOUNT_CG_DEPTH 8     /* cgroup path components kept, leaf first */
#define UMH_UMOUNT_CG_NAME 96     /* a unit name is at most 255, but rarely above 64 */
#define UMH_UMOUNT_CMDLINE 256    /* the caller's arguments, NUL-separated, as much as fits */

enum umh_umount_ev_kind {
	UMH_UMOUNT_ENTER = 1,
	UMH_UMOUNT_EXIT = 2,
};

struct umh_umount_task {
	__s32 tgid;    /* in the initial pid namespace */
	__s32 ns_tgid; /* in the task's own pid namespace */
	__u64 pidns;   /* inode of that pid namespace */
	__u64 start_ns; /* its start, CLOCK_BOOTTIME: /proc/PID/stat's starttime */
	char comm[16];
};

/* The header both events start with. */
struct umh_umount_head {
	__u32 kind;
	__s32 tid;
	__u64 ts_ns; /* CLOCK_BOOTTIME */
};

struct umh_umount_exit {
	struct umh_umount_head h;
	__s64 ret;
};

struct umh_umount_enter {
	struct umh_umount_head h;
	struct umh_umount_task self;
	__u32 uid;
	__u32 flags;     /* umount2's flags: MNT_FORCE 1, MNT_DETACH 2, MNT_EXPIRE 4, UMOUNT_NOFOLLOW 8 */
	__u64 mntns;     /* inode of the caller's mount namespace */
	__u64 cgroup_id; /* its cgroup in the unified hierarchy */
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
