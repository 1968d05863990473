/* umount-helper explain [--json] [-N ns] [--timeout s] TARGET...
 *
 * Exit status: 0 when nothing holds any target, 32 when one is held, 2 when
 * a target is not mounted or could not be examined, 1 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "escape.h"
#include "json.h"
#include "report.h"
#include "runner.h"
#include "umount-helper.h"

#define DEFAULT_BUDGET_NS (10LL * 1000000000)

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
		"Options:\n"
		" -J, --json                 use JSON output format\n"
		" -N, --namespace <ns>       look in another mount namespace (a pid or a\n"
		"                              namespace file such as /proc/PID/ns/mnt)\n"
		"     --timeout <seconds>    time budget for the whole run (default 10)\n"
		"     --workers <n>          threads for the process scan (default: CPUs, max 4)\n"
		"     --no-bpf               scan /proc even where BPF iterators could be used\n"
		" -v, --verbose              also say why the BPF scan was not used\n"
		" -h, --help                 display this help\n"
		" -V, --version              display version\n"
		"\n"
		"Exit status: 0 nothing holds it, 32 held, 2 not mounted or not examined,\n"
		"1 bad usage.\n",
		PROGRAM_NAME);
}

struct explain_args {
	bool json;
	const char *ns;
	long long budget_ns;
	unsigned int workers;
	bool no_bpf;
	bool verbose;
};

/* The exit status for one report: held wins; a scan that did not finish
 * cannot say "free". */
static int exit_status(const struct umh_report *r)
{
	if (!umh_report_target(r))
		return EX_SYSERR;
	if (umh_report_is_held(r))
		return EX_FAIL;
	return r->finished && !r->incomplete ? EX_OK : EX_SYSERR;
}

static void explain_one(const struct explain_args *a, const char *spec, struct umh_report *r)
{
	struct umh_run_opts o = {
		.explain = { .spec = spec, .ns = a->ns, .workers = a->workers, .no_bpf = a->no_bpf,
			     .verbose = a->verbose },
		.budget_ns = a->budget_ns,
	};
	umh_report_init(r);
	umh_run_explain(&o, r);
}

int cmd_explain(int argc, char **argv)
{
	enum { OPT_TIMEOUT = 0x100, OPT_WORKERS, OPT_NO_BPF };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "namespace", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct explain_args a = { .budget_ns = DEFAULT_BUDGET_NS };
	int c;
	char *end;

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
			errno = 0;
			a.workers = (unsigned int)strtoul(optarg, &end, 10);
			if (errno || *end || a.workers < 1 || a.workers > 64) {
				fprintf(stderr, "%s: invalid number of workers: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			break;
		case OPT_NO_BPF:
			a.no_bpf = true;
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
			fprintf(stderr, "Try '%s explain --help' for more information.\n", PROGRAM_NAME);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: explain: no target specified\n", PROGRAM_NAME);
		fprintf(stderr, "Try '%s explain --help' for more information.\n", PROGRAM_NAME);
		return EX_USAGE;
	}

	int n = argc - optind, status = EX_OK;
	struct umh_report *reports = calloc((size_t)n, sizeof(*reports));
	if (!reports) {
		fprintf(stderr, "%s: %s\n", PROGRAM_NAME, strerror(ENOMEM));
		return EX_SYSERR;
	}
	/* Every analysis first: each runs in a child that needs our
	 * capabilities.  Then the printing, with none. */
	for (int i = 0; i < n; i++)
		explain_one(&a, argv[optind + i], &reports[i]);
	umh_caps_enter(UMH_PHASE_REPORT);
	umh_caps_debug("report");

	bool any_held = false, any_error = false;
	struct umh_json j;
	umh_json_init(&j, stdout);
	if (a.json && n > 1)
		umh_json_open_array(&j, NULL, false);
	for (int i = 0; i < n; i++) {
		struct umh_report *r = &reports[i];
		int st = exit_status(r);
		if (a.json) {
			umh_report_write_json(r, argv[optind + i], &j);
		} else {
			if (i > 0)
				fputc('\n', stdout);
			if (!umh_report_target(r)) {
				fprintf(stderr, "%s: ", PROGRAM_NAME);
				umh_fputs_escaped(r->error ? r->error : "cannot be examined", stderr);
				fputc('\n', stderr);
			} else {
				umh_report_print_text(r, stdout);
			}
		}
		any_held |= st == EX_FAIL;
		any_error |= st == EX_SYSERR;
		umh_report_free(r);
	}
	free(reports);
	if (a.json && n > 1)
		umh_json_close_array(&j);

	status = any_held ? EX_FAIL : any_error ? EX_SYSERR : EX_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!any_held)
			status = EX_SYSERR;
	}
	return status;
}
