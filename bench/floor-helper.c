/* floor-helper TARGET...: the least a umount.TYPE helper can be: umount(2)
 * on its first argument and nothing else, linked statically like the lean
 * helper.  bench.sh's helper table runs it as /sbin/umount.tmpfs beside
 * ours, so that the table shows what starting any helper at all costs
 * (util-linux's fork and exec of it), apart from what ours adds. */
#include <sys/mount.h>

int main(int argc, char **argv)
{
	return argc > 1 && umount(argv[1]) == 0 ? 0 : 32;
}
