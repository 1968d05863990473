/* The model: what holds a mount.
 *
 * Collectors add to a report and never print; the report renderers print and
 * never scan.  A report can also stream every addition to a sink, which is
 * how the analysis runs in a separate process and hands its findings to a
 * parent that enforces the time budget (see runner.h). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/kinds.h"

/* How a mount that the scan looks at relates to the target. */
enum umh_mount_role {
	UMH_ROLE_TARGET,  /* the mount umount(2) detaches */
	UMH_ROLE_COPY,    /* a propagated copy umount takes along: blocks when held */
	UMH_ROLE_SAME_FS, /* another mount of the same filesystem: never blocks */
	/* Explain of a filesystem: every mount of it keeps it alive. */
	UMH_ROLE_FS,          /* a mount of it in a mount namespace (MNTNS) */
	UMH_ROLE_FS_DETACHED, /* unmounted lazily (umount -l), still referenced */
	UMH_ROLE_FS_ANON,     /* a detached tree: open_tree(OPEN_TREE_CLONE), fsmount() */
	UMH_ROLE_FS_INTERNAL, /* the kernel's own: an overlay's private copy of a layer */
	UMH_ROLE_OVERLAY,     /* a mount of an overlay built on it (of another filesystem) */
	_UMH_ROLE_MAX
};

struct umh_mount {
	uint64_t id;
	uint64_t parent_id;
	unsigned int major, minor; /* the superblock's device */
	uint64_t shared;           /* peer group, 0 if not shared */
	uint64_t master;           /* peer group it receives from, 0 if none */
	uint64_t mntns;            /* inode of its mount namespace, 0 if ours */
	int32_t ns_pid;            /* a process in that namespace, 0 if ours */
	enum umh_mount_role role;
	char *target;
	char *source;
	char *fstype;
	char *root;    /* the directory of the filesystem it shows */
	char *options; /* per-mount options */
};

struct umh_process {
	int32_t pid;
	uint32_t uid;
	char *user;    /* user name, or the number when it has no name */
	char *comm;
	char *cmdline; /* arguments joined by spaces; raw bytes, escaped when printed */
};

struct umh_holder {
	enum umh_kind kind;
	uint64_t mnt_id; /* the mount it pins: a umh_mount of the report */
	int32_t pid;     /* 0 when no process is involved */
	int32_t tid;
	int32_t fd;      /* -1 unless a descriptor */
	char access[8];  /* "r", "w", "rw", "path" or "" */
	bool deleted;    /* the file was unlinked (nlink is 0) */
	bool by_path;    /* matched by the path the kernel prints, not by mount id */
	char *path;      /* the file or directory, as the kernel names it */
	char *object;    /* the holder when it is not a process: /dev/loop0, a mount point, ... */
	char *detail;    /* more, in words: a kernel stack, a namespace, options */
};

struct umh_skip {
	int32_t pid; /* 0 when not about one process */
	int err;     /* positive errno, 0 if none applies */
	char *what;
	char *why;
};

enum umh_item {
	UMH_ITEM_MOUNT,
	UMH_ITEM_PROCESS,
	UMH_ITEM_HOLDER,
	UMH_ITEM_SKIP,
	UMH_ITEM_SUMMARY,
	UMH_ITEM_REFS,
	UMH_ITEM_NAMESPACE,
	UMH_ITEM_FS,
};

/* A mount namespace that a mount of the report is in, described by its
 * processes, or, with none, by what keeps it alive. */
#define UMH_NS_PIDS 8
struct umh_namespace {
	uint64_t inum;          /* the inode of its /proc/PID/ns/mnt */
	bool ours;              /* the namespace explain looked from */
	bool anonymous;         /* a detached tree's (open_tree, fsmount): no process is in it */
	uint32_t n_processes;   /* processes in it */
	int32_t pids[UMH_NS_PIDS]; /* the first of them, by pid */
	uint32_t n_pids;
	char *comm;             /* pids[0]'s command name and line */
	char *cmdline;
	char *cgroup;           /* pids[0]'s cgroup (the unified hierarchy's, else systemd's) */
	char *unit;             /* the systemd unit that cgroup is, if one */
	char *unit_settings;    /* what gives UNIT a namespace of its own ("PrivateTmp=yes"), if known */
	int32_t manager_pid;    /* the systemd that runs UNIT, when it is not ours (a container's) */
	char *container;        /* the container the cgroup names ("docker 3f2a..."), if one */
	/* With no process in it: what keeps it. */
	char *kept_at;          /* an nsfs mount of it (unshare --mount=FILE), in namespace KEPT_NS */
	uint64_t kept_ns;
	int32_t kept_pid;       /* a process with a descriptor on it (or, for KEPT_AT, one in KEPT_NS) */
	int32_t kept_fd;        /* that descriptor, -1 if none */
	char *kept_comm;
};

/* Explain of a filesystem, rather than one mount: what SPEC names (a
 * device, a mount point with --fs, a directory mounted on elsewhere) and
 * whether the kernel still has it.  The report's mounts are then all its
 * mounts (roles UMH_ROLE_FS*), and its holders what keeps it alive. */
struct umh_fs {
	bool view;           /* this report is about a filesystem */
	bool alive;          /* the kernel has a filesystem of that device */
	bool elsewhere;      /* SPEC is a directory that is no mount point in our table but
			      * is mounted on (ON_MNT_ID): in another namespace, or in ours
			      * through another path */
	bool partial;        /* found from the namespaces' mount tables only: mounts no
			      * namespace shows (detached, an overlay's) were not seen */
	unsigned int major, minor; /* its device (s_dev) */
	uint64_t from_mnt_id; /* --fs: the mount SPEC named, 0 if none */
	uint64_t on_mnt_id;   /* ELSEWHERE: the (first) mount on the directory */
	char *spec;          /* as the user gave it */
	char *device;        /* the block device SPEC resolved to, if one */
	char *fstype;
	char *source;        /* as its mounts name it */
};
/* The target's reference count against what the holders found explain
 * (lib/explain/refs.h).  unexplained_refs (the summary) is COUNT - MOUNTED -
 * EXPLAINED when the count is known. */
struct umh_refcount {
	int64_t count;     /* mnt_get_count() of the target; -1: unknown */
	int64_t mounted;   /* the reference it holds for being mounted (1) */
	int64_t explained; /* references the holders found account for */
	char *why;         /* when the count is unknown, or not comparable: why */
};

struct umh_report;
/* Receives every item as it is added (after it is stored).  Called with the
 * report's lock held, so items arrive in one order. */
typedef void (*umh_sink_fn)(struct umh_report *r, enum umh_item type, const void *item, void *userdata);

struct umh_report {
	pthread_mutex_t lock;

	struct umh_mount *mounts; /* mounts[0] is the target once resolved */
	size_t n_mounts, cap_mounts;
	struct umh_process *processes;
	size_t n_processes, cap_processes;
	struct umh_holder *holders;
	size_t n_holders, cap_holders;
	struct umh_skip *skips;
	size_t n_skips, cap_skips;

	/* The summary: set once the scan ends. */
	bool finished;          /* every collector ran to its end */
	bool known_busy;        /* umount(2) returned EBUSY just before */
	bool still_mounted;     /* a wrapped helper failed and this same mount is still
				 * there, for a reason its status does not say (set by
				 * the wrapper, not by the scan) */
	int64_t unexplained_refs; /* references no holder explains; -1 unknown */
	char *method;           /* how processes were scanned: "procfs", "bpf" */
	char *error;            /* why the target could not be explained, or NULL */
	int error_code;         /* negative errno behind error */
	char *incomplete;       /* why the scan stopped early, or NULL */
	uint64_t processes_scanned;
	uint64_t fds_scanned;
	uint64_t elapsed_us;
	struct umh_refcount refs; /* see umh_report_set_refs() */
	struct umh_namespace *namespaces; /* of the mounts, by inum */
	size_t n_namespaces, cap_namespaces;
	struct umh_fs fs;         /* explain of a filesystem: see umh_report_set_fs() */

	umh_sink_fn sink;
	void *sink_data;
	bool sorted; /* see umh_report_sort() */
};

void umh_report_init(struct umh_report *r);
void umh_report_free(struct umh_report *r);

/* Each add copies ITEM (strings included) into the report: the caller keeps
 * ownership of what it passed.  Thread-safe.  Returns 0 or -ENOMEM. */
int umh_report_add_mount(struct umh_report *r, const struct umh_mount *m);
int umh_report_add_process(struct umh_report *r, const struct umh_process *p);
int umh_report_add_holder(struct umh_report *r, const struct umh_holder *h);
int umh_report_add_skip(struct umh_report *r, int32_t pid, int err, const char *what, const char *why);
/* Records the summary fields above (and streams them). */
int umh_report_set_summary(struct umh_report *r, const struct umh_report *summary);
/* Records the reference accounting (a copy of REFS, and streams it). */
int umh_report_set_refs(struct umh_report *r, const struct umh_refcount *refs);
int umh_report_add_namespace(struct umh_report *r, const struct umh_namespace *ns);
/* Records what the report is about when it explains a filesystem. */
int umh_report_set_fs(struct umh_report *r, const struct umh_fs *fs);
const struct umh_namespace *umh_report_namespace(const struct umh_report *r, uint64_t inum);
/* Whether ROLE is one of the filesystem view's (UMH_ROLE_FS*). */
bool umh_role_is_fs(enum umh_mount_role role);

/* Puts a finished report in its printing order: processes by pid; holders
 * by pid (kernel-side holders, pid 0, first), then thread, kind, fd and
 * path.  The output no longer depends on which scan thread found what, a
 * process's holders are contiguous, and lookups by pid are binary searches. */
void umh_report_sort(struct umh_report *r);

const struct umh_mount *umh_report_target(const struct umh_report *r);
const struct umh_mount *umh_report_mount(const struct umh_report *r, uint64_t id);
const struct umh_process *umh_report_process(const struct umh_report *r, int32_t pid);
/* Whether a holder keeps the target from being unmounted: its kind blocks
 * (kinds.h), and it pins the target or a copy umount takes along, as
 * opposed to another mount of the same filesystem. */
bool umh_holder_blocks(const struct umh_report *r, const struct umh_holder *h);
size_t umh_report_count_blocking(const struct umh_report *r);
bool umh_report_is_held(const struct umh_report *r);
/* Whether nothing holds the target, as the kernel's own count says: the
 * scan finished, found nothing, and the count shows no reference it does
 * not explain.  Neither held nor free: it cannot be told (the count was
 * not read, or the scan did not finish). */
bool umh_report_is_free(const struct umh_report *r);

void umh_mount_clear(struct umh_mount *m);
void umh_process_clear(struct umh_process *p);
void umh_holder_clear(struct umh_holder *h);
void umh_skip_clear(struct umh_skip *s);
void umh_namespace_clear(struct umh_namespace *ns);
void umh_fs_clear(struct umh_fs *fs);
