/* nsfarm: the benchmark's mount-namespace scenario, a host with many mounts
 * and many mount namespaces that hold copies of them.
 *
 *   nsfarm MANIFEST TOP MOUNTS NAMESPACES
 *
 * In the caller's mount namespace (a private one: bench.sh runs in its own)
 * it mounts a tmpfs at TOP, makes it shared, and mounts MOUNTS tmpfs's
 * below it, TOP/m0 ... ; the target is the one in the middle, with a
 * directory d.  A process holds the target (its working directory is
 * TARGET/d).  Then NAMESPACES processes each unshare(CLONE_NEWNS): every
 * one a copy of all those mounts, peers of ours (propagation unchanged), so
 * umount of the target would take their copies along; the first of them
 * also holds its copy (cwd), which makes that umount fail.
 *
 * Once all are in place it writes MANIFEST ("target PATH", "holder PID",
 * "copy-holder PID", then "ns PID" for each namespace process) and waits.
 * SIGTERM, SIGINT or SIGHUP: it kills every process it started, by pid,
 * reaps them, detaches TOP and exits; they also die if it is killed
 * (parent-death signal).  Exit status 1 if the scenario could not be made. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "nsfarm: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A child that, in a namespace of its own (NEWNS) or ours, moves to DIR
 * (NULL: stays) and waits to be killed; it says it is ready on READY. */
static pid_t child(int ready, bool newns, const char *dir)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	char ok = 'k';
	if ((newns && unshare(CLONE_NEWNS) < 0) || (dir && chdir(dir) < 0))
		ok = 'e';
	if (write(ready, &ok, 1) != 1 || ok != 'k')
		_exit(1);
	for (;;)
		pause();
}

static bool wait_ready(int ready)
{
	char c;
	return read(ready, &c, 1) == 1 && c == 'k';
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: nsfarm MANIFEST TOP MOUNTS NAMESPACES\n");
		return 2;
	}
	const char *manifest = argv[1], *top = argv[2];
	int mounts = atoi(argv[3]), nss = atoi(argv[4]);
	if (mounts < 1 || nss < 0)
		return 2;
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (mkdir(top, 0755) < 0 && errno != EEXIST)
		die(top);
	if (mount("nsfarm-top", top, "tmpfs", 0, "size=1m") < 0 || mount(NULL, top, NULL, MS_SHARED, NULL) < 0)
		die("mount top");
	char path[4200], target[4096];
	for (int i = 0; i < mounts; i++) {
		char src[32];
		snprintf(path, sizeof(path), "%s/m%d", top, i);
		snprintf(src, sizeof(src), "nsfarm-%d", i);
		if (mkdir(path, 0755) < 0 || mount(src, path, "tmpfs", 0, "size=64k") < 0)
			die(path);
	}
	snprintf(target, sizeof(target), "%s/m%d", top, mounts / 2);
	snprintf(path, sizeof(path), "%s/d", target);
	if (mkdir(path, 0755) < 0)
		die(path);

	int p[2];
	if (pipe(p) < 0)
		die("pipe");
	pid_t *pids = calloc((size_t)nss + 1, sizeof(*pids));
	if (!pids)
		die("calloc");
	int n = 0;
	pids[n++] = child(p[1], false, path);
	bool ok = wait_ready(p[0]);
	for (int i = 0; i < nss && ok && !stop; i++) {
		pids[n++] = child(p[1], true, i == 0 ? path : NULL);
		ok = wait_ready(p[0]);
	}
	if (ok && !stop) {
		FILE *f = fopen(manifest, "we");
		if (!f)
			die(manifest);
		fprintf(f, "target %s\nholder %d\n", target, pids[0]);
		if (nss)
			fprintf(f, "copy-holder %d\n", pids[1]);
		for (int i = 1; i < n; i++)
			fprintf(f, "ns %d\n", pids[i]);
		if (fclose(f) != 0)
			die(manifest);
		while (!stop)
			pause();
	}
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	umount2(top, MNT_DETACH);
	rmdir(top);
	free(pids);
	return ok ? 0 : 1;
}
