/* The mount-count program kept loaded by the watcher, for explain, which
 * reads a count before its scan and after it (bpf/common/pins.h has the
 * directories).
 *
 * In UMH_PINS_ROOT/count-BUILDID: the program (prog_count) and the table
 * of reads in progress (map_reads), which the program holds with its
 * per-CPU map.  Each reader keeps its read under its own thread id, so
 * that readers need no lock, and makes its own iterator link, for its own
 * task.  BUILDID is the hash of the light skeleton (bpf.mk): a program
 * whose directory has another name is never used.  What a reader checks:
 * the directories (root's, 0700, the BPF filesystem, no links followed),
 * the table's type and sizes, and that the program is a tracing program
 * that uses that very table. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/debug.h"
#include "bpf/common/loader.h"
#include "bpf/common/pins.h"
#include "bpf/refcount/mntcount-internal.h"

#define PIN_NAME "count-" UMH_MNTCOUNT_BUILD_ID

int umh_mntcount_pinned(struct umh_mntcount **out, char *why, size_t size)
{
	*out = NULL;
	_cleanup_close_ int dir = umh_pins_open(PIN_NAME, why, size);
	if (dir < 0)
		return dir;
	_cleanup_close_ int prog = umh_pins_get(dir, "prog_count");
	_cleanup_close_ int reads = umh_pins_get(dir, "map_reads");
	uint32_t map_id, prog_id;
	if (prog < 0 || reads < 0 ||
	    !umh_pins_map_is(reads, BPF_MAP_TYPE_LRU_HASH, sizeof(uint32_t), sizeof(struct umh_mntcount_read), &map_id) ||
	    !umh_pins_prog_uses(prog, &map_id, 1, &prog_id)) {
		snprintf(why, size, "%s does not hold this build's mount-count program: not used",
			 UMH_PINS_ROOT "/" PIN_NAME);
		return -EPERM;
	}
	struct umh_mntcount *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->prog_fd = TAKE_FD(prog);
	m->reads_fd = TAKE_FD(reads);
	m->way = "the program the watcher keeps loaded";
	*out = m;
	return 0;
}

int umh_mntcount_open(struct umh_mntcount **out, char *why, size_t size)
{
	*out = NULL;
	int r = umh_bpf_precheck(why, size);
	if (r < 0)
		return r;
	/* The watcher's, else our own: loading it was a quarter of an
	 * explain's time. */
	char pin_why[256];
	if (!umh_debug("load") && umh_mntcount_pinned(out, pin_why, sizeof(pin_why)) == 0)
		return 0;
	return umh_mntcount_load(out, why, size);
}

/* --- the watcher's side -------------------------------------------------------- */

static bool usable(void *arg)
{
	(void)arg;
	struct umh_mntcount *m = NULL;
	char why[256];
	int r = umh_mntcount_pinned(&m, why, sizeof(why));
	umh_mntcount_close(m);
	return r == 0;
}

static int load_and_pin(const char *tmp_dir, void *arg, char *why, size_t size)
{
	(void)arg;
	_cleanup_(umh_mntcount_closep) struct umh_mntcount *m = NULL;
	int r = umh_mntcount_load(&m, why, size);
	if (r < 0)
		return r;
	if ((r = umh_pins_pin(m->prog_fd, tmp_dir, "prog_count")) < 0 ||
	    (r = umh_pins_pin(m->reads_fd, tmp_dir, "map_reads")) < 0)
		snprintf(why, size, "cannot pin the mount-count program in %s: %s", tmp_dir, strerror(-r));
	return r;
}

int umh_mntcount_pin(struct umh_pins **out, char *why, size_t size)
{
	return umh_pins_make(PIN_NAME, "count-", usable, load_and_pin, NULL, out, why, size);
}
