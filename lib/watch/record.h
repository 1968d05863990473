/* The watcher's record: what `watch` saw, on disk, for `explain` to read
 * after the fact.
 *
 * A directory (--state-dir; default /run/umount-helper: mount ids and
 * namespaces do not outlive a boot, and neither does /run) holding
 *   events.jsonl     the newest events, one JSON object per line
 *   events.jsonl.1   the ones before
 *   lock             taken (flock) while a watcher appends or rotates
 * When events.jsonl holds max_events lines it is renamed to events.jsonl.1
 * (replacing the older one) and a new one is started: between max_events
 * and 2 * max_events events are kept, each line at most UMH_WRECORD_LINE_MAX
 * bytes.  Several watchers (of several namespaces) may share a directory.
 *
 * Lines (see umount-helper(8), "THE RECORD"):
 *   {"v":1,"event":"watch-start","t_us":...,"pid":...,"mntns":...,"boot_id":"...",...}
 *   {"v":1,"event":"unmount","t_us":...,"mntns":...,"mount":{...},"by":"systemd",...}
 *   {"v":1,"event":"move",...}
 *   {"v":1,"event":"watch-stop",...}
 * Readers skip lines they cannot parse (a torn last line after a crash). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/json-read.h"

#define UMH_WRECORD_DEFAULT_DIR "/run/umount-helper"
#define UMH_WRECORD_ENV "UMOUNT_HELPER_STATE_DIR"
#define UMH_WRECORD_DEFAULT_MAX 1000
#define UMH_WRECORD_LINE_MAX 16384
/* A record file larger than this is not read (it is not ours). */
#define UMH_WRECORD_FILE_MAX (64u << 20)

/* The directory explain reads: $UMOUNT_HELPER_STATE_DIR, else the default. */
const char *umh_wrecord_dir(void);

struct umh_wrecord {
	int dirfd;
	size_t max_events;
	size_t lines;       /* in events.jsonl now */
	uint64_t ino, size; /* events.jsonl as we left it */
};

/* Opens (creating it, mode 0755) the directory DIR for appending.  Returns
 * 0 or a negative errno. */
int umh_wrecord_open(struct umh_wrecord *r, const char *dir, size_t max_events);
/* Appends LINE (one JSON object, no newline; longer than
 * UMH_WRECORD_LINE_MAX: -E2BIG), rotating first when the file is full. */
int umh_wrecord_append(struct umh_wrecord *r, const char *line);
void umh_wrecord_close(struct umh_wrecord *r);

/* Calls FN for every event in DIR, oldest first, with the parsed line;
 * FN returning < 0 stops the walk with that value, 1 keeps the line (FN
 * frees it with umh_jfree()).  A missing directory or file is no error
 * (nothing is called).  The record is the watcher's word on who unmounted
 * what: it is read only when the directory and its files belong to root
 * or to the reader (the effective uid) and nobody else may write them
 * (others, or a group other than root's); else -EPERM, nothing is called,
 * and WHY (SIZE bytes) says why.  Returns 0 or a negative errno. */
typedef int (*umh_wrecord_fn)(const struct umh_jnode *ev, void *userdata);
int umh_wrecord_read(const char *dir, umh_wrecord_fn fn, void *userdata, char *why, size_t size);

/* The same over a buffer of JSON lines (for tests and the fuzzer). */
int umh_wrecord_parse(const char *buf, size_t len, umh_wrecord_fn fn, void *userdata);

/* This boot's id (/proc/sys/kernel/random/boot_id), "" if unknown. */
const char *umh_boot_id(void);
