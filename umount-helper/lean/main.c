/* umount-helper-lean: the umount.TYPE helper that util-linux umount runs,
 * lean enough that an unmount that succeeds costs what util-linux alone
 * costs.
 *
 * Installed as /sbin/umount.TYPE, a helper is started for every unmount of
 * TYPE, busy or not.  The tool links libmount, libbpf, libsystemd and what
 * they link, seventeen libraries, for an explanation that only a failure
 * needs; its start alone made an unmount cost 1.7 times util-linux's.  This
 * program links the C library only.  Where a bare umount(2) is all that
 * util-linux would do -- run by root, an absolute path, no option but -n
 * and -t, no /run/mount/utab entries and no /etc/mtab file to update, the
 * conditions under which libmount itself skips the mount table
 * (lookup_umount_fs_by_statfs) -- and there is no distribution helper to
 * wrap, it calls umount(2), and a success ends there.  Where there is one
 * (nfs-utils' umount.nfs, moved aside by the package), run by root, it
 * runs that helper itself (wrap.h), as the tool would: a success ends
 * there too, and a failure that may be EBUSY goes to the tool to explain.
 *
 * Everything else goes to the tool, exec'd with the same arguments in the
 * same process (what umount(8) waits for and what a signal reaches stay
 * the same): -l, -f, -r, -v and -N without a helper to wrap, -N with one, a
 * user, a table to update, and every failure of our own umount(2) but
 * EBUSY: those changed nothing, so the tool starts over through libmount
 * (which finds a device, a tag or a relative path that umount(2) took for
 * a mount point).  EBUSY changed nothing either, but a second try could
 * succeed where umount(8) would have failed: that verdict is handed over
 * (handover.h), and the tool says it in util-linux's words and explains
 * it; so is the wrapped helper's failure, which must not be run again. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "../config.h"
#include "../handover.h"
#include "../helper-args.h"
#include "../helper-find.h"
#include "../umount-helper.h"
#include "wrap.h"

/* libmount's paths, and the variables that move them (as libmount reads
 * them: not in a set-user-ID process). */
#define UTAB_PATH "/run/mount/utab"
#define MTAB_PATH "/etc/mtab"

static const char *path_from(const char *env, const char *dflt)
{
	const char *p = secure_getenv(env);
	return p && *p ? p : dflt;
}

/* Whether a umount of TARGET would leave libmount something to update in
 * its own tables: a /run/mount/utab that is not empty (an entry for
 * TARGET, perhaps: libmount removes it after the unmount), or with NO_MTAB
 * false, an /etc/mtab that is a file rather than a link to the kernel's.
 * Where that cannot be told, it would. */
static bool tables_to_update(bool no_mtab)
{
	struct stat st;
	if (stat(path_from("LIBMOUNT_UTAB", UTAB_PATH), &st) == 0 ? st.st_size != 0 : errno != ENOENT)
		return true;
	if (no_mtab)
		return false;
	if (lstat(path_from("LIBMOUNT_MTAB", MTAB_PATH), &st) == 0)
		return S_ISREG(st.st_mode);
	return errno != ENOENT;
}

/* The target, when ARGV asks for nothing a bare umount(2) would not do:
 * one absolute path, and no option but -n (sets *NO_MTAB) and -t.  ARGV is
 * left as it was (getopt reorders what it parses; the tool, and the helper
 * it may wrap, get our arguments unchanged). */
static const char *bare_target(int argc, char **argv, bool *no_mtab)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	_cleanup_free_ char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	if (!copy)
		return NULL;
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	*no_mtab = false;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, copy, "nlfvrt:N:hV", longopts, NULL)) != -1) {
		if (ch == 'n')
			*no_mtab = true;
		else if (ch != 't')
			return NULL;
	}
	if (optind + 1 != argc || copy[optind][0] != '/')
		return NULL;
	/* Into ARGV, not the copy that is freed. */
	for (int i = 1; i < argc; i++)
		if (argv[i] == copy[optind])
			return argv[i];
	return NULL;
}

enum plan {
	PLAN_TOOL, /* exec the tool */
	PLAN_BARE, /* umount(2) alone does what the tool would do */
	PLAN_WRAP, /* run the distribution's helper, as the tool would */
};

/* What to do for ARGV.  PLAN_BARE sets *TARGET; PLAN_WRAP sets *TARGET (or
 * NULL), *ORIGINAL (allocated) and *EXPLAIN (the configuration's: whether
 * a failure is to be explained). */
static enum plan plan_for(int argc, char **argv, const char *type, const char **target, char **original,
			  bool *explain)
{
	/* libmount's "restricted" (a user, or set-user-ID): permission
	 * checks in user space first. */
	if (getuid() != 0 || geteuid() != 0)
		return PLAN_TOOL;
	if (getenv("LIBMOUNT_DEBUG"))
		return PLAN_TOOL;
	struct umh_config c;
	if (umh_config_load(NULL, type, &c) < 0)
		return PLAN_TOOL;
	*original = umh_helper_find_original(argv[0], type, &c);
	*explain = c.explain;
	umh_config_free(&c);
	if (*original) {
		const char *ns;
		umh_helper_scan_args(argc, argv, target, &ns);
		/* In another namespace (-N) the mount to note is not ours to
		 * read here; one of our own programs as the helper to wrap
		 * is the tool's to refuse. */
		if (!ns && !umh_helper_is_ours(*original, argv[0]))
			return PLAN_WRAP;
		free(*original);
		*original = NULL;
		return PLAN_TOOL;
	}
	bool no_mtab;
	if (!(*target = bare_target(argc, argv, &no_mtab)) || tables_to_update(no_mtab))
		return PLAN_TOOL;
	return PLAN_BARE;
}

/* Becomes the tool, with our arguments.  Returns only when it cannot.
 *
 * This program is never installed set-user-ID (libmount runs helpers as
 * the real user; the tool is set-user-ID itself where that is wanted).
 * Were it, the tool exec'd from it would keep the privileges without the
 * kernel's secure-execution mode (AT_SECURE): it would read LD_PRELOAD and
 * the rest of the caller's environment as root.  So a process whose real
 * and effective ids differ becomes the real user first, or stops. */
static int exec_tool(char **argv)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if ((uid != geteuid() || gid != getegid()) &&
	    (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)) {
		fprintf(stderr, "%s: cannot become the real user: %s\n", program_invocation_short_name, strerror(errno));
		return -EPERM;
	}
	_cleanup_free_ char *tool = umh_tool_path(argv[0]);
	if (!tool)
		return -ENOMEM;
	execv(tool, argv);
	int r = -errno;
	fprintf(stderr, "%s: cannot run %s: %s\n", program_invocation_short_name, tool, strerror(-r));
	return r;
}

/* Runs ORIGINAL (freed) with our arguments, as the tool's helper.c does: its
 * output and status untouched; a failure that may be EBUSY is handed over
 * to the tool, with the mount noted at TARGET before it ran, when EXPLAIN. */
static int wrap(char *original, char **argv, const char *target, bool explain)
{
	uint64_t mnt_id = explain && target ? umh_lean_mount_id_at(target) : 0;
	int wstatus = umh_lean_run(original, argv);
	free(original);
	if (wstatus < 0)
		return EX_EXEC;
	int status = umh_helper_pass_status(wstatus);
	if (explain && umh_helper_status_may_be_busy(status) &&
	    umh_handover_wrapped(status, mnt_id, mnt_id ? target : NULL) == 0)
		exec_tool(argv);
	/* Nothing to explain, or no tool to explain it: the status stands. */
	return status;
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argc > 0 ? argv[0] : "";
	umh_handover_clear();
	const char *target = NULL;
	char *original = NULL;
	bool explain = false;
	enum plan plan = PLAN_TOOL;
	if (strncmp(base, "umount.", 7) == 0 && base[7])
		plan = plan_for(argc, argv, base + 7, &target, &original, &explain);
	if (plan == PLAN_WRAP)
		return wrap(original, argv, target, explain);
	if (plan == PLAN_TOOL) {
		exec_tool(argv);
		return EX_EXEC;
	}
	if (umount(target) == 0)
		return EX_OK;
	if (errno != EBUSY) {
		exec_tool(argv);
		return EX_EXEC;
	}
	if (umh_handover_busy() == 0)
		exec_tool(argv);
	/* No tool to say it: util-linux's words for EBUSY, and its status. */
	fprintf(stderr, "umount: %s: target is busy.\n", target);
	return EX_FAIL;
}
