/* The table of holder kinds (lib/model/kinds.c): every kind has a row that
 * the reports and the reference accounting can rely on, and the remedies
 * say what the text report has always said. */
#include <stdlib.h>
#include <string.h>

#include "model/kinds.h"
#include "model/model.h"
#include "unit.h"

static void test_rows(void)
{
	unsigned ranks = 0; /* a bit per headline place taken */
	for (int k = 0; k < _UMH_KIND_MAX; k++) {
		const struct umh_kind_info *i = umh_kind_info(k);
		CHECK(i->name && strcmp(i->name, "unknown") != 0, "kind %d has a row with a name (%s)", k,
		      i->name ? i->name : "none");
		CHECK(umh_kind_from_name(i->name) == k, "%s: its name leads back to it", i->name);
		CHECK(!strcmp(umh_kind_name(k), i->name), "%s: umh_kind_name agrees", i->name);
		CHECK(i->refs != UMH_KREFS_UNCOUNTABLE || i->refs_why, "%s: uncountable, and says why", i->name);
		if (umh_kind_is_process(k))
			CHECK(i->refs != UMH_KREFS_ONE && i->refs != UMH_KREFS_CHILD_MOUNT,
			      "%s: a process's reference is a file, a directory or an object it holds", i->name);
		/* A uprobe or a bound socket is held by a process, or by none
		 * (a tracefs uprobe, a socket in flight): then it is described
		 * on its own, as the kinds no process holds are. */
		if (umh_kind_is_process(k) && !i->describe) {
			CHECK(!i->remedy && !i->headline_rank,
			      "%s: held by a process, so listed under it and counted as one", i->name);
		} else {
			/* Listed on a line of its own, or as a copy's section. */
			CHECK(i->describe || i->is_copy, "%s: the text report can describe it", i->name);
			CHECK(i->remedy, "%s: has a remedy", i->name);
			CHECK(i->one && i->many && i->headline_rank >= 1 && i->headline_rank <= _UMH_KIND_MAX,
			      "%s: counted in the first line of the report", i->name);
			CHECK(!(ranks & (1u << i->headline_rank)), "%s: its place in the first line is its own", i->name);
			ranks |= 1u << i->headline_rank;
		}
	}
	CHECK(!strcmp(umh_kind_info(_UMH_KIND_MAX)->name, "unknown") && !strcmp(umh_kind_name(-1), "unknown"),
	      "a value out of range is shown as unknown");
	CHECK(umh_kind_info(_UMH_KIND_MAX)->blocks, "a kind out of range blocks: counted rather than hidden");
	CHECK(umh_kind_from_name("fd ") < 0 && umh_kind_from_name("") < 0 && umh_kind_from_name("unknown") < 0,
	      "names that are no kind are refused");
	CHECK(umh_kind_from_name("io_uring") == UMH_KIND_IO_URING && umh_kind_from_name("kernel-open") ==
	      UMH_KIND_KERNEL_OPEN, "JSON's names of kinds are kept (never renamed)");
}

static void check_process_remedy(const enum umh_kind *kinds, size_t n, const char *comm, const char *want)
{
	struct umh_holds hs = UMH_HOLDS_INIT;
	for (size_t i = 0; i < n; i++)
		umh_holds_add(&hs, kinds[i]);
	struct umh_process p = { .pid = 42, .comm = (char *)comm };
	char *got = umh_process_remedy(&hs, comm ? &p : NULL, 42, "/mnt");
	CHECK_STR(got, want, "remedy for %s holding %zu references: %s", comm ? comm : "(gone)", n, want);
	free(got);
}

static void test_process_remedies(void)
{
	enum umh_kind cwd[] = { UMH_KIND_CWD, UMH_KIND_THREAD_CWD };
	check_process_remedy(cwd, 2, "bash", "cd out of /mnt in that shell, or end it: kill 42");
	check_process_remedy(cwd, 2, "sleep", "make it leave /mnt, or end it: kill 42");
	check_process_remedy(cwd, 1, NULL, "make it leave /mnt, or end it: kill 42");
	enum umh_kind fs[] = { UMH_KIND_CWD, UMH_KIND_THREAD_ROOT };
	check_process_remedy(fs, 2, "bash", "make it leave /mnt, or end it: kill 42");
	enum umh_kind exe[] = { UMH_KIND_EXE };
	check_process_remedy(exe, 1, "tool", "it runs a program from /mnt: end it: kill 42");
	enum umh_kind ring[] = { UMH_KIND_FD, UMH_KIND_IO_URING };
	check_process_remedy(ring, 2, "ringd", "its io_uring holds registered files until the ring is closed: kill 42");
	enum umh_kind files[] = { UMH_KIND_CWD, UMH_KIND_MMAP, UMH_KIND_EXE };
	check_process_remedy(files, 3, "bash", "make it close what it holds, or end it: kill 42");
	enum umh_kind probes[] = { UMH_KIND_UPROBE, UMH_KIND_UPROBE };
	check_process_remedy(probes, 2, "agent",
			     "its uprobe keeps the file until it closes that descriptor: stop it: kill 42");
	enum umh_kind sock[] = { UMH_KIND_UNIX_SOCKET };
	check_process_remedy(sock, 1, "daemon", "it keeps a unix socket bound there: close that socket, or end it: kill 42");
	enum umh_kind mixed[] = { UMH_KIND_UPROBE, UMH_KIND_FD };
	check_process_remedy(mixed, 2, "agent", "make it close what it holds, or end it: kill 42");
}

static void test_holder_words(void)
{
	struct umh_report r;
	umh_report_init(&r);
	struct umh_mount copy = { .id = 610, .role = UMH_ROLE_COPY, .target = "/data", .mntns = 4026532001,
				  .ns_pid = 3001 };
	struct umh_mount here = { .id = 620, .role = UMH_ROLE_COPY, .target = "/mirror" };
	umh_report_add_mount(&r, &copy);
	umh_report_add_mount(&r, &here);

	struct umh_holder loop = { .kind = UMH_KIND_LOOP, .fd = -1, .object = "/dev/loop1", .path = "/mnt/a.img",
				   .deleted = true, .detail = "used as swap" };
	char *d = umh_kind_describe(&loop), *m = umh_kind_remedy(umh_report_mount(&r, loop.mnt_id), &loop, "/mnt");
	CHECK_STR(d, "loop device /dev/loop1, backed by /mnt/a.img (deleted) (used as swap)", "loop: described");
	CHECK_STR(m, "swapoff it, then losetup -d /dev/loop1", "loop used as swap: its remedy");
	free(d), free(m);

	/* Names are raw here; the report escapes them where it prints. */
	struct umh_holder nfsd = { .kind = UMH_KIND_NFSD_EXPORT, .fd = -1, .path = "/mnt/ex\nport",
				   .object = "192.0.2.1" };
	m = umh_kind_remedy(umh_report_mount(&r, nfsd.mnt_id), &nfsd, "/mnt");
	CHECK_STR(m, "exportfs -u 192.0.2.1:/mnt/ex\nport, then flush the kernel's export cache: exportfs -f",
		  "nfsd export: its remedy, raw");
	free(m);

	struct umh_holder ns = { .kind = UMH_KIND_NAMESPACE_COPY, .mnt_id = 610, .fd = -1, .object = "/data" };
	m = umh_kind_remedy(umh_report_mount(&r, ns.mnt_id), &ns, "/data");
	CHECK_STR(m, "unmount the copy first: nsenter -t 3001 -m umount /data", "copy elsewhere: nsenter");
	free(m);
	ns.mnt_id = 620;
	m = umh_kind_remedy(umh_report_mount(&r, ns.mnt_id), &ns, "/mirror");
	CHECK(m == NULL, "copy in this namespace: no remedy of its own (its holders have theirs)");
	free(m);
	m = umh_copy_remedy(&copy);
	CHECK_STR(m, "unmount the copy first: nsenter -t 3001 -m umount /data", "the copy's remedy from its mount");
	free(m);

	/* Held inside the kernel, with no process. */
	struct umh_holder probe = { .kind = UMH_KIND_UPROBE, .fd = -1, .path = "/mnt/lib.so", .object = "uprobes/agent_ssl",
				    .detail = "registered in tracefs (uprobe_events), at offset 0x1000" };
	d = umh_kind_describe(&probe), m = umh_kind_remedy(umh_report_mount(&r, probe.mnt_id), &probe, "/mnt");
	CHECK_STR(d, "uprobe uprobes/agent_ssl on /mnt/lib.so", "uprobe in tracefs: described");
	CHECK_STR(m, "remove it: echo '-:uprobes/agent_ssl' >> /sys/kernel/tracing/uprobe_events",
		  "uprobe in tracefs: removed by its event's name");
	free(d), free(m);
	probe.detail = "registered in tracefs (uprobe_events); in use by pid 812 (agent) through its perf event, fd 3";
	m = umh_kind_remedy(umh_report_mount(&r, probe.mnt_id), &probe, "/mnt");
	CHECK_STR(m, "stop what uses it, then remove it: echo '-:uprobes/agent_ssl' >> /sys/kernel/tracing/uprobe_events",
		  "uprobe in use: its user first (tracefs refuses to remove it)");
	free(m);
	struct umh_holder mod = { .kind = UMH_KIND_MODULE, .fd = -1, .path = "/mnt/dir/file", .object = "holdfile",
				  .detail = "an open file (struct file) in its data (held)" };
	d = umh_kind_describe(&mod), m = umh_kind_remedy(umh_report_mount(&r, mod.mnt_id), &mod, "/mnt");
	CHECK_STR(d, "kernel module holdfile holds /mnt/dir/file", "module: described");
	CHECK_STR(m, "unload it: rmmod holdfile (or stop what uses the module first)", "module: unloaded");
	free(d), free(m);
	struct umh_holder kref = { .kind = UMH_KIND_KERNEL_REF, .fd = -1, .path = "/mnt/dir/file", .object = "kernel",
				   .detail = "1 reference that nothing found explains" };
	d = umh_kind_describe(&kref);
	CHECK_STR(d, "/mnt/dir/file", "kernel-ref: the file, its detail on the next line");
	CHECK(umh_kind_info(kref.kind)->detail_line, "kernel-ref: its detail is printed");
	free(d);

	struct umh_holder fd = { .kind = UMH_KIND_FD, .pid = 1, .fd = 3, .access = "rw" };
	char label[64];
	umh_kind_info(fd.kind)->label(label, sizeof(label), &fd);
	CHECK_STR(label, "fd 3 (rw)", "fd: its label");
	CHECK(umh_kind_remedy(umh_report_mount(&r, fd.mnt_id), &fd, "/mnt") == NULL,
	      "a process's holder: the remedy is the process's");
	umh_report_free(&r);
}

int main(void)
{
	test_rows();
	test_process_remedies();
	test_holder_words();
	UNIT_EXIT();
}
