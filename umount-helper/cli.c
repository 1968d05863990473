#include "cli.h"

#include <stdio.h>

#include "umount-helper.h"

void print_version(void) { printf("%s %s\n", PROGRAM_NAME, PACKAGE_VERSION); }

int try_help(const char *prog, const char *command)
{
	fprintf(stderr, "Try '%s%s%s --help' for more information.\n", prog, command ? " " : "", command ? command : "");
	return EX_USAGE;
}
