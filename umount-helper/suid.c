#include "suid.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/caps.h"
#include "base/cleanup.h"
#include "umount-helper.h"

extern char **environ;

struct umh_env_list {
	char *entry;
	struct umh_env_list *next;
};

static const char *const forbidden[] = { "BASH_ENV=", "ENV=", "HOME=", "IFS=", "KRB_CONF=", "LD_", "LIBPATH=",
					 "MAIL=", "NLSPATH=", "PATH=", "SHELL=", "SHLIB_PATH=" };
/* Allowed, but not with a slash (gettext would load files from there). */
static const char *const no_slash[] = { "LANG=", "LANGUAGE=", "LC_" };

static bool has_prefix(const char *s, const char *const *prefixes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

struct umh_env_list *umh_sanitize_env(void)
{
	struct umh_env_list *removed = NULL;
	size_t w = 0;
	for (size_t r = 0; environ && environ[r]; r++) {
		char *e = environ[r];
		bool bad = has_prefix(e, forbidden, ARRAY_SIZE(forbidden)) ||
			   (has_prefix(e, no_slash, ARRAY_SIZE(no_slash)) && strchr(e, '/'));
		struct umh_env_list *l = bad ? malloc(sizeof(*l)) : NULL;
		if (l) {
			*l = (struct umh_env_list){ .entry = e, .next = removed };
			removed = l;
		}
		/* Out of memory: drop the variable all the same. */
		if (!bad)
			environ[w++] = e;
	}
	if (environ)
		environ[w] = NULL;
	return removed;
}

static void env_restore(struct umh_env_list *l)
{
	for (; l; l = l->next) {
		/* The entries are the original environ strings: putenv()
		 * takes them back as they were. */
		putenv(l->entry);
	}
}

void umh_env_list_free(struct umh_env_list *l)
{
	while (l) {
		struct umh_env_list *next = l->next;
		free(l);
		l = next;
	}
}

bool umh_suid_run(void)
{
	return getauxval(AT_SECURE) != 0;
}

void umh_suid_drop(struct libmnt_context *cxt, struct umh_env_list **envs)
{
	uid_t ruid = getuid();
	if (ruid != 0 && geteuid() == 0 && umh_become_real_user() < 0)
		err(MNT_EX_FAIL, "drop permissions failed");
	/* Be paranoid, as util-linux is: setuid(0) has to fail now. */
	if (ruid != 0 && setuid(0) == 0)
		errx(MNT_EX_FAIL, "drop permissions failed.");
	if (cxt)
		mnt_context_force_unrestricted(cxt);
	env_restore(*envs);
	umh_env_list_free(*envs);
	*envs = NULL;
}

char *umh_canonicalize_restricted(const char *path)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		err(MNT_EX_USAGE, "%s", path);
	pid_t pid = fork();
	if (pid < 0)
		err(MNT_EX_USAGE, "%s", path);
	if (pid == 0) {
		/* realpath() as the user, in a process of its own. */
		close(fds[0]);
		_cleanup_free_ char *p = NULL;
		if (umh_become_real_user() < 0 || !(p = realpath(path, NULL)))
			_exit(errno ? errno : EINVAL);
		size_t len = strlen(p) + 1;
		_exit(write(fds[1], p, len) == (ssize_t)len ? 0 : EIO);
	}
	close(fds[1]);
	char buf[PATH_MAX + 1];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) && ((n = read(fds[0], buf + len, sizeof(buf) - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == 0 || buf[len - 1] != '\0') {
		errno = WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : EINVAL;
		err(MNT_EX_USAGE, "%s", path);
	}
	char *p = strdup(buf);
	if (!p)
		err(MNT_EX_SYSERR, "%s", path);
	return p;
}
