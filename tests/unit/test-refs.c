/* Reference accounting (lib/explain/refs.c): each struct file and each fs_struct
 * counts once however many holders share it; kernel-side holders count one
 * each; whatever cannot be told apart or counted makes the result unknown,
 * never a guess. */
#include <linux/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "bpf/refcount/mntcount-load.h"
#include "bpf/scan/iter.h"
#include "explain/refs.h"
#include "unit.h"

#define T 412 /* the target's mount id */

static void holder(struct umh_report *r, enum umh_kind kind, uint64_t mnt, int32_t pid, const char *path,
		   const char *object)
{
	struct umh_holder h = { .kind = kind, .mnt_id = mnt, .pid = pid, .fd = -1, .path = (char *)path,
				.object = (char *)object };
	umh_report_add_holder(r, &h);
}

/* COUNT read before and after the scan, CHILDREN mounts on top. */
static void counted(struct umh_refs *refs, int64_t count, uint32_t children)
{
	refs->count_before = refs->count_after = count;
	refs->children = children;
	refs->children_pin = 1; /* a kernel before 6.17 */
	refs->noted = true;
}

static void test_processes(void)
{
	struct umh_report r;
	umh_report_init(&r);
	struct umh_refs refs;
	umh_refs_init(&refs, T);
	/* One file in four descriptors of two processes (dup, fork): one
	 * reference.  An fs_struct with both cwd and root on the target: two.
	 * Two threads sharing an fs_struct: its cwd once.  A mapping's file. */
	for (int i = 0; i < 4; i++)
		umh_refs_note(&refs, T, UMH_REF_FILE, 0xf11e, 0);
	umh_refs_note(&refs, T, UMH_REF_PWD, 0xf5, 0);
	umh_refs_note(&refs, T, UMH_REF_ROOT, 0xf5, 0);
	umh_refs_note(&refs, T, UMH_REF_PWD, 0xf6, 0);
	umh_refs_note(&refs, T, UMH_REF_PWD, 0xf6, 0);
	umh_refs_note(&refs, T, UMH_REF_FILE, 0x3a9, 0);
	umh_refs_note(&refs, T + 1, UMH_REF_FILE, 0x0e1, 0); /* another mount: not ours */
	counted(&refs, 1 + 5, 0);
	struct umh_refcount c;
	CHECK(umh_refs_tally(&refs, &r, &c) == 0, "shared files and fs_structs count once: nothing left");
	CHECK(c.count == 6 && c.mounted == 1 && c.explained == 5, "count 6: 1 mounted, 5 explained (got %lld, %lld)",
	      (long long)c.count, (long long)c.explained);

	/* One more reference that nothing explains: the module's file. */
	counted(&refs, 7, 0);
	CHECK(umh_refs_tally(&refs, &r, &c) == 1, "a reference nothing explains is counted as unexplained");

	/* Kernel-side holders, one each; child mounts from the kernel's list. */
	holder(&r, UMH_KIND_LOOP, T, 0, "/mnt/disk.img", "/dev/loop0");
	holder(&r, UMH_KIND_SWAP, T, 0, "/mnt/swap", NULL);
	holder(&r, UMH_KIND_BINFMT, T, 0, "/mnt/interp", "qemu");
	holder(&r, UMH_KIND_KERNEL_OPEN, T, 0, "/mnt/dir/file", "kernel");
	holder(&r, UMH_KIND_CHILD_MOUNT, T, 0, NULL, "/mnt/sub"); /* counted by the kernel's list below */
	holder(&r, UMH_KIND_LOOP, T + 1, 0, "/other/disk.img", "/dev/loop1"); /* another mount */
	counted(&refs, 1 + 5 + 4 + 2, 2);
	CHECK(umh_refs_tally(&refs, &r, &c) == 0 && c.explained == 11,
	      "loop, swap, binfmt, kernel-open one each, child mounts as the kernel lists them (explained %lld)",
	      (long long)c.explained);

	/* From 6.17 on, child mounts no longer hold references on their parent. */
	counted(&refs, 1 + 5 + 4, 2);
	refs.children_pin = 0;
	CHECK(umh_refs_tally(&refs, &r, &c) == 0 && c.explained == 9, "6.17: child mounts hold no reference");
	refs.children_pin = -1;
	CHECK(umh_refs_tally(&refs, &r, &c) == -1 && strstr(c.why, "release"),
	      "child mounts, and the kernel's release unknown: unknown");
	counted(&refs, 1 + 5 + 4 + 2, 2);

	/* A descriptor with the loop's path may be the file losetup handed over. */
	holder(&r, UMH_KIND_FD, T, 42, "/mnt/disk.img", NULL);
	CHECK(umh_refs_tally(&refs, &r, &c) == -1 && c.count == -1 && c.why, "loop and fd of one path: unknown");
	CHECK(c.why && strstr(c.why, "/dev/loop0") && strstr(c.why, "one open file"), "and it says why: %s",
	      c.why ? c.why : "(null)");
	umh_report_free(&r);
	umh_refs_free(&refs);
}

static void test_unknown(void)
{
	struct umh_report r;
	umh_report_init(&r);
	struct umh_refs refs;
	umh_refs_init(&refs, T);
	struct umh_refcount c;
	snprintf(refs.why, sizeof(refs.why), "it is per-CPU memory");
	CHECK(umh_refs_tally(&refs, &r, &c) == -1 && c.count == -1, "no count: unknown");
	CHECK_STR(c.why, "it is per-CPU memory", "with the reader's reason");

	refs.count_before = refs.count_after = 3;
	CHECK(umh_refs_tally(&refs, &r, &c) == -1 && strstr(c.why, "/proc"),
	      "a count, but holders from /proc (no file identity): unknown");

	refs.noted = true;
	refs.count_after = 4;
	CHECK(umh_refs_tally(&refs, &r, &c) == -1 && strstr(c.why, "changed while the scan ran (3, then 4)"),
	      "a count that moved during the scan: unknown");

	refs.count_after = 3;
	holder(&r, UMH_KIND_SWAP, T, 0, "/mnt/a", NULL);
	holder(&r, UMH_KIND_SWAP, T, 0, "/mnt/b", NULL);
	holder(&r, UMH_KIND_SWAP, T, 0, "/mnt/c", NULL);
	CHECK(umh_refs_tally(&refs, &r, &c) == -1 && c.count == -1 && strstr(c.why, "fewer than"),
	      "more references found than counted: unknown, not negative");

	struct umh_report r2;
	umh_report_init(&r2);
	holder(&r2, UMH_KIND_NFSD_EXPORT, T, 0, "/mnt", "127.0.0.1");
	CHECK(umh_refs_tally(&refs, &r2, &c) == -1 && strstr(c.why, "export caches"), "an nfsd export: unknown");
	umh_report_free(&r2);
	umh_report_free(&r);
	umh_refs_free(&refs);
}

/* Objects that keep a struct path (a uprobe, a bound socket) count one
 * reference each on the target, as files do; a tracefs uprobe a process
 * only uses (its perf event) counts none: the probe holds it.  Every object
 * on any scanned mount counts on its dentry, once however many holders
 * share it. */
static void test_paths_and_dentries(void)
{
	struct umh_report r;
	umh_report_init(&r);
	struct umh_refs refs;
	umh_refs_init(&refs, T);
	umh_refs_note(&refs, T, UMH_REF_FILE, 0xf1, 0xd1);
	umh_refs_note(&refs, T, UMH_REF_FILE, 0xf1, 0xd1); /* the same file again (dup) */
	umh_refs_note(&refs, T, UMH_REF_FILE, 0xf2, 0xd1); /* another open file of the same dentry */
	umh_refs_note(&refs, T, UMH_REF_PWD, 0xf5, 0xd2);
	umh_refs_note(&refs, T, UMH_REF_ROOT, 0xf5, 0xd2); /* the fs_struct's root, the same directory */
	umh_refs_note(&refs, T, UMH_REF_PATH, 0xb1, 0xd3);  /* a uprobe */
	umh_refs_note(&refs, T, UMH_REF_PATH, 0xb1, 0xd3);  /* the same one, through a second descriptor */
	umh_refs_note(&refs, T + 1, UMH_REF_FILE, 0xf9, 0xd1); /* a bind mount's: the same dentry */
	umh_refs_note(&refs, T, UMH_REF_FILE, 0xf7, 0);    /* a dentry not known */

	struct umh_iter_rec used = { .kind = UMH_REC_UPROBE, .mnt_id = T, .obj = 0xb2, .dentry = 0xd3,
				     .sub = UMH_UPROBE_PERF | UMH_UPROBE_TRACEFS };
	umh_refs_note_iter(&refs, &used);
	struct umh_iter_rec held = { .kind = UMH_REC_UPROBE, .mnt_id = T, .obj = 0xb3, .dentry = 0xd3,
				     .sub = UMH_UPROBE_LINK };
	umh_refs_note_iter(&refs, &held);

	counted(&refs, 1 + 7, 0);
	struct umh_refcount c;
	CHECK(umh_refs_tally(&refs, &r, &c) == 0 && c.explained == 7,
	      "three files, cwd, root, two uprobes held by processes: 7 on the target; a tracefs probe's user "
	      "none (explained %lld)",
	      (long long)c.explained);

	struct umh_dentry_refs *d = NULL;
	int n = umh_refs_dentries(&refs, &d);
	CHECK(n == 3, "three dentries carry references (got %d)", n);
	uint32_t want[4] = { 0 };
	for (int i = 0; n > 0 && i < n; i++)
		if (d[i].dentry >= 0xd1 && d[i].dentry <= 0xd3)
			want[d[i].dentry - 0xd1] = d[i].refs;
	CHECK(want[0] == 3, "the file's dentry: two open files of the target, one of the bind mount (%u)", want[0]);
	CHECK(want[1] == 2, "the directory: cwd and root of one fs_struct (%u)", want[1]);
	CHECK(want[2] == 2, "the probed file: two uprobes that hold it, not the one only used (%u)", want[2]);
	free(d);
	umh_report_free(&r);
	umh_refs_free(&refs);
}

static void test_release(void)
{
	CHECK(umh_refs_children_pin("6.1.0-56-amd64") == 1, "6.1: child mounts pin their parent");
	CHECK(umh_refs_children_pin("6.16.12") == 1, "6.16: they do");
	CHECK(umh_refs_children_pin("6.17.0-rc1") == 0, "6.17: they no longer do");
	CHECK(umh_refs_children_pin("6.18.44-fc-v657") == 0, "6.18: they do not");
	CHECK(umh_refs_children_pin("5.10.0") == 1, "5.10: they do");
	CHECK(umh_refs_children_pin("7.0") == 0, "7.0: they do not");
	CHECK(umh_refs_children_pin("garbage") == -1, "a release that says nothing: unknown");
}

static void test_cpu_list(void)
{
	uint64_t bits[2];
	CHECK(umh_parse_cpu_list("0-3\n", bits, 128) == 4 && bits[0] == 0xf && bits[1] == 0, "0-3");
	CHECK(umh_parse_cpu_list("0,2-3,64", bits, 128) == 65 && bits[0] == 0xd && bits[1] == 1, "0,2-3,64");
	CHECK(umh_parse_cpu_list("0", bits, 128) == 1 && bits[0] == 1, "a single CPU");
	CHECK(umh_parse_cpu_list("0-128", bits, 128) == -EINVAL, "beyond the bitmap: refused");
	CHECK(umh_parse_cpu_list("3-1", bits, 128) == -EINVAL, "a backwards range: refused");
	CHECK(umh_parse_cpu_list("", bits, 128) == -EINVAL, "empty: refused");
	CHECK(umh_parse_cpu_list("0-x", bits, 128) == -EINVAL, "garbage: refused");
	CHECK(umh_parse_cpu_list("-1", bits, 128) == -EINVAL, "negative: refused");
}

int main(void)
{
	test_processes();
	test_unknown();
	test_paths_and_dentries();
	test_release();
	test_cpu_list();
	UNIT_EXIT();
}
