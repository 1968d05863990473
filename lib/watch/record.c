#include "watch/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/procfs.h"

#define CURRENT "events.jsonl"
#define PREVIOUS "events.jsonl.1"

const char *umh_wrecord_dir(void)
{
	const char *d = secure_getenv(UMH_WRECORD_ENV);
	return d && *d ? d : UMH_WRECORD_DEFAULT_DIR;
}

const char *umh_boot_id(void)
{
	static char id[64];
	if (!id[0]) {
		char buf[64];
		if (umh_read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf, sizeof(buf)) > 0) {
			buf[strcspn(buf, "\n")] = 0;
			snprintf(id, sizeof(id), "%s", buf);
		}
	}
	return id;
}

static int count_lines(int dirfd, size_t *n)
{
	*n = 0;
	_cleanup_close_ int fd = openat(dirfd, CURRENT, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	char buf[65536];
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return 0;
		for (ssize_t i = 0; i < k; i++)
			*n += buf[i] == '\n';
	}
}

/* mkdir -p, each new directory 0755. */
static int make_dirs(const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int umh_wrecord_open(struct umh_wrecord *r, const char *dir, size_t max_events)
{
	*r = (struct umh_wrecord){ .dirfd = -1, .max_events = max_events ? max_events : UMH_WRECORD_DEFAULT_MAX };
	int ret = make_dirs(dir);
	if (ret < 0)
		return ret;
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0)
		return -errno;
	ret = count_lines(r->dirfd, &r->lines);
	if (ret < 0) {
		umh_wrecord_close(r);
		return ret;
	}
	return 0;
}

void umh_wrecord_close(struct umh_wrecord *r)
{
	if (r->dirfd >= 0)
		close(r->dirfd);
	r->dirfd = -1;
}

int umh_wrecord_append(struct umh_wrecord *r, const char *line)
{
	size_t len = strlen(line);
	if (r->dirfd < 0)
		return -EBADF;
	if (len + 1 > UMH_WRECORD_LINE_MAX || memchr(line, '\n', len))
		return -E2BIG;
	_cleanup_close_ int lock = openat(r->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lock < 0)
		return -errno;
	if (flock(lock, LOCK_EX) < 0)
		return -errno;
	/* Another watcher may have appended or rotated meanwhile: count
	 * again only then (the file is not what we left). */
	struct stat st;
	int ret = 0;
	if (fstatat(r->dirfd, CURRENT, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		r->lines = 0;
	} else if ((uint64_t)st.st_ino != r->ino || (uint64_t)st.st_size != r->size) {
		ret = count_lines(r->dirfd, &r->lines);
		if (ret < 0)
			return ret;
	}
	if (r->lines >= r->max_events) {
		if (renameat(r->dirfd, CURRENT, r->dirfd, PREVIOUS) < 0 && errno != ENOENT)
			return -errno;
		r->lines = 0;
	}
	_cleanup_close_ int fd =
		openat(r->dirfd, CURRENT, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	_cleanup_free_ char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* One write: a reader sees the whole line or none of it. */
	ssize_t w = write(fd, buf, len + 1);
	if (w < 0)
		return -errno;
	if ((size_t)w != len + 1)
		return -EIO;
	r->lines++;
	if (fstat(fd, &st) == 0) {
		r->ino = (uint64_t)st.st_ino;
		r->size = (uint64_t)st.st_size;
	}
	return 0;
}

int umh_wrecord_parse(const char *buf, size_t len, umh_wrecord_fn fn, void *userdata)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		/* A last line without its newline was being written, or torn. */
		if (!nl)
			break;
		size_t n = (size_t)(nl - p);
		if (n > 0 && n < UMH_WRECORD_LINE_MAX) {
			struct umh_jnode *ev = NULL;
			int r = umh_jparse(p, n, &ev);
			if (r == -ENOMEM)
				return r;
			if (r == 0 && ev->type == UMH_J_OBJ) {
				r = fn(ev, userdata);
				if (r != 1) /* 1: FN kept it */
					umh_jfree(ev);
				if (r < 0)
					return r;
			} else {
				umh_jfree(ev);
			}
		}
		p = nl + 1;
	}
	return 0;
}

/* Whether what ST describes may be believed as a watcher's record: root's,
 * or the reader's own (they fool nobody but themselves), and writable by
 * nobody else.  WHAT names it in WHY. */
static int trusted(const struct stat *st, const char *what, char *why, size_t size)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, size, "%s is owned by uid %u (only a record of root's, or of one's own, is believed)", what,
			 (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & S_IWOTH) {
		snprintf(why, size, "%s is writable by others", what);
		return -EPERM;
	}
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0) {
		snprintf(why, size, "%s is writable by group %u", what, (unsigned)st->st_gid);
		return -EPERM;
	}
	return 0;
}

/* NAME in DIRFD, opened for reading once it is known to be a record to
 * believe: -1 in *FD when there is none. */
static int open_file(int dirfd, const char *name, int *fd, char *why, size_t size)
{
	*fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (*fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	if (fstat(*fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > UMH_WRECORD_FILE_MAX)
		return -EINVAL;
	return trusted(&st, name, why, size);
}

static int read_file(int fd, umh_wrecord_fn fn, void *userdata)
{
	struct stat st;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	size_t size = (size_t)st.st_size, len = 0;
	_cleanup_free_ char *buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < size) {
		ssize_t k = read(fd, buf + len, size - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	return umh_wrecord_parse(buf, len, fn, userdata);
}

int umh_wrecord_read(const char *dir, umh_wrecord_fn fn, void *userdata, char *why, size_t size)
{
	snprintf(why, size, "%s", "");
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	if (fstat(dirfd, &st) < 0)
		return -errno;
	int r = trusted(&st, "the directory", why, size);
	/* Both files judged before either is read: nothing of a record not
	 * to believe reaches FN. */
	_cleanup_close_ int previous = -1, current = -1;
	if (r >= 0)
		r = open_file(dirfd, PREVIOUS, &previous, why, size);
	if (r >= 0)
		r = open_file(dirfd, CURRENT, &current, why, size);
	if (r >= 0)
		r = read_file(previous, fn, userdata);
	if (r >= 0)
		r = read_file(current, fn, userdata);
	return r;
}
