/* The journal, written and read.  See systemd/journal.h. */
#include "systemd/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "base/cleanup.h"

/* Entries looked at, newest first, before giving up: a unit's entries are
 * found through the journal's index, so this bounds only a very chatty
 * unit. */
#define SDJ_MAX_ENTRIES 20000

int umh_journal_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path)
		path = UMH_JOURNAL_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Native protocol: "KEY=value\n" for a value without a newline, else
 * "KEY\n", its length as 64-bit little endian, the bytes, "\n". */
int umh_journal_send(int fd, const char *const *fields, size_t n)
{
	size_t size = 0;
	for (size_t i = 0; i < n; i++)
		size += strlen(fields[i]) + 10;
	_cleanup_free_ char *buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	char *o = buf;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(fields[i], '=');
		if (!eq || eq == fields[i])
			return -EINVAL;
		if (!strchr(eq + 1, '\n')) {
			size_t len = strlen(fields[i]);
			memcpy(o, fields[i], len);
			o += len;
			*o++ = '\n';
			continue;
		}
		size_t klen = (size_t)(eq - fields[i]), vlen = strlen(eq + 1);
		memcpy(o, fields[i], klen);
		o += klen;
		*o++ = '\n';
		uint64_t le = vlen;
		for (int b = 0; b < 8; b++)
			*o++ = (char)((le >> (8 * b)) & 0xff);
		memcpy(o, eq + 1, vlen);
		o += vlen;
		*o++ = '\n';
	}
	ssize_t w = send(fd, buf, (size_t)(o - buf), MSG_NOSIGNAL);
	if (w < 0)
		return -errno;
	return 0;
}

/* The journal in DIR, read through *DIRFD (closed by the caller after the
 * journal): only a directory that root (or the reader) owns and nobody
 * else may write, as journald keeps it.  A container's journal reached
 * through /proc/PID/root may belong to a user who runs a systemd of their
 * own in a user namespace: its trusted fields are that user's to write. */
static int open_journal(const char *dir, int *dirfd, sd_journal **ret)
{
	if (!dir)
		return sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY);
	struct stat st;
	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0 || fstat(*dirfd, &st) < 0)
		return -errno;
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & S_IWOTH))
		return -EPERM;
	return sd_journal_open_directory_fd(ret, *dirfd, 0);
}

/* Adds the matches every entry must have: NAME=VALUE, each. */
static int add_matches(sd_journal *j, const char *const *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = sd_journal_add_match(j, m[i], 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The value of FIELD in the current entry, allocated, or NULL. */
static char *field(sd_journal *j, const char *name)
{
	const void *data;
	size_t len, n = strlen(name);
	if (sd_journal_get_data(j, name, &data, &len) < 0 || len <= n || ((const char *)data)[n] != '=')
		return NULL;
	return strndup((const char *)data + n + 1, len - n - 1);
}

void umh_sdj_stop_done(struct umh_sdj_stop *s)
{
	free(s->invocation_id);
	free(s->job_result);
	free(s->message);
	free(s->reason);
	free(s->related_unit);
	*s = (struct umh_sdj_stop){ 0 };
}

/* A line systemd logs (at debug level) when it decides to stop a unit, and
 * where in it the related unit's name starts. */
static const char *reason_related(const char *msg)
{
	static const char *const marks[] = {
		"Unit is stopped because bound to inactive unit ", /* 245+ */
		"is bound to inactive unit ",                      /* up to 244: "Unit X is bound to inactive unit Y. Stopping, too." */
	};
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		const char *p = strstr(msg, marks[i]);
		if (p)
			return p + strlen(marks[i]);
	}
	return NULL;
}

static bool is_reason_line(const char *msg)
{
	return reason_related(msg) || strstr(msg, "Unit is not needed anymore") ||
	       strstr(msg, "Unit not needed anymore") || strstr(msg, "Unit is stopped because");
}

int umh_journal_find_stop(const char *dir, const char *unit, struct umh_sdj_stop *ret)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(sd_journal_closep) sd_journal *j = NULL;
	_cleanup_free_ char *m1 = NULL;
	int r;

	*ret = (struct umh_sdj_stop){ 0 };
	if ((r = open_journal(dir, &dirfd, &j)) < 0)
		return r;
	if (asprintf(&m1, "UNIT=%s", unit) < 0)
		return -ENOMEM;
	/* systemd tags its lines about a unit with UNIT=; anyone may write
	 * that field, not the ones journald fills in: only PID 1's lines
	 * are systemd's (its reason lines at debug level too). */
	const char *const m[] = { m1, "_PID=1", "_UID=0" };
	if ((r = add_matches(j, m, ARRAY_SIZE(m))) < 0 || (r = sd_journal_seek_tail(j)) < 0)
		return r;

	struct umh_sdj_stop s = { 0 };
	for (int i = 0; i < SDJ_MAX_ENTRIES; i++) {
		r = sd_journal_previous(j);
		if (r <= 0)
			break;
		_cleanup_free_ char *id = field(j, "MESSAGE_ID"), *msg = field(j, "MESSAGE"),
				    *inv = field(j, "INVOCATION_ID");
		uint64_t t = 0;
		sd_journal_get_realtime_usec(j, &t);
		bool stopping = id && strcmp(id, UMH_SD_MESSAGE_UNIT_STOPPING) == 0;
		bool stopped = id && strcmp(id, UMH_SD_MESSAGE_UNIT_STOPPED) == 0;
		if (!s.found) {
			if (!stopping && !stopped)
				continue;
			/* The newest stop: "Unmounted" comes after "Unmounting". */
			s.found = true;
			s.stopped = stopped;
			s.realtime_us = t;
			s.invocation_id = TAKE_PTR(inv);
			_cleanup_free_ char *jid = field(j, "JOB_ID");
			s.job_id = jid ? (uint32_t)strtoul(jid, NULL, 10) : 0;
			s.job_result = field(j, "JOB_RESULT");
			s.message = TAKE_PTR(msg);
			continue;
		}
		/* Older entries: the same stop's "Unmounting", then a reason
		 * line of the same invocation, if systemd logged at debug. */
		if (inv && s.invocation_id && strcmp(inv, s.invocation_id) != 0)
			break;
		if (s.realtime_us > t + 60ULL * 1000000)
			break;
		if (stopping) {
			s.realtime_us = t;
			free(s.message);
			s.message = TAKE_PTR(msg);
			continue;
		}
		if (stopped)
			break; /* an earlier stop */
		if (msg && is_reason_line(msg)) {
			const char *rel = reason_related(msg);
			if (rel) {
				/* "X." (252) or "X. Stopping, too." (219) */
				const char *end = strstr(rel, ". Stopping");
				size_t n = end ? (size_t)(end - rel) : strlen(rel);
				while (n && (rel[n - 1] == '.' || rel[n - 1] == ' '))
					n--;
				s.related_unit = strndup(rel, n);
			}
			s.reason = TAKE_PTR(msg);
			break;
		}
	}
	*ret = s;
	return s.found ? 1 : 0;
}

int umh_journal_find_ours(const char *dir, const char *target, uint64_t mntns, char **event_json)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(sd_journal_closep) sd_journal *j = NULL;
	_cleanup_free_ char *m2 = NULL;
	int r;

	*event_json = NULL;
	if ((r = open_journal(dir, &dirfd, &j)) < 0)
		return r;
	if (asprintf(&m2, "UMOUNT_HELPER_TARGET=%s", target) < 0)
		return -ENOMEM;
	/* Anyone can send these fields; journald itself says who did. */
	const char *const m[] = { "MESSAGE_ID=" UMH_MESSAGE_UNMOUNT, m2, "_UID=0", "_SYSTEMD_UNIT=" UMH_WATCH_SERVICE };
	if ((r = add_matches(j, m, ARRAY_SIZE(m))) < 0 || (r = sd_journal_seek_tail(j)) < 0)
		return r;
	for (int i = 0; i < SDJ_MAX_ENTRIES; i++) {
		r = sd_journal_previous(j);
		if (r <= 0)
			return r;
		_cleanup_free_ char *ns = field(j, "UMOUNT_HELPER_MNTNS");
		if (mntns && (!ns || strtoull(ns, NULL, 10) != mntns))
			continue;
		*event_json = field(j, "UMOUNT_HELPER_EVENT");
		if (*event_json)
			return 1;
	}
	return 0;
}
