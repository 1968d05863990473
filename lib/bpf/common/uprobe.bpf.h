/* The file a uprobe is on, from the kernel objects that hold one: a
 * tracefs or perf uprobe (struct trace_uprobe, reached from its trace
 * event), a BPF uprobe_multi link.  Each keeps a struct path -- a
 * reference to the mount and to the dentry -- for as long as it lives
 * (kern_path in trace_uprobe.c and bpf_trace.c), so the mount stays busy
 * while no process has the file open.
 *
 * Everything is read with bpf_probe_read_kernel: a trace event that is
 * not a probe's (a static tracepoint's) leads to memory that is not a
 * trace_uprobe, and the path found there is taken only if it holds
 * together (its dentry on its mount's superblock). */
#ifndef UMH_UPROBE_BPF_H
#define UMH_UPROBE_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

struct umh_probe_path {
	__u64 obj; /* what holds the path: the trace_uprobe, or the link */
	struct vfsmount *mnt;
	struct dentry *dentry;
	bool tracefs; /* a uprobe registered in tracefs (uprobe_events): it holds
		       * the path itself, not the perf event or link that uses it */
};

static __always_inline bool umh_path_holds(struct umh_probe_path *p)
{
	/* (Plain locals: BPF_CORE_READ(p->mnt, ...) would make p->mnt, a
	 * field of our own struct, a relocation against the kernel's types.) */
	struct vfsmount *mnt = p->mnt;
	struct dentry *dentry = p->dentry;
	if (!mnt || !dentry)
		return false;
	struct super_block *sb = BPF_CORE_READ(mnt, mnt_sb);
	return sb && sb == BPF_CORE_READ(dentry, d_sb);
}

/* A probe event's (kprobe, uprobe: dynamic events of trace_probe.c)
 * call is embedded in a trace_probe_event, whose first probe is its
 * trace_probe, embedded in the trace_uprobe. */
static __always_inline bool umh_uprobe_of_call(struct trace_event_call *call, struct umh_probe_path *out)
{
	if (!call)
		return false;
	struct trace_probe_event *tpe = container_of(call, struct trace_probe_event, call);
	struct list_head *first = BPF_CORE_READ(tpe, probes.next);
	if (!first || first == &tpe->probes)
		return false;
	struct trace_probe *tp = container_of(first, struct trace_probe, list);
	struct trace_uprobe *tu = container_of(tp, struct trace_uprobe, tp);
	out->obj = (__u64)tu;
	out->mnt = BPF_CORE_READ(tu, path.mnt);
	out->dentry = BPF_CORE_READ(tu, path.dentry);
	/* Registered ones are on the list of dynamic events; the perf
	 * PMU's own (create_local_trace_uprobe) are on no list. */
	struct list_head *next = BPF_CORE_READ(tu, devent.list.next);
	out->tracefs = next && next != &tu->devent.list;
	return umh_path_holds(out);
}

struct bpf_uprobe_multi_link___new {
	struct path path;
	struct bpf_link link;
} __attribute__((preserve_access_index));

/* What a perf event file (anon inode "[perf_event]") holds, when its
 * event is a uprobe: perf_event_open of the uprobe PMU, or of a tracefs
 * uprobe's tracepoint. */
static __always_inline bool umh_uprobe_of_perf(struct perf_event *ev, struct umh_probe_path *out)
{
	return ev && umh_uprobe_of_call(BPF_CORE_READ(ev, tp_event), out);
}

/* What a BPF link holds: a uprobe_multi link its path (Linux 6.6 and
 * later), a perf link the perf event of a uprobe.  *LINK_ID: the link's
 * id, for bpftool. */
static __always_inline bool umh_uprobe_of_link(struct bpf_link *link, struct umh_probe_path *out, __u32 *link_id)
{
	if (!link)
		return false;
	__u32 type = BPF_CORE_READ(link, type);
	*link_id = BPF_CORE_READ(link, id);
	if (bpf_core_enum_value_exists(enum bpf_link_type, BPF_LINK_TYPE_UPROBE_MULTI) &&
	    bpf_core_type_exists(struct bpf_uprobe_multi_link___new) &&
	    type == bpf_core_enum_value(enum bpf_link_type, BPF_LINK_TYPE_UPROBE_MULTI)) {
		struct bpf_uprobe_multi_link___new *ul = container_of(link, struct bpf_uprobe_multi_link___new, link);
		out->obj = (__u64)ul;
		out->mnt = BPF_CORE_READ(ul, path.mnt);
		out->dentry = BPF_CORE_READ(ul, path.dentry);
		return umh_path_holds(out);
	}
	if (type == bpf_core_enum_value(enum bpf_link_type, BPF_LINK_TYPE_PERF_EVENT)) {
		struct bpf_perf_link *pl = container_of(link, struct bpf_perf_link, link);
		return umh_uprobe_of_perf(BPF_CORE_READ(pl, perf_file, private_data), out);
	}
	return false;
}

#endif
