/* umount.<type>: the libmount helper protocol.
 *
 *   umount.TYPE TARGET [-n] [-l] [-f] [-v] [-r] [-t type.subtype] [-N ns]
 *
 * util-linux umount execs /sbin/umount.<type> with these arguments, as the
 * real user, passes its exit status through and prints nothing itself.
 *
 * When the distribution has a helper for TYPE (nfs-utils' umount.nfs), this
 * one wraps it: it runs it with the same arguments, its output and exit
 * status untouched, and only when it failed and the same mount (mount id
 * read before) is still there, explains on stderr after its message.
 * nfs-utils prints its errors on stderr and exits 16 for any failed umount,
 * so the explanation follows its message on the stream people read errors
 * on, and stdout stays what scripts saw before.  Without such a helper, it
 * unmounts through libmount (helper-native.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "after-failure.h"
#include "base/caps.h"
#include "base/cleanup-mount.h"
#include "config.h"
#include "handover.h"
#include "helper-args.h"
#include "helper-find.h"
#include "suid.h"
#include "umount-helper.h"

static void note_mount(const char *target, const char *ns, uint64_t *mnt_id, char **mount_point)
{
	_cleanup_(mnt_free_contextp) struct libmnt_context *cxt = mnt_new_context();
	if (!cxt || (ns && mnt_context_set_target_ns(cxt, ns) < 0))
		return;
	umh_mount_lookup(cxt, target, mnt_id, mount_point);
}

/* Runs ORIGINAL with our own argv (argv[0] included: mount.nfs reads its
 * mode and its name for messages from it) and returns its wait status. */
static int run_original(const char *prog, const char *original, char **argv, int *wstatus)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* As libmount runs helpers: as the real user.  A helper that
		 * needs privileges is set-user-ID itself (mount.nfs is). */
		if (umh_become_real_user() < 0)
			_exit(EX_EXEC);
		execv(original, argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, original, strerror(errno));
		_exit(EX_EXEC);
	}
	while (waitpid(pid, wstatus, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* After the wrapped helper exited with STATUS: the explanation, when C
 * wants one here, the status may mean busy and MNT_ID (noted at
 * MOUNT_POINT, in namespace NS, before it ran) is still there. */
static void explain_wrapped_failure(int status, const char *mount_point, const char *ns, uint64_t mnt_id,
				    const struct umh_config *c)
{
	if (!c->explain || umh_frontend_explains() || !umh_helper_status_may_be_busy(status))
		return;
	struct umh_failure f = { .target = mount_point, .ns = ns, .mnt_id = mnt_id, .helper_failed = true };
	umh_explain_failure(&f, c);
}

static int wrap(const char *prog, const char *original, int argc, char **argv, const struct umh_config *c)
{
	const char *target, *ns;
	uint64_t mnt_id = 0;
	_cleanup_free_ char *mount_point = NULL;
	bool explain = c->explain && !umh_frontend_explains();

	umh_helper_scan_args(argc, argv, &target, &ns);
	if (explain && target)
		note_mount(target, ns, &mnt_id, &mount_point);

	int wstatus;
	int r = run_original(prog, original, argv, &wstatus);
	if (r < 0) {
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, original, strerror(-r));
		return EX_EXEC;
	}
	int status = umh_helper_pass_status(wstatus);
	explain_wrapped_failure(status, mount_point, ns, mnt_id, c);
	return status;
}

int helper_main(int argc, char **argv, const char *type)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	/* Set-user-ID like nfs-utils' mount.nfs, for the "user" mounts of
	 * /etc/fstab: what util-linux's umount does about its caller
	 * (suid.h), before anything else. */
	bool suid = umh_suid_run();
	struct umh_env_list *envs = suid ? umh_sanitize_env() : NULL;
	/* Taken now, so that no process we start inherits them. */
	bool umount_said_busy = umh_handover_take_busy();
	int wrapped_status = 0;
	uint64_t wrapped_id = 0;
	_cleanup_free_ char *wrapped_at = NULL;
	bool wrapped = umh_handover_take_wrapped(&wrapped_status, &wrapped_id, &wrapped_at);
	struct umh_config c;
	if (umh_config_load(prog, type, &c) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		umh_env_list_free(envs);
		return EX_SYSERR;
	}
	int status;
	if (wrapped) {
		/* The lean helper that was this process ran the helper it
		 * wraps, which failed: only the explanation is left to do. */
		const char *target, *ns;
		umh_helper_scan_args(argc, argv, &target, &ns);
		explain_wrapped_failure(wrapped_status, wrapped_at, ns, wrapped_id, &c);
		umh_config_free(&c);
		umh_env_list_free(envs);
		return wrapped_status;
	}
	_cleanup_free_ char *original = umh_helper_find_original(suid ? NULL : argv[0], type, &c);
	/* Wrapping needs no privilege: the original runs as the user (set-
	 * user-ID itself if it needs to be), and so does the explanation. */
	if (original && suid)
		umh_suid_drop(NULL, &envs);
	if (!original) {
		status = helper_native(argc, argv, &c, &envs, umount_said_busy);
	} else if (umh_helper_is_ours(original, suid ? NULL : argv[0])) {
		fprintf(stderr, "%s: %s is this program itself, not the helper to wrap (see %s)\n", prog, original,
			c.path);
		status = EX_EXEC;
	} else {
		status = wrap(prog, original, argc, argv, &c);
	}
	umh_config_free(&c);
	umh_env_list_free(envs);
	return status;
}
