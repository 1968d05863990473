/* The mount namespaces a report's mounts are in, described for people:
 * the processes in each (a few of them), their systemd unit and what in
 * that unit gives it a namespace of its own (PrivateTmp=, ...), the
 * container their cgroup names; and, for a namespace with no process in
 * it, what keeps it alive (an nsfs mount of it, a descriptor on it).
 *
 * The collectors gather namespaces into a set as they find mounts, note
 * their processes (from the BPF walk, or from every namespace's table:
 * nstables.h), then describe them and add them to the report. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct umh_ns_set {
	struct umh_namespace *v;
	size_t n;
	uint64_t ours; /* the namespace explain looks from */
};

/* The namespace INUM of SET, added if new; NULL when out of memory. */
struct umh_namespace *umh_ns_set_get(struct umh_ns_set *set, uint64_t inum);
/* The namespace INUM, or NULL if SET does not have it. */
struct umh_namespace *umh_ns_set_find(const struct umh_ns_set *set, uint64_t inum);
/* Adds FROM's namespace to SET with the processes noted in it; NULL when
 * out of memory. */
struct umh_namespace *umh_ns_set_add_pids(struct umh_ns_set *set, const struct umh_namespace *from);
/* Counts process PID in NS, keeping the lowest UMH_NS_PIDS pids, and the
 * command name COMM (NULL: read later) of the lowest. */
void umh_ns_note_pid(struct umh_namespace *ns, int32_t pid, const char *comm);
/* Describes every namespace of SET (see above) and adds it to R. */
int umh_ns_set_report(int procfd, struct umh_ns_set *set, struct umh_report *r);
void umh_ns_set_free(struct umh_ns_set *set);
static inline void umh_ns_set_freep(struct umh_ns_set *set) { umh_ns_set_free(set); }
