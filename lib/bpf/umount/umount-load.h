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

/* Receives each event: a struct umh_umount_enter or umh_umount_exit
 * (umount.h), told apart by its header's kind; SIZE is its size. */
typedef int (*umh_umount_event_fn)(void *ctx, void *data, size_t size);

struct umh_umount_trace {
	struct umh_umount_bpf *skel;
	struct bpf_link *enter, *exit;
	struct ring_buffer *rb;
};

/* Loads and attaches the programs; events go to FN.  Returns 0, or a
 * negative errno with WHY saying in one sentence what stood in the way. */
int umh_umount_trace_start(struct umh_umount_trace *t, umh_umount_event_fn fn, void *ctx, char *why, size_t size);

/* A descriptor to poll for events (readable when some are waiting). */
int umh_umount_trace_fd(const struct umh_umount_trace *t);

/* Delivers every waiting event to FN.  Returns the number or -errno. */
int umh_umount_trace_consume(struct umh_umount_trace *t);

/* Events the kernel side could not send (ring buffer full). */
uint64_t umh_umount_trace_lost(const struct umh_umount_trace *t);

/* Detaches and frees; T may be zeroed or half set up. */
void umh_umount_trace_close(struct umh_umount_trace *t);
