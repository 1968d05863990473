/* Reading a mount's reference count with mntcount.bpf.c, where the kernel
 * allows it.  Where it does not, a sentence says why: the count is then
 * unknown, never guessed. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bpf/common/pins.h"

struct umh_mntcount;

/* The program the watcher keeps loaded (mntcount-pin.c), else
 * umh_mntcount_load's.  Returns 0, or a negative errno with WHY set. */
int umh_mntcount_open(struct umh_mntcount **out, char *why, size_t size);

/* Loads the program and finds the per-CPU offsets.  Returns 0, or a
 * negative errno with WHY set to one sentence (-ENOTSUP: this kernel gives
 * no way to read per-CPU memory). */
int umh_mntcount_load(struct umh_mntcount **out, char *why, size_t size);

/* The watcher, at its start: loads the program and pins it for explain,
 * unless this build's is pinned already.  Returns 0 with *OUT set
 * (umh_pins_release at the watcher's end), or a negative errno with WHY
 * set. */
int umh_mntcount_pin(struct umh_pins **out, char *why, size_t size);

/* How the per-CPU offsets were found, in words (for doctor), or that the
 * watcher's program is used. */
const char *umh_mntcount_way(const struct umh_mntcount *m);

/* Reads mount MNT_ID, looked up in this process's mount namespace:
 * mnt_get_count() (*COUNT) and the number of mounts on top of it
 * (*CHILDREN).  Returns 0, or a negative errno with WHY set. */
int umh_mntcount_read(struct umh_mntcount *m, uint32_t mnt_id, int64_t *count, uint32_t *children, char *why,
		      size_t size);

void umh_mntcount_close(struct umh_mntcount *m);
static inline void umh_mntcount_closep(struct umh_mntcount **m) { umh_mntcount_close(*m); }

/* Parses a kernel CPU list ("0-3,8,10-11\n", as in
 * /sys/devices/system/cpu/possible) into BITS (NBITS bits, cleared first).
 * Returns the highest CPU + 1, or -EINVAL (malformed, or a CPU >= NBITS). */
int umh_parse_cpu_list(const char *text, uint64_t *bits, unsigned int nbits);
