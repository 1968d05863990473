/* The arguments libmount gives a umount.<type> helper, read without
 * disturbing them: umount.TYPE TARGET [-n] [-l] [-f] [-v] [-r] [-t TYPE]
 * [-N NS]. */
#pragma once

/* Sets *TARGET (the first non-option) and *NS (-N's argument), NULL when
 * absent, pointing into ARGV, which is left exactly as it was: getopt runs on
 * a copy, because it reorders what it parses, and the wrapped helper must get
 * our arguments unchanged. */
void umh_helper_scan_args(int argc, char **argv, const char **target, const char **ns);
