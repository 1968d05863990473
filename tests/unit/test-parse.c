/* The /proc and /sys parsers, on lines taken from this machine and on
 * hostile ones. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "base/parse.h"
#include "unit.h"

static void test_fdinfo(void)
{
	struct umh_fdinfo fi;
	/* A real regular file's fdinfo (Linux 6.18). */
	CHECK(umh_parse_fdinfo("pos:\t42\nflags:\t0100002\nmnt_id:\t63\nino:\t256615\n", &fi) == 0, "fdinfo parses");
	CHECK(fi.pos == 42 && fi.mnt_id == 63 && fi.has_mnt_id && fi.ino == 256615, "fdinfo fields");
	CHECK_STR(umh_access_from_flags(fi.flags), "rw", "O_RDWR|O_LARGEFILE is rw");
	CHECK(umh_parse_fdinfo("pos:\t0\nflags:\t02000000\nmnt_id:\t17\n", &fi) == 0 &&
		      strcmp(umh_access_from_flags(fi.flags), "r") == 0,
	      "O_CLOEXEC read-only is r");
	CHECK(umh_parse_fdinfo("pos:\t0\nflags:\t012000000\nmnt_id:\t17\n", &fi) == 0 &&
		      strcmp(umh_access_from_flags(fi.flags), "path") == 0,
	      "O_PATH is path");
	CHECK(umh_parse_fdinfo("pos:\t0\nflags:\t01\nmnt_id:\t17\n", &fi) == 0 &&
		      strcmp(umh_access_from_flags(fi.flags), "w") == 0,
	      "O_WRONLY is w");
	CHECK(umh_parse_fdinfo("pos:\t0\nflags:\t09\n", &fi) == -EINVAL, "non-octal flags rejected");
	CHECK(umh_parse_fdinfo("flags:\t0\n", &fi) == -EINVAL, "missing pos rejected");
	CHECK(umh_parse_fdinfo("", &fi) == -EINVAL, "empty fdinfo rejected");
	CHECK(umh_parse_fdinfo("pos:\t-1\nflags:\t0\n", &fi) == -EINVAL, "negative pos rejected");
	CHECK(umh_parse_fdinfo("pos:\t0\nflags:\t0\nmnt_id:\tx\n", &fi) == 0 && !fi.has_mnt_id,
	      "garbled mnt_id is absent, not zero");
	CHECK(umh_parse_fdinfo("pos:\t0\nflags:\t077777777777777\n", &fi) == -EINVAL, "flags overflow rejected");
}

static int count_files(unsigned int index, const char *path, void *userdata)
{
	char *out = userdata;
	char line[512];
	snprintf(line, sizeof(line), "%u=%s;", index, path);
	strcat(out, line);
	return 0;
}

static void test_uring(void)
{
	/* From this machine: a ring with two registered files, the first
	 * with a space and a newline in its name. */
	const char *fdinfo = "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t256615\nSqMask:\t0x3\n"
			     "SqThreadCpu:\t-1\nUserFiles:\t2\n    0: /tmp/a\\040b/f\\012x\n    1: /etc/hostname\n"
			     "UserBufs:\t0\nPollList:\nCqOverflowList:\n";
	char out[1024] = "";
	CHECK(umh_parse_uring_files(fdinfo, count_files, out) == 2, "two registered files");
	CHECK_STR(out, "0=/tmp/a b/f\nx;1=/etc/hostname;", "registered file paths unescaped");
	out[0] = '\0';
	CHECK(umh_parse_uring_files("pos:\t0\nUserFiles:\t0\nUserBufs:\t0\n", count_files, out) == 0,
	      "no registered files");
	CHECK(umh_parse_uring_files("pos:\t0\nflags:\t0\n", count_files, out) == -EINVAL,
	      "not an io_uring fdinfo");
	CHECK(umh_parse_uring_files("UserFiles:\t1\n    x: junk\n   7:\n", count_files, out) == 0,
	      "malformed entries are skipped");
}

static void test_maps(void)
{
	struct umh_maps_entry e;
	char l1[] = "5557f26d2000-5557f26d4000 r--p 00000000 fe:00 247498                     /usr/bin/head\n";
	CHECK(umh_parse_maps_line(l1, &e) == 0, "maps line parses");
	CHECK(e.start == 0x5557f26d2000 && e.end == 0x5557f26d4000 && e.major == 0xfe && e.minor == 0 &&
		      e.inode == 247498,
	      "maps fields");
	CHECK_STR(e.path, "/usr/bin/head", "maps path");
	char l2[] = "7ffd1c5e9000-7ffd1c60a000 rw-p 00000000 00:00 0                          [stack]";
	CHECK(umh_parse_maps_line(l2, &e) == 0 && e.inode == 0, "anonymous mapping");
	char l3[] = "7f0000000000-7f0000001000 r--s 00000000 00:2f 12 ";
	CHECK(umh_parse_maps_line(l3, &e) == 0, "mapping without a name");
	CHECK_STR(e.path, "", "empty path");
	char l4[] = "7f0000000000-7f0000001000 r--s 00001000 00:2f 12     /mnt/a b\\012c (deleted)";
	CHECK(umh_parse_maps_line(l4, &e) == 0 && e.offset == 0x1000, "name with spaces and newline");
	CHECK_STR(e.path, "/mnt/a b\nc (deleted)", "newline decoded, spaces kept");
	char l5[] = "garbage";
	CHECK(umh_parse_maps_line(l5, &e) == -EINVAL, "garbage rejected");
	char l6[] = "2000-1000 r--p 00000000 00:00 0";
	CHECK(umh_parse_maps_line(l6, &e) == -EINVAL, "end before start rejected");
}

static void test_swaps(void)
{
	struct umh_swap_entry e;
	char h[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
	CHECK(umh_parse_swaps_line(h, &e) == -ENOENT, "header skipped");
	char l1[] = "/mnt/my\\040swap\\011file                          file\t\t4092\t\t0\t\t-2\n";
	CHECK(umh_parse_swaps_line(l1, &e) == 0, "swap line parses");
	CHECK_STR(e.filename, "/mnt/my swap\tfile", "swap file name unescaped");
	CHECK_STR(e.type, "file", "swap type");
	char l2[] = "/dev/loop0                              partition\t4092\t\t0\t\t-3";
	CHECK(umh_parse_swaps_line(l2, &e) == 0 && strcmp(e.type, "partition") == 0, "partition swap");
	char l3[] = "/only-a-name";
	CHECK(umh_parse_swaps_line(l3, &e) == -EINVAL, "truncated line rejected");
}

static void test_binfmt(void)
{
	struct umh_binfmt_entry b;
	char real[] = "enabled\ninterpreter /bin/true\nflags: F\nextension .umhx\n";
	CHECK(umh_parse_binfmt_entry(real, &b) == 0 && b.enabled && b.open_binary, "F entry");
	CHECK_STR(b.interpreter, "/bin/true", "interpreter");
	char noflag[] = "disabled\ninterpreter /usr/bin/qemu-arm\nflags: OC\noffset 0\nmagic 7f454c46\n";
	CHECK(umh_parse_binfmt_entry(noflag, &b) == 0 && !b.enabled && !b.open_binary, "OC entry is not F");
	char bad[] = "interpreter /x\n";
	CHECK(umh_parse_binfmt_entry(bad, &b) == -EINVAL, "entry without state rejected");
	char status[] = "enabled\n";
	CHECK(umh_parse_binfmt_entry(status, &b) == -EINVAL, "the status file is not an entry");
}

static void test_exports(void)
{
	struct umh_export_entry e;
	char c[] = "# Version 1.1\n";
	CHECK(umh_parse_exports_line(c, &e) == -ENOENT, "comment skipped");
	char l[] = "/export/a\\040b\t127.0.0.1(rw,no_root_squash,sync,wdelay,no_subtree_check,fsid=1)\n";
	CHECK(umh_parse_exports_line(l, &e) == 0, "export parses");
	CHECK_STR(e.path, "/export/a b", "export path unescaped");
	CHECK_STR(e.client, "127.0.0.1", "client: the name exportfs -u takes, without the options");
	CHECK_STR(e.options, "rw,no_root_squash,sync,wdelay,no_subtree_check,fsid=1", "options, without parentheses");

	/* Real lines from Debian's 6.1 kernel (tests/vm, 50-nfsd-export):
	 * /proc/net/rpc/nfsd.export/content, then /proc/fs/nfsd/exports. */
	char h[] = "#path domain(flags)\n";
	CHECK(umh_parse_exports_line(h, &e) == -ENOENT, "the cache's header is a comment");
	char real[] = "/tmp/xp\t127.0.0.1(rw,insecure,no_root_squash,sync,wdelay,no_subtree_check,fsid=2,sec=1)\n";
	CHECK(umh_parse_exports_line(real, &e) == 0, "real cache line parses");
	CHECK_STR(e.path, "/tmp/xp", "real: path");
	CHECK_STR(e.client, "127.0.0.1", "real: client");
	CHECK_STR(e.options, "rw,insecure,no_root_squash,sync,wdelay,no_subtree_check,fsid=2,sec=1", "real: options");
	char h2[] = "# Path Client(Flags) # IPs\n";
	CHECK(umh_parse_exports_line(h2, &e) == -ENOENT, "the exports file's header is a comment");

	/* Escaped clients and clients without options. */
	char w[] = "/srv/x\\011y\t*(ro,sec=1)\n";
	CHECK(umh_parse_exports_line(w, &e) == 0, "wildcard export parses");
	CHECK_STR(e.path, "/srv/x\ty", "tab in the path unescaped");
	CHECK_STR(e.client, "*", "wildcard client");
	CHECK_STR(e.options, "ro,sec=1", "wildcard options");
	char n[] = "/srv/y\t192.168.0.0/24()\n";
	CHECK(umh_parse_exports_line(n, &e) == 0, "empty options parse");
	CHECK_STR(e.client, "192.168.0.0/24", "subnet client");
	CHECK_STR(e.options, "", "empty options");
	char bare[] = "/srv/z\tgss/krb5\n";
	CHECK(umh_parse_exports_line(bare, &e) == 0, "a client without options parses");
	CHECK_STR(e.client, "gss/krb5", "client without options");
	CHECK(e.options == NULL, "no options: NULL");
}

static void test_uprobe_events(void)
{
	struct umh_uprobe_event e;
	/* As Linux 6.18 and Debian's 6.1 print them. */
	char p[] = "p:uprobes/i14probe /tmp/i14m/prog:0x0000000000001000\n";
	CHECK(umh_parse_uprobe_event(p, &e) == 0, "a uprobe parses");
	CHECK_STR(e.event, "uprobes/i14probe", "its event: group and name");
	CHECK(!e.ret && e.has_offset && e.offset == 0x1000, "an entry probe at 0x1000");
	char r[] = "r:agent/ret_open /srv/my prog:v2/lib.so:0x00000000000a2b40(0x0000000000004000) arg1=%ax:u32";
	CHECK(umh_parse_uprobe_event(r, &e) == 0, "a return probe with a semaphore and arguments parses");
	CHECK_STR(e.event, "agent/ret_open", "its event");
	CHECK(e.ret && e.has_offset && e.offset == 0xa2b40, "its offset, past the space and the colon in the name (%llx)",
	      (unsigned long long)e.offset);
	char noff[] = "p:uprobes/x /bin/true";
	CHECK(umh_parse_uprobe_event(noff, &e) == 0 && !e.has_offset, "no offset printed: none taken");
	char bad1[] = "-:uprobes/x", bad2[] = "p:noslash /bin/true:0x0000000000001000", bad3[] = "p:uprobes/", bad4[] = "";
	CHECK(umh_parse_uprobe_event(bad1, &e) == -EINVAL, "a removal is not an event");
	CHECK(umh_parse_uprobe_event(bad2, &e) == -EINVAL, "an event without a group: refused");
	CHECK(umh_parse_uprobe_event(bad3, &e) == -EINVAL, "no name, no file: refused");
	CHECK(umh_parse_uprobe_event(bad4, &e) == -EINVAL, "an empty line: refused");
}

static void test_path_under(void)
{
	CHECK(umh_path_under("/mnt/a", "/mnt"), "/mnt/a under /mnt");
	CHECK(umh_path_under("/mnt", "/mnt"), "/mnt under /mnt");
	CHECK(!umh_path_under("/mnt2/a", "/mnt"), "/mnt2 not under /mnt");
	CHECK(umh_path_under("/x", "/"), "everything under /");
	CHECK(!umh_path_under("relative", "/"), "relative paths are not under /");
}

static void test_numbers(void)
{
	long v = 0;
	CHECK(umh_parse_long("4", 1, 64, &v) == 0 && v == 4, "4 in 1..64");
	CHECK(umh_parse_long("65", 1, 64, &v) == -EINVAL, "65 is out of 1..64");
	CHECK(umh_parse_long("0", 1, 64, &v) == -EINVAL, "0 is out of 1..64");
	CHECK(umh_parse_long("4294967297", 1, 64, &v) == -EINVAL, "2^32+1 does not wrap to 1");
	CHECK(umh_parse_long("99999999999999999999", 1, 64, &v) == -EINVAL, "overflow is refused");
	CHECK(umh_parse_long("", 1, 64, &v) == -EINVAL, "empty is refused");
	CHECK(umh_parse_long("4x", 1, 64, &v) == -EINVAL, "trailing text is refused");
	CHECK(umh_parse_pid("1234") == 1234, "a pid");
	CHECK(umh_parse_pid("/proc/1234/ns/mnt") == 0, "a namespace file is not a pid");
	CHECK(umh_parse_pid("-5") == 0 && umh_parse_pid("0") == 0, "no pid below 1");
	CHECK(umh_parse_pid("12345678901") == 0, "no pid beyond pid_t");
	CHECK(umh_parse_pid(NULL) == 0, "no namespace given");
	long long ns = 0;
	CHECK(umh_parse_seconds("1.5", &ns) == 0 && ns == 1500000000LL, "1.5 s");
	CHECK(umh_parse_seconds("5E-44", &ns) == -EINVAL, "below a nanosecond is not a budget of 0");
	CHECK(umh_parse_seconds("0", &ns) == -EINVAL && umh_parse_seconds("-1", &ns) == -EINVAL, "0 and less refused");
	CHECK(umh_parse_seconds("86401", &ns) == -EINVAL, "more than a day refused");
	CHECK(umh_parse_seconds("nan", &ns) == -EINVAL, "nan refused");
}

int main(void)
{
	test_fdinfo();
	test_uring();
	test_maps();
	test_swaps();
	test_binfmt();
	test_exports();
	test_uprobe_events();
	test_path_under();
	test_numbers();
	UNIT_EXIT();
}
