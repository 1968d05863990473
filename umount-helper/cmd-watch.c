/* umount-helper watch [-N ns] [--bus ADDRESS | --systemd-pid PID] [--state-dir DIR] ...
 *
 * Watches a mount table and says, for every mount that goes, who unmounted
 * it and, when systemd did, why (lib/watch/watch.h).  Runs until SIGTERM/SIGINT.
 * Exit status: 0 stopped cleanly, 1 bad usage, 2 nothing to watch. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "umount-helper.h"
#include "watch/failed.h"
#include "watch/record.h"
#include "watch/watch.h"
#include "base/parse.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %s watch [options]\n"
		"\n"
		"Watch a mount table and say, for every mount that goes away, who unmounted\n"
		"it (pid, command, parents, cgroup, systemd unit) and, when systemd did, why\n"
		"(bound to an inactive unit, StopWhenUnneeded=, an automount's idle timeout,\n"
		"a conflict, ...).  And for every umount that fails because the target is\n"
		"busy, in any mount namespace, who tried, how often, and what held it then.\n"
		"Lines go to stdout, to the journal where there is one, and to a record that\n"
		"'explain' reads.\n"
		"\n"
		"Options:\n"
		" -N, --namespace <ns>       watch another mount namespace (a pid or a\n"
		"                              namespace file such as /proc/PID/ns/mnt)\n"
		"     --bus <address>        ask the systemd at this D-Bus address or socket\n"
		"     --systemd-pid <pid>    ask the systemd whose pid this is (a container's\n"
		"                              PID 1), through its private socket\n"
		"     --no-systemd           do not ask systemd\n"
		"     --state-dir <dir>      where to keep the record (default\n"
		"                              $%s or %s)\n"
		"     --max-events <n>       rotate the record after n events (default %d)\n"
		"     --no-record            keep no record\n"
		"     --journal-socket <path>  journald's socket to write to\n"
		"     --no-journal           do not write to the journal\n"
		" -J, --json                 one JSON object per line on stdout\n"
		"     --no-bpf               do not trace umount calls (callers are unknown)\n"
		"     --no-explain           count failed unmounts, but do not examine them\n"
		"     --explain-timeout <seconds>  time budget of one examination (default %d)\n"
		"     --duration <seconds>   stop after this long\n"
		" -v, --verbose              also show mounts that appear, and systemd's stop jobs\n"
		" -h, --help                 display this help\n"
		"\n"
		"Needs root: BPF (CAP_BPF, CAP_PERFMON) to see callers, and systemd's\n"
		"private socket.  Without them it still reports every unmount.\n",
		PROGRAM_NAME, UMH_WRECORD_ENV, UMH_WRECORD_DEFAULT_DIR, UMH_WRECORD_DEFAULT_MAX,
		(int)(UMH_WFAILED_BUDGET_NS / 1000000000));
}

int cmd_watch(int argc, char **argv)
{
	enum {
		OPT_BUS = 0x100, OPT_SD_PID, OPT_NO_SD, OPT_STATE, OPT_MAX, OPT_NO_RECORD, OPT_JSOCK, OPT_NO_JOURNAL,
		OPT_NO_BPF, OPT_DURATION, OPT_NO_EXPLAIN, OPT_EXPLAIN_TIMEOUT,
	};
	static const struct option longopts[] = {
		{ "namespace", required_argument, NULL, 'N' },
		{ "bus", required_argument, NULL, OPT_BUS },
		{ "systemd-pid", required_argument, NULL, OPT_SD_PID },
		{ "no-systemd", no_argument, NULL, OPT_NO_SD },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "max-events", required_argument, NULL, OPT_MAX },
		{ "no-record", no_argument, NULL, OPT_NO_RECORD },
		{ "journal-socket", required_argument, NULL, OPT_JSOCK },
		{ "no-journal", no_argument, NULL, OPT_NO_JOURNAL },
		{ "json", no_argument, NULL, 'J' },
		{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
		{ "no-explain", no_argument, NULL, OPT_NO_EXPLAIN },
		{ "explain-timeout", required_argument, NULL, OPT_EXPLAIN_TIMEOUT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct umh_watch_cfg cfg = { .out = stdout };
	long long ns;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "N:Jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'N': cfg.ns = optarg; break;
		case OPT_BUS: cfg.bus = optarg; break;
		case OPT_SD_PID:
			if (!(cfg.sd_pid = umh_parse_pid(optarg))) {
				fprintf(stderr, "%s: invalid pid: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			break;
		case OPT_NO_SD: cfg.no_systemd = true; break;
		case OPT_STATE: cfg.state_dir = optarg; break;
		case OPT_MAX:
			if (umh_parse_long(optarg, 1, 1000000, &v) < 0) {
				fprintf(stderr, "%s: invalid number of events: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			cfg.max_events = (size_t)v;
			break;
		case OPT_NO_RECORD: cfg.no_record = true; break;
		case OPT_JSOCK: cfg.journal_socket = optarg; break;
		case OPT_NO_JOURNAL: cfg.no_journal = true; break;
		case 'J': cfg.json = true; break;
		case OPT_NO_BPF: cfg.no_bpf = true; break;
		case OPT_NO_EXPLAIN: cfg.no_explain = true; break;
		case OPT_EXPLAIN_TIMEOUT:
			if (umh_parse_seconds(optarg, &ns) < 0 || ns <= 0) {
				fprintf(stderr, "%s: invalid timeout: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			cfg.explain_budget_ns = ns;
			break;
		case OPT_DURATION:
			if (umh_parse_seconds(optarg, &ns) < 0) {
				fprintf(stderr, "%s: invalid duration: '%s'\n", PROGRAM_NAME, optarg);
				return EX_USAGE;
			}
			cfg.duration_ns = ns;
			break;
		case 'v': cfg.verbose = true; break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			return try_help(PROGRAM_NAME, "watch");
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: watch: unexpected argument '%s'\n", PROGRAM_NAME, argv[optind]);
		return EX_USAGE;
	}
	if (cfg.bus && cfg.sd_pid) {
		fprintf(stderr, "%s: watch: --bus and --systemd-pid are mutually exclusive\n", PROGRAM_NAME);
		return EX_USAGE;
	}

	struct umh_watch *w;
	char err[512];
	int r = umh_watch_open(&w, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: watch: %s\n", PROGRAM_NAME, err);
		return EX_SYSERR;
	}
	r = umh_watch_run(w);
	umh_watch_close(w);
	return r < 0 ? EX_SYSERR : EX_OK;
}
