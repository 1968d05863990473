/* The report for programs: DESIGN.md's JSON, extended, never renamed. */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static const char *role_name(enum umh_mount_role role)
{
	switch (role) {
	case UMH_ROLE_TARGET:
		return "target";
	case UMH_ROLE_COPY:
		return "propagated-copy";
	case UMH_ROLE_SAME_FS:
		return "same-filesystem";
	}
	return "unknown";
}

static void write_holder(struct umh_json *j, const struct umh_report *r, const struct umh_holder *h,
			 const char *remedy)
{
	umh_json_open_object(j, NULL, true);
	umh_json_str(j, "kind", umh_kind_name(h->kind));
	if (h->pid) {
		const struct umh_process *p = umh_report_process(r, h->pid);
		umh_json_int(j, "pid", h->pid);
		umh_json_int(j, "tid", h->tid ? h->tid : h->pid);
		umh_json_str(j, "user", p ? p->user : NULL);
		umh_json_str(j, "comm", p ? p->comm : NULL);
		umh_json_str(j, "cmdline", p ? p->cmdline : NULL);
	}
	umh_json_str(j, "path", h->path && *h->path ? h->path : NULL);
	if (h->fd >= 0)
		umh_json_int(j, "fd", h->fd);
	if (*h->access)
		umh_json_str(j, "access", h->access);
	if (h->deleted)
		umh_json_bool(j, "deleted", true);
	if (h->object)
		umh_json_str(j, "object", h->object);
	if (h->detail)
		umh_json_str(j, "detail", h->detail);
	umh_json_uint(j, "mount_id", h->mnt_id);
	umh_json_str(j, "matched_by", h->by_path ? "path" : "mount-id");
	if (remedy)
		umh_json_str(j, "remedy", remedy);
	umh_json_close_object(j);
}

/* The remedies of one process, one for each mount it holds (the target,
 * copies): the same words the text report gives under the process, for
 * what it holds there as a whole. */
struct process_remedies {
	int32_t pid;
	size_t n, cap;
	struct mount_remedy {
		uint64_t mnt_id;
		struct umh_holds holds;
		char *remedy;
	} *v;
};

static void remedies_clear(struct process_remedies *pr)
{
	for (size_t i = 0; i < pr->n; i++)
		free(pr->v[i].remedy);
	pr->n = 0;
}

static void remedies_free(struct process_remedies *pr)
{
	remedies_clear(pr);
	free(pr->v);
}

/* Sums up how the process of holder FIRST holds each mount: its holders are
 * one run in a sorted report. */
static void remedies_collect(struct process_remedies *pr, const struct umh_report *r, size_t first)
{
	remedies_clear(pr);
	pr->pid = r->holders[first].pid;
	for (size_t i = first; i < r->n_holders && r->holders[i].pid == pr->pid; i++) {
		const struct umh_holder *h = &r->holders[i];
		if (!umh_holder_blocks(r, h))
			continue;
		size_t g = 0;
		while (g < pr->n && pr->v[g].mnt_id != h->mnt_id)
			g++;
		if (g == pr->n) {
			if (pr->n == pr->cap) {
				size_t cap = pr->cap ? 2 * pr->cap : 2;
				struct mount_remedy *v = reallocarray(pr->v, cap, sizeof(*v));
				if (!v)
					continue; /* no memory: no remedy for this mount */
				pr->v = v;
				pr->cap = cap;
			}
			pr->v[g].mnt_id = h->mnt_id;
			pr->v[g].holds = UMH_HOLDS_INIT;
			pr->v[g].remedy = NULL;
			pr->n++;
		}
		umh_holds_add(&pr->v[g].holds, h->kind);
	}
}

static const char *process_remedy(struct process_remedies *pr, const struct umh_report *r,
				  const struct umh_holder *h)
{
	const struct umh_mount *m = umh_report_mount(r, h->mnt_id);
	for (size_t g = 0; m && g < pr->n; g++) {
		if (pr->v[g].mnt_id != h->mnt_id)
			continue;
		if (!pr->v[g].remedy)
			pr->v[g].remedy = umh_process_remedy(&pr->v[g].holds, umh_report_process(r, h->pid), h->pid,
							     m->target);
		return pr->v[g].remedy;
	}
	return NULL;
}

static void write_holders(struct umh_json *j, const struct umh_report *r, const char *key, bool blocking)
{
	struct process_remedies pr = { .pid = 0 };
	umh_json_open_array(j, key, false);
	for (size_t i = 0; i < r->n_holders; i++) {
		const struct umh_holder *h = &r->holders[i];
		if (umh_holder_blocks(r, h) != blocking)
			continue;
		/* What blocks comes with what to do about it. */
		if (!blocking) {
			write_holder(j, r, h, NULL);
		} else if (h->pid) {
			if (h->pid != pr.pid || !pr.n)
				remedies_collect(&pr, r, i);
			write_holder(j, r, h, process_remedy(&pr, r, h));
		} else {
			const struct umh_mount *m = umh_report_mount(r, h->mnt_id);
			char *remedy = m ? umh_kind_remedy(m, h, m->target) : NULL;
			write_holder(j, r, h, remedy);
			free(remedy);
		}
	}
	remedies_free(&pr);
	umh_json_close_array(j);
}

void umh_report_write_json(const struct umh_report *r, const char *spec, struct umh_json *j)
{
	umh_report_write_json_extra(r, spec, j, NULL, NULL);
}

void umh_report_write_json_extra(const struct umh_report *r, const char *spec, struct umh_json *j,
				 umh_json_extra_fn extra, void *userdata)
{
	const struct umh_mount *t = umh_report_target(r);

	umh_json_open_object(j, NULL, false);
	umh_json_str(j, "target", t ? t->target : spec);
	umh_json_str(j, "source", t ? t->source : NULL);
	umh_json_str(j, "fstype", t ? t->fstype : NULL);
	if (t)
		umh_json_uint(j, "mount_id", t->id);
	else
		umh_json_null(j, "mount_id");
	umh_json_bool(j, "busy", umh_report_is_held(r));
	if (r->error)
		umh_json_str(j, "error", r->error);
	write_holders(j, r, "holders", true);
	write_holders(j, r, "not_blocking", false);

	umh_json_open_array(j, "other_mounts", false);
	for (size_t i = 0; i < r->n_mounts; i++) {
		const struct umh_mount *m = &r->mounts[i];
		if (m->role == UMH_ROLE_TARGET)
			continue;
		umh_json_open_object(j, NULL, true);
		umh_json_uint(j, "mount_id", m->id);
		umh_json_str(j, "target", m->target);
		umh_json_str(j, "role", role_name(m->role));
		if (m->mntns) {
			umh_json_uint(j, "mount_namespace", m->mntns);
			umh_json_int(j, "namespace_pid", m->ns_pid);
		}
		umh_json_close_object(j);
	}
	umh_json_close_array(j);

	umh_json_open_array(j, "skipped", false);
	for (size_t i = 0; i < r->n_skips; i++) {
		const struct umh_skip *s = &r->skips[i];
		umh_json_open_object(j, NULL, true);
		umh_json_str(j, "what", s->what);
		umh_json_str(j, "why", s->why);
		if (s->pid)
			umh_json_int(j, "pid", s->pid);
		umh_json_close_object(j);
	}
	umh_json_close_array(j);

	/* Unknown is null, never a guess. */
	if (r->unexplained_refs >= 0)
		umh_json_int(j, "unexplained_refs", r->unexplained_refs);
	else
		umh_json_null(j, "unexplained_refs");
	/* Where that number comes from: the kernel's count of references to
	 * the target, the one it holds for being mounted, and those the
	 * holders explain; or why the count is unknown. */
	umh_json_open_object(j, "references", true);
	if (r->refs.count >= 0) {
		umh_json_int(j, "count", r->refs.count);
		umh_json_int(j, "mounted", r->refs.mounted);
		umh_json_int(j, "explained", r->refs.explained);
	} else {
		umh_json_null(j, "count");
		umh_json_str(j, "why", r->refs.why);
	}
	umh_json_close_object(j);
	umh_json_bool(j, "complete", r->finished && !r->incomplete);
	if (r->incomplete)
		umh_json_str(j, "incomplete", r->incomplete);

	umh_json_open_object(j, "scan", true);
	umh_json_str(j, "method", r->method);
	umh_json_uint(j, "processes", r->processes_scanned);
	umh_json_uint(j, "fds", r->fds_scanned);
	umh_json_uint(j, "elapsed_ms", r->elapsed_us / 1000);
	umh_json_close_object(j);
	if (extra)
		extra(j, userdata);
	umh_json_close_object(j);
}
