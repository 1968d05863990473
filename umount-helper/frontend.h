/* The umount front end's parts: options (frontend.c), the unmounting
 * (frontend-umount.c, after util-linux sys-utils/umount.c) and what a
 * set-user-ID umount must do about its environment and privileges
 * (suid.c). */
#pragma once

#include <libmount.h>
#include <stdbool.h>

#include "config.h"
#include "suid.h"

struct frontend {
	struct libmnt_context *cxt;
	struct umh_config config;
	bool quiet;
	const char *ns; /* -N as the user gave it */
	struct umh_env_list *envs_removed;
};

/* util-linux umount's umount_one(), umount_all(), umount_recursive() and
 * umount_alltargets(), each returning the exit code; a failure because the
 * target is busy is explained on stderr unless -q. */
int frontend_umount_one(struct frontend *fe, const char *spec);
int frontend_umount_all(struct frontend *fe);
int frontend_umount_recursive(struct frontend *fe, const char *spec);
int frontend_umount_alltargets(struct frontend *fe, const char *spec, bool recursive);
