/* Every mount namespace's table, read as text from /proc/PID/mountinfo:
 * the way to see other namespaces' mounts where no BPF walk can run (no
 * CAP_BPF, --no-bpf, Linux without BTF).  One process per namespace is
 * read; the namespace's processes are noted into the scan's set. */
#pragma once

#include <libmount.h>
#include <stdint.h>

#include "explain/scan.h"

struct umh_ns_table {
	uint64_t ns;
	int32_t pid;            /* the process it was read through; 0 for ours */
	struct libmnt_table *tb;
};

struct umh_ns_member {
	int32_t pid;
	uint64_t ns;
};

struct umh_ns_tables {
	struct umh_ns_table *v;
	size_t n;
	struct umh_ns_member *members; /* every process seen, with its namespace */
	size_t n_members;
};

/* The table of every namespace some visible process is in, ours last (the
 * scan's own table, referenced). */
int umh_ns_tables_load(struct umh_scan *s, struct umh_ns_tables *out);
/* Notes the processes of every namespace of SET (ours aside). */
void umh_ns_tables_note(const struct umh_ns_tables *t, struct umh_ns_set *set);
void umh_ns_tables_free(struct umh_ns_tables *t);
