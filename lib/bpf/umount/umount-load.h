/* Loading umount.bpf.c: the umount(2) tracepoints, for `watch`.
 *
 * Attaching a syscall tracepoint needs its id from tracefs.  Where tracefs
 * is not mounted, it is mounted in a private mount namespace for the time
 * of the attach only, and the process goes back to its own namespace at
 * once: a watcher left in a private copy of the mount table would keep
 * every filesystem that is unmounted later alive in that copy. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct umh_umount_bpf;
struct bpf_link;
struct ring_buffer;

/* Receives each event: a struct umh_umount_call (umount.h), its header's
 * kind UMH_UMOUNT_CALL; SIZE is its size. */
typedef int (*umh_umount_event_fn)(void *ctx, void *data, size_t size);

struct umh_umount_trace {
	struct umh_umount_bpf *skel;
	struct bpf_link *exit;
	struct ring_buffer *rb;
	unsigned int n_userns; /* user namespaces a call may reach the watched table from; 0: not known */
};

/* Loads and attaches the programs; events go to FN.  MNTNS_FD, a mount
 * namespace file (or -1), is the namespace watched: successful calls that
 * cannot have changed its table are not sent (umount.h).  Returns 0, or a
 * negative errno with WHY saying in one sentence what stood in the way. */
int umh_umount_trace_start(struct umh_umount_trace *t, int mntns_fd, umh_umount_event_fn fn, void *ctx, char *why,
			   size_t size);

/* A descriptor to poll for events (readable when some are waiting). */
int umh_umount_trace_fd(const struct umh_umount_trace *t);

/* Delivers every waiting event to FN.  Returns the number or -errno. */
int umh_umount_trace_consume(struct umh_umount_trace *t);

/* Events the kernel side could not send (ring buffer full). */
uint64_t umh_umount_trace_lost(const struct umh_umount_trace *t);

/* The kernel side's counters (enum umh_umount_stat), summed over CPUs into
 * OUT[UMH_USTAT_N].  Returns 0 or -errno. */
int umh_umount_trace_stats(const struct umh_umount_trace *t, uint64_t *out);

/* How many calls of ACCOUNT the rate bound held back so far (0 when it
 * never did, or has forgotten the account). */
uint32_t umh_umount_trace_account_dropped(const struct umh_umount_trace *t, uint32_t account);

/* Detaches and frees; T may be zeroed or half set up. */
void umh_umount_trace_close(struct umh_umount_trace *t);
