/* umount-latency [-n CALLS] [-m MOUNTS] DIR
 *
 * What one umount(2) call costs, failing and succeeding, as the caller
 * sees it (CLOCK_MONOTONIC around the call alone): umount2 of a path that
 * does not exist (ENOENT), of a directory that is no mount point (EINVAL),
 * of a busy tmpfs (EBUSY: its own descriptor holds it), CALLS times each;
 * then MOUNTS tmpfs mounted and unmounted (the mount is not timed), plain
 * and with MNT_DETACH.  Prints one line per kind: median, 90th percentile,
 * mean, in microseconds.  Run it as root, in a private mount namespace,
 * with and without `umount-helper watch` (bench/umount-latency.sh). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	long long sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	printf("%-22s n=%-7d median %8.2f us  p90 %8.2f us  mean %8.2f us\n", what, n, (double)v[n / 2] / 1e3,
	       (double)v[n * 9 / 10] / 1e3, (double)sum / n / 1e3);
}

/* CALLS calls of umount2(PATH, 0), each expected to fail with ERR. */
static int failing(const char *what, const char *path, int err, long long *v, int calls)
{
	for (int i = 0; i < calls; i++) {
		long long t = now_ns();
		int r = umount2(path, 0);
		v[i] = now_ns() - t;
		if (r == 0 || errno != err) {
			fprintf(stderr, "umount2(%s): expected %s, got %s\n", path, strerrorname_np(err),
				r == 0 ? "success" : strerrorname_np(errno));
			return -1;
		}
	}
	report(what, v, calls);
	return 0;
}

static int succeeding(const char *what, const char *path, int flags, long long *v, int mounts)
{
	for (int i = 0; i < mounts; i++) {
		if (mount("latency", path, "tmpfs", 0, NULL) < 0) {
			perror("mount");
			return -1;
		}
		long long t = now_ns();
		int r = umount2(path, flags);
		v[i] = now_ns() - t;
		if (r < 0) {
			perror("umount2");
			return -1;
		}
	}
	report(what, v, mounts);
	return 0;
}

int main(int argc, char **argv)
{
	int calls = 20000, mounts = 2000, opt;
	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		switch (opt) {
		case 'n': calls = atoi(optarg); break;
		case 'm': mounts = atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 1 || calls < 1 || mounts < 1) {
		fprintf(stderr, "usage: umount-latency [-n CALLS] [-m MOUNTS] DIR\n");
		return 2;
	}
	const char *dir = argv[optind];
	char nonexistent[4096], busy[4096], m[4096];
	snprintf(nonexistent, sizeof(nonexistent), "%s/nonexistent", dir);
	snprintf(busy, sizeof(busy), "%s/busy", dir);
	snprintf(m, sizeof(m), "%s/m", dir);
	long long *v = malloc(sizeof(*v) * (size_t)(calls > mounts ? calls : mounts));
	if (!v || (mkdir(busy, 0755) < 0 && errno != EEXIST) || (mkdir(m, 0755) < 0 && errno != EEXIST)) {
		perror(dir);
		return 1;
	}
	if (failing("failing, ENOENT", nonexistent, ENOENT, v, calls) < 0 ||
	    failing("failing, EINVAL", dir, EINVAL, v, calls) < 0)
		return 1;
	if (mount("latency", busy, "tmpfs", 0, NULL) < 0) {
		perror("mount");
		return 1;
	}
	int fd = open(busy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = fd < 0 ? -1 : failing("failing, EBUSY", busy, EBUSY, v, calls);
	if (fd >= 0)
		close(fd);
	umount2(busy, MNT_DETACH);
	if (r < 0 || succeeding("succeeding", m, 0, v, mounts) < 0 ||
	    succeeding("succeeding, MNT_DETACH", m, MNT_DETACH, v, mounts) < 0)
		return 1;
	free(v);
	return 0;
}
