/* umount-helper explain [--json] [-N ns] [--timeout s] TARGET...
 *
 * Exit status: 0 when nothing holds any target, 32 when one is held, 2 when
 * a target is not mounted or could not be examined, 1 on bad usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/parse.h"
#include "cli.h"
#include "explain-run.h"
#include "umount-helper.h"
#include "watch/record.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %s explain [options] <target>...\n"
		"\n"
		"Say what holds a mounted filesystem: processes (descriptors, working\n"
		"directories, mappings, threads), child mounts, busy copies in other mount\n"
		"namespaces, loop devices, swap files, binfmt_misc interpreters, io_uring\n"
		"registered files, nfsd exports.  <target> is a mount point or a source\n"
		"(device, LABEL=/UUID=, server:/path).\n"
		"\n"
		"A filesystem (--fs, or a target not mounted here: a device, LABEL=/UUID=,\n"
		"MAJ:MIN, or a directory that is a mount point in another namespace): every\n"
		"mount of it in every mount namespace, detached ones, overlays, loop devices\n"
		"and swap files on it, each with its namespace and what to do.\n"
		"\n"
		"Options:\n"
		" -J, --json                 use JSON output format\n"
		"     --fs                   explain the filesystem the mount is of, not the mount\n"
		" -N, --namespace <ns>       look in another mount namespace (a pid or a\n"
		"                              namespace file such as /proc/PID/ns/mnt)\n"
		"     --timeout <seconds>    time budget for the whole run (default 10)\n"
		"     --workers <n>          threads for the process scan (default: CPUs, max 4)\n"
		"     --no-bpf               scan /proc even where BPF iterators could be used\n"
		"     --state-dir <dir>      the record of 'umount-helper watch' (default\n"
		"                              $%s or %s)\n"
		"     --no-systemd           do not ask systemd (about a target that is gone,\n"
		"                              or about its plans for one that is mounted)\n"
		" -v, --verbose              also say why the BPF scan was not used\n"
		" -h, --help                 display this help\n"
		" -V, --version              display version\n"
		"\n"
		"A target that is not mounted: says whether it was, when it went, who\n"
		"unmounted it and why (from the record of 'umount-helper watch', else from\n"
		"systemd and its journal), or that nothing is known.  A mounted target:\n"
		"also warns when systemd is about to unmount it, or would.\n"
		"\n"
		"Exit status: 0 nothing holds it, 32 held, 2 not mounted or not examined,\n"
		"1 bad usage.  A filesystem: 32 while anything keeps it alive, 0 when it is\n"
		"gone, 2 when nothing has that name.\n",
		PROGRAM_NAME, UMH_WRECORD_ENV, UMH_WRECORD_DEFAULT_DIR);
}

int cmd_explain(int argc, char **argv)
{
	enum { OPT_TIMEOUT = 0x100, OPT_WORKERS, OPT_NO_BPF, OPT_STATE, OPT_NO_SD, OPT_FS };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "namespace", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "no-systemd", no_argument, NULL, OPT_NO_SD },
		{ "fs", no_argument, NULL, OPT_FS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct explain_args a = { .budget_ns = EXPLAIN_DEFAULT_BUDGET_NS };
	int c;
	long v;

	while ((c = getopt_long(argc, argv, "JN:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			a.json = true;
			break;
		case 'N':
			a.ns = optarg;
			break;
		case OPT_TIMEOUT:
			if (umh_parse_seconds(optarg, &a.budget_ns) < 0) {
				fprintf(stderr, "%s: invalid timeout: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			break;
		case OPT_WORKERS:
			if (umh_parse_long(optarg, 1, 64, &v) < 0) {
				fprintf(stderr, "%s: invalid number of workers: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			a.workers = (unsigned int)v;
			break;
		case OPT_NO_BPF:
			a.no_bpf = true;
			break;
		case OPT_STATE:
			a.state_dir = optarg;
			break;
		case OPT_FS:
			a.fs_view = true;
			break;
		case OPT_NO_SD:
			/* Read wherever systemd would be looked for (systemd/locate.h). */
			setenv("UMOUNT_HELPER_SYSTEMD", "no", 1);
			break;
		case 'v':
			a.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			print_version();
			return EX_OK;
		default:
			return try_help(PROGRAM_NAME, "explain");
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: explain: no target specified\n", PROGRAM_NAME);
		return try_help(PROGRAM_NAME, "explain");
	}
	return explain_run(&a, argv + optind, argc - optind);
}
