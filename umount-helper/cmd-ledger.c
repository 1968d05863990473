/* umount-helper ledger start|stop|status
 *
 * Keeps the open probes pinned (bpffs), so that opens made by kernel code
 * while it runs are remembered, with their stacks, for a later explain. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bpf/opens/ledger.h"
#include "bpf/opens/opens-print.h"
#include "cli.h"
#include "umount-helper.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %s ledger start [--no-fentry]\n"
		" %s ledger stop\n"
		" %s ledger status\n"
		"\n"
		"Keep a record of files opened by kernel code (a module, a subsystem), which\n"
		"no process holds, with the kernel stack that opened them.  While the ledger\n"
		"runs, explain names such files and says who opened them.  The probes stay\n"
		"in the kernel (pinned under " UMH_LEDGER_DIR ") until 'ledger stop'.\n"
		"\n"
		"Needs fentry or kprobes (see '%s doctor').\n"
		"\n"
		"Options:\n"
		"     --no-fentry   use kprobes even where fentry works\n"
		" -h, --help        display this help\n"
		"\n"
		"Exit status: 0 done (status: running), 2 cannot, 3 (status) not running.\n",
		PROGRAM_NAME, PROGRAM_NAME, PROGRAM_NAME, PROGRAM_NAME);
}

static int status(void)
{
	struct umh_ledger_status st;
	int r = umh_ledger_status(&st);
	if (r < 0) {
		fprintf(stderr, "%s: ledger: cannot read its state: %s\n", PROGRAM_NAME, strerror(-r));
		return EX_SYSERR;
	}
	if (!st.running) {
		printf("The open ledger is not running.\n");
		return 3;
	}
	char when[32];
	umh_boot_to_wall(st.started_ns, false, when, sizeof(when));
	printf("The open ledger runs since %s, with %s probes.\n", when, st.mode);
	printf("It has seen %" PRIu64 " opens; %" PRIu64 " files are open now that no descriptor table holds.\n",
	       st.opens_seen, st.pending);
	if (st.dropped)
		printf("%" PRIu64 " opens were not recorded: the ledger was full.\n", st.dropped);
	return EX_OK;
}

int cmd_ledger(int argc, char **argv)
{
	enum { OPT_NO_FENTRY = 0x100 };
	static const struct option longopts[] = {
		{ "no-fentry", no_argument, NULL, OPT_NO_FENTRY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool no_fentry = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NO_FENTRY:
			no_fentry = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			return try_help(PROGRAM_NAME, "ledger");
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	const char *verb = argv[optind];
	if (strcmp(verb, "status") == 0)
		return status();
	if (strcmp(verb, "stop") == 0) {
		int r = umh_ledger_stop();
		if (r < 0) {
			fprintf(stderr, "%s: ledger stop: %s\n", PROGRAM_NAME, strerror(-r));
			return EX_SYSERR;
		}
		printf("The open ledger is stopped.\n");
		return EX_OK;
	}
	if (strcmp(verb, "start") == 0) {
		char why[1024];
		int r = umh_ledger_start(no_fentry, why, sizeof(why));
		if (r == -EEXIST) {
			printf("The open ledger is already running.\n");
			return EX_OK;
		}
		if (r < 0) {
			fprintf(stderr, "%s: ledger: cannot start on this kernel: %s.\n", PROGRAM_NAME, why);
			return EX_SYSERR;
		}
		return status();
	}
	fprintf(stderr, "%s: ledger: unknown action '%s' (start, stop or status)\n", PROGRAM_NAME, verb);
	return EX_USAGE;
}
