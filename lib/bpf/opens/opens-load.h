/* Loading opens.bpf.c in the best way this kernel allows: fentry, else
 * kprobes, else (for a live trace only) the open/close system call
 * tracepoints.  Shared by trace and the ledger. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum umh_opens_mode {
	UMH_OPENS_NONE,
	UMH_OPENS_FENTRY,   /* BPF trampolines on do_dentry_open, fd_install, __fput */
	UMH_OPENS_KPROBE,   /* kprobes on the same functions */
	UMH_OPENS_SYSCALLS, /* open*(2)/close(2) tracepoints: process opens only */
};

const char *umh_opens_mode_name(enum umh_opens_mode mode);

struct umh_opens_cfg {
	uint32_t target_mnt_id; /* 0: every mount */
	bool streaming;         /* send events to the ring buffer (trace) */
	bool allow_syscalls;    /* fall back to the syscall tracepoints */
	pid_t tracer;           /* whose opens to ignore */
	/* Testing aid: pretend a mode failed to load (the QEMU harness
	 * proves the kprobe fallback on a kernel where fentry works). */
	bool no_fentry, no_kprobe;
};

struct umh_opens_bpf;
struct bpf_link;
struct umh_opens {
	struct umh_opens_bpf *skel;
	enum umh_opens_mode mode;
	struct bpf_link *links[12];
	const char *link_names[12]; /* their programs' names */
	size_t n_links;
	char fentry_why[320]; /* why fentry was not used, if it was not */
	char kprobe_why[320];
};

/* Loads and attaches.  Returns 0, or a negative errno with WHY saying, in
 * one sentence, what this kernel refused. */
int umh_opens_start(struct umh_opens *o, const struct umh_opens_cfg *c, char *why, size_t size);
void umh_opens_close(struct umh_opens *o);
