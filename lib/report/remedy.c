#include "report/remedy.h"

#include <stdlib.h>
#include <string.h>

#include "base/escape.h"

static void esc(FILE *out, const char *s) { umh_fputs_escaped(s ? s : "", out); }

/* S escaped, into a string: commands are pasted into a shell. */
static void put_escaped(char *buf, size_t size, const char *fmt_before, const char *s, const char *after)
{
	char *e = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&e, &n);
	if (m) {
		esc(m, s);
		fclose(m);
	}
	snprintf(buf, size, "%s%s%s", fmt_before, e ? e : "?", after ? after : "");
	free(e);
}

static bool is_service(const char *unit)
{
	size_t n = unit ? strlen(unit) : 0;
	return n > 8 && strcmp(unit + n - 8, ".service") == 0;
}

size_t umh_remedies_for_mount(const struct umh_report *r, uint64_t ns_inum, const char *path, struct umh_remedy *out)
{
	const struct umh_namespace *ns = umh_report_namespace(r, ns_inum);
	size_t n = 0;
	if (!ns_inum || (ns && ns->ours)) {
		put_escaped(out[n].command, sizeof(out[n].command), "umount ", path, NULL);
		out[n++].why[0] = '\0';
		return n;
	}
	if (!ns) {
		snprintf(out[n].command, sizeof(out[n].command), "unmount it in mount namespace mnt:[%llu]",
			 (unsigned long long)ns_inum);
		snprintf(out[n++].why, sizeof(out[0].why), "no process of that namespace was seen");
		return n;
	}
	if (ns->n_pids) {
		char before[64];
		snprintf(before, sizeof(before), "nsenter -t %d -m umount ", ns->pids[0]);
		put_escaped(out[n].command, sizeof(out[n].command), before, path, NULL);
		snprintf(out[n++].why, sizeof(out[0].why),
			 "unmounts it in that namespace only; its own holders must let go first, or add -l");
	}
	/* Unit and container names come from cgroup paths, which their
	 * creator chose: escaped like the paths. */
	char unit[200], settings[120], container[200];
	put_escaped(unit, sizeof(unit), "", ns->unit, NULL);
	put_escaped(settings, sizeof(settings), "", ns->unit_settings, NULL);
	put_escaped(container, sizeof(container), "", ns->container, NULL);
	if (is_service(ns->unit)) {
		char before[96] = "";
		if (ns->manager_pid)
			snprintf(before, sizeof(before), "nsenter -t %d -m -p ", ns->manager_pid);
		snprintf(out[n].command, sizeof(out[n].command), "%ssystemctl restart %s", before, unit);
		if (ns->unit_settings)
			snprintf(out[n].why, sizeof(out[n].why),
				 "%s gets a mount namespace of its own from %s, made when it started with a copy of "
				 "the mounts then; a restart makes a new one without this mount",
				 unit, settings);
		else
			snprintf(out[n].why, sizeof(out[n].why),
				 "the namespace is %s's: a restart ends its processes, and with them the namespace",
				 unit);
		n++;
	} else if (ns->container) {
		snprintf(out[n].command, sizeof(out[n].command), "stop or restart container %s", container);
		snprintf(out[n++].why, sizeof(out[0].why), "the namespace is the container's");
	}
	if (!ns->n_pids && ns->kept_at) {
		const struct umh_namespace *where = umh_report_namespace(r, ns->kept_ns);
		char before[64] = "umount ";
		if (where && !where->ours && ns->kept_pid)
			snprintf(before, sizeof(before), "nsenter -t %d -m umount ", ns->kept_pid);
		else if (where && !where->ours)
			snprintf(before, sizeof(before), "umount (in mount namespace mnt:[%llu]) ",
				 (unsigned long long)ns->kept_ns);
		put_escaped(out[n].command, sizeof(out[n].command), before, ns->kept_at, NULL);
		snprintf(out[n++].why, sizeof(out[0].why),
			 "no process is in that namespace: the mount of its namespace file keeps it, and the "
			 "namespace goes, with this mount, when that is unmounted");
	} else if (!ns->n_pids && ns->kept_pid) {
		snprintf(out[n].command, sizeof(out[n].command), "kill %d", ns->kept_pid);
		snprintf(out[n++].why, sizeof(out[0].why),
			 "no process is in that namespace: process %d (%s) keeps it with descriptor %d on it; "
			 "closing that descriptor also does",
			 ns->kept_pid, ns->kept_comm ? ns->kept_comm : "?", ns->kept_fd);
	} else if (!ns->n_pids && !ns->anonymous && n == 0) {
		snprintf(out[n].command, sizeof(out[n].command), "find what keeps mount namespace mnt:[%llu]",
			 (unsigned long long)ns_inum);
		snprintf(out[n++].why, sizeof(out[0].why),
			 "no process, namespace file mount or descriptor was found keeping it (something inside "
			 "the kernel may)");
	}
	return n;
}

size_t umh_remedies(const struct umh_report *r, const struct umh_holder *h, struct umh_remedy *out)
{
	switch (h->kind) {
	case UMH_KIND_FS_MOUNT:
	case UMH_KIND_NAMESPACE_COPY: {
		const struct umh_mount *m = umh_report_mount(r, h->mnt_id);
		return m ? umh_remedies_for_mount(r, m->mntns, m->target, out) : 0;
	}
	case UMH_KIND_OVERLAY_LAYER: {
		/* The overlay's mount, by the id its detail names. */
		const char *id = h->detail ? strstr(h->detail, "overlay mount id ") : NULL;
		const struct umh_mount *o = id ? umh_report_mount(r, strtoull(id + 17, NULL, 10)) : NULL;
		if (!o)
			return 0;
		size_t n = umh_remedies_for_mount(r, o->mntns, o->target, out);
		if (n)
			snprintf(out[0].why, sizeof(out[0].why),
				 "the overlay keeps a private mount of its layer until it is unmounted");
		return n;
	}
	default:
		return 0;
	}
}

const char *umh_remedy_target(const struct umh_mount *m)
{
	if (m->role == UMH_ROLE_FS_DETACHED)
		return "the detached mount";
	if (m->role == UMH_ROLE_FS_ANON)
		return "the detached tree";
	return m->target;
}

void umh_namespace_print(FILE *out, const struct umh_namespace *ns)
{
	if (ns->ours) {
		fputs("this mount namespace", out);
		return;
	}
	fprintf(out, "mount namespace mnt:[%llu]", (unsigned long long)ns->inum);
	if (ns->anonymous) {
		fputs(", a detached tree's (open_tree, fsmount)", out);
		return;
	}
	if (ns->n_pids) {
		fprintf(out, " of pid %d", ns->pids[0]);
		if (ns->comm) {
			fputs(" (", out);
			esc(out, ns->comm);
			fputc(')', out);
		}
		if (ns->n_processes > 1)
			fprintf(out, " and %u more process%s", ns->n_processes - 1, ns->n_processes == 2 ? "" : "es");
	} else if (ns->kept_at) {
		fputs(", no process in it, kept by the mount of its namespace file at ", out);
		esc(out, ns->kept_at);
	} else if (ns->kept_pid) {
		fprintf(out, ", no process in it, kept by descriptor %d of pid %d", ns->kept_fd, ns->kept_pid);
		if (ns->kept_comm) {
			fputs(" (", out);
			esc(out, ns->kept_comm);
			fputc(')', out);
		}
	} else {
		fputs(", no process in it", out);
	}
	if (ns->unit) {
		fputs("; unit ", out);
		esc(out, ns->unit);
		if (ns->manager_pid)
			fprintf(out, " of the systemd that is pid %d", ns->manager_pid);
		if (ns->unit_settings) {
			fputs(" (", out);
			esc(out, ns->unit_settings);
			fputc(')', out);
		}
	}
	if (ns->container) {
		fputs("; container ", out);
		esc(out, ns->container);
	}
}
