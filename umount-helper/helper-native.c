/* umount.<type> without a distribution helper to wrap: unmount through
 * libmount, which mnt_context_init_helper() tells not to look for helpers
 * (we are the helper: no recursion), and speak like util-linux umount, so
 * that `umount /mnt` reads the same as without us, plus the explanation on
 * stderr when umount(2) said EBUSY.
 *
 * Nothing is looked at before umount(2) that its verdict does not need:
 * the mount to explain is looked up after it said EBUSY (it is still there
 * then).  When the lean helper already called umount(2) and got EBUSY
 * (handover.h), libmount prepares the same context but is not asked to
 * call it again: the syscall's status is set to what it was. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "after-failure.h"
#include "base/cleanup-mount.h"
#include "cli.h"
#include "config.h"
#include "suid.h"
#include "umount-helper.h"
#include "umount-message.h"

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage:\n"
		" %s <target> [-n] [-l] [-f] [-v] [-r] [-t <type>] [-N <ns>]\n"
		"\n"
		"The umount helper for this filesystem type, run by umount(8): unmounts\n"
		"<target> and, when it is busy, explains what holds it.\n"
		"\n"
		"Options:\n"
		" -n              don't write to /etc/mtab\n"
		" -l              detach the filesystem now, clean up things later\n"
		" -f              force unmount\n"
		" -v              say what is being done\n"
		" -r              in case unmounting fails, try to remount read-only\n"
		" -t <type>       the filesystem type (type.subtype)\n"
		" -N <ns>         unmount in another mount namespace\n"
		" -h, --help      display this help\n"
		" -V, --version   display version\n"
		"\n"
		"For more details see umount-helper-wrapper(8).\n",
		prog);
}

/* mnt_context_umount() for a umount(2) that was already called and said
 * EBUSY: the same preparation (the mount looked up as libmount looks it
 * up, whose target the message names), then that status, as
 * mnt_context_set_syscall_status() is meant for. */
static int umount_already_busy(struct libmnt_context *cxt)
{
	int r = mnt_context_prepare_umount(cxt);
	if (r < 0)
		return r;
	mnt_context_set_syscall_status(cxt, -EBUSY);
	return EBUSY; /* what mnt_context_umount() returns for a umount(2) error */
}

int helper_native(int argc, char **argv, const struct umh_config *c, struct umh_env_list **envs,
		  bool umount_said_busy)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	_cleanup_(mnt_free_contextp) struct libmnt_context *cxt = mnt_new_context();
	if (!cxt || mnt_context_init_helper(cxt, MNT_ACT_UMOUNT, 0) < 0) {
		fprintf(stderr, "%s: libmount context allocation failed\n", prog);
		return EX_SYSERR;
	}

	const char *ns = NULL;
	bool verbose = false, suid = umh_suid_run();
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "nlfvrt:N:hV", longopts, NULL)) != -1) {
		/* Set-user-ID for a user: privileged only for what util-linux's
		 * umount keeps its privileges for (-l, -v), and -t, the
		 * type.subtype libmount names; -n, -f, -r, and -N (a namespace
		 * file: opened and entered as root otherwise) make it the user
		 * first, as they make util-linux's umount before it runs us. */
		if (suid && mnt_context_is_restricted(cxt) && strchr("nfrN", ch))
			umh_suid_drop(cxt, envs);
		switch (ch) {
		case 'h':
			usage(stdout, prog);
			return EX_OK;
		case 'V':
			print_version();
			return EX_OK;
		case '?':
			return try_help(prog, NULL);
		case 'N':
			ns = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		}
		/* -n -l -f -v -r -t -N, as libmount defines them for helpers. */
		if (mnt_context_helper_setopt(cxt, ch, optarg) < 0) {
			fprintf(stderr, "%s: failed to set option -%c\n", prog, ch);
			return EX_SYSERR;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "%s: %s\n", prog, optind >= argc ? "no target specified" : "too many arguments");
		return try_help(prog, NULL);
	}
	const char *target = argv[optind];
	_cleanup_free_ char *canonical = NULL;
	if (suid && mnt_context_is_restricted(cxt)) {
		/* As util-linux's umount: a user names a mount point, resolved
		 * as that user. */
		if (mnt_tag_is_valid(target)) {
			fprintf(stderr, "%s: %s: tags are not allowed for non-root users\n", prog, target);
			return EX_USAGE;
		}
		target = canonical = umh_canonicalize_restricted(target);
		mnt_context_disable_swapmatch(cxt, 1);
	}
	if (mnt_context_set_target(cxt, target) < 0) {
		fprintf(stderr, "%s: failed to set umount target\n", prog);
		return EX_SYSERR;
	}

	int api_rc = umount_said_busy ? umount_already_busy(cxt) : mnt_context_umount(cxt);
	int rc = umh_umount_exit_code(cxt, api_rc, false);
	if (rc == EX_OK && verbose)
		umh_umount_success_message(cxt, false);
	if (rc != EX_OK && c->explain && !umh_frontend_explains() && umh_umount_said_busy(cxt)) {
		uint64_t mnt_id = 0;
		_cleanup_free_ char *mount_point = NULL;
		umh_mount_lookup(cxt, target, &mnt_id, &mount_point);
		struct umh_failure f = { .target = mount_point, .ns = ns, .mnt_id = mnt_id, .known_busy = true };
		umh_explain_failure(&f, c);
	}
	return rc;
}
