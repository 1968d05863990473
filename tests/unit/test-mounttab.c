/* Finding the target in a mount table, without looking anything up. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "model/mounttab.h"
#include "unit.h"

/* Lines in mountinfo's format: a stack of two mounts on /mnt/stack, a mount
 * point with a space and a newline (octal-escaped as the kernel does), an
 * NFS mount, a loop device. */
static const char table[] =
	"27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"60 27 0:50 / /mnt/stack rw shared:2 - tmpfs lower rw\n"
	"61 60 0:51 / /mnt/stack rw shared:3 - tmpfs upper rw\n"
	"62 27 0:52 / /mnt/with\\040space\\012nl rw - tmpfs spaced rw\n"
	"63 27 0:53 / /srv/nfs rw - nfs server:/export rw,vers=3\n"
	"64 27 7:0 / /media/img rw - ext4 /dev/loop0 rw\n"
	"65 27 0:52 /sub /bind rw master:2 - tmpfs spaced rw\n";

static struct libmnt_table *load(void)
{
	FILE *f = fmemopen((void *)table, sizeof(table) - 1, "r");
	struct libmnt_table *tb = mnt_new_table();
	if (!f || !tb || mnt_table_parse_stream(tb, f, "test") < 0)
		return NULL;
	fclose(f);
	return tb;
}

static int find_id(struct libmnt_table *tb, const char *spec)
{
	struct libmnt_fs *fs;
	int r = umh_mounttab_find(tb, spec, &fs);
	return r < 0 ? r : mnt_fs_get_id(fs);
}

int main(void)
{
	struct libmnt_table *tb = load();
	CHECK(tb != NULL, "table parses");
	if (!tb)
		UNIT_EXIT();

	CHECK(find_id(tb, "/mnt/stack") == 61, "stacked mount point: the top one");
	CHECK(find_id(tb, "/mnt/stack/") == 61, "trailing slash");
	CHECK(find_id(tb, "//mnt/./stack") == 61, "lexical normalisation");
	CHECK(find_id(tb, "/mnt/with space\nnl") == 62, "escaped mount point found by its real name");
	CHECK(find_id(tb, "server:/export") == 63, "NFS source");
	CHECK(find_id(tb, "/dev/loop0") == 64, "device source");
	CHECK(find_id(tb, "lower") == 60, "tmpfs source name");
	CHECK(find_id(tb, "/nonexistent/path") == -ENOENT, "missing path is ENOENT");
	CHECK(find_id(tb, "/etc") == -EINVAL, "existing path that is not mounted is EINVAL");
	CHECK(find_id(tb, "") == -EINVAL, "empty spec");

	struct libmnt_fs *fs = umh_mounttab_for_path(tb, "/mnt/stack/deep/file");
	CHECK(fs && mnt_fs_get_id(fs) == 61, "kernel path resolves to the top of the stack");
	fs = umh_mounttab_for_path(tb, "/mnt/stackx/file");
	CHECK(fs && mnt_fs_get_id(fs) == 27, "a prefix that is not a path component does not match");

	fs = umh_mounttab_for_path(tb, "/bind/x");
	uint64_t shared, master;
	umh_mount_peer_groups(fs, &shared, &master);
	CHECK(shared == 0 && master == 2, "master peer group parsed");

	char *n = umh_path_normalize("/a//b/./c/");
	CHECK_STR(n, "/a/b/c", "normalize");
	free(n);
	n = umh_path_normalize("/a/../b");
	CHECK(n == NULL, "'..' is left to a real lookup");
	free(n);
	CHECK(chdir("/tmp") == 0, "chdir /tmp");
	n = umh_path_normalize("x/y");
	CHECK_STR(n, "/tmp/x/y", "relative path made absolute");
	free(n);

	mnt_unref_table(tb);

	/* Found by the fuzzer: two entries at one mount point, each the
	 * other's parent.  The kernel never writes this; it must not hang. */
	static const char cycle[] = "61 62 0:51 / /mnt/c rw - tmpfs a rw\n62 61 0:52 / /mnt/c rw - tmpfs b rw\n";
	FILE *f = fmemopen((void *)cycle, sizeof(cycle) - 1, "r");
	tb = mnt_new_table();
	CHECK(f && tb && mnt_table_parse_stream(tb, f, "cycle") == 0, "a table with a cycle parses");
	CHECK(find_id(tb, "/mnt/c") > 0, "and finding a target in it ends");
	if (f)
		fclose(f);
	mnt_unref_table(tb);
	UNIT_EXIT();
}
