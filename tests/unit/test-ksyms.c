/* Kernel symbols: /proc/kallsyms lines, lookups, "symbol+0xoff [module]",
 * module symbols kept by the ledger (sized) before kallsyms, and the
 * compact chains explain prints. */
#include <stdlib.h>

#include "base/ksyms.h"
#include "unit.h"

static void parse_lines(void)
{
	uint64_t addr;
	char type, *name, *module;
	char l1[] = "ffffffff816b5500 T filp_open\n";
	CHECK(umh_parse_kallsyms_line(l1, &addr, &type, &name, &module) == 0, "kernel line parses");
	CHECK(addr == 0xffffffff816b5500ULL && type == 'T', "address and type");
	CHECK_STR(name, "filp_open", "name");
	CHECK(module == NULL, "no module for the kernel");

	char l2[] = "ffffffffc0a01000 t holdfile_init\t[holdfile]\n";
	CHECK(umh_parse_kallsyms_line(l2, &addr, &type, &name, &module) == 0, "module line parses");
	CHECK_STR(name, "holdfile_init", "module symbol name");
	CHECK_STR(module, "holdfile", "module name without brackets");

	char l3[] = "0000000000000000 T hidden";
	CHECK(umh_parse_kallsyms_line(l3, &addr, &type, &name, &module) == 0 && addr == 0,
	      "kptr_restrict's zero addresses parse");
	char bad1[] = "zzzz T x", bad2[] = "ffff T", bad3[] = "ffff T x\t[]", bad4[] = "ffff  x";
	CHECK(umh_parse_kallsyms_line(bad1, &addr, &type, &name, &module) == -22, "no address: rejected");
	CHECK(umh_parse_kallsyms_line(bad2, &addr, &type, &name, &module) == -22, "no name: rejected");
	CHECK(umh_parse_kallsyms_line(bad3, &addr, &type, &name, &module) == -22, "empty module: rejected");
	CHECK(umh_parse_kallsyms_line(bad4, &addr, &type, &name, &module) == -22, "no type: rejected");
}

static void lookups(void)
{
	struct umh_ksyms k = { 0 };
	umh_ksyms_add(&k, 0xffffffff81000000ULL, 0, "do_one_initcall", NULL);
	umh_ksyms_add(&k, 0xffffffff81001000ULL, 0, "filp_open", NULL);
	umh_ksyms_add(&k, 0xffffffff81002000ULL, 0, "do_filp_open", NULL);
	umh_ksyms_add(&k, 0xffffffff81003000ULL, 0, "vfs_open", NULL);
	umh_ksyms_add(&k, 0xffffffffc0000000ULL, 0, "some_core_fn", "other");
	/* The module's init function: freed from kallsyms, kept by the ledger. */
	umh_ksyms_add(&k, 0xffffffffc0a01000ULL, 0x80, "holdfile_init", "holdfile");

	char buf[128];
	umh_ksyms_format(&k, 0xffffffff8100102cULL, buf, sizeof(buf));
	CHECK_STR(buf, "filp_open+0x2c", "kernel frame");
	umh_ksyms_format(&k, 0xffffffffc0a01060ULL, buf, sizeof(buf));
	CHECK_STR(buf, "holdfile_init+0x60 [holdfile]", "a kept module symbol wins over the nearest kallsyms one");
	umh_ksyms_format(&k, 0xffffffffc0a010a0ULL, buf, sizeof(buf));
	CHECK_STR(buf, "some_core_fn+0xa010a0 [other]", "past a kept symbol's size: kallsyms again");
	umh_ksyms_format(&k, 0x1000, buf, sizeof(buf));
	CHECK_STR(buf, "0x1000", "below every symbol: the bare address");

	uint64_t ips[] = { 0xffffffff81003005ULL, 0xffffffff81002010ULL, 0xffffffff8100102cULL,
			   0xffffffffc0a01060ULL, 0xffffffff81000059ULL, 0 };
	char chain[256];
	umh_ksyms_chain(&k, ips, 6, 10, chain, sizeof(chain));
	CHECK_STR(chain, "filp_open <- holdfile_init [holdfile] <- do_one_initcall",
		  "the VFS's open path is skipped up to the caller");
	umh_ksyms_chain(&k, ips, 6, 2, chain, sizeof(chain));
	CHECK_STR(chain, "filp_open <- holdfile_init [holdfile] ...", "at most MAX frames, then an ellipsis");
	umh_ksyms_chain(&k, ips, 0, 10, chain, sizeof(chain));
	CHECK_STR(chain, "", "an empty stack gives an empty chain");
	umh_ksyms_free(&k);

	struct umh_ksyms hidden = { .hidden = true };
	umh_ksyms_add(&hidden, 0, 0, "filp_open", NULL);
	umh_ksyms_format(&hidden, 0xffffffff8100102cULL, buf, sizeof(buf));
	CHECK_STR(buf, "0xffffffff8100102c", "hidden kallsyms: addresses, not wrong names");
	umh_ksyms_free(&hidden);
}

int main(void)
{
	parse_lines();
	lookups();
	UNIT_EXIT();
}
