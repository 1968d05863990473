/* umount-helper: why can't I unmount this, and where did my mount go?
 *
 * One binary, dispatched on argv[0]:
 *   umount-helper COMMAND ...   the tool itself
 *   umount [options] TARGET     the util-linux compatible front end
 *   umount.TYPE TARGET [...]    the helper util-linux umount runs for TYPE
 *                               (umount.nfs, umount.nfs4, umount.tmpfs, ...)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/caps.h"
#include "cli.h"
#include "suid.h"
#include "umount-helper.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "explain", cmd_explain, "say what keeps a mount from being unmounted" },
	{ "trace", cmd_trace, "follow opens and closes on a mount, kernel opens with their stacks" },
	{ "ledger", cmd_ledger, "keep a record of kernel-held opens for explain (start|stop|status)" },
	{ "doctor", cmd_doctor, "say which kernel features explain and trace can use here" },
	{ "watch", cmd_watch, "say who unmounts what, and why systemd did (runs until stopped)" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %s <command> [options] [<target>...]\n"
		"\n"
		"Explain why a filesystem cannot be unmounted.\n"
		"\n"
		"Commands:\n",
		PROGRAM_NAME);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, " %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Options:\n"
		" -h, --help     display this help\n"
		" -V, --version  display version\n"
		"\n"
		"Run '%s <command> --help' for a command's options.\n"
		"For more details see umount-helper(8).\n",
		PROGRAM_NAME);
}

static int tool_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		print_version();
		return EX_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", PROGRAM_NAME, cmd);
	return try_help(PROGRAM_NAME, NULL);
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : PROGRAM_NAME;
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	if (strcmp(base, "umount") == 0)
		return frontend_main(argc, argv);
	/* umount.TYPE, with TYPE as libmount names helpers: umount.nfs4,
	 * umount.fuse (for fuse.sshfs too: it passes -t). */
	if (strncmp(base, "umount.", 7) == 0 && base[7])
		return helper_main(argc, argv, base + 7);
	/* Set-user-ID (or given file capabilities), the program is privileged
	 * only as umount and as its helpers, which ask what the user may
	 * unmount as util-linux's umount does.  Any other name is the
	 * caller's choice (exec -a, a symlink of their own): the tool is then
	 * theirs, with their own privileges, before it reads an option. */
	if (umh_suid_run()) {
		int r = umh_become_real_user();
		if (r < 0) {
			fprintf(stderr, "%s: cannot drop the privileges it runs with: %s\n", PROGRAM_NAME, strerror(-r));
			return EX_SYSERR;
		}
	}
	return tool_main(argc, argv);
}
