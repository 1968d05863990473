/* What a program installed set-user-ID root does about its caller, as
 * util-linux's umount does it (sys-utils/umount.c: __sanitize_env(),
 * suid_drop(), sanitize_path()).  The umount front end and the umount.TYPE
 * helper keep their privileges only for what libmount's restricted mode
 * checks (may this user unmount this?); anything else makes them the user. */
#pragma once

#include <libmount.h>
#include <stdbool.h>

/* Whether this process runs with privileges its caller did not have:
 * set-user-ID, set-group-ID or file capabilities (AT_SECURE). */
bool umh_suid_run(void);

/* Removes the variables a set-user-ID program must not trust (PATH, LD_*,
 * LANG with a slash, ...) and keeps them to put back when the program
 * becomes the user again; util-linux's __sanitize_env(). */
struct umh_env_list *umh_sanitize_env(void);
void umh_env_list_free(struct umh_env_list *l);

/* util-linux umount's suid_drop(): become the real user for good, tell
 * CXT (if not NULL) that libmount runs unrestricted (as a plain user), and
 * put back the environment *ENVS kept (then freed, *ENVS = NULL).  Exits 32
 * if the privileges cannot be dropped. */
void umh_suid_drop(struct libmnt_context *cxt, struct umh_env_list **envs);

/* The canonical form of PATH as the real user resolves it (a non-root user
 * must not learn about paths they may not read); exits 1 as util-linux
 * does when it cannot. */
char *umh_canonicalize_restricted(const char *path);
