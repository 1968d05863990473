/* The report for people.
 *
 *   /mnt is busy: held by 2 processes and 1 loop device.
 *     (tmpfs on tmpfs, mount id 412)
 *
 *   pid 4242 bash, user root: bash
 *       cwd          /mnt/dir
 *     → cd out of /mnt in that shell, or end it: kill 4242
 *   ...
 *
 * Every name is escaped; nothing is claimed that the scan did not see, and
 * what it could not see is said. */
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "report/report.h"
#include "report/text-parts.h"
#include "base/wrap.h"

static void esc(FILE *out, const char *s) { umh_fputs_escaped(s ? s : "", out); }

/* PREFIX then TEXT (escaped), as a paragraph of 80 columns: sentences
 * from the kernel's and the collectors' circumstances are of any length. */
static void paragraph(FILE *out, const char *prefix, const char *text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	if (!m) {
		fputs(prefix, out);
		esc(out, text);
		fputc('\n', out);
		return;
	}
	fputs(prefix, m);
	esc(m, text);
	fclose(m);
	umh_print_wrapped(out, buf, "", "", 80);
	free(buf);
}

/* ---- the summary line ------------------------------------------------------------ */

static void count_phrase(FILE *out, size_t n, const char *one, const char *many, bool *first, bool last)
{
	if (!n)
		return;
	if (!*first)
		fputs(last ? " and " : ", ", out);
	fprintf(out, "%zu %s", n, n == 1 ? one : many);
	*first = false;
}

static void print_headline(FILE *out, const struct umh_report *r, const struct umh_mount *t)
{
	size_t nproc = umh_text_count_processes(r, true, 0);
	size_t nkind[_UMH_KIND_MAX] = { 0 };
	for (size_t i = 0; i < r->n_holders; i++)
		if (!r->holders[i].pid && umh_holder_blocks(r, &r->holders[i]))
			nkind[r->holders[i].kind]++;

	/* Processes first, then the other kinds in their headline order. */
	struct {
		size_t n;
		const char *one, *many;
	} parts[1 + _UMH_KIND_MAX] = { { nproc, "process", "processes" } };
	for (int k = 0; k < _UMH_KIND_MAX; k++) {
		const struct umh_kind_info *info = umh_kind_info(k);
		if (info->headline_rank && info->headline_rank <= _UMH_KIND_MAX) {
			parts[info->headline_rank].n = nkind[k];
			parts[info->headline_rank].one = info->one;
			parts[info->headline_rank].many = info->many;
		}
	}
	size_t last = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].n)
			last = i;
	esc(out, t->target);
	fputs(" is held by ", out);
	bool first = true;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		count_phrase(out, parts[i].n, parts[i].one, parts[i].many, &first, i == last);
	fputs(".\n", out);
}

static void print_mount_line(FILE *out, const struct umh_mount *t)
{
	fprintf(out, "  (mount id %llu, ", (unsigned long long)t->id);
	esc(out, t->fstype);
	fputs(" from ", out);
	esc(out, t->source);
	fputs(")\n", out);
}

/* What may hold the mount unseen.  Where the reference count showed
 * references left over, its paragraph already said so.  The BPF scan sees
 * descriptors in flight, uprobes held through descriptors and bound
 * sockets; the kernel-reference search (run where the count is not
 * known) looks at tracefs uprobes and modules. */
static void print_invisible_causes(FILE *out, const struct umh_report *r)
{
	if (r->unexplained_refs > 0)
		return;
	if (r->refs.count >= 0 && r->unexplained_refs == 0) {
		/* The count was read and all of it is explained: nothing
		 * unseen holds it now. */
		char text[400], above[64] = "";
		if (r->refs.explained)
			snprintf(above, sizeof(above), ", %lld explained above", (long long)r->refs.explained);
		snprintf(text, sizeof(text),
			 "The kernel's count of the mount's references agrees that nothing else holds it now (%lld: %lld "
			 "for being mounted%s): the unmount failed for another reason, or something held it only for a "
			 "moment.",
			 (long long)r->refs.count, (long long)r->refs.mounted, above);
		paragraph(out, "", text);
		return;
	}
	bool bpf = r->method && strcmp(r->method, "bpf") == 0;
	char text[640];
	snprintf(text, sizeof(text),
		 "What this scan cannot see, and could still hold it: %s%sa process that started using it after the "
		 "scan.",
		 bpf ? "a file or a path kept inside the kernel (by a subsystem, or by a module deeper than its data), "
		     : "a file opened inside the kernel (by a module or a subsystem), a uprobe on a file there, ",
		 bpf ? "" : "a descriptor in flight in a unix socket, a unix socket bound there, ");
	paragraph(out, "", text);
}

/* ---- the reference count ------------------------------------------------------------ */

/* The kernel's count of references to the target against what the holders
 * above explain (refs.h): what is left is held by something no scan sees. */
static void print_refs(FILE *out, const struct umh_report *r)
{
	const struct umh_refcount *c = &r->refs;
	long long left = (long long)r->unexplained_refs;
	if (c->count < 0) {
		char why[600];
		snprintf(why, sizeof(why), "%s.", c->why ? c->why : "it was not read");
		fputc('\n', out);
		paragraph(out, "The mount's reference count is unknown: ", why);
	} else if (left > 0) {
		size_t named = 0;
		for (size_t i = 0; i < r->n_holders; i++)
			named += r->holders[i].kind == UMH_KIND_KERNEL_REF;
		fprintf(out, "\n%lld reference%s to this mount %s not explained by anything found: the kernel counts %lld\n",
			left, left == 1 ? "" : "s", left == 1 ? "is" : "are", (long long)c->count);
		if (c->explained)
			fprintf(out, "(%lld for being mounted, %lld explained above).\n", (long long)c->mounted,
				(long long)c->explained);
		else /* nothing above to point at */
			fprintf(out, "(%lld for being mounted).\n", (long long)c->mounted);
		if (named) {
			const char *them = left == 1 ? "it" : "them";
			char text[640];
			snprintf(text, sizeof(text),
				 "The %s named above %s %s; what holds %s is none of what this tool can name (a process, a "
				 "uprobe, a bound socket, a module's data): most often a subsystem of the kernel, or a "
				 "module that keeps %s deeper. `umount-helper ledger start` names the files the kernel opens "
				 "from then on, and what opened them.",
				 named == 1 ? "file" : "files", named == 1 ? "carries" : "carry", them, them,
				 named == 1 ? "the file" : "the files");
			paragraph(out, "", text);
		} else {
			paragraph(out, "",
				  left == 1 ? "Something inside the kernel holds it (a subsystem, a module), or a reference "
					      "was taken while the scan ran. `umount-helper ledger start` names the files the "
					      "kernel opens from then on, and what opened them."
					    : "Something inside the kernel holds them (a subsystem, a module), or references "
					      "were taken while the scan ran. `umount-helper ledger start` names the files the "
					      "kernel opens from then on, and what opened them.");
		}
	} else {
		fprintf(out,
			"\nEvery reference to this mount is accounted for: the kernel counts %lld, %lld for being\n"
			"mounted and %lld explained above.\n",
			(long long)c->count, (long long)c->mounted, (long long)c->explained);
	}
}

/* ---- the report --------------------------------------------------------------------- */

void umh_report_print_text(const struct umh_report *r, FILE *out)
{
	const struct umh_mount *t = umh_report_target(r);
	if (r->fs.view && !r->error) {
		umh_report_print_fs_text(r, out);
		return;
	}
	if (!t) {
		fputs("umount-helper: ", out);
		esc(out, r->error ? r->error : "the target could not be examined");
		fputc('\n', out);
		umh_text_skips(out, r);
		return;
	}
	const char *target = t->target;
	size_t blocking = umh_report_count_blocking(r);

	if (blocking) {
		print_headline(out, r, t);
	} else if (r->known_busy || r->unexplained_refs > 0) {
		esc(out, target);
		fputs(" is busy, but no holder was found.\n", out);
	} else if (r->still_mounted) {
		/* A wrapped helper failed (nfs-utils exits 16 for any failed
		 * umount): the mount is still there, why is not known. */
		esc(out, target);
		fputs(" is still mounted, and no holder was found.\n", out);
	} else if (!r->finished || r->incomplete) {
		esc(out, target);
		fputs(": no holder found so far, but the scan did not finish.\n", out);
	} else if (umh_report_is_free(r)) {
		/* The kernel's own count agrees: nothing else can hold it. */
		esc(out, target);
		fputs(": nothing holds it; umount should succeed.\n", out);
	} else {
		esc(out, target);
		fputs(": no holder found, but that does not make it free: the kernel's count of its\n"
		      "references could not be compared with what was found.\n",
		      out);
	}
	print_mount_line(out, t);

	if (blocking) {
		fputc('\n', out);
		umh_text_print_processes(out, r, true, t->id, target);
		for (size_t i = 0; i < r->n_holders; i++)
			if (r->holders[i].mnt_id == t->id && umh_text_is_kernel_kind(&r->holders[i]))
				umh_text_kernel_holder(out, r, &r->holders[i], target);
	}

	/* Copies that umount would take along, held in their own namespace. */
	for (size_t m = 0; m < r->n_mounts; m++) {
		const struct umh_mount *c = &r->mounts[m];
		if (c->role != UMH_ROLE_COPY)
			continue;
		bool held = false;
		for (size_t i = 0; i < r->n_holders && !held; i++)
			held = r->holders[i].mnt_id == c->id;
		if (!held)
			continue;
		fputs("\n  its copy at ", out);
		esc(out, c->target);
		fprintf(out, " (mount id %llu) goes with it, and is held:\n", (unsigned long long)c->id);
		umh_text_copy_namespace(out, r, c);
		umh_text_print_processes(out, r, true, c->id, c->target);
		for (size_t i = 0; i < r->n_holders; i++)
			if (r->holders[i].mnt_id == c->id && umh_text_is_kernel_kind(&r->holders[i]))
				umh_text_kernel_holder(out, r, &r->holders[i], c->target);
		umh_text_copy_remedies(out, r, c);
	}

	bool busy = blocking || r->known_busy || r->unexplained_refs > 0;
	if (busy)
		print_refs(out, r);
	if (busy) {
		fputs("\numount -l ", out);
		esc(out, target);
		fputs(" would detach it now; the filesystem is freed when the last holder lets go.\n", out);
	}

	/* Other mounts of the same filesystem: fuser -m and lsof name their
	 * users, but they do not keep this mount busy. */
	bool header = false;
	for (size_t m = 0; m < r->n_mounts; m++) {
		const struct umh_mount *o = &r->mounts[m];
		if (o->role != UMH_ROLE_SAME_FS)
			continue;
		if (!header) {
			fputs("\nNot blocking: the same filesystem is also mounted elsewhere; umount leaves these alone:\n",
			      out);
			header = true;
		}
		fputs("  ", out);
		esc(out, o->target);
		fprintf(out, " (mount id %llu)\n", (unsigned long long)o->id);
		umh_text_print_processes(out, r, false, o->id, o->target);
	}

	bool unknown = !blocking && !busy && r->finished && !r->incomplete && !umh_report_is_free(r);
	if (unknown)
		print_refs(out, r);
	umh_text_skips(out, r);
	if (!blocking && (r->known_busy || r->still_mounted || r->n_skips || unknown))
		print_invisible_causes(out, r);
}
