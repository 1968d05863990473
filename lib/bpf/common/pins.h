/* Programs the watcher (umount-helper watch) keeps loaded for explain,
 * pinned in the BPF filesystem: loading and verifying them, which the
 * kernel does again on every load, was most of a small explain's time.
 *
 *   /sys/fs/bpf/umount-helper/NAME-BUILDID/   one set of programs, its
 *                                             links and maps
 *
 * BUILDID is the hash of the set's light skeletons (bpf.mk): a user takes
 * only programs built from the very objects it was built with, and loads
 * its own otherwise.  Only root reaches them: the directories are root's,
 * mode 0700, on the BPF filesystem, and a user that finds them otherwise
 * does not use them.  A set is made in a directory of its own and renamed
 * into place, so that a user never sees half of one.
 *
 * What each set holds and how it is checked is its owner's (scan-pin.c,
 * mntcount-pin.c); the directories are handled here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UMH_PINS_ROOT "/sys/fs/bpf/umount-helper"

/* A use: UMH_PINS_ROOT/NAME opened, every directory on the way checked
 * and opened without following links.  Returns the directory's descriptor,
 * or a negative errno with WHY set (-ENOENT: nothing pinned, -EPERM: not
 * root's, 0700, on the BPF filesystem). */
int umh_pins_open(const char *name, char *why, size_t size);

/* Before entering another mount namespace (explain --ns, the watcher's
 * examination of a failed unmount there): UMH_PINS_ROOT as this namespace
 * has it, checked and kept open for umh_pins_open, which would otherwise
 * look in the other namespace's BPF filesystem (a container's holds none of
 * the watcher's pins).  Returns 0, or a negative errno with nothing kept. */
int umh_pins_keep_root(void);

/* The pin FILE of the directory DIR_FD, fetched through that directory
 * itself.  Returns a descriptor or a negative errno. */
int umh_pins_get(int dir_fd, const char *file);

/* The checks of what a pin is: map FD of this TYPE and these sizes; program
 * FD a tracing program that uses every map of IDS; link FD an iterator link
 * running program PROG_ID.  Each sets *ID to the object's id. */
bool umh_pins_map_is(int fd, uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t *id);
bool umh_pins_prog_uses(int fd, const uint32_t *ids, size_t n, uint32_t *id);
bool umh_pins_link_runs(int fd, uint32_t prog_id);

/* Pins FD as DIR/FILE.  Returns 0 or a negative errno. */
int umh_pins_pin(int fd, const char *dir, const char *file);

/* A set the watcher keeps: where it is, and whether this process made it
 * (then umh_pins_release removes it). */
struct umh_pins;

/* The maker's side (the watcher): sets UMH_PINS_ROOT/NAME up.  Other
 * builds' sets of the same kind (PREFIX, "NAME" without its build id) are
 * removed first.  When USABLE(ARG) says NAME is there and fit to use (a
 * watcher before this one made it), it is left as it is, to its maker;
 * otherwise whatever is there goes, and FILL(TMP_DIR, ARG, WHY, SIZE) pins
 * a new set into a new directory, renamed to NAME when complete.  Returns
 * 0 with *OUT set, or a negative errno with WHY set. */
int umh_pins_make(const char *name, const char *prefix, bool (*usable)(void *arg),
		  int (*fill)(const char *tmp_dir, void *arg, char *why, size_t size), void *arg,
		  struct umh_pins **out, char *why, size_t size);

/* Where the set is: UMH_PINS_ROOT/NAME. */
const char *umh_pins_where(const struct umh_pins *p);

/* At the maker's end: removes the set if this process made it (and
 * UMH_PINS_ROOT when that leaves it empty), and frees P. */
void umh_pins_release(struct umh_pins *p);
static inline void umh_pins_releasep(struct umh_pins **p) { umh_pins_release(*p); }
