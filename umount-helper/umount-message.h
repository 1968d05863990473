/* What util-linux umount(8) prints about an unmount, so that the front end
 * and a umount.<type> helper speak exactly like it: the same libmount calls
 * (mnt_context_get_excode) and the same words, "umount: /mnt: target is
 * busy.", on stderr. */
#pragma once

#include <libmount.h>
#include <stdbool.h>

/* util-linux's mk_exit_code(): prints libmount's message for the result
 * API_RC of mnt_context_umount() as "umount: TARGET: MESSAGE." and returns
 * the exit code.  QUIET is -q: "not mounted" (and, for a non-root user,
 * "must be superuser") is not printed. */
int umh_umount_exit_code(struct libmnt_context *cxt, int api_rc, bool quiet);

/* -v after a successful unmount: "umount: /mnt (source) unmounted", the
 * source left out unless WITH_SOURCE: util-linux knows it only when it read
 * the mount table, and a helper's caller mostly does not. */
void umh_umount_success_message(struct libmnt_context *cxt, bool with_source);

/* Whether umount(2) itself ran and returned EBUSY. */
bool umh_umount_said_busy(struct libmnt_context *cxt);
