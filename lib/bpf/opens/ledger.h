/* The open ledger: opens.bpf.c's kernel probes, pinned in bpffs so they run
 * with no process of ours, keeping every open that no descriptor table took
 * (with its kernel stack) until the file is released.  explain reads it
 * later: a file a module opened at 12:00:01 is named, with the stack. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UMH_LEDGER_DIR "/sys/fs/bpf/umount-helper/ledger"

struct umh_ledger_status {
	bool running;
	char mode[16];       /* "fentry" or "kprobe" */
	int64_t started_ns;  /* CLOCK_BOOTTIME */
	uint64_t pending;    /* opens held now by no descriptor table */
	uint64_t dropped;    /* opens not kept: the map was full */
	uint64_t opens_seen;
};

/* Loads, attaches and pins the probes.  -EEXIST if already running.  WHY
 * says what failed. */
int umh_ledger_start(bool no_fentry, char *why, size_t size);
/* Unpins everything: the probes detach.  0 also if it was not running. */
int umh_ledger_stop(void);
int umh_ledger_status(struct umh_ledger_status *st);

/* One pending open on the mounts asked for, from umh_ledger_read. */
struct umh_ledger_entry {
	char *path;          /* as the reader sees it */
	bool deleted;
	uint32_t mnt_id;
	uint32_t flags;
	int32_t pid, tid;    /* the task that was running when it opened */
	char comm[17];
	int64_t ts_ns;       /* CLOCK_BOOTTIME */
	char *stack;         /* "filp_open <- holdfile_init [holdfile] <- ..." or NULL */
};

/* Reads the pending opens on the mounts MNT_IDS.  Returns the number of
 * entries (*OUT, free with umh_ledger_entries_free), 0 when the ledger is
 * not running, or a negative errno with WHY set. */
int umh_ledger_read(const uint32_t *mnt_ids, size_t n_ids, struct umh_ledger_entry **out, char *why, size_t size);
void umh_ledger_entries_free(struct umh_ledger_entry *e, size_t n);
