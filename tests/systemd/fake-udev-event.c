/* fake-udev-event: tells the systemd of the test container that udev saw a
 * device event, as udevd would: one "libudev" message on the uevent netlink
 * socket's udev multicast group, tagged "systemd".  systemd takes it from
 * any root sender.  Run it only inside the container's own network
 * namespace (the fixture gives the container one): there nobody but that
 * systemd listens, and the host's udev listeners never see it.
 *
 * usage: fake-udev-event ACTION SYSPATH [KEY=VALUE]...
 *   e.g. fake-udev-event remove /sys/devices/virtual/block/loop5 \
 *            SUBSYSTEM=block DEVNAME=/dev/loop5 DEVTYPE=disk MAJOR=7 MINOR=5
 *
 * The message format is libudev's (sd-device-monitor.c, "monitor_netlink_header"):
 * the header's tag bloom filter is all ones, so any tag filter lets it in. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDEV_MONITOR_MAGIC 0xfeedcafe
#define MONITOR_GROUP_UDEV 2

struct monitor_netlink_header {
	char prefix[8];               /* "libudev" */
	unsigned magic;               /* UDEV_MONITOR_MAGIC, network order */
	unsigned header_size;
	unsigned properties_off;
	unsigned properties_len;
	unsigned filter_subsystem_hash;
	unsigned filter_devtype_hash;
	unsigned filter_tag_bloom_hi;
	unsigned filter_tag_bloom_lo;
};

int main(int argc, char **argv)
{
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK, .nl_groups = MONITOR_GROUP_UDEV };
	struct monitor_netlink_header h = { .prefix = "libudev" };
	static char props[8192];
	size_t n = 0;
	const char *syspath;
	struct timespec ts;
	struct iovec iov[2];
	struct msghdr msg = { 0 };
	int fd, k;

	if (argc < 3 || strncmp(argv[2], "/sys/", 5) != 0) {
		fprintf(stderr, "usage: %s ACTION /sys/DEVPATH [KEY=VALUE]...\n", argv[0]);
		return 64;
	}
	syspath = argv[2] + 4; /* DEVPATH is relative to /sys */
	clock_gettime(CLOCK_MONOTONIC, &ts);

#define ADD(...)                                                                        \
	do {                                                                            \
		k = snprintf(props + n, sizeof(props) - n, __VA_ARGS__);               \
		if (k < 0 || (size_t)k + 1 >= sizeof(props) - n) {                     \
			fprintf(stderr, "fake-udev-event: too many properties\n");     \
			return 1;                                                       \
		}                                                                       \
		n += (size_t)k + 1;                                                     \
	} while (0)
	ADD("ACTION=%s", argv[1]);
	ADD("DEVPATH=%s", syspath);
	ADD("SEQNUM=%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	ADD("USEC_INITIALIZED=%lld", (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	ADD("TAGS=:systemd:");
	ADD("CURRENT_TAGS=:systemd:");
	for (int i = 3; i < argc; i++)
		ADD("%s", argv[i]);

	h.magic = htonl(UDEV_MONITOR_MAGIC);
	h.header_size = sizeof(h);
	h.properties_off = sizeof(h);
	h.properties_len = (unsigned)n;
	h.filter_tag_bloom_hi = htonl(0xffffffffu);
	h.filter_tag_bloom_lo = htonl(0xffffffffu);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		perror("fake-udev-event: socket");
		return 1;
	}
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = props;
	iov[1].iov_len = n;
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	if (sendmsg(fd, &msg, 0) < 0) {
		/* ECONNREFUSED: nobody listens on the group. */
		fprintf(stderr, "fake-udev-event: sendmsg: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
