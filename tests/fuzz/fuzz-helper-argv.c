/* The arguments libmount passes to umount.<type>, split at NUL bytes: the
 * target and -N are found without ever changing argv, which is passed on
 * to the wrapped helper exactly. */
#include <stdio.h>

#include "fuzz.h"
#include "helper-args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *argv[65] = { "umount.nfs" };
	int argc = 1;
	for (size_t i = 0; i < size && argc < 64;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	char *before[65];
	memcpy(before, argv, sizeof(argv));

	const char *target, *ns;
	umh_helper_scan_args(argc, argv, &target, &ns);
	if (memcmp(before, argv, sizeof(argv)) != 0)
		abort(); /* argv must reach the wrapped helper unchanged */
	/* What it found points into the arguments, or is absent. */
	if ((target && (target < buf || target > buf + size)) || (ns && (ns < buf || ns > buf + size)))
		abort();
	free(buf);
	return 0;
}
