/* Reference accounting: how many of the target mount's references the
 * holders found explain, and how many remain.
 *
 * umount(2) fails with EBUSY when the mount's count (mnt_get_count) is above
 * 2 once its own lookup is counted: 1 for being mounted, 1 for that lookup.
 * Every other reference is held by something:
 *
 *   one per struct file on it: a descriptor (however many fds, processes or
 *     threads share that one file: dup, fork, SCM_RIGHTS, unshare(CLONE_FILES)
 *     copies), a mapping's file, the executable, a file in flight in a unix
 *     socket, a loop device's backing file, a swap file, a binfmt_misc F
 *     interpreter, a file the kernel opened (the ledger's kernel-open)
 *   one per fs_struct whose cwd is on it, one per fs_struct whose root is
 *     (threads and CLONE_FS processes that share one count once)
 *   one per mount on top of it (mnt_set_mountpoint), before Linux 6.17:
 *     "don't have mounts pin their parents" (Al Viro's mount series, 6.17)
 *     dropped that reference, and the child mounts still block by being there
 *   one per kernel object that keeps a struct path on it: a uprobe (tracefs,
 *     a perf event's, a BPF uprobe_multi link's), a unix socket bound there
 *
 * The BPF scan names each file and fs_struct by a cookie (iter.bpf.c), so
 * they are counted once each; mntcount.bpf.c reads the count and the child
 * mounts.  The references the kernel takes for a moment (a path walk, a
 * system call in progress) are not counted: the count is read before and
 * after the scan, and a count that moved is reported as unknown.  So is
 * the count where it cannot be read, where the scan was not the BPF scan,
 * and where two holders may be one file that cannot be told apart (a loop
 * device's backing file and a descriptor with the same path: losetup hands
 * the kernel its own open file), or the number is not knowable (nfsd's
 * export caches).  Never a guess. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

enum umh_ref_what {
	UMH_REF_FILE, /* a struct file */
	UMH_REF_PWD,  /* an fs_struct's working directory */
	UMH_REF_ROOT, /* an fs_struct's root */
	UMH_REF_PATH, /* an object that keeps a struct path: a uprobe, a bound socket */
};

struct umh_ref_obj {
	uint64_t cookie;
	uint64_t dentry; /* the dentry it holds, as a cookie (0: not known) */
	uint64_t mnt_id;
	enum umh_ref_what what;
};

struct umh_mntcount;

struct umh_refs {
	uint64_t target;        /* the target's mount id */
	struct umh_mntcount *counter; /* the loaded mntcount.bpf.c, while the scan runs */
	struct umh_ref_obj *objs; /* what the BPF scan saw holding the scanned mounts */
	size_t n_objs, cap_objs;
	bool noted;             /* the BPF scan noted its objects */
	const char *incomplete; /* why what the BPF scan saw is not all there is */
	int64_t count_before;   /* -1: unknown */
	int64_t count_after;
	uint32_t children;
	int children_pin;       /* each child mount holds a reference: 1 (< 6.17), 0, -1 unknown */
	char why[384];          /* why the count is unknown */
};

void umh_refs_init(struct umh_refs *r, uint64_t target);
void umh_refs_free(struct umh_refs *r);

/* Whether a kernel of release RELEASE (uname -r) counts a reference to a
 * mount for each mount on top of it: 1 before 6.17, 0 from then on, -1
 * when RELEASE does not say. */
int umh_refs_children_pin(const char *release);

/* One object that holds mount MNT_ID and DENTRY (a cookie, 0 if not
 * known).  Only the target's count the mount's references; all of them
 * count their dentry's (umh_refs_dentries).  Returns 0 or -ENOMEM. */
int umh_refs_note(struct umh_refs *r, uint64_t mnt_id, enum umh_ref_what what, uint64_t cookie, uint64_t dentry);

/* The references to dentries that the objects noted explain: distinct
 * objects, so many descriptors of one file count once.  *OUT (malloc'd)
 * holds one entry per dentry cookie; returns their number, or -ENOMEM. */
struct umh_dentry_refs {
	uint64_t dentry;
	uint32_t refs;
};
int umh_refs_dentries(const struct umh_refs *r, struct umh_dentry_refs **out);

/* The same, for one record of the BPF scan (any process's, ours too). */
struct umh_iter_rec;
int umh_refs_note_iter(struct umh_refs *r, const struct umh_iter_rec *rec);

/* Compares the count with the holders of REPORT on the target (plus the
 * objects noted, which include umount-helper's own processes: their
 * references are real, only not reported).  Sets OUT (count -1 and a why
 * when it cannot be compared) and returns the unexplained references, or
 * -1 when unknown.  Pure: the unit tests feed it by hand. */
int64_t umh_refs_tally(const struct umh_refs *r, const struct umh_report *report, struct umh_refcount *out);
