/* The holders in text, for the report of one mount (text.c) and of a
 * filesystem (fs-text.c): each process with its references and a remedy,
 * each holder that is not a process, and what was not inspected. */
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "report/report.h"
#include "report/text-parts.h"

static void esc(FILE *out, const char *s) { umh_fputs_escaped(s ? s : "", out); }

/* ---- grouping ----------------------------------------------------------------
 * The report is sorted (umh_report_sort): a process's holders are one run. */

static bool holder_matches(const struct umh_report *r, const struct umh_holder *h, bool blocking, uint64_t mnt_id)
{
	return h->pid && umh_holder_blocks(r, h) == blocking && (!mnt_id || h->mnt_id == mnt_id);
}

/* The end of the run of holders of the process at I. */
static size_t run_end(const struct umh_report *r, size_t i)
{
	size_t j = i;
	while (j < r->n_holders && r->holders[j].pid == r->holders[i].pid)
		j++;
	return j;
}

static bool run_matches(const struct umh_report *r, size_t i, size_t end, bool blocking, uint64_t mnt_id)
{
	for (; i < end; i++)
		if (holder_matches(r, &r->holders[i], blocking, mnt_id))
			return true;
	return false;
}

/* How many processes hold something that matches. */
size_t umh_text_count_processes(const struct umh_report *r, bool blocking, uint64_t mnt_id)
{
	size_t n = 0;
	for (size_t i = 0, end; i < r->n_holders; i = end) {
		end = run_end(r, i);
		n += run_matches(r, i, end, blocking, mnt_id);
	}
	return n;
}

/* ---- one reference ------------------------------------------------------------- */

/* The label before the path: "fd 3 (rw)", "thread 2112 cwd", "mmap". */
static void reference_label(const struct umh_holder *h, char *label, size_t size)
{
	const struct umh_kind_info *k = umh_kind_info(h->kind);
	if (k->label)
		k->label(label, size, h);
	else
		snprintf(label, size, "%s", k->name);
}

/* WIDTH: the labels' column, as wide as the longest label of the process
 * (at least 16), so that its paths line up. */
static void print_reference(FILE *out, const struct umh_holder *h, int width)
{
	const struct umh_kind_info *k = umh_kind_info(h->kind);
	char label[64];
	reference_label(h, label, sizeof(label));
	fprintf(out, "      %-*s ", width, label);
	if (h->path && *h->path)
		esc(out, h->path);
	else
		fputs("(a path too long for /proc to show)", out);
	if (h->deleted)
		fputs(" (deleted)", out);
	if (k->detail_after_path && h->detail) {
		fputs(", ", out);
		esc(out, h->detail);
	}
	fputc('\n', out);
}

/* "    → REMEDY", REMEDY (raw, from kinds.h) escaped; nothing without one. */
static void print_remedy(FILE *out, const char *prefix, char *remedy)
{
	if (!remedy)
		return;
	fputs("    → ", out);
	fputs(prefix, out);
	esc(out, remedy);
	fputc('\n', out);
	free(remedy);
}

/* ---- processes ------------------------------------------------------------------- */

static void print_process(FILE *out, const struct umh_report *r, size_t first, size_t end, bool blocking,
			  uint64_t mnt_id, const char *target)
{
	int32_t pid = r->holders[first].pid;
	const struct umh_process *p = umh_report_process(r, pid);
	fprintf(out, "  pid %d", pid);
	if (p) {
		fputc(' ', out);
		esc(out, p->comm);
		fputs(", user ", out);
		esc(out, p->user);
		if (p->cmdline && *p->cmdline) {
			fputs(": ", out);
			/* A short command line: the start says what it is. */
			size_t len = strlen(p->cmdline);
			char *cut = strndup(p->cmdline, len > 60 ? 60 : len);
			esc(out, cut ? cut : "");
			free(cut);
			if (len > 60)
				fputs("...", out);
		}
	}
	fputc('\n', out);

	int width = 16;
	for (size_t i = first, n = 0; i < end && n < UMH_TEXT_MAX_REFS; i++) {
		char label[64];
		if (!holder_matches(r, &r->holders[i], blocking, mnt_id))
			continue;
		reference_label(&r->holders[i], label, sizeof(label));
		if ((int)strlen(label) > width)
			width = (int)strlen(label);
		n++;
	}
	struct umh_holds holds = UMH_HOLDS_INIT;
	size_t shown = 0, hidden = 0;
	for (size_t i = first; i < end; i++) {
		const struct umh_holder *h = &r->holders[i];
		if (!holder_matches(r, h, blocking, mnt_id))
			continue;
		umh_holds_add(&holds, h->kind);
		if (shown < UMH_TEXT_MAX_REFS) {
			print_reference(out, h, width);
			shown++;
		} else {
			hidden++;
		}
	}
	if (hidden)
		fprintf(out, "      ... and %zu more references\n", hidden);
	if (!blocking)
		return;

	print_remedy(out, "", umh_process_remedy(&holds, p, pid, target));
}

void umh_text_print_processes(FILE *out, const struct umh_report *r, bool blocking, uint64_t mnt_id,
			    const char *target)
{
	for (size_t i = 0, end; i < r->n_holders; i = end) {
		end = run_end(r, i);
		if (run_matches(r, i, end, blocking, mnt_id))
			print_process(out, r, i, end, blocking, mnt_id, target);
	}
}

/* ---- holders that are not processes --------------------------------------------- */

void umh_text_kernel_holder(FILE *out, const struct umh_report *r, const struct umh_holder *h, const char *target)
{
	const struct umh_kind_info *k = umh_kind_info(h->kind);
	char *line = umh_kind_describe(h);
	fputs("  ", out);
	esc(out, line);
	fputc('\n', out);
	free(line);
	if (k->detail_line && h->detail) {
		fputs("      ", out);
		esc(out, h->detail);
		fputc('\n', out);
	}
	print_remedy(out, "", umh_kind_remedy(umh_report_mount(r, h->mnt_id), h, target));
}

/* Holders listed one by one: not a process's, not a copy (whose section
 * lists what holds it). */
bool umh_text_is_kernel_kind(const struct umh_holder *h)
{
	return !h->pid && !umh_kind_info(h->kind)->is_copy;
}

/* ---- what was not seen ------------------------------------------------------------- */

void umh_text_skips(FILE *out, const struct umh_report *r)
{
	size_t denied = 0;
	for (size_t i = 0; i < r->n_skips; i++)
		if (r->skips[i].pid)
			denied++;
	if (denied) {
		fprintf(out, "\nNot inspected (no permission): %zu process%s:", denied, denied == 1 ? "" : "es");
		size_t shown = 0;
		for (size_t i = 0; i < r->n_skips && shown < 10; i++) {
			if (!r->skips[i].pid)
				continue;
			fprintf(out, "%s pid %d", shown ? "," : "", r->skips[i].pid);
			shown++;
		}
		fputs(denied > shown ? ", ...\n" : ".\n", out);
	} else if (r->n_skips) {
		fputc('\n', out);
	}
	for (size_t i = 0; i < r->n_skips; i++) {
		if (r->skips[i].pid)
			continue;
		fputs("Not inspected: ", out);
		esc(out, r->skips[i].what);
		fputs(": ", out);
		esc(out, r->skips[i].why);
		fputs(".\n", out);
	}
	if (r->incomplete) {
		fputs("Incomplete: ", out);
		esc(out, r->incomplete);
		fputs(".\n", out);
	}
}
