/* The scan's three iterators, run in threads of their own and waited for
 * only until a deadline.
 *
 * One read() of an iterator returns only once the kernel has filled the
 * buffer with records, walked a million objects, or come to the end, and
 * nothing interrupts it: the walk of memory maps takes each process's mmap
 * lock in turn, and behind processes that fork without pause, on a loaded
 * machine, that took seconds per process.  The scan cannot stop such a
 * walk; it can stop waiting for it.  A walk still running at the deadline
 * goes on in its thread (which holds no capability), with the skeleton and
 * the buffer it reads into, until it ends or the process does: whichever of
 * the caller and the threads lets go last frees them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/scan/scan-skel.h"

struct umh_scan_run;

struct umh_scan_result {
	bool finished; /* the walk ended: R, OUT and LEN are its own */
	int r;         /* 0 or -errno */
	char *out;     /* the records it wrote */
	size_t len;
};

/* Starts the walks: unix sockets, then tasks (which read what the socket
 * walk found), and meanwhile the memory maps.  Takes SKEL (freed even on
 * failure).  Where no thread can be started they run here, to the end. */
int umh_scan_run_start(struct umh_scan_skel *skel, struct umh_scan_run **out);
/* Waits until every walk has ended, or until DEADLINE_NS (umh_now_ns's
 * clock; 0: no deadline); umh_scan_run_result then tells which ended. */
void umh_scan_run_wait(struct umh_scan_run *run, int64_t deadline_ns);
/* WHICH's result as of the last wait: not finished if it was still running. */
const struct umh_scan_result *umh_scan_run_result(const struct umh_scan_run *run, enum umh_scan_iter which);
struct umh_scan_skel *umh_scan_run_skel(const struct umh_scan_run *run);
/* Lets go of RUN; it is freed once no walk reads into it any more. */
void umh_scan_run_release(struct umh_scan_run *run);
static inline void umh_scan_run_releasep(struct umh_scan_run **run)
{
	if (*run)
		umh_scan_run_release(*run);
}
