/*
 * holdmap FILE READY: map FILE, close the descriptor, create READY, sleep.
 *
 * A mapping keeps the file (and so its mount) in use with no open file
 * descriptor left, the third way a process can hold a mount besides an open
 * fd and its working directory.  Built statically by tests/vm/host.sh so that
 * it runs in the guest without a dynamic loader reading from 9p.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	void *map;
	int fd, rfd;

	if (argc != 3) {
		fprintf(stderr, "usage: holdmap FILE READY\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	/* An empty file cannot be mapped: map at least one page's worth. */
	map = mmap(NULL, st.st_size ? (size_t)st.st_size : 1, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	close(fd);
	/* Touch the mapping so a page really comes from the server. */
	if (st.st_size)
		(void)*(volatile char *)map;
	rfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (rfd < 0) {
		perror(argv[2]);
		return 1;
	}
	close(rfd);
	for (;;)
		pause();
}
