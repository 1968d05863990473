/* fdfarm READY PROCS FDS HELD OTHER TARGET: forks PROCS processes, each
 * holding FDS descriptors, HELD of them on TARGET and the rest on OTHER;
 * creates READY once all of them hold, then waits to be killed (its
 * children die with it).  The scale scenario of the scan benchmark. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: fdfarm READY PROCS FDS HELD OTHER TARGET\n");
		return 2;
	}
	int procs = atoi(argv[2]), fds = atoi(argv[3]), held = atoi(argv[4]);
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return 1;
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pipefd[0]);
			for (int i = 0; i < fds; i++)
				if (open(i < held ? argv[6] : argv[5], O_RDONLY) < 0)
					_exit(1);
			char c = 'x';
			if (write(pipefd[1], &c, 1) != 1)
				_exit(1);
			close(pipefd[1]);
			for (;;)
				pause();
		}
	}
	close(pipefd[1]);
	char c;
	int n = 0;
	while (n < procs && read(pipefd[0], &c, 1) == 1)
		n++;
	if (n != procs) {
		fprintf(stderr, "fdfarm: only %d of %d processes got ready\n", n, procs);
		return 1;
	}
	close(open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	for (;;)
		pause();
}
