#include "base/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/grow.h"

/* Reads FD into BUF from LEN on, until the end of the file or SIZE-1
 * bytes; returns the new length or -errno.  With RETRY_EAGAIN, EAGAIN is
 * read past (for BPF iterators: procfs.h says why). */
static ssize_t read_into(int fd, char *buf, size_t len, size_t size, bool retry_eagain)
{
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && (errno == EINTR || (errno == EAGAIN && retry_eagain)))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

ssize_t umh_read_small(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t len = read_into(fd, buf, 0, size, false);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

ssize_t umh_read_fd_all(int fd, char **buf, size_t *size, unsigned flags)
{
	ssize_t len = 0;
	for (;;) {
		/* Grow while the buffer comes back full. */
		if (UMH_GROW(*buf, *size, (size_t)len + 2, 16384) < 0)
			return -ENOMEM;
		ssize_t n = read_into(fd, *buf, (size_t)len, *size, flags & UMH_READ_RETRY_EAGAIN);
		if (n < 0)
			return n;
		bool full = (size_t)n + 1 >= *size;
		len = n;
		if (!full)
			break;
	}
	(*buf)[len] = '\0';
	return len;
}

ssize_t umh_read_all(int dirfd, const char *name, char **buf, size_t *size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return umh_read_fd_all(fd, buf, size, 0);
}

int umh_list_pids(int procfd, int32_t **ret, size_t *n)
{
	_cleanup_close_ int fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);

	int32_t *pids = NULL;
	size_t count = 0, cap = 0;
	struct dirent *e;
	int more;
	while ((more = umh_readdir(d, &e)) > 0) {
		int32_t pid = atoi(e->d_name);
		if (pid <= 0)
			continue;
		if (UMH_GROW(pids, cap, count + 1, 64) < 0) {
			free(pids);
			return -ENOMEM;
		}
		pids[count++] = pid;
	}
	if (more < 0) {
		free(pids);
		return more;
	}
	*ret = pids;
	*n = count;
	return 0;
}

int umh_readdir(DIR *d, struct dirent **e)
{
	errno = 0;
	*e = readdir(d);
	if (*e)
		return 1;
	return errno ? -errno : 0;
}

ssize_t umh_readlink(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dirfd, name, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

uint64_t umh_anon_inode_mnt_id(int procfd)
{
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC);
	char name[64];
	struct statx stx;
	if (efd < 0)
		return 0;
	snprintf(name, sizeof(name), "self/fd/%d", efd);
	if (statx(procfd, name, AT_STATX_DONT_SYNC, 0, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}
