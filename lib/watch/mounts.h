/* The watched mount table: snapshots of a mountinfo file and what changed
 * between two of them.
 *
 * The watcher keeps one mountinfo file open (/proc/PID/mountinfo of the
 * watched namespace, or our own); the kernel marks it POLLPRI whenever that
 * namespace's table changes.  Each change, the file is read again and
 * compared with the previous snapshot by mount id.  A mount id can be reused
 * at once after an unmount, so an entry whose id stayed but whose mount
 * point, source or type changed counts as one mount gone and one new.
 * Nothing here looks at a mounted filesystem: only the table is read. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* More mounts than this in one namespace: the table is not read (bounded
 * memory; real tables have hundreds, container hosts some thousands). */
#define UMH_WATCH_MAX_MOUNTS 65536

struct umh_wmount {
	uint64_t id, parent_id;
	uint64_t shared, master; /* peer groups, 0 if none */
	char *target, *source, *fstype;
	int64_t seen_us; /* CLOCK_REALTIME when first seen; 0: there when the watcher started */
};

struct umh_wtable {
	struct umh_wmount *v; /* sorted by id */
	size_t n;
};

/* Reads the mountinfo file open at FD from its start.  Returns 0 or a
 * negative errno (-E2BIG beyond UMH_WATCH_MAX_MOUNTS). */
int umh_wtable_read(int fd, struct umh_wtable *ret);

/* Parses mountinfo text (for the tests and the fuzzer). */
int umh_wtable_parse(const char *text, size_t len, struct umh_wtable *ret);

void umh_wtable_free(struct umh_wtable *t);

/* Compares OLD with NEW: the mounts of OLD that are gone are moved into
 * *GONE (N_GONE of them; OLD keeps empty husks); mounts new in NEW get
 * SEEN_US = NOW_US, the others keep OLD's.  *N_ADDED counts the new ones.
 * Returns 0 or -ENOMEM (then nothing is moved). */
int umh_wtable_diff(struct umh_wtable *old, struct umh_wtable *new, int64_t now_us, struct umh_wmount **gone,
		    size_t *n_gone, size_t *n_added);

const struct umh_wmount *umh_wtable_find(const struct umh_wtable *t, uint64_t id);

void umh_wmount_clear(struct umh_wmount *m);
int umh_wmount_copy(struct umh_wmount *dst, const struct umh_wmount *src);
