/* farm: the benchmark's scenario, a crowd of processes with descriptors open
 * and, among them, a few holders of a target mount of different kinds.
 *
 *   farm [-k KINDS] [-e H] [-d FILE] MANIFEST N M OTHER TARGET
 *
 * Forks N processes; each opens M descriptors on the file OTHER (on another
 * filesystem) and waits.  The first of them also take one hold each on the
 * directory TARGET, one kind per process, from the comma-separated KINDS:
 *
 *   fd          an open descriptor on TARGET/fd-file
 *   cwd         its working directory is TARGET/cwd-dir
 *   mmap        a shared mapping of TARGET/mmap-file (the descriptor closed)
 *   exe         it runs a copy of this program, TARGET/exe-holder
 *   thread-cwd  a thread that unshare(CLONE_FS)s and chdirs into TARGET/thread-dir
 *   thread-fd   a thread that unshare(CLONE_FILES)s and opens TARGET/thread-file
 *   uring       an io_uring with TARGET/uring-file registered (descriptor closed)
 *   scm         TARGET/scm-file sent over a unix socket it keeps, never received
 *               (the sender's descriptor closed: the file is in flight)
 *
 * -e H: every process also holds H descriptors on TARGET/each (the scenario
 * where every process is a holder).  -d FILE: one process more, holding FILE
 * open: a file on a bind mount of TARGET's filesystem, which does not block
 * unmounting TARGET (a decoy for tools that match by device number).
 *
 * Once every process holds, it writes MANIFEST ("KIND PID" a line: every
 * holder, then every other process as "crowd PID", the decoy as "decoy PID") and
 * waits.  SIGTERM, SIGINT or SIGHUP: it kills every process it started, by
 * pid, reaps them, and exits; they also die if it is killed (parent-death
 * signal).  Exit status 1 if the crowd could not be started. */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXE_NAME "exe-holder"
#define MAX_KINDS 16

struct child_spec {
	const char *kind; /* NULL: only the crowd's descriptors */
	const char *target;
	const char *other;
	int fds;   /* on OTHER */
	int each;  /* on TARGET/each */
	int ready; /* the pipe's write end */
};

static _Noreturn void fail(int ready, const char *what)
{
	/* One byte that says "failed", so the parent does not wait for us. */
	char e = 'e';
	fprintf(stderr, "farm: %s: %s\n", what, strerror(errno));
	if (write(ready, &e, 1) < 0)
		_exit(1);
	_exit(1);
}

static int open_in(const struct child_spec *c, const char *name, int flags)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", c->target, name);
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		fail(c->ready, path);
	return fd;
}

static void chdir_in(const struct child_spec *c, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", c->target, name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fail(c->ready, path);
	if (chdir(path) < 0)
		fail(c->ready, path);
}

struct thread_hold {
	const struct child_spec *c;
	bool files; /* CLONE_FILES and open, else CLONE_FS and chdir */
	pthread_barrier_t held;
};

static void *thread_main(void *p)
{
	struct thread_hold *t = p;
	if (unshare(t->files ? CLONE_FILES : CLONE_FS) < 0)
		fail(t->c->ready, "unshare");
	if (t->files)
		open_in(t->c, "thread-file", O_RDONLY | O_CREAT);
	else
		chdir_in(t->c, "thread-dir");
	pthread_barrier_wait(&t->held);
	for (;;)
		pause();
	return NULL;
}

static void hold_in_thread(const struct child_spec *c, bool files)
{
	static struct thread_hold t;
	t = (struct thread_hold){ .c = c, .files = files };
	pthread_barrier_init(&t.held, NULL, 2);
	pthread_t th;
	errno = pthread_create(&th, NULL, thread_main, &t);
	if (errno)
		fail(c->ready, "pthread_create");
	pthread_barrier_wait(&t.held);
}

static void hold_uring(const struct child_spec *c)
{
	struct io_uring_params p = { 0 };
	int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0)
		fail(c->ready, "io_uring_setup");
	int fd = open_in(c, "uring-file", O_RDONLY | O_CREAT);
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, &fd, 1) < 0)
		fail(c->ready, "IORING_REGISTER_FILES");
	close(fd);
}

static void hold_in_flight(const struct child_spec *c)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		fail(c->ready, "socketpair");
	int fd = open_in(c, "scm-file", O_RDONLY | O_CREAT);
	char data = 'x';
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1)
		fail(c->ready, "sendmsg");
	close(fd);
}

static void hold_mapping(const struct child_spec *c)
{
	int fd = open_in(c, "mmap-file", O_RDWR | O_CREAT);
	if (ftruncate(fd, 4096) < 0 || mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
		fail(c->ready, "mmap");
	close(fd);
}

/* The crowd's part, then the one hold of its kind; then ready, forever. */
static _Noreturn void child_main(const struct child_spec *c)
{
	for (int i = 0; i < c->fds; i++)
		if (open(c->other, O_RDONLY | O_CLOEXEC) < 0)
			fail(c->ready, c->other);
	for (int i = 0; i < c->each; i++)
		open_in(c, "each", O_RDONLY | O_CREAT);
	const char *k = c->kind ? c->kind : "";
	if (strcmp(k, "fd") == 0)
		open_in(c, "fd-file", O_RDONLY | O_CREAT);
	else if (strcmp(k, "cwd") == 0)
		chdir_in(c, "cwd-dir");
	else if (strcmp(k, "mmap") == 0)
		hold_mapping(c);
	else if (strcmp(k, "thread-cwd") == 0 || strcmp(k, "thread-fd") == 0)
		hold_in_thread(c, strcmp(k, "thread-fd") == 0);
	else if (strcmp(k, "uring") == 0)
		hold_uring(c);
	else if (strcmp(k, "scm") == 0)
		hold_in_flight(c);
	else if (strcmp(k, "decoy") == 0 && open(c->target, O_RDONLY | O_CLOEXEC) < 0)
		fail(c->ready, c->target);
	char x = 'x';
	if (write(c->ready, &x, 1) != 1)
		_exit(1);
	close(c->ready);
	for (;;)
		pause();
}

/* The exe holder runs a copy of this program from TARGET, and does the
 * crowd's part there: farm --exe READY-FD M OTHER TARGET EACH. */
static int exe_main(char **argv)
{
	struct child_spec c = {
		.ready = atoi(argv[2]), .fds = atoi(argv[3]), .other = argv[4], .target = argv[5], .each = atoi(argv[6]),
	};
	child_main(&c);
}

static int copy_self(const char *target)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", target, EXE_NAME);
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	struct stat st;
	int r = in < 0 || out < 0 || fstat(in, &st) < 0 ? -1 : 0;
	for (off_t done = 0; r == 0 && done < st.st_size;) {
		ssize_t n = sendfile(out, in, NULL, (size_t)(st.st_size - done));
		if (n <= 0)
			r = -1;
		else
			done += n;
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0)
		r = -1;
	return r;
}

static pid_t *pids;
static int n_pids;

static void kill_all(void)
{
	for (int i = 0; i < n_pids; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < n_pids; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
}

static pid_t start(const struct child_spec *c, const char *self_exe, int ready_rd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	close(ready_rd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (c->kind && strcmp(c->kind, "exe") == 0) {
		char fd[16], fds[16], each[16];
		snprintf(fd, sizeof(fd), "%d", c->ready);
		snprintf(fds, sizeof(fds), "%d", c->fds);
		snprintf(each, sizeof(each), "%d", c->each);
		execl(self_exe, EXE_NAME, "--exe", fd, fds, c->other, c->target, each, (char *)NULL);
		fail(c->ready, self_exe);
	}
	child_main(c);
}

static int usage(void)
{
	fprintf(stderr, "usage: farm [-k KINDS] [-e H] [-d FILE] MANIFEST N M OTHER TARGET\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "--exe") == 0)
		return exe_main(argv);
	/* Nothing inherited from the shell: every table is 0, 1, 2 and the
	 * crowd's descriptors, as a process's usually is. */
	close_range(3, ~0U, 0);
	char *kinds_arg = NULL;
	const char *decoy = NULL;
	int each = 0, opt;
	while ((opt = getopt(argc, argv, "k:e:d:")) != -1) {
		switch (opt) {
		case 'k': kinds_arg = optarg; break;
		case 'e': each = atoi(optarg); break;
		case 'd': decoy = optarg; break;
		default: return usage();
		}
	}
	if (argc - optind != 5)
		return usage();
	const char *manifest = argv[optind], *other = argv[optind + 3], *target = argv[optind + 4];
	int n = atoi(argv[optind + 1]), fds = atoi(argv[optind + 2]);
	const char *kinds[MAX_KINDS];
	int n_kinds = 0;
	for (char *save = NULL, *k = kinds_arg ? strtok_r(kinds_arg, ",", &save) : NULL; k;
	     k = strtok_r(NULL, ",", &save))
		if (n_kinds < MAX_KINDS)
			kinds[n_kinds++] = k;
	if (n < n_kinds || fds < 0 || each < 0)
		return usage();

	char self_exe[4096];
	snprintf(self_exe, sizeof(self_exe), "%s/%s", target, EXE_NAME);
	for (int i = 0; i < n_kinds; i++)
		if (strcmp(kinds[i], "exe") == 0 && copy_self(target) < 0) {
			fprintf(stderr, "farm: cannot copy itself to %s: %s\n", self_exe, strerror(errno));
			return 1;
		}

	/* Signals wait for sigwaitinfo() below; children unblock them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	int total = n + (decoy != NULL);
	pids = calloc((size_t)total, sizeof(*pids));
	int ready[2];
	if (!pids || pipe(ready) < 0)
		return 1;
	int status = 0, got = 0;
	for (int i = 0; i < total; i++) {
		struct child_spec c = { .target = target, .other = other, .fds = fds, .each = each, .ready = ready[1] };
		if (i < n_kinds)
			c.kind = kinds[i];
		if (i == n) {
			c.kind = "decoy";
			c.target = decoy;
			c.each = 0;
		}
		pid_t pid = start(&c, self_exe, ready[0]);
		if (pid < 0) {
			fprintf(stderr, "farm: fork (process %d of %d): %s\n", i + 1, total, strerror(errno));
			status = 1;
			break;
		}
		pids[n_pids++] = pid;
	}
	close(ready[1]);
	for (char b; got < n_pids && read(ready[0], &b, 1) == 1; got++)
		if (b != 'x')
			status = 1;
	close(ready[0]);
	if (status == 0 && got != total)
		status = 1;

	FILE *f = NULL;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", manifest);
	if (status == 0 && (f = fopen(tmp, "we"))) {
		for (int i = 0; i < n_kinds; i++)
			fprintf(f, "%s %d\n", kinds[i], pids[i]);
		for (int i = n_kinds; i < n; i++)
			fprintf(f, "crowd %d\n", pids[i]);
		if (decoy)
			fprintf(f, "decoy %d\n", pids[n]);
		if (fclose(f) != 0 || rename(tmp, manifest) < 0)
			status = 1;
	} else {
		status = 1;
	}
	if (status != 0) {
		fprintf(stderr, "farm: %d of %d processes got ready\n", got, total);
		kill_all();
		free(pids);
		return 1;
	}
	siginfo_t si;
	while (sigwaitinfo(&stop, &si) < 0 && errno == EINTR)
		;
	kill_all();
	free(pids);
	return 0;
}
