#include "helper-args.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

void umh_helper_scan_args(int argc, char **argv, const char **target, const char **ns)
{
	*target = *ns = NULL;
	if (argc < 1)
		return;
	_cleanup_free_ char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	if (!copy)
		return;
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	int saved_opterr = opterr;
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt(argc, copy, "nlfvrt:N:h")) != -1)
		if (c == 'N')
			*ns = optarg;
	if (optind < argc)
		*target = copy[optind];
	opterr = saved_opterr;
	optind = 1;
}
