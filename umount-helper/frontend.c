/* umount: the front end.  util-linux umount(8), option for option, through
 * the same libmount calls (sys-utils/umount.c is the model: messages, exit
 * codes, what a non-root user may do with a set-user-ID umount), plus
 *
 *   --explain   say what holds each target, unmount nothing
 *               (exit 0: nothing holds it, 32: held, 2: not examined)
 *
 * and, after a umount that failed because the target is busy, the
 * explanation on stderr after util-linux's message (not with -q).
 *
 * A helper run by libmount (umount.nfs, wrapped by this program) would
 * explain too; the front end tells it not to (UMH_FRONTEND_ENV) and
 * explains itself, also after helpers that are not ours. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "after-failure.h"
#include "base/cleanup.h"
#include "frontend.h"
#include "cli.h"
#include "explain-run.h"
#include "umount-helper.h"
#include "base/parse.h"

static void usage(void)
{
	const char *prog = program_invocation_short_name;
	printf("\nUsage:\n"
	       " %1$s [-hV]\n"
	       " %1$s -a [options]\n"
	       " %1$s [options] <source> | <directory>\n"
	       " %1$s --explain [--json] [-N <ns>] <source> | <directory>...\n"
	       "\nUnmount filesystems; say what keeps a busy one mounted.\n"
	       "\nOptions:\n"
	       " -a, --all               unmount all filesystems\n"
	       " -A, --all-targets       unmount all mountpoints for the given device in the\n"
	       "                           current namespace\n"
	       " -c, --no-canonicalize   don't canonicalize paths\n"
	       " -d, --detach-loop       if mounted loop device, also free this loop device\n"
	       "     --fake              dry run; skip the umount(2) syscall\n"
	       " -f, --force             force unmount (in case of an unreachable NFS system)\n"
	       " -i, --internal-only     don't call the umount.<type> helpers\n"
	       " -n, --no-mtab           don't write to /etc/mtab\n"
	       " -l, --lazy              detach the filesystem now, clean up things later\n"
	       " -O, --test-opts <list>  limit the set of filesystems (use with -a)\n"
	       " -R, --recursive         recursively unmount a target with all its children\n"
	       " -r, --read-only         in case unmounting fails, try to remount read-only\n"
	       " -t, --types <list>      limit the set of filesystem types\n"
	       " -v, --verbose           say what is being done\n"
	       " -q, --quiet             suppress 'not mounted' error messages, and the\n"
	       "                           explanation of a busy target\n"
	       " -N, --namespace <ns>    perform umount in another namespace\n"
	       "     --explain           say what holds the targets; do not unmount\n"
	       "     --json              with --explain: use JSON output format\n"
	       "\n -h, --help              display this help\n"
	       " -V, --version           display version\n"
	       "\nFor more details see umount-helper(8) and umount(8).\n",
	       prog);
	exit(MNT_EX_SUCCESS);
}

static void version(void)
{
	const char *ver = NULL, **features = NULL;
	mnt_get_library_version(&ver);
	mnt_get_library_features(&features);
	printf("%s from %s %s (libmount %s", program_invocation_short_name, PROGRAM_NAME, PACKAGE_VERSION, ver);
	for (const char **p = features; p && *p; p++)
		printf("%s%s", p == features ? ": " : ", ", *p);
	printf(")\n");
	exit(MNT_EX_SUCCESS);
}

static _Noreturn void usage_error(void)
{
	try_help(program_invocation_short_name, NULL);
	exit(MNT_EX_USAGE);
}

/* util-linux's err_exclusive_options() with umount's table, walked exactly
 * as it walks it: groups in ASCII order, each left as soon as its first
 * option sorts after C.  (So -O is never checked: {R,a} stops the walk
 * before {O,R,t}.  Its users know that behaviour; keep it.) */
static void check_exclusive(int c, const struct option *longopts, int *seen)
{
	static const char *const groups[] = { "Aa", "Ra", "ORt", "Rr" };
	for (size_t g = 0; g < ARRAY_SIZE(groups) && groups[g][0] <= c; g++) {
		for (const char *o = groups[g]; *o && *o <= c; o++) {
			if (*o != c)
				continue;
			if (!seen[g]) {
				seen[g] = c;
				continue;
			}
			if (seen[g] == c)
				continue;
			fprintf(stderr, "%s: mutually exclusive arguments:", program_invocation_short_name);
			for (const char *x = groups[g]; *x; x++)
				for (const struct option *l = longopts; l->name; l++)
					if (l->val == *x)
						fprintf(stderr, " --%s", l->name);
			fputc('\n', stderr);
			exit(MNT_EX_USAGE);
		}
	}
}

/* --explain: the tool's explain command, on the same targets. */
static int explain_only(const char *ns, bool json, int argc, char **argv)
{
	struct explain_args a = { .json = json, .ns = ns, .budget_ns = EXPLAIN_DEFAULT_BUDGET_NS };
	return explain_run(&a, argv, argc);
}

int frontend_main(int argc, char **argv)
{
	enum { OPT_FAKE = CHAR_MAX + 1, OPT_EXPLAIN, OPT_JSON };
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "all-targets", no_argument, NULL, 'A' },
		{ "detach-loop", no_argument, NULL, 'd' },
		{ "fake", no_argument, NULL, OPT_FAKE },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "internal-only", no_argument, NULL, 'i' },
		{ "lazy", no_argument, NULL, 'l' },
		{ "no-canonicalize", no_argument, NULL, 'c' },
		{ "no-mtab", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "recursive", no_argument, NULL, 'R' },
		{ "test-opts", required_argument, NULL, 'O' },
		{ "types", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "namespace", required_argument, NULL, 'N' },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 },
	};
	struct frontend fe = { .envs_removed = umh_sanitize_env() };
	bool all = false, recursive = false, alltargets = false, explain = false, json = false;
	const char *types = NULL;
	int seen[4] = { 0 }, c, rc = 0;
	char ns_path[PATH_MAX];

	if (umh_config_load(program_invocation_short_name, NULL, &fe.config) < 0)
		errx(MNT_EX_SYSERR, "cannot allocate memory");
	mnt_init_debug(0);
	fe.cxt = mnt_new_context();
	if (!fe.cxt)
		err(MNT_EX_SYSERR, "libmount context allocation failed");

	while ((c = getopt_long(argc, argv, "aAcdfhilnqRrO:t:vVN:", longopts, NULL)) != -1) {
		/* A non-root user of a set-user-ID umount keeps its privileges
		 * only for these; -c is ignored, anything else makes it a
		 * plain user first. */
		if (mnt_context_is_restricted(fe.cxt) && (c > CHAR_MAX || !strchr("hdilqVv", c))) {
			if (c == 'c')
				continue;
			umh_suid_drop(fe.cxt, &fe.envs_removed);
		}
		check_exclusive(c, longopts, seen);
		switch (c) {
		case 'a': all = true; break;
		case 'A': alltargets = true; break;
		case 'c': mnt_context_disable_canonicalize(fe.cxt, 1); break;
		case 'd': mnt_context_enable_loopdel(fe.cxt, 1); break;
		case OPT_FAKE: mnt_context_enable_fake(fe.cxt, 1); break;
		case 'f': mnt_context_enable_force(fe.cxt, 1); break;
		case 'i': mnt_context_disable_helpers(fe.cxt, 1); break;
		case 'l': mnt_context_enable_lazy(fe.cxt, 1); break;
		case 'n': mnt_context_disable_mtab(fe.cxt, 1); break;
		case 'q': fe.quiet = true; break;
		case 'r': mnt_context_enable_rdonly_umount(fe.cxt, 1); break;
		case 'R': recursive = true; break;
		case 'O':
			if (mnt_context_set_options_pattern(fe.cxt, optarg))
				err(MNT_EX_SYSERR, "failed to set options pattern");
			break;
		case 't': types = optarg; break;
		case 'v': mnt_context_enable_verbose(fe.cxt, 1); break;
		case 'N': {
			pid_t pid = umh_parse_pid(optarg);
			bool is_pid = pid > 0;
			if (is_pid)
				snprintf(ns_path, sizeof(ns_path), "/proc/%d/ns/mnt", (int)pid);
			if (mnt_context_set_target_ns(fe.cxt, is_pid ? ns_path : optarg))
				err(MNT_EX_SYSERR, "failed to set target namespace to %s", is_pid ? ns_path : optarg);
			fe.ns = optarg;
			break;
		}
		case OPT_EXPLAIN: explain = true; break;
		case OPT_JSON: json = true; break;
		case 'h': usage(); break;
		case 'V': version(); break;
		default: usage_error();
		}
	}
	argc -= optind;
	argv += optind;

	if (json && !explain) {
		warnx("--json goes with --explain");
		usage_error();
	}
	if (explain) {
		if (all || argc < 1) {
			warnx(all ? "--explain takes targets, not --all" : "bad usage");
			usage_error();
		}
		rc = explain_only(fe.ns, json, argc, argv);
		goto out;
	}

	/* Helpers that libmount runs leave the explanation to us. */
	char pid[24];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv(UMH_FRONTEND_ENV, pid, 1);

	if (all) {
		if (argc) {
			warnx("unexpected number of arguments");
			usage_error();
		}
		mnt_context_set_fstype_pattern(fe.cxt,
					       types ? types : "noproc,nodevfs,nodevpts,nosysfs,norpc_pipefs,nonfsd,noselinuxfs");
		rc = frontend_umount_all(&fe);
	} else if (argc < 1) {
		warnx("bad usage");
		usage_error();
	} else if (alltargets) {
		for (int i = 0; i < argc; i++)
			rc += frontend_umount_alltargets(&fe, argv[i], recursive);
	} else if (recursive) {
		for (int i = 0; i < argc; i++)
			rc += frontend_umount_recursive(&fe, argv[i]);
	} else {
		if (mnt_context_is_restricted(fe.cxt)) {
			for (int i = 0; i < argc; i++)
				if (mnt_tag_is_valid(argv[i]))
					errx(MNT_EX_USAGE, "%s: tags are not allowed for non-root users", argv[i]);
			mnt_context_disable_swapmatch(fe.cxt, 1);
		}
		for (int i = 0; i < argc; i++) {
			_cleanup_free_ char *path = mnt_context_is_restricted(fe.cxt)
							    ? umh_canonicalize_restricted(argv[i])
							    : NULL;
			rc += frontend_umount_one(&fe, path ? path : argv[i]);
		}
	}
out:
	mnt_free_context(fe.cxt);
	umh_env_list_free(fe.envs_removed);
	umh_config_free(&fe.config);
	return rc < 256 ? rc : 255;
}
