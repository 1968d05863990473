// SPDX-License-Identifier: GPL-2.0
/* The mounts of one filesystem, for explain of one mount: its propagated
 * copies in other namespaces are among them (fsview.bpf.h says how they
 * are found).  The smaller of the two walks, loaded by every explain of a
 * mount whose parent is shared: no overlays, no namespace files.
 *
 *   sb_mounts  (iter/task, the reader's own task): a record per mount of
 *              the superblock whose device is want_dev
 *   ns_tasks   (iter/task): the processes of the namespaces those are in */
#include "fsview.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static long sb_step(__u32 i, void *data)
{
	struct umh_fsv_sb_walk *w = data;
	struct super_block *sb = umh_fsv_next_sb(w, i);
	if (!sb)
		return 1;
	if (BPF_CORE_READ(sb, s_dev) != want_dev || !umh_fsv_sb_live(sb))
		return 0;
	w->target = sb;
	return 1;
}

SEC("iter/task")
int sb_mounts(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!umh_fsv_is_reader(task))
		return 0;
	struct umh_fsv_result res = { .status = UMH_FSV_OK };
	result = res;
	reached = 0;
	struct umh_fsv_sb_walk sw = {};
	umh_fsv_sb_start(&sw, task);
	if (bpf_loop(UMH_FSV_MAX_SBS, sb_step, &sw, 0) >= UMH_FSV_MAX_SBS)
		result.status = UMH_FSV_TRUNCATED;
	result.sbs = sw.n;
	if (!sw.target) {
		result.status = UMH_FSV_NO_SB;
		return 0;
	}
	umh_fsv_found_sb(sw.target);
	umh_fsv_walk_mounts((__u64)sw.target, UMH_FSV_REC_MOUNT, 0, 0);
	return 0;
}
