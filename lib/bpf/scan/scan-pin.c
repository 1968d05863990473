/* Pinning the scan's programs (the watcher) and using them (a scan).
 *
 * In UMH_PINS_ROOT/scan-BUILDID (bpf/common/pins.h): the three programs
 * (prog_*), an iterator link on each (link_*), and the maps a scan touches
 * from user space: its globals (map_bss, mapped), the read-only data that
 * says which build and which anon_inode mount it was loaded for
 * (map_rodata), the mounts to look for, the in-flight tables and the bound
 * sockets found (map_mounts, map_scm_socks, map_scm_found,
 * map_bound_found).  Scratch
 * maps the programs keep to themselves are not pinned: the programs hold
 * them.
 *
 * What a scan checks before it uses them: every directory on the way is on
 * the BPF filesystem, root's, mode 0700 (so that only root can have put
 * anything there), and opened without following links; the pins are
 * fetched through that very directory (/proc/self/fd/N/NAME); the read-only
 * data carries this build's id and this boot's anon_inode mount; each link
 * runs the pinned program of its name, and each program uses the pinned
 * maps, of the sizes this build expects.  Anything else, and the scan loads
 * its own programs as before. */
#include "bpf/scan/scan-pin.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bpf/common/loader.h"
#include "bpf/common/pins.h"
#include "bpf/scan/scan-skel-internal.h"
#include "base/cleanup.h"

#define PIN_NAME "scan-" UMH_ITER_BUILD_ID
#define LOCK_WAIT_NS (100 * 1000000LL)

static const char *const prog_pin[UMH_SCAN_N_ITERS] = { "prog_unix", "prog_tasks", "prog_vmas" };
static const char *const link_pin[UMH_SCAN_N_ITERS] = { "link_unix", "link_tasks", "link_vmas" };

/* An exclusive lock on the directory, waited for a moment: another scan
 * that holds it is done in milliseconds, or stuck in a walk (then this one
 * loads its own programs). */
static int lock_dir(int fd)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) > LOCK_WAIT_NS)
			return -EBUSY;
		usleep(2000);
	}
}

int umh_scan_skel_pinned(uint32_t anon_inode_mnt_id, struct umh_scan_skel **out, char *why, size_t size)
{
	*out = NULL;
	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *s = umh_scan_skel_new();
	if (!s)
		return -ENOMEM;
	if ((s->dir_fd = umh_pins_open(PIN_NAME, why, size)) < 0)
		return s->dir_fd;
	int r = lock_dir(s->dir_fd);
	if (r < 0) {
		snprintf(why, size, "the pinned BPF scan is in use by another scan");
		return r;
	}
	struct {
		int *fd;
		const char *name;
	} pins[] = {
		{ &s->bss_fd, "map_bss" },
		{ &s->rodata_fd, "map_rodata" },
		{ &s->mounts_fd, "map_mounts" },
		{ &s->scm_socks_fd, "map_scm_socks" },
		{ &s->scm_found_fd, "map_scm_found" },
		{ &s->bound_found_fd, "map_bound_found" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pins); i++)
		if ((*pins[i].fd = umh_pins_get(s->dir_fd, pins[i].name)) < 0)
			goto bad;
	for (size_t i = 0; i < UMH_SCAN_N_ITERS; i++)
		if ((s->prog_fd[i] = umh_pins_get(s->dir_fd, prog_pin[i])) < 0 ||
		    (s->link_fd[i] = umh_pins_get(s->dir_fd, link_pin[i])) < 0)
			goto bad;

	uint32_t ids[6];
	if (!umh_pins_map_is(s->bss_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(umh_iter_bss), &ids[0]) ||
	    !umh_pins_map_is(s->rodata_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(umh_iter_rodata), &ids[1]) ||
	    !umh_pins_map_is(s->mounts_fd, BPF_MAP_TYPE_HASH, 4, 1, &ids[2]) ||
	    !umh_pins_map_is(s->scm_socks_fd, BPF_MAP_TYPE_HASH, 8, 1, &ids[3]) ||
	    !umh_pins_map_is(s->scm_found_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct umh_scm_rec), &ids[4]) ||
	    !umh_pins_map_is(s->bound_found_fd, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct umh_bound_rec), &ids[5]))
		goto bad;
	for (size_t i = 0; i < UMH_SCAN_N_ITERS; i++) {
		uint32_t prog_id;
		/* Every program uses the globals; the task walk also reads the
		 * read-only data, with the build id (which of the other maps
		 * each uses is the compiler's business). */
		size_t n = i == UMH_SCAN_TASKS ? 2 : 1;
		if (!umh_pins_prog_uses(s->prog_fd[i], ids, n, &prog_id) || !umh_pins_link_runs(s->link_fd[i], prog_id))
			goto bad;
	}
	umh_iter_rodata rodata;
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(s->rodata_fd, &zero, &rodata) < 0)
		goto bad;
	if (memcmp((const char *)rodata.build_id, UMH_ITER_BUILD_ID, sizeof(UMH_ITER_BUILD_ID)) != 0) {
		snprintf(why, size, "the pinned BPF scan is of another build");
		return -ESTALE;
	}
	if (rodata.anon_inode_mnt_id != anon_inode_mnt_id) {
		snprintf(why, size, "the pinned BPF scan looks for io_uring files on another mount");
		return -ESTALE;
	}
	s->bss_map_size = (size_t)sysconf(_SC_PAGESIZE);
	s->bss_map = mmap(NULL, s->bss_map_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->bss_fd, 0);
	if (s->bss_map == MAP_FAILED) {
		s->bss_map = NULL;
		goto bad;
	}
	s->bss = s->bss_map;
	if ((r = umh_scan_skel_reset(s)) < 0) {
		umh_bpf_describe_error(r, "the pinned BPF scan", why, size);
		return r;
	}
	*out = TAKE_PTR(s);
	return 0;
bad:
	snprintf(why, size, "%s does not hold this build's BPF scan: not used", UMH_PINS_ROOT "/" PIN_NAME);
	return -EPERM;
}

/* --- the watcher's side -------------------------------------------------------- */

struct pin_job {
	uint32_t anon_inode_mnt_id;
};

/* The same build pinned already (a watcher before this one, or one that
 * runs beside it, whose scan has it now): used as it is. */
static bool usable(void *arg)
{
	struct pin_job *job = arg;
	struct umh_scan_skel *s = NULL;
	char why[256];
	int q = umh_scan_skel_pinned(job->anon_inode_mnt_id, &s, why, sizeof(why));
	umh_scan_skel_free(s);
	return q == 0 || q == -EBUSY;
}

/* Loads the programs and pins them in TMP_PATH. */
static int load_and_pin(const char *tmp_path, void *arg, char *why, size_t size)
{
	struct pin_job *job = arg;
	_cleanup_(umh_scan_skel_freep) struct umh_scan_skel *s = NULL;
	int r = umh_scan_skel_load(job->anon_inode_mnt_id, &s, why, size);
	if (r < 0)
		return r;
	int links[UMH_SCAN_N_ITERS];
	if ((r = umh_scan_skel_attach(s, links)) < 0) {
		umh_bpf_describe_error(r, "the BPF scan's iterators", why, size);
		return r;
	}
	struct {
		int fd;
		const char *name;
	} pins[] = {
		{ s->bss_fd, "map_bss" },
		{ s->rodata_fd, "map_rodata" },
		{ s->mounts_fd, "map_mounts" },
		{ s->scm_socks_fd, "map_scm_socks" },
		{ s->scm_found_fd, "map_scm_found" },
		{ s->bound_found_fd, "map_bound_found" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pins) && r >= 0; i++)
		r = umh_pins_pin(pins[i].fd, tmp_path, pins[i].name);
	for (size_t i = 0; i < UMH_SCAN_N_ITERS && r >= 0; i++)
		if ((r = umh_pins_pin(s->prog_fd[i], tmp_path, prog_pin[i])) >= 0)
			r = umh_pins_pin(links[i], tmp_path, link_pin[i]);
	if (r < 0)
		snprintf(why, size, "cannot pin the BPF scan in %s: %s", tmp_path, strerror(-r));
	return r;
}

int umh_scan_pin(uint32_t anon_inode_mnt_id, struct umh_pins **out, char *why, size_t size)
{
	struct pin_job job = { .anon_inode_mnt_id = anon_inode_mnt_id };
	return umh_pins_make(PIN_NAME, "scan-", usable, load_and_pin, &job, out, why, size);
}
