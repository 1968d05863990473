/* The report for programs (umount-helper(8), "JSON OUTPUT"; docs/DESIGN.md):
 * fields and kinds are added, never renamed. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "report/remedy.h"
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
	case UMH_ROLE_FS:
		return "mount";
	case UMH_ROLE_FS_DETACHED:
		return "detached";
	case UMH_ROLE_FS_ANON:
		return "anonymous";
	case UMH_ROLE_FS_INTERNAL:
		return "internal";
	case UMH_ROLE_OVERLAY:
		return "overlay";
	case _UMH_ROLE_MAX:
		break;
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
	/* A mount somewhere: its namespace, and every way to free it, each
	 * with why (report/remedy.h); the kinds of a filesystem have their
	 * remedy only from there. */
	struct umh_remedy rem[UMH_REMEDIES_MAX];
	size_t n = umh_remedies(r, h, rem);
	if (n && (h->kind == UMH_KIND_FS_MOUNT || h->kind == UMH_KIND_OVERLAY_LAYER))
		remedy = rem[0].command;
	if (remedy)
		umh_json_str(j, "remedy", remedy);
	if (n) {
		const struct umh_mount *m = umh_report_mount(r, h->mnt_id);
		if (m && m->mntns)
			umh_json_uint(j, "mount_namespace", m->mntns);
		umh_json_open_array(j, "remedies", true);
		for (size_t i = 0; i < n; i++) {
			umh_json_open_object(j, NULL, true);
			umh_json_str(j, "command", rem[i].command);
			umh_json_str(j, "why", rem[i].why[0] ? rem[i].why : NULL);
			umh_json_close_object(j);
		}
		umh_json_close_array(j);
	}
	umh_json_close_object(j);
}

static void write_namespace(struct umh_json *j, const struct umh_namespace *ns)
{
	umh_json_open_object(j, NULL, true);
	umh_json_uint(j, "mount_namespace", ns->inum);
	umh_json_bool(j, "ours", ns->ours);
	if (ns->anonymous)
		umh_json_bool(j, "anonymous", true);
	/* Our own namespace's processes are not counted: it is where explain
	 * looks from. */
	if (!ns->ours) {
		umh_json_uint(j, "processes", ns->n_processes);
		umh_json_open_array(j, "pids", true);
		for (uint32_t i = 0; i < ns->n_pids; i++)
			umh_json_int(j, NULL, ns->pids[i]);
		umh_json_close_array(j);
	}
	umh_json_str(j, "comm", ns->comm);
	umh_json_str(j, "cmdline", ns->cmdline);
	umh_json_str(j, "cgroup", ns->cgroup);
	umh_json_str(j, "unit", ns->unit);
	umh_json_str(j, "unit_settings", ns->unit_settings);
	if (ns->manager_pid)
		umh_json_int(j, "systemd_pid", ns->manager_pid);
	umh_json_str(j, "container", ns->container);
	if (ns->kept_at || ns->kept_pid) {
		umh_json_open_object(j, "kept_by", true);
		if (ns->kept_at) {
			umh_json_str(j, "nsfs_mount", ns->kept_at);
			umh_json_uint(j, "mount_namespace", ns->kept_ns);
		}
		if (ns->kept_pid)
			umh_json_int(j, "pid", ns->kept_pid);
		if (ns->kept_fd >= 0)
			umh_json_int(j, "fd", ns->kept_fd);
		if (ns->kept_comm)
			umh_json_str(j, "comm", ns->kept_comm);
		umh_json_close_object(j);
	}
	umh_json_close_object(j);
}

static void write_filesystem(struct umh_json *j, const struct umh_fs *fs)
{
	umh_json_open_object(j, "filesystem", true);
	umh_json_str(j, "device", fs->device);
	umh_json_uint(j, "major", fs->major);
	umh_json_uint(j, "minor", fs->minor);
	umh_json_str(j, "fstype", fs->fstype);
	umh_json_str(j, "source", fs->source);
	umh_json_bool(j, "alive", fs->alive);
	umh_json_bool(j, "mount_point_elsewhere", fs->elsewhere);
	if (fs->elsewhere)
		umh_json_uint(j, "directory_mount_id", fs->on_mnt_id);
	/* From the mount tables only (no BPF): detached mounts and overlays
	 * were not seen, and "alive": false is not proof. */
	umh_json_bool(j, "partial", fs->partial);
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
			if (UMH_GROW(pr->v, pr->cap, pr->n + 1, 2) < 0)
				continue; /* no memory: no remedy for this mount */
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
							     umh_remedy_target(m));
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
	const struct umh_fs *fs = r->fs.view && !r->error ? &r->fs : NULL;

	umh_json_open_object(j, NULL, false);
	umh_json_str(j, "target", t ? t->target : spec);
	umh_json_str(j, "source", t ? t->source : fs ? fs->source : NULL);
	umh_json_str(j, "fstype", t ? t->fstype : fs ? fs->fstype : NULL);
	if (t)
		umh_json_uint(j, "mount_id", t->id);
	else if (fs && fs->from_mnt_id)
		umh_json_uint(j, "mount_id", fs->from_mnt_id);
	else
		umh_json_null(j, "mount_id");
	/* A filesystem is busy while anything keeps it alive. */
	umh_json_bool(j, "busy", fs ? fs->alive : umh_report_is_held(r));
	if (fs)
		write_filesystem(j, fs);
	else /* busy false is not free: "free" only where the kernel's count agrees. */
		umh_json_str(j, "verdict", umh_report_is_held(r) ? "held" : umh_report_is_free(r) ? "free" : "unknown");
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
		if (m->root)
			umh_json_str(j, "root", m->root);
		umh_json_close_object(j);
	}
	umh_json_close_array(j);

	umh_json_open_array(j, "namespaces", false);
	for (size_t i = 0; i < r->n_namespaces; i++)
		write_namespace(j, &r->namespaces[i]);
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
