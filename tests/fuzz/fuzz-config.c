/* /etc/umount-helper.conf: any text gives a valid configuration (bad lines
 * are reported and ignored), never a crash or a leak. */
#include <stdio.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	FILE *devnull = fopen("/dev/null", "w");
	FILE *saved = stderr;
	if (devnull)
		stderr = devnull; /* one complaint per bad line: keep the fuzzer quiet */
	struct umh_config c = { .explain = true, .budget_ns = UMH_DEFAULT_BUDGET_NS };
	umh_config_parse(f, "fuzz", "nfs", &c);
	if (c.helper && c.helper[0] != '/')
		abort(); /* only absolute paths, never one looked up */
	if (c.budget_ns <= 0)
		abort();
	umh_config_free(&c);
	stderr = saved;
	if (devnull)
		fclose(devnull);
	fclose(f);
	return 0;
}
