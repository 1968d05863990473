/* Connections to a systemd manager: on a bus, on its private socket, or on
 * the private socket of a container's systemd.  See bus.h. */
#include "systemd/bus.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "base/cleanup.h"
#include "base/str.h"

#define CALL_TIMEOUT_USEC (5ULL * 1000000ULL)

/* D-Bus address value escaping: bytes outside [-0-9A-Za-z_/.\*] as %XX. */
static int bus_address_escape(const char *s, char **ret)
{
	static const char ok[] = "-_/.\\*";
	char *t, *o;

	t = malloc(strlen(s) * 3 + 1);
	if (!t)
		return -ENOMEM;
	o = t;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || strchr(ok, *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02x", *p);
	}
	*o = 0;
	*ret = t;
	return 0;
}

/* Subscribe(), the method call timeout: what every connection gets. */
static int bus_finish_setup(sd_bus *bus)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
	if (r < 0)
		return r;
	/* On the system bus the manager sends signals only to subscribers; on a
	 * direct connection it sends them anyway and Subscribe() is harmless. */
	return sd_bus_call_method(bus, UMH_SD_DEST, UMH_SD_PATH, UMH_SD_MANAGER, "Subscribe", &error, NULL, NULL);
}

int umh_sd_connect_pid(pid_t pid, sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char nspath[64];
	int fd, nsfd, status, r;
	pid_t child;

	if (!ret || pid <= 0)
		return -EINVAL;
	*ret = NULL;
	r = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/%d/root%s", (int)pid, UMH_SD_PRIVATE_SOCKET);
	if (r < 0 || (size_t)r >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/pid", (int)pid);
	nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		close(nsfd);
		return r;
	}

	/* systemd refuses a peer whose pid it cannot see (SO_PEERCRED gives it
	 * pid 0): connect() from a process inside its pid namespace.  setns()
	 * on a pid namespace applies to children only, hence two forks; the
	 * socket is shared, the connection is made for us. */
	child = fork();
	if (child < 0) {
		r = -errno;
		close(fd);
		close(nsfd);
		return r;
	}
	if (child == 0) {
		pid_t grandchild;

		if (setns(nsfd, CLONE_NEWPID) < 0)
			_exit(errno & 0xff);
		grandchild = fork();
		if (grandchild < 0)
			_exit(errno & 0xff);
		if (grandchild == 0) {
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				_exit(errno & 0xff);
			_exit(0);
		}
		if (waitpid(grandchild, &status, 0) < 0 || !WIFEXITED(status))
			_exit(EIO);
		_exit(WEXITSTATUS(status));
	}
	close(nsfd);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		close(fd);
		return WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
	}

	r = sd_bus_new(&bus);
	if (r < 0) {
		close(fd);
		return r;
	}
	r = sd_bus_set_fd(bus, fd, fd); /* the bus owns fd from here on */
	if (r < 0) {
		close(fd);
		return r;
	}
	if ((r = sd_bus_set_bus_client(bus, 0)) < 0 || (r = sd_bus_start(bus)) < 0 ||
	    (r = bus_finish_setup(bus)) < 0)
		return r;
	*ret = bus;
	bus = NULL;
	return 0;
}

int umh_sd_connect(const char *where, sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_free_ char *address = NULL, *escaped = NULL;
	int r;

	if (!ret)
		return -EINVAL;
	*ret = NULL;

	if (!where) {
		r = sd_bus_open_system(&bus);
		if (r < 0)
			return r;
	} else {
		if (where[0] == '/') {
			r = bus_address_escape(where, &escaped);
			if (r < 0)
				return r;
			r = umh_asprintf(&address, "unix:path=%s", escaped);
			if (r < 0)
				return r;
		} else if (strchr(where, ':')) {
			address = strdup(where);
			if (!address)
				return -ENOMEM;
		} else
			return -EINVAL;

		r = sd_bus_new(&bus);
		if (r < 0)
			return r;
		r = sd_bus_set_address(bus, address);
		if (r < 0)
			return r;
		/* A socket path: a direct connection to the manager, no Hello(),
		 * no bus names.  An address: a bus (dbus-daemon), Hello() first. */
		r = sd_bus_set_bus_client(bus, where[0] != '/');
		if (r < 0)
			return r;
		r = sd_bus_start(bus);
		if (r < 0)
			return r;
	}
	r = bus_finish_setup(bus);
	if (r < 0)
		return r;

	*ret = bus;
	bus = NULL;
	return 0;
}
