/* Unmounting, as util-linux sys-utils/umount.c does it, call for call, so
 * that options, messages and exit codes mean what they mean there.  What is
 * added: the mount each umount is about to try is noted first, and after a
 * failure that may be "busy" the explanation follows util-linux's message on
 * stderr (unless -q, or when explanations are turned off). */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "after-failure.h"
#include "base/cleanup-mount.h"
#include "frontend.h"
#include "handover.h"
#include "umount-helper.h"
#include "umount-message.h"

static bool explaining(const struct frontend *fe)
{
	return fe->config.explain && !fe->quiet;
}

/* After a failed umount of the mount noted as MNT_ID at TARGET: umount(2)
 * said EBUSY, or a helper (which left the explanation to us, see
 * UMH_FRONTEND_ENV) failed in a way that may mean busy. */
static void explain_if_busy(struct frontend *fe, const char *target, uint64_t mnt_id)
{
	struct libmnt_context *cxt = fe->cxt;
	bool busy = umh_umount_said_busy(cxt);
	bool helper_failed = mnt_context_helper_executed(cxt) &&
			     umh_helper_status_may_be_busy(mnt_context_get_helper_status(cxt));
	if (!explaining(fe) || !(busy || helper_failed))
		return;
	struct umh_failure f = {
		.target = target, .ns = fe->ns, .mnt_id = mnt_id, .known_busy = busy, .helper_failed = helper_failed
	};
	umh_explain_failure(&f, &fe->config);
}

int frontend_umount_one(struct frontend *fe, const char *spec)
{
	struct libmnt_context *cxt = fe->cxt;
	uint64_t mnt_id = 0;
	_cleanup_free_ char *target = NULL;
	int before = 0;
	if (!spec)
		return MNT_EX_SOFTWARE;
	if (explaining(fe))
		before = umh_mount_lookup(cxt, spec, &mnt_id, &target);

	if (mnt_context_set_target(cxt, spec))
		err(MNT_EX_SYSERR, "failed to set umount target");
	int rc = mnt_context_umount(cxt);
	if (rc == -EPERM && mnt_context_is_restricted(cxt) && mnt_context_tab_applied(cxt) &&
	    !mnt_context_syscall_called(cxt)) {
		/* The mount point exists, but libmount refused something
		 * else: retry as the plain user. */
		umh_suid_drop(fe->cxt, &fe->envs_removed);
		rc = mnt_context_umount(cxt);
	}
	rc = umh_umount_exit_code(cxt, rc, fe->quiet);
	if (rc == MNT_EX_SUCCESS && mnt_context_is_verbose(cxt))
		umh_umount_success_message(cxt, true);
	if (rc != MNT_EX_SUCCESS)
		explain_if_busy(fe, target, mnt_id);
	/* Not mounted (or its mount point is gone too): where did it go? */
	if (rc != MNT_EX_SUCCESS && explaining(fe) && (before == -EINVAL || before == -ENOENT))
		umh_explain_vanished(spec, fe->ns, &fe->config);
	mnt_reset_context(cxt);
	return rc;
}

int frontend_umount_all(struct frontend *fe)
{
	struct libmnt_context *cxt = fe->cxt;
	_cleanup_(mnt_free_iterp) struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_BACKWARD);
	struct libmnt_fs *fs;
	int mntrc, ignored, rc = 0;
	if (!itr) {
		warn("failed to initialize libmount iterator");
		return MNT_EX_SYSERR;
	}
	while (mnt_context_next_umount(cxt, itr, &fs, &mntrc, &ignored) == 0) {
		const char *tgt = mnt_fs_get_target(fs);
		if (ignored) {
			if (mnt_context_is_verbose(cxt))
				printf("%-25s: ignored\n", tgt);
			continue;
		}
		int xrc = umh_umount_exit_code(cxt, mntrc, fe->quiet);
		if (xrc == MNT_EX_SUCCESS && mnt_context_is_verbose(cxt))
			printf("%-25s: successfully unmounted\n", tgt);
		/* FS comes from the mount table read before this umount:
		 * its id is the mount that was tried. */
		if (xrc != MNT_EX_SUCCESS)
			explain_if_busy(fe, tgt, (uint64_t)mnt_fs_get_id(fs));
		rc |= xrc;
	}
	return rc;
}

static struct libmnt_table *new_mountinfo(struct libmnt_context *cxt)
{
	struct libmnt_ns *ns_old = mnt_context_switch_target_ns(cxt);
	if (!ns_old)
		err(MNT_EX_SYSERR, "failed to switch namespace");
	struct libmnt_table *tb = mnt_new_table();
	if (!tb)
		err(MNT_EX_SYSERR, "libmount table allocation failed");
	mnt_table_set_cache(tb, mnt_context_get_cache(cxt));
	if (mnt_table_parse_file(tb, "/proc/self/mountinfo")) {
		warn("failed to parse %s", "/proc/self/mountinfo");
		mnt_unref_table(tb);
		tb = NULL;
	}
	if (!mnt_context_switch_ns(cxt, ns_old))
		err(MNT_EX_SYSERR, "failed to switch namespace");
	return tb;
}

static void warn_not_mounted(const struct frontend *fe, const char *spec)
{
	if (!fe->quiet)
		warnx(access(spec, F_OK) == 0 ? "%s: not mounted" : "%s: not found", spec);
	if (explaining(fe))
		umh_explain_vanished(spec, fe->ns, &fe->config);
}

/* Like frontend_umount_one(), but a SPEC that is no longer mounted is not
 * an error. */
static int umount_one_if_mounted(struct frontend *fe, const char *spec)
{
	struct libmnt_fs *fs;
	int rc = mnt_context_find_umount_fs(fe->cxt, spec, &fs);
	if (rc == 1) {
		mnt_reset_context(fe->cxt);
		return MNT_EX_SUCCESS; /* already unmounted */
	}
	if (rc < 0) {
		rc = umh_umount_exit_code(fe->cxt, rc, fe->quiet);
		mnt_reset_context(fe->cxt);
		return rc;
	}
	return frontend_umount_one(fe, mnt_fs_get_target(fs));
}

/* Children first, the mount stacked on top before them. */
static int umount_do_recurse(struct frontend *fe, struct libmnt_table *tb, struct libmnt_fs *fs)
{
	_cleanup_(mnt_free_iterp) struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_BACKWARD);
	struct libmnt_fs *child, *over = NULL;
	int rc;
	if (!itr)
		err(MNT_EX_SYSERR, "libmount iterator allocation failed");
	if (mnt_table_over_fs(tb, fs, &over) == 0 && over) {
		rc = umount_do_recurse(fe, tb, over);
		if (rc != MNT_EX_SUCCESS)
			return rc;
	}
	for (;;) {
		rc = mnt_table_next_child_fs(tb, itr, fs, &child);
		if (rc < 0) {
			warnx("failed to get child fs of %s", mnt_fs_get_target(fs));
			return MNT_EX_SOFTWARE;
		}
		if (rc == 1)
			break;
		if (over && child == over)
			continue;
		rc = umount_do_recurse(fe, tb, child);
		if (rc != MNT_EX_SUCCESS)
			return rc;
	}
	return umount_one_if_mounted(fe, mnt_fs_get_target(fs));
}

int frontend_umount_recursive(struct frontend *fe, const char *spec)
{
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = new_mountinfo(fe->cxt);
	if (!tb)
		return MNT_EX_SOFTWARE;
	/* Always a mount point: never take the target for a device. */
	mnt_context_disable_swapmatch(fe->cxt, 1);
	struct libmnt_fs *fs = mnt_table_find_target(tb, spec, MNT_ITER_FORWARD);
	if (!fs) {
		warn_not_mounted(fe, spec);
		return MNT_EX_USAGE;
	}
	return umount_do_recurse(fe, tb, fs);
}

int frontend_umount_alltargets(struct frontend *fe, const char *spec, bool recursive)
{
	struct libmnt_context *cxt = fe->cxt;
	struct libmnt_fs *fs;
	int rc = mnt_context_find_umount_fs(cxt, spec, &fs);
	if (rc == 1) {
		warn_not_mounted(fe, spec);
		return MNT_EX_USAGE;
	}
	if (rc < 0)
		return umh_umount_exit_code(cxt, rc, fe->quiet);
	if (!mnt_fs_get_srcpath(fs) || !mnt_fs_get_devno(fs))
		errx(MNT_EX_USAGE, "%s: failed to determine source (--all-targets is unsupported on systems with "
				   "regular mtab file).",
		     spec);

	_cleanup_(mnt_free_iterp) struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_BACKWARD);
	if (!itr)
		err(MNT_EX_SYSERR, "libmount iterator allocation failed");
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = new_mountinfo(cxt);
	if (!tb)
		return MNT_EX_SOFTWARE;
	/* FS belongs to the context, which every umount resets. */
	dev_t devno = mnt_fs_get_devno(fs);
	fs = NULL;
	mnt_reset_context(cxt);

	rc = MNT_EX_SUCCESS;
	while (mnt_table_next_fs(tb, itr, &fs) == 0) {
		if (mnt_fs_get_devno(fs) != devno)
			continue;
		mnt_context_disable_swapmatch(cxt, 1);
		rc = recursive ? umount_do_recurse(fe, tb, fs) : umount_one_if_mounted(fe, mnt_fs_get_target(fs));
		if (rc != MNT_EX_SUCCESS)
			break;
	}
	return rc;
}
