#include "umount-message.h"

#include <errno.h>
#include <stdio.h>

int umh_umount_exit_code(struct libmnt_context *cxt, int api_rc, bool quiet)
{
	char buf[BUFSIZ] = { 0 };
	int rc = mnt_context_get_excode(cxt, api_rc, buf, sizeof(buf));

	if (quiet) {
		if (rc == MNT_EX_USAGE && api_rc == -EPERM) /* a non-root user */
			return rc;
		if (rc == MNT_EX_FAIL && mnt_context_syscall_called(cxt) && mnt_context_get_syscall_errno(cxt) == EINVAL)
			return rc; /* not mounted */
	}
	if (*buf) {
		const char *spec = mnt_context_get_target(cxt);
		if (!spec)
			spec = mnt_context_get_source(cxt);
		fprintf(stderr, "umount: %s: %s.\n", spec ? spec : "???", buf);
	}
	return rc;
}

void umh_umount_success_message(struct libmnt_context *cxt, bool with_source)
{
	if ((mnt_context_helper_executed(cxt) && mnt_context_get_helper_status(cxt)) ||
	    mnt_context_get_status(cxt) != 1)
		return;
	const char *tgt = mnt_context_get_target(cxt), *src = with_source ? mnt_context_get_source(cxt) : NULL;
	if (!tgt)
		return;
	if (src)
		fprintf(stderr, "umount: %s (%s) unmounted\n", tgt, src);
	else
		fprintf(stderr, "umount: %s unmounted\n", tgt);
}

bool umh_umount_said_busy(struct libmnt_context *cxt)
{
	return mnt_context_syscall_called(cxt) && mnt_context_get_syscall_errno(cxt) == EBUSY;
}
