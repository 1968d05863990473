/* umount(2) calls as the watcher keeps them: the BPF events of
 * umount.bpf.c turned into plain structures, with what /proc still tells
 * about the caller when the event is read (its command line, its working
 * directory for a relative path).  Successful calls are kept for a few
 * seconds so that the mounts that vanish can be matched with the call that
 * removed them (watch/match.h); failed ones (EBUSY) are not kept here.  Bounded:
 * at most UMH_WCALLS_MAX calls are kept, and when full the least useful
 * one goes (one already matched, then one from another namespace, then
 * one not by root, then the oldest). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "bpf/umount/umount.h"

#define UMH_WCALLS_MAX 256

struct umh_wtask {
	int32_t pid;    /* in the initial pid namespace */
	int32_t ns_pid; /* in its own pid namespace */
	uint64_t pidns;
	char comm[16];
};

struct umh_wcall {
	int64_t enter_ns; /* CLOCK_BOOTTIME: when it returned (the kernel side sees it then) */
	int32_t tid;
	struct umh_wtask self;
	uint32_t uid, flags;
	uint64_t mntns, cgroup_id;
	uint32_t account;        /* the uid answerable for it (umount.h) */
	uint32_t account_dropped; /* that account's calls held back by the rate bound so far */
	char *cgroup;  /* "/system.slice/mnt-b.mount"; "…/" in front when cut short */
	char *unit;    /* the cgroup's leaf when it names a systemd unit, else NULL */
	char *target;  /* the path as the caller passed it ("" if unreadable) */
	char *path;    /* ... made absolute and lexically normal, or NULL */
	char *cmdline; /* from /proc at event time, or NULL if it was gone */
	struct umh_wtask parents[UMH_UMOUNT_ANCESTORS];
	size_t n_parents;
	bool exited;   /* its exit was seen: RET is the result */
	int64_t ret;
	bool used;     /* matched to a vanished mount already */
};

struct umh_wcalls {
	struct umh_wcall *v;
	size_t n;
	int procfd;        /* our /proc, for reading callers */
	uint64_t mntns;    /* the watched mount namespace, set by the watcher */
	uint64_t my_pidns; /* our pid namespace */
	bool init_pidns;   /* we are in the initial one: BPF's pids are ours */
	uint64_t lost;     /* calls not matched yet, dropped because the list was full */
};

/* PROCFD stays the caller's.  Returns 0 or -ENOMEM. */
int umh_wcalls_init(struct umh_wcalls *c, int procfd);
void umh_wcalls_free(struct umh_wcalls *c);

/* Turns one ring-buffer event (struct umh_umount_call) into CALL, with
 * what /proc still tells about its caller.  Returns 1, 0 when DATA is no
 * call (CALL untouched), or -ENOMEM. */
int umh_wcalls_read_event(struct umh_wcalls *c, const void *data, size_t size, struct umh_wcall *call);

/* Keeps CALL, taking over its strings. */
void umh_wcalls_keep(struct umh_wcalls *c, struct umh_wcall *call);

/* Forgets calls that entered before NOW_NS - KEEP_NS. */
void umh_wcalls_expire(struct umh_wcalls *c, int64_t now_ns, int64_t keep_ns);

/* The pid of T as this process sees it, or 0 if it is not visible here. */
int32_t umh_wcalls_local_pid(const struct umh_wcalls *c, const struct umh_wtask *t);

/* Whether CALL is systemd stopping a mount unit: its parent is a systemd
 * that is PID 1 of its pid namespace, and it runs in a ".mount" unit's
 * cgroup (or, with no cgroup known, it is umount). */
bool umh_wcall_by_systemd(const struct umh_wcall *call);

int umh_wcall_copy(struct umh_wcall *dst, const struct umh_wcall *src);
void umh_wcall_clear(struct umh_wcall *call);

/* Fills CALL from an event, without /proc (for tests). */
int umh_wcall_from_event(struct umh_wcall *call, const struct umh_umount_call *e);
