/* The umount front end's parts: options (frontend.c), the unmounting
 * (frontend-umount.c, after util-linux sys-utils/umount.c) and what a
 * set-user-ID umount must do about its environment and privileges
 * (frontend-suid.c). */
#pragma once

#include <libmount.h>
#include <stdbool.h>

#include "config.h"

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

/* Removes the variables a set-user-ID program must not trust (PATH, LD_*,
 * LANG with a slash, ...) and keeps them to put back when the program
 * becomes the user again; util-linux's __sanitize_env(). */
struct umh_env_list *umh_sanitize_env(void);
void umh_env_list_free(struct umh_env_list *l);

/* util-linux umount's suid_drop(): become the real user for good, tell
 * libmount it runs unrestricted (as a plain user), and restore the
 * environment.  Exits 32 if the privileges cannot be dropped. */
void frontend_suid_drop(struct frontend *fe);

/* The canonical form of PATH as the real user resolves it (a non-root user
 * must not learn about paths they may not read); exits 1 as util-linux
 * does when it cannot. */
char *frontend_canonicalize_restricted(const char *path);
