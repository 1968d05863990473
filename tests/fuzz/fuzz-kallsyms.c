/* /proc/kallsyms lines into a symbol table, then addresses back to names
 * and stack chains: any text, any address. */
#include <stdio.h>

#include "fuzz.h"
#include "base/ksyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	struct umh_ksyms k = { 0 };
	uint64_t ips[8];
	size_t nips = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		uint64_t addr;
		char type, *name, *module;
		if (umh_parse_kallsyms_line(line, &addr, &type, &name, &module) < 0)
			continue;
		if (!name || (module && !*module))
			abort();
		umh_ksyms_add(&k, addr, nips % 3 ? 0 : 64, name, module);
		if (nips < 8) {
			ips[nips] = addr + nips;
			nips++;
		}
	}
	char buf[512];
	for (size_t i = 0; i < nips; i++) {
		umh_ksyms_format(&k, ips[i], buf, sizeof(buf));
		if (strlen(buf) >= sizeof(buf))
			abort();
	}
	umh_ksyms_chain(&k, ips, nips, 5, buf, sizeof(buf));
	umh_ksyms_chain(&k, ips, nips, 5, buf, 8);
	umh_ksyms_free(&k);
	free(text);
	return 0;
}
