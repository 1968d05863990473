/* Reading /proc without surprises: small files into bounded buffers, large
 * ones (maps) whole, */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/* Reads DIRFD/NAME into BUF (at most SIZE-1 bytes, NUL-terminated).
 * Returns the length or a negative errno. */
ssize_t umh_read_small(int dirfd, const char *name, char *buf, size_t size);

/* Reads all of DIRFD/NAME into *BUF, a buffer of *SIZE bytes that is grown
 * as needed (and kept by the caller for the next read), NUL-terminated.
 * Returns the length or a negative errno. */
ssize_t umh_read_all(int dirfd, const char *name, char **buf, size_t *size);
/* The same, from an open descriptor, read to its end.  FLAGS: 0, or
 * UMH_READ_RETRY_EAGAIN for a BPF iterator, whose read() returns -EAGAIN
 * after a million objects that wrote nothing (MAX_ITER_OBJECTS in
 * kernel/bpf/bpf_iter.c), bounding the time one read spends in the kernel;
 * the walk goes on at the next read.  (A machine with more than a million
 * memory mappings meets that.)  Never for a file that may answer EAGAIN
 * for ever. */
#define UMH_READ_RETRY_EAGAIN 1u
ssize_t umh_read_fd_all(int fd, char **buf, size_t *size, unsigned flags);

/* The next entry of D in *E: returns 1, 0 at the end, or -errno (readdir()
 * alone cannot tell an error from the end). */
struct dirent;
int umh_readdir(DIR *d, struct dirent **e);

/* The pids in /proc (PROCFD), in directory order, as an allocated array. */
int umh_list_pids(int procfd, int32_t **ret, size_t *n);

/* readlinkat() into BUF, NUL-terminated; returns the length or -errno. */
ssize_t umh_readlink(int dirfd, const char *name, char *buf, size_t size);

/* The mount id of the kernel's anon_inode mount, where io_uring and eventfd
 * descriptors live (the scans tell io_uring descriptors by it), or 0 if it
 * cannot be read. */
uint64_t umh_anon_inode_mnt_id(int procfd);
