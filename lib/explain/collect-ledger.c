/* Files held by the kernel, from the open ledger (lib/bpf/opens/ledger.h): while
 * the ledger runs, every open that never reached a process's descriptor
 * table is remembered with its time and kernel stack, until released.
 * Those on the scanned mounts become kernel-open holders:
 *
 *   opened inside the kernel, by no process: /mnt/dir/file
 *       opened at 12:00:01 while pid 812 (insmod) ran: filp_open <- holdfile_init [holdfile] <- ...
 *
 * When the ledger is not running, nothing is added: it cannot know about
 * opens made before it started. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/opens/ledger.h"
#include "base/cleanup.h"
#include "bpf/opens/opens-print.h"
#include "base/parse.h"
#include "explain/scan.h"

/* The kernel's own opens that another collector already names: a swap
 * file (swapon opens it in the kernel), a binfmt_misc F interpreter
 * (open_exec at registration), an io_uring's direct descriptors.  Named
 * twice, one file would also count as two references (refs.h). */
static bool named_elsewhere(const struct umh_report *r, const struct umh_ledger_entry *e)
{
	for (size_t i = 0; i < r->n_holders; i++) {
		const struct umh_holder *h = &r->holders[i];
		if (umh_kind_info(h->kind)->ledger_twin && h->mnt_id == e->mnt_id && h->path &&
		    strcmp(h->path, e->path) == 0)
			return true;
	}
	return false;
}

int umh_collect_ledger(struct umh_scan *s)
{
	uint32_t ids[64];
	size_t n_ids = 0;
	for (size_t i = 0; i < s->n_mounts && n_ids < ARRAY_SIZE(ids); i++)
		ids[n_ids++] = (uint32_t)s->mounts[i].id;
	struct umh_ledger_entry *v = NULL;
	char why[512];
	int n = umh_ledger_read(ids, n_ids, &v, why, sizeof(why));
	if (n < 0) {
		umh_report_add_skip(s->report, 0, -n, "the open ledger", why);
		return 0;
	}
	int r = 0;
	for (int i = 0; i < n && r >= 0; i++) {
		struct umh_ledger_entry *e = &v[i];
		if (named_elsewhere(s->report, e))
			continue;
		char when[16], detail[1400];
		umh_boot_to_wall(e->ts_ns, false, when, sizeof(when));
		snprintf(detail, sizeof(detail), "opened by the kernel at %s while pid %d (%s) ran%s%s", when, e->pid,
			 e->comm, e->stack ? ": " : "", e->stack ? e->stack : "");
		struct umh_holder h = {
			.kind = UMH_KIND_KERNEL_OPEN,
			.mnt_id = e->mnt_id,
			.fd = -1,
			.deleted = e->deleted,
			.path = e->path,
			.object = "kernel",
			.detail = detail,
		};
		snprintf(h.access, sizeof(h.access), "%s", umh_access_from_flags(e->flags));
		r = umh_report_add_holder(s->report, &h);
	}
	umh_ledger_entries_free(v, n > 0 ? (size_t)n : 0);
	return r;
}
