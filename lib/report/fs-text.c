/* The filesystem view for people: every mount of the filesystem, grouped
 * by where it is (this namespace, each other one, detached), each with
 * what holds it and what to do; then what holds the filesystem without a
 * mount (loop devices, swap files, overlays).
 *
 *   /dev/loop0 (ext4, device 7:0) is in use: 1 mount in another namespace.
 *
 *     mounted at /mnt/data (mount id 412)
 *       in mount namespace mnt:[4026532301] of pid 1234 (sleep); unit ...
 *       pid 1234 sleep, user root: sleep infinity
 *           cwd              /mnt/data
 *         → make it leave /mnt/data, or end it: kill 1234
 *       → nsenter -t 1234 -m umount /mnt/data
 *           (unmounts the copy in that namespace only ...) */
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "report/remedy.h"
#include "report/report.h"
#include "report/text-parts.h"

static void esc(FILE *out, const char *s) { umh_fputs_escaped(s ? s : "", out); }

static bool is_mount_kind(const struct umh_holder *h)
{
	return h->kind == UMH_KIND_FS_MOUNT || h->kind == UMH_KIND_OVERLAY_LAYER;
}

/* Held by the filesystem, whichever mount it was opened through: printed
 * once, after the mounts. */
static bool is_fs_level(const struct umh_holder *h)
{
	return !h->pid && (h->kind == UMH_KIND_LOOP || h->kind == UMH_KIND_SWAP);
}

static void print_remedies(FILE *out, const struct umh_remedy *rem, size_t n, const char *indent)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s→ %s%s\n", indent, i ? "or " : "", rem[i].command);
		if (rem[i].why[0])
			fprintf(out, "%s    (%s)\n", indent, rem[i].why);
	}
}

static void print_namespace_line(FILE *out, const struct umh_report *r, uint64_t inum, const char *indent)
{
	const struct umh_namespace *ns = umh_report_namespace(r, inum);
	fprintf(out, "%sin ", indent);
	if (ns)
		umh_namespace_print(out, ns);
	else if (inum)
		fprintf(out, "mount namespace mnt:[%llu]", (unsigned long long)inum);
	else
		fputs("this mount namespace", out);
	fputc('\n', out);
}

/* The holders of mount M that are not processes nor mounts (a file the
 * kernel opened, a descriptor in flight). */
static void print_other_holders(FILE *out, const struct umh_report *r, const struct umh_mount *m)
{
	for (size_t i = 0; i < r->n_holders; i++) {
		const struct umh_holder *h = &r->holders[i];
		if (h->mnt_id == m->id && umh_text_is_kernel_kind(h) && !is_mount_kind(h) && !is_fs_level(h))
			umh_text_kernel_holder(out, r, h, m->target);
	}
}

static bool ours(const struct umh_report *r, const struct umh_mount *m)
{
	const struct umh_namespace *ns = umh_report_namespace(r, m->mntns);
	return ns ? ns->ours : !m->mntns;
}

/* Two mounts at one path of one namespace: stacked, or one under a mount
 * of the namespace's root (systemd's services see their namespace through a
 * copy of the tree moved over its root, and the first copy stays below). */
static bool same_place(const struct umh_mount *a, const struct umh_mount *b)
{
	return a->role == UMH_ROLE_FS && b->role == UMH_ROLE_FS && a->mntns == b->mntns && a->target && b->target &&
	       strcmp(a->target, b->target) == 0;
}

static void print_mount(FILE *out, const struct umh_report *r, const struct umh_mount *m)
{
	size_t twins = 0;
	for (size_t i = 0; i < r->n_mounts; i++)
		twins += &r->mounts[i] != m && same_place(&r->mounts[i], m);
	fputs("\n  mounted at ", out);
	esc(out, m->target);
	if (twins) {
		fprintf(out, " %zu times (mount ids %llu", twins + 1, (unsigned long long)m->id);
		for (size_t i = 0; i < r->n_mounts; i++)
			if (&r->mounts[i] != m && same_place(&r->mounts[i], m))
				fprintf(out, ", %llu", (unsigned long long)r->mounts[i].id);
	} else {
		fprintf(out, " (mount id %llu", (unsigned long long)m->id);
	}
	if (m->root && strcmp(m->root, "/") != 0) {
		fputs(", showing ", out);
		esc(out, m->root);
		fputs(" of it", out);
	}
	fputs(")\n", out);
	if (twins)
		fputs("    (all but one lie under other mounts, where no path reaches them: ending the\n"
		      "    namespace releases them all)\n",
		      out);
	print_namespace_line(out, r, m->mntns, "    ");
	for (size_t i = 0; i < r->n_mounts; i++) {
		const struct umh_mount *t = &r->mounts[i];
		if (t == m || same_place(t, m)) {
			umh_text_print_processes(out, r, true, t->id, t->target);
			print_other_holders(out, r, t);
		}
	}
	struct umh_remedy rem[UMH_REMEDIES_MAX];
	size_t n = umh_remedies_for_mount(r, ours(r, m) ? 0 : m->mntns, m->target, rem);
	print_remedies(out, rem, n, "    ");
}

static void print_detached(FILE *out, const struct umh_report *r, const struct umh_mount *m)
{
	if (m->role == UMH_ROLE_FS_ANON)
		fprintf(out, "\n  a detached tree (mount id %llu), made by open_tree(OPEN_TREE_CLONE) or fsmount() and "
			     "kept by a descriptor", (unsigned long long)m->id);
	else
		fprintf(out, "\n  a detached mount (mount id %llu): unmounted with umount -l, still in use",
			(unsigned long long)m->id);
	if (m->root && strcmp(m->root, "/") != 0) {
		fputs(", showing ", out);
		esc(out, m->root);
	}
	fputs("\n", out);
	size_t nproc = umh_text_count_processes(r, true, m->id);
	/* Its path is its own root's: the remedies name it for what it is. */
	umh_text_print_processes(out, r, true, m->id, umh_remedy_target(m));
	print_other_holders(out, r, m);
	if (!nproc) {
		bool other = false;
		for (size_t i = 0; i < r->n_holders && !other; i++)
			other = r->holders[i].mnt_id == m->id;
		if (!other)
			fputs("    held by nothing this scan sees: a reference inside the kernel, or one taken after "
			      "the scan\n",
			      out);
	}
}

static void print_overlay(FILE *out, const struct umh_report *r, const struct umh_holder *h)
{
	const char *id = h->detail ? strstr(h->detail, ", overlay mount id ") : NULL;
	fputs("\n  an overlay mounted at ", out);
	esc(out, h->object);
	fputs(" uses it as ", out);
	if (id)
		fprintf(out, "%.*s", (int)(id - h->detail), h->detail);
	else
		esc(out, h->detail);
	if (h->path && strcmp(h->path, "/") != 0) {
		fputs(" (", out);
		esc(out, h->path);
		fputc(')', out);
	}
	fputc('\n', out);
	const struct umh_mount *o = id ? umh_report_mount(r, strtoull(id + 19, NULL, 10)) : NULL;
	if (o)
		print_namespace_line(out, r, o->mntns, "    ");
	struct umh_remedy rem[UMH_REMEDIES_MAX];
	print_remedies(out, rem, umh_remedies(r, h, rem), "    ");
}

static void count_phrase(FILE *out, size_t n, const char *one, const char *many, bool *first)
{
	if (!n)
		return;
	fprintf(out, "%s%zu %s", *first ? "" : ", ", n, n == 1 ? one : many);
	*first = false;
}

void umh_report_print_fs_text(const struct umh_report *r, FILE *out)
{
	const struct umh_fs *fs = &r->fs;
	const struct umh_mount *on = fs->elsewhere ? umh_report_mount(r, fs->on_mnt_id) : NULL;
	if (on && ours(r, on)) {
		/* The same directory through another mount of its filesystem
		 * (a bind mount of a parent): rmdir says EBUSY. */
		esc(out, fs->spec);
		fputs(" is not a mount point, but the directory it names is one, at ", out);
		esc(out, on->target);
		fputs(" in this\nnamespace: rmdir of it fails with EBUSY until that is unmounted.\n\n", out);
	} else if (fs->elsewhere) {
		esc(out, fs->spec);
		fputs(" is not a mount point here, but is one in another mount namespace.\n\n", out);
	}
	size_t here = 0, there = 0, detached = 0, kernel = 0, overlays = 0;
	for (size_t i = 0; i < r->n_mounts; i++) {
		const struct umh_mount *m = &r->mounts[i];
		here += m->role == UMH_ROLE_FS && ours(r, m);
		there += m->role == UMH_ROLE_FS && !ours(r, m);
		detached += m->role == UMH_ROLE_FS_DETACHED || m->role == UMH_ROLE_FS_ANON;
	}
	for (size_t i = 0; i < r->n_holders; i++) {
		const struct umh_holder *h = &r->holders[i];
		overlays += h->kind == UMH_KIND_OVERLAY_LAYER;
		kernel += is_fs_level(h);
	}

	esc(out, fs->source ? fs->source : fs->spec);
	fputs(" (", out);
	if (fs->fstype) {
		esc(out, fs->fstype);
		fputs(", ", out);
	}
	fprintf(out, "device %u:%u)", fs->major, fs->minor);
	if (!fs->alive && fs->partial) {
		fputs(": not mounted in any mount namespace this scan could read; whether a detached\n"
		      "mount or an overlay still keeps it cannot be seen without the kernel-side walk (BPF).\n",
		      out);
		umh_text_skips(out, r);
		return;
	}
	if (!fs->alive) {
		fputs(": no filesystem of this device is mounted or in use anywhere: it is released.\n", out);
		umh_text_skips(out, r);
		return;
	}
	fputs(" is in use: ", out);
	bool first = true;
	count_phrase(out, here, "mount in this namespace", "mounts in this namespace", &first);
	count_phrase(out, there, "mount in another namespace", "mounts in other namespaces", &first);
	count_phrase(out, detached, "detached mount", "detached mounts", &first);
	count_phrase(out, overlays, "overlay built on it", "overlays built on it", &first);
	count_phrase(out, kernel, "loop device or swap file", "loop devices or swap files", &first);
	if (first)
		fputs("by the kernel itself", out);
	fputs(".\n", out);

	/* This namespace's mounts first, then the others', then the rest;
	 * mounts at one place of one namespace together. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->n_mounts; i++) {
			const struct umh_mount *m = &r->mounts[i];
			bool seen = false;
			for (size_t k = 0; k < i && !seen; k++)
				seen = same_place(&r->mounts[k], m);
			if (m->role == UMH_ROLE_FS && ours(r, m) == (pass == 0) && !seen)
				print_mount(out, r, m);
		}
	for (size_t i = 0; i < r->n_mounts; i++) {
		const struct umh_mount *m = &r->mounts[i];
		if (m->role == UMH_ROLE_FS_DETACHED || m->role == UMH_ROLE_FS_ANON)
			print_detached(out, r, m);
	}
	for (size_t i = 0; i < r->n_holders; i++) {
		const struct umh_holder *h = &r->holders[i];
		if (h->kind == UMH_KIND_OVERLAY_LAYER)
			print_overlay(out, r, h);
		else if (is_fs_level(h)) {
			fputc('\n', out);
			umh_text_kernel_holder(out, r, h, fs->spec);
		}
	}
	fputs("\nThe filesystem is released once all of these are gone.\n", out);
	if (fs->elsewhere && !(on && ours(r, on)))
		fputs("(Removing the directory here would unmount it there: since Linux 3.18 the kernel\n"
		      "detaches other namespaces' mounts on a directory that is removed.)\n",
		      out);
	umh_text_skips(out, r);
}

void umh_text_copy_namespace(FILE *out, const struct umh_report *r, const struct umh_mount *c)
{
	print_namespace_line(out, r, c->mntns, "    ");
}

/* What frees the copy as a whole, at the copy's own level (not under its
 * last holder). */
void umh_text_copy_remedies(FILE *out, const struct umh_report *r, const struct umh_mount *c)
{
	struct umh_remedy rem[UMH_REMEDIES_MAX];
	size_t n = umh_remedies_for_mount(r, c->mntns, c->target, rem);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  → %s%s\n", i == 0 ? "or unmount the copy first: " : "or ", rem[i].command);
		if (rem[i].why[0])
			fprintf(out, "      (%s)\n", rem[i].why);
	}
}
