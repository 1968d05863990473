#include "model/process.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/procfs.h"

/* The last few uids named: each getpwuid_r reads and parses /etc/passwd
 * (or asks NSS), and a report on thousands of processes has a handful of
 * users.  Shared by the scan's threads. */
static struct {
	pthread_mutex_t lock;
	struct { uid_t uid; char name[64]; } e[8];
	unsigned int n, next;
} names = { .lock = PTHREAD_MUTEX_INITIALIZER };

static char *user_name(uid_t uid)
{
	char *name = NULL;
	pthread_mutex_lock(&names.lock);
	for (unsigned int i = 0; i < names.n && !name; i++)
		if (names.e[i].uid == uid)
			name = strdup(names.e[i].name);
	pthread_mutex_unlock(&names.lock);
	if (name)
		return name;

	struct passwd pw, *res = NULL;
	char buf[1024];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		name = strdup(res->pw_name);
	else if (asprintf(&name, "%u", (unsigned)uid) < 0)
		name = NULL;
	if (name && strlen(name) < sizeof(names.e[0].name)) {
		pthread_mutex_lock(&names.lock);
		unsigned int i = names.n < ARRAY_SIZE(names.e) ? names.n++ : names.next++ % ARRAY_SIZE(names.e);
		names.e[i].uid = uid;
		snprintf(names.e[i].name, sizeof(names.e[i].name), "%s", name);
		pthread_mutex_unlock(&names.lock);
	}
	return name;
}

char *umh_process_comm(int dirfd, const char *dir)
{
	char path[64], comm[64];
	snprintf(path, sizeof(path), "%s/comm", dir);
	if (umh_read_small(dirfd, path, comm, sizeof(comm)) < 0)
		return NULL;
	comm[strcspn(comm, "\n")] = '\0';
	return strdup(comm);
}

char *umh_process_cmdline(int dirfd, const char *dir)
{
	char path[64], buf[UMH_MAX_CMDLINE + 1];
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	/* Arguments are NUL-separated; a process may rewrite them. */
	ssize_t n = umh_read_small(dirfd, path, buf, sizeof(buf));
	if (n <= 0)
		return NULL;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strdup(buf);
}

int umh_describe_process(int dirfd, int32_t pid, struct umh_process *p)
{
	char buf[UMH_MAX_CMDLINE + 1];
	*p = (struct umh_process){ .pid = pid };
	p->comm = umh_process_comm(dirfd, ".");
	p->cmdline = umh_process_cmdline(dirfd, ".");

	ssize_t n = umh_read_small(dirfd, "status", buf, sizeof(buf));
	const char *uid_line = n > 0 ? strstr(buf, "\nUid:") : NULL;
	unsigned ruid, euid;
	if (uid_line && sscanf(uid_line, "\nUid: %u %u", &ruid, &euid) == 2) {
		p->uid = euid;
		p->user = user_name(euid);
	}
	if (!p->comm && !p->cmdline && !p->user)
		return -ESRCH;
	return 0;
}
