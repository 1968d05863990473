/* What every command of the program says the same way: its version, the
 * "Try ... --help" line after a usage error. */
#pragma once

/* "umount-helper VERSION" on stdout. */
void print_version(void);

/* "Try 'PROG[ COMMAND] --help' for more information." on stderr; returns
 * EX_USAGE, for `return try_help(...)`.  COMMAND may be NULL. */
int try_help(const char *prog, const char *command);
