/* What scan-skel.c and scan-pin.c share: the scan's programs and maps as
 * one process holds them, whether it loaded them itself (SKEL set) or found
 * them pinned by the watcher (SKEL NULL). */
#pragma once

#include <stddef.h>

#include "bpf/scan/scan-skel.h"

/* The generated loader is not written for -Wextra -Wshadow. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "bpf/iter.lskel.h"
#pragma GCC diagnostic pop
#include "bpf/iter.id.h"

typedef typeof(*((struct umh_iter_lbpf *)NULL)->bss) umh_iter_bss;
typedef typeof(*((struct umh_iter_lbpf *)NULL)->rodata) umh_iter_rodata;

#define UMH_SCAN_N_ITERS 3 /* enum umh_scan_iter */

struct umh_scan_skel {
	struct umh_iter_lbpf *skel; /* loaded here; NULL: pinned */
	/* Pinned: the watcher's iterator links, a new iterator each from
	 * them; loaded: -1 (a link per iterator, from the program). */
	int link_fd[UMH_SCAN_N_ITERS];
	int prog_fd[UMH_SCAN_N_ITERS];
	int mounts_fd, scm_socks_fd, scm_found_fd;
	umh_iter_bss *bss; /* the programs' per-scan globals, mapped */
	/* Pinned only: the .bss map's mapping, and the directory, locked
	 * while this scan uses the programs' globals. */
	void *bss_map;
	size_t bss_map_size;
	int bss_fd, rodata_fd, dir_fd;
};

/* An empty one, every descriptor -1. */
struct umh_scan_skel *umh_scan_skel_new(void);

/* Clears what a scan leaves in the programs' globals and maps, and draws
 * a new cookie key: the state every scan starts from. */
int umh_scan_skel_reset(struct umh_scan_skel *s);
