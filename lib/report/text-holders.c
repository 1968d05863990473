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

static bool is_shell(const char *comm)
{
	static const char *const shells[] = { "bash", "sh", "dash", "zsh", "fish", "ksh", "mksh",
					      "tcsh", "csh", "ash", "busybox" };
	for (size_t i = 0; comm && i < sizeof(shells) / sizeof(shells[0]); i++)
		if (strcmp(comm, shells[i]) == 0)
			return true;
	return false;
}

/* ---- one reference ------------------------------------------------------------- */

static void print_reference(FILE *out, const struct umh_holder *h)
{
	char label[64];
	switch (h->kind) {
	case UMH_KIND_FD:
		snprintf(label, sizeof(label), "fd %d%s%s%s", h->fd, *h->access ? " (" : "", h->access,
			 *h->access ? ")" : "");
		break;
	case UMH_KIND_THREAD_FD:
		snprintf(label, sizeof(label), "thread %d fd %d%s%s%s", h->tid, h->fd, *h->access ? " (" : "",
			 h->access, *h->access ? ")" : "");
		break;
	case UMH_KIND_THREAD_CWD:
		snprintf(label, sizeof(label), "thread %d cwd", h->tid);
		break;
	case UMH_KIND_THREAD_ROOT:
		snprintf(label, sizeof(label), "thread %d root", h->tid);
		break;
	case UMH_KIND_MMAP:
		snprintf(label, sizeof(label), "mmap%s%s%s", *h->access ? " (" : "", h->access, *h->access ? ")" : "");
		break;
	case UMH_KIND_IO_URING:
		snprintf(label, sizeof(label), "io_uring fd %d", h->fd);
		break;
	default:
		snprintf(label, sizeof(label), "%s", umh_kind_name(h->kind));
		break;
	}
	fprintf(out, "      %-16s ", label);
	if (h->path && *h->path)
		esc(out, h->path);
	else
		fputs("(a path too long for /proc to show)", out);
	if (h->deleted)
		fputs(" (deleted)", out);
	if (h->kind == UMH_KIND_IO_URING && h->detail) {
		fputs(", ", out);
		esc(out, h->detail);
	}
	fputc('\n', out);
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

	bool only_cwd = true, only_fs = true, uring = false, only_exe = true;
	size_t shown = 0, hidden = 0;
	for (size_t i = first; i < end; i++) {
		const struct umh_holder *h = &r->holders[i];
		if (!holder_matches(r, h, blocking, mnt_id))
			continue;
		only_cwd &= h->kind == UMH_KIND_CWD || h->kind == UMH_KIND_THREAD_CWD;
		only_fs &= h->kind == UMH_KIND_CWD || h->kind == UMH_KIND_THREAD_CWD || h->kind == UMH_KIND_ROOT ||
			   h->kind == UMH_KIND_THREAD_ROOT;
		uring |= h->kind == UMH_KIND_IO_URING;
		only_exe &= h->kind == UMH_KIND_EXE;
		if (shown < UMH_TEXT_MAX_REFS) {
			print_reference(out, h);
			shown++;
		} else {
			hidden++;
		}
	}
	if (hidden)
		fprintf(out, "      ... and %zu more references\n", hidden);
	if (!blocking)
		return;

	fputs("    → ", out);
	if (only_cwd && p && is_shell(p->comm)) {
		fputs("cd out of ", out);
		esc(out, target);
		fprintf(out, " in that shell, or end it: kill %d\n", pid);
	} else if (only_fs) {
		fputs("make it leave ", out);
		esc(out, target);
		fprintf(out, ", or end it: kill %d\n", pid);
	} else if (only_exe) {
		fputs("it runs a program from ", out);
		esc(out, target);
		fprintf(out, ": end it: kill %d\n", pid);
	} else if (uring) {
		fprintf(out, "its io_uring holds registered files until the ring is closed: kill %d\n", pid);
	} else {
		fprintf(out, "make it close what it holds, or end it: kill %d\n", pid);
	}
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
	switch (h->kind) {
	case UMH_KIND_CHILD_MOUNT:
		fputs("  child mount ", out);
		esc(out, h->object);
		fputs(" (", out);
		esc(out, h->detail);
		fputs(")\n    → umount ", out);
		esc(out, h->object);
		fputs(" first, or the whole tree: umount -R ", out);
		esc(out, target);
		fputc('\n', out);
		break;
	case UMH_KIND_LOOP:
		fputs("  loop device ", out);
		esc(out, h->object);
		fputs(", backed by ", out);
		esc(out, h->path);
		if (h->deleted)
			fputs(" (deleted)", out);
		if (h->detail && *h->detail) {
			fputs(" (", out);
			esc(out, h->detail);
			fputc(')', out);
		}
		fputs("\n    → ", out);
		if (h->detail && strstr(h->detail, "mounted at "))
			fputs("unmount what is mounted from it, then ", out);
		else if (h->detail && strstr(h->detail, "used as swap"))
			fputs("swapoff it, then ", out);
		fputs("losetup -d ", out);
		esc(out, h->object);
		fputc('\n', out);
		break;
	case UMH_KIND_SWAP:
		fputs("  swap file ", out);
		esc(out, h->path);
		fputs(" is in use\n    → swapoff ", out);
		esc(out, h->path);
		fputc('\n', out);
		break;
	case UMH_KIND_BINFMT:
		fputs("  binfmt_misc entry ", out);
		esc(out, h->object);
		fputs(" keeps its interpreter ", out);
		esc(out, h->path);
		fputs(" open (flag F)\n    → remove the entry: echo -1 > /proc/sys/fs/binfmt_misc/", out);
		esc(out, h->object);
		fputc('\n', out);
		break;
	case UMH_KIND_NFSD_EXPORT:
		fputs("  the NFS server exports ", out);
		esc(out, h->path);
		fputs(" to ", out);
		esc(out, h->object);
		fputs("\n    → exportfs -u ", out);
		esc(out, h->object);
		fputc(':', out);
		esc(out, h->path);
		fputs(", then flush the kernel's export cache: exportfs -f\n", out);
		break;
	case UMH_KIND_KERNEL_OPEN:
		fputs("  opened inside the kernel, by no process: ", out);
		esc(out, h->path);
		fputc('\n', out);
		if (h->detail) {
			fputs("      ", out);
			esc(out, h->detail);
			fputc('\n', out);
		}
		fputs("    → release it in the kernel: unload the module or stop the subsystem that opened it\n", out);
		break;
	case UMH_KIND_SCM_INFLIGHT:
		fputs("  a descriptor in flight in a unix socket: ", out);
		esc(out, h->path);
		if (h->object) {
			fputs(" (", out);
			esc(out, h->object);
			fputc(')', out);
		}
		fputc('\n', out);
		if (h->detail) {
			fputs("      ", out);
			esc(out, h->detail);
			fputc('\n', out);
		}
		fputs("    → the receiving side must read or close the socket\n", out);
		break;
	default:
		fprintf(out, "  %s ", umh_kind_name(h->kind));
		esc(out, h->path ? h->path : h->object);
		fputc('\n', out);
		break;
	}
	(void)r;
}

bool umh_text_is_kernel_kind(const struct umh_holder *h)
{
	return !h->pid && h->kind != UMH_KIND_NAMESPACE_COPY;
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
