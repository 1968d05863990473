/* What scan-skel.c and scan-pin.c share: the scan's programs and maps as
 * one process holds them, whether it loaded them itself (SKEL set) or found
 * them pinned by the watcher (SKEL NULL). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bpf/scan/scan-skel.h"

#include "bpf/common/lskel.h"
UMH_LSKEL_BEGIN
#include "bpf/iter.lskel.h"
#include "bpf/iter-fast.lskel.h"
UMH_LSKEL_END
#include "bpf/iter.id.h"

/* The two builds of iter.bpf.c have the same globals, laid out alike. */
typedef typeof(*((struct umh_iter_lbpf *)NULL)->bss) umh_iter_bss;
typedef typeof(*((struct umh_iter_lbpf *)NULL)->rodata) umh_iter_rodata;
_Static_assert(sizeof(umh_iter_bss) == sizeof(*((struct umh_iter_fast_lbpf *)NULL)->bss), "the variants' globals");
_Static_assert(sizeof(umh_iter_rodata) == sizeof(*((struct umh_iter_fast_lbpf *)NULL)->rodata),
	       "the variants' read-only data");

#define UMH_SCAN_N_ITERS 3 /* enum umh_scan_iter */

struct umh_scan_skel {
	/* Loaded here: one of the two builds (iter.bpf.c); both NULL: pinned. */
	struct umh_iter_lbpf *skel;
	struct umh_iter_fast_lbpf *fast;
	/* Pinned: the watcher's iterator links, a new iterator each from
	 * them; loaded: -1 (a link per iterator, from the program). */
	int link_fd[UMH_SCAN_N_ITERS];
	int prog_fd[UMH_SCAN_N_ITERS];
	int mounts_fd, scm_socks_fd, scm_found_fd, bound_found_fd;
	umh_iter_bss *bss; /* the programs' per-scan globals, mapped */
	int bss_fd, rodata_fd;
	/* Pinned only: the .bss map's mapping, and the directory, locked
	 * while this scan uses the programs' globals. */
	void *bss_map;
	size_t bss_map_size;
	int dir_fd;
};

/* Loaded here, not pinned. */
static inline bool umh_scan_skel_loaded(const struct umh_scan_skel *s) { return s->skel || s->fast; }

/* Loaded here: an iterator link on each program, into LINKS (which the
 * skeleton keeps and closes).  Returns 0 or a negative errno. */
int umh_scan_skel_attach(struct umh_scan_skel *s, int links[UMH_SCAN_N_ITERS]);

/* An empty one, every descriptor -1. */
struct umh_scan_skel *umh_scan_skel_new(void);

/* Clears what a scan leaves in the programs' globals and maps, and draws
 * a new cookie key: the state every scan starts from. */
int umh_scan_skel_reset(struct umh_scan_skel *s);
