/* Paths from the names the BPF programs walk, leaf first (path.bpf.h). */
#include "bpf/common/pathjoin.h"
#include "unit.h"

static void join(const char *names, size_t len, bool complete, const char *want, const char *what)
{
	char out[64];
	int r = umh_bpf_join_path(names, len, complete, out, sizeof(out));
	CHECK_STR(r == 0 ? out : NULL, want, "%s", what);
}

int main(void)
{
	join("file\0dir\0mnt\0", 13, true, "/mnt/dir/file", "three names reversed");
	join("", 0, true, "/", "no names: the root itself");
	join("f\0", 2, false, "\xe2\x80\xa6/f", "an incomplete walk is marked");
	join("a b\0\n\0", 6, true, "/\n/a b", "names are kept byte for byte (escaped when printed)");
	char out[8];
	CHECK(umh_bpf_join_path("file\0dir\0mnt\0", 13, true, out, sizeof(out)) == -36, "too long: -ENAMETOOLONG");
	CHECK(umh_bpf_join_path("a/b\0", 4, true, out, sizeof(out)) == -22, "a name with '/': rejected");
	CHECK(umh_bpf_join_path("a\0\0", 3, true, out, sizeof(out)) == -22, "an empty name: rejected");
	CHECK(umh_bpf_join_path("abc", 3, true, out, sizeof(out)) == -22, "unterminated: rejected");
	UNIT_EXIT();
}
