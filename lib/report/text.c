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

/* TEXT (escaped) as a paragraph whose lines all start with INDENT. */
static void indented(FILE *out, const char *indent, const char *text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	if (!m) {
		fputs(indent, out);
		esc(out, text);
		fputc('\n', out);
		return;
	}
	esc(m, text);
	fclose(m);
	umh_print_wrapped(out, buf, indent, indent, 80);
	free(buf);
}

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
static size_t count_processes(const struct umh_report *r, bool blocking, uint64_t mnt_id)
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
	case UMH_KIND_UPROBE:
		snprintf(label, sizeof(label), "uprobe fd %d", h->fd);
		break;
	case UMH_KIND_UNIX_SOCKET:
		snprintf(label, sizeof(label), "socket fd %d", h->fd);
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
	if (h->kind == UMH_KIND_UPROBE && h->object) {
		fputs(" (", out);
		esc(out, h->object);
		fputc(')', out);
	}
	if (h->kind == UMH_KIND_UNIX_SOCKET)
		fputs(" (bound there)", out);
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

	bool only_cwd = true, only_fs = true, uring = false, only_exe = true, only_probe = true, only_socket = true;
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
		only_probe &= h->kind == UMH_KIND_UPROBE;
		only_socket &= h->kind == UMH_KIND_UNIX_SOCKET;
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
	} else if (only_probe) {
		/* A perf event's or a link's uprobe goes with the descriptor. */
		fprintf(out, "its uprobe keeps the file until it closes that descriptor: stop it: kill %d\n", pid);
	} else if (only_socket) {
		fprintf(out, "it keeps a unix socket bound there: close that socket, or end it: kill %d\n", pid);
	} else if (uring) {
		fprintf(out, "its io_uring holds registered files until the ring is closed: kill %d\n", pid);
	} else {
		fprintf(out, "make it close what it holds, or end it: kill %d\n", pid);
	}
}

static void print_processes(FILE *out, const struct umh_report *r, bool blocking, uint64_t mnt_id,
			    const char *target)
{
	for (size_t i = 0, end; i < r->n_holders; i = end) {
		end = run_end(r, i);
		if (run_matches(r, i, end, blocking, mnt_id))
			print_process(out, r, i, end, blocking, mnt_id, target);
	}
}

/* ---- holders that are not processes --------------------------------------------- */

static void print_kernel_holder(FILE *out, const struct umh_report *r, const struct umh_holder *h, const char *target)
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
	case UMH_KIND_MODULE:
		fputs("  kernel module ", out);
		esc(out, h->object);
		fputs(" holds ", out);
		esc(out, h->path);
		if (h->deleted)
			fputs(" (deleted)", out);
		fputc('\n', out);
		if (h->detail) {
			fputs("      ", out);
			esc(out, h->detail);
			fputc('\n', out);
		}
		fputs("    → unload it: rmmod ", out);
		esc(out, h->object);
		fputs(" (or stop what uses the module first)\n", out);
		break;
	case UMH_KIND_UPROBE:
		fputs("  uprobe ", out);
		esc(out, h->object);
		fputs(" on ", out);
		esc(out, h->path);
		fputc('\n', out);
		if (h->detail) {
			fputs("      ", out);
			esc(out, h->detail);
			fputc('\n', out);
		}
		fputs("    → ", out);
		if (h->detail && strstr(h->detail, "in use by"))
			fputs("stop what uses it, then ", out);
		fputs("remove it: echo '-:", out);
		esc(out, h->object);
		fputs("' >> /sys/kernel/tracing/uprobe_events\n", out);
		break;
	case UMH_KIND_UNIX_SOCKET:
		fputs("  unix socket ", out);
		esc(out, h->object);
		fputs(" bound at ", out);
		esc(out, h->path);
		fputc('\n', out);
		if (h->detail) {
			fputs("      ", out);
			esc(out, h->detail);
			fputc('\n', out);
		}
		fputs("    → it is released when the last descriptor of it is closed\n", out);
		break;
	case UMH_KIND_KERNEL_REF:
		fputs("  ", out);
		esc(out, h->path);
		if (h->deleted)
			fputs(" (deleted)", out);
		fputc('\n', out);
		indented(out, "      ", h->detail ? h->detail : "references that nothing found explains");
		fputs("    → something inside the kernel keeps it (a subsystem; a module: lsmod); `umount-helper\n"
		      "      ledger start` names what opens it from then on\n",
		      out);
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

static bool is_kernel_kind(const struct umh_holder *h)
{
	return !h->pid && h->kind != UMH_KIND_NAMESPACE_COPY;
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
	size_t nproc = count_processes(r, true, 0);
	size_t nkind[_UMH_KIND_MAX] = { 0 };
	for (size_t i = 0; i < r->n_holders; i++)
		if (!r->holders[i].pid && umh_holder_blocks(r, &r->holders[i]))
			nkind[r->holders[i].kind]++;

	struct {
		size_t n;
		const char *one, *many;
	} parts[] = {
		{ nproc, "process", "processes" },
		{ nkind[UMH_KIND_CHILD_MOUNT], "child mount", "child mounts" },
		{ nkind[UMH_KIND_NAMESPACE_COPY], "busy copy in another namespace", "busy copies in other namespaces" },
		{ nkind[UMH_KIND_LOOP], "loop device", "loop devices" },
		{ nkind[UMH_KIND_SWAP], "swap file", "swap files" },
		{ nkind[UMH_KIND_BINFMT], "binfmt_misc interpreter", "binfmt_misc interpreters" },
		{ nkind[UMH_KIND_NFSD_EXPORT], "nfsd export", "nfsd exports" },
		{ nkind[UMH_KIND_KERNEL_OPEN], "file opened inside the kernel", "files opened inside the kernel" },
		{ nkind[UMH_KIND_SCM_INFLIGHT], "descriptor in flight", "descriptors in flight" },
		{ nkind[UMH_KIND_MODULE], "kernel module", "kernel modules" },
		{ nkind[UMH_KIND_UPROBE], "uprobe", "uprobes" },
		{ nkind[UMH_KIND_UNIX_SOCKET], "bound unix socket", "bound unix sockets" },
		{ nkind[UMH_KIND_KERNEL_REF], "file with unexplained references", "files with unexplained references" },
	};
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

/* ---- what was not seen ------------------------------------------------------------- */

static void print_skips(FILE *out, const struct umh_report *r)
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
		char text[400];
		snprintf(text, sizeof(text),
			 "The kernel's count of the mount's references agrees that nothing else holds it now (%lld: %lld "
			 "for being mounted, %lld explained above): the unmount failed for another reason, or something "
			 "held it only for a moment.",
			 (long long)r->refs.count, (long long)r->refs.mounted, (long long)r->refs.explained);
		paragraph(out, "", text);
		return;
	}
	bool bpf = r->method && strcmp(r->method, "bpf") == 0;
	char text[640];
	snprintf(text, sizeof(text),
		 "What this scan cannot see, and could still hold it: %s%sa process that started using it after the "
		 "scan.",
		 bpf ? "a file or a path kept inside the kernel by a subsystem, "
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
		bool named = false;
		for (size_t i = 0; i < r->n_holders && !named; i++)
			named = r->holders[i].kind == UMH_KIND_KERNEL_REF;
		fprintf(out,
			"\n%lld reference%s to this mount %s not explained by anything found: the kernel counts %lld\n"
			"(%lld for being mounted, %lld explained above).\n",
			left, left == 1 ? "" : "s", left == 1 ? "is" : "are", (long long)c->count, (long long)c->mounted,
			(long long)c->explained);
		if (named)
			paragraph(out, "",
				  "The files named above carry them; what holds them is none of what this tool can name (a "
				  "process, a uprobe, a bound socket, a module's data): most often a subsystem of the kernel, "
				  "or a module that keeps them deeper. `umount-helper ledger start` names the files the "
				  "kernel opens from then on, and what opened them.");
		else
			paragraph(out, "",
				  "Something inside the kernel holds it, on no file of the mount that the dentry walk could "
				  "see: a subsystem, or a reference taken while the scan ran. `umount-helper ledger start` "
				  "names the files the kernel opens from then on, and what opened them.");
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
	if (!t) {
		fputs("umount-helper: ", out);
		esc(out, r->error ? r->error : "the target could not be examined");
		fputc('\n', out);
		print_skips(out, r);
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
		print_processes(out, r, true, t->id, target);
		for (size_t i = 0; i < r->n_holders; i++)
			if (r->holders[i].mnt_id == t->id && is_kernel_kind(&r->holders[i]))
				print_kernel_holder(out, r, &r->holders[i], target);
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
		fprintf(out, " (mount id %llu", (unsigned long long)c->id);
		if (c->mntns)
			fprintf(out, ", mount namespace mnt:[%llu] of pid %d", (unsigned long long)c->mntns, c->ns_pid);
		fputs(") goes with it, and is held:\n", out);
		print_processes(out, r, true, c->id, c->target);
		for (size_t i = 0; i < r->n_holders; i++)
			if (r->holders[i].mnt_id == c->id && is_kernel_kind(&r->holders[i]))
				print_kernel_holder(out, r, &r->holders[i], c->target);
		if (c->ns_pid) {
			fprintf(out, "    → or unmount the copy first: nsenter -t %d -m umount ", c->ns_pid);
			esc(out, c->target);
			fputc('\n', out);
		}
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
		print_processes(out, r, false, o->id, o->target);
	}

	bool unknown = !blocking && !busy && r->finished && !r->incomplete && !umh_report_is_free(r);
	if (unknown)
		print_refs(out, r);
	print_skips(out, r);
	if (!blocking && (r->known_busy || r->still_mounted || r->n_skips || unknown))
		print_invisible_causes(out, r);
}
