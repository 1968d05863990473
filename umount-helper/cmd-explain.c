/* umount-helper explain [--json] [-N ns] [--timeout s] TARGET...
 *
 * Exit status: 0 when nothing holds any target, 32 when one is held, 2 when
 * a target is not mounted or could not be examined, 1 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "escape.h"
#include "json.h"
#include "report.h"
#include "runner.h"
#include "umount-helper.h"
#include "vanished-print.h"
#include "vanished.h"
#include "watch-record.h"
#include "parse.h"

#define DEFAULT_BUDGET_NS (10LL * 1000000000)
/* What asking systemd and the watcher's record may take, per target: what
 * the scan left of the budget, and at least this. */
#define LOOKUP_MIN_NS (1LL * 1000000000)

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
		"1 bad usage.\n",
		PROGRAM_NAME, UMH_WRECORD_ENV, UMH_WRECORD_DEFAULT_DIR);
}

struct explain_args {
	bool json;
	const char *ns;
	long long budget_ns;
	unsigned int workers;
	bool no_bpf;
	bool verbose;
	const char *state_dir;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Not mounted (or no such path: a mount point may be removed after its
 * unmount): where did it go?  Mounted: what does systemd plan for it?
 * Where no systemd manages the namespace and no record exists, this adds
 * nothing to a mounted target's report. */
static void look_further(const struct explain_args *a, const char *spec, const struct umh_report *r,
			 int64_t budget_ns, struct umh_explain_extra *x)
{
	const struct umh_mount *t = umh_report_target(r);
	struct umh_jnode *n = NULL;
	if (!t && (r->error_code == -EINVAL || r->error_code == -ENOENT)) {
		struct umh_vanished_opts o = { .spec = spec, .ns = a->ns, .state_dir = a->state_dir,
					       .budget_ns = budget_ns };
		umh_vanished_lookup(&o, &n);
		x->vanished = n;
	} else if (t && t->target && r->finished) {
		umh_mount_risks(t->target, a->ns, budget_ns, &n);
		x->warnings = n;
	}
}

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
	enum { OPT_TIMEOUT = 0x100, OPT_WORKERS, OPT_NO_BPF, OPT_STATE, OPT_NO_SD };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "namespace", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "no-systemd", no_argument, NULL, OPT_NO_SD },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct explain_args a = { .budget_ns = DEFAULT_BUDGET_NS };
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
		case OPT_NO_SD:
			/* Read wherever systemd would be looked for (systemd-locate.h). */
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
	struct umh_explain_extra *extra = calloc((size_t)n, sizeof(*extra));
	if (!reports || !extra) {
		free(reports);
		free(extra);
		fprintf(stderr, "%s: %s\n", PROGRAM_NAME, strerror(ENOMEM));
		return EX_SYSERR;
	}
	/* Every analysis first: each runs in a child that needs our
	 * capabilities.  Then the printing, with none. */
	int64_t start = mono_ns();
	for (int i = 0; i < n; i++)
		explain_one(&a, argv[optind + i], &reports[i]);
	for (int i = 0; i < n; i++) {
		int64_t left = a.budget_ns - (mono_ns() - start);
		left = left < LOOKUP_MIN_NS ? LOOKUP_MIN_NS : left;
		look_further(&a, argv[optind + i], &reports[i], left, &extra[i]);
	}
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
			umh_report_write_json_extra(r, argv[optind + i], &j, umh_explain_extra_json, &extra[i]);
		} else {
			if (i > 0)
				fputc('\n', stdout);
			if (!umh_report_target(r)) {
				fprintf(stderr, "%s: ", PROGRAM_NAME);
				umh_fputs_escaped(r->error ? r->error : "cannot be examined", stderr);
				fputc('\n', stderr);
				if (extra[i].vanished)
					umh_vanished_print_text(extra[i].vanished, argv[optind + i], stdout);
			} else {
				umh_report_print_text(r, stdout);
				umh_risks_print_text(extra[i].warnings, stdout);
			}
		}
		umh_jfree((struct umh_jnode *)extra[i].vanished);
		umh_jfree((struct umh_jnode *)extra[i].warnings);
		any_held |= st == EX_FAIL;
		any_error |= st == EX_SYSERR;
		umh_report_free(r);
	}
	free(reports);
	free(extra);
	if (a.json && n > 1)
		umh_json_close_array(&j);

	status = any_held ? EX_FAIL : any_error ? EX_SYSERR : EX_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!any_held)
			status = EX_SYSERR;
	}
	return status;
}
