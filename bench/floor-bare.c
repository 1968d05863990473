/* floor-bare TARGET: floor-helper without the C library (x86-64 only):
 * umount(2) on TARGET and nothing else, from a program of a few kilobytes
 * that makes two system calls.  What starting a helper costs at the very
 * least -- util-linux's fork, the kernel's exec and exit -- apart from what
 * a static C library's start-up adds (bench/floor-helper.c).  bench.sh's
 * helper table runs it where it was built. */
#include <sys/syscall.h>

static long syscall2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

/* The kernel starts the program here, with argc and then argv on the
 * stack: handed to bare_main with the stack aligned as calls expect. */
__attribute__((naked, noreturn)) void _start(void)
{
	__asm__("mov %rsp, %rdi\n\tand $-16, %rsp\n\tcall bare_main\n\thlt");
}

__attribute__((used, noreturn)) void bare_main(long *sp)
{
	char **argv = (char **)(sp + 1);
	long r = sp[0] > 1 ? syscall2(SYS_umount2, (long)argv[1], 0) : -1;
	syscall2(SYS_exit_group, r == 0 ? 0 : 32, 0);
	__builtin_unreachable();
}
