/* Why did systemd unmount this?  See systemd/cause.h. */
#include "systemd/cause.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define SDC_DEST  "org.freedesktop.systemd1"
#define SDC_PATH  "/org/freedesktop/systemd1"
#define SDC_MGR   "org.freedesktop.systemd1.Manager"
#define SDC_UNIT  "org.freedesktop.systemd1.Unit"
#define SDC_MOUNT "org.freedesktop.systemd1.Mount"
#define SDC_AUTOMOUNT "org.freedesktop.systemd1.Automount"
#define SDC_UNIT_PREFIX "/org/freedesktop/systemd1/unit"
#define SDC_CALL_TIMEOUT_USEC (5ULL * 1000000ULL)
#define SDC_UNIT_NAME_MAX 256 /* systemd's UNIT_NAME_MAX, the NUL included */

/* --- cleanup helpers, in systemd's style -------------------------------- */
#define _sdc_cleanup_(f) __attribute__((cleanup(f)))

static void sdc_freep(void *p) { free(*(void **)p); }
#define _sdc_cleanup_free_ _sdc_cleanup_(sdc_freep)

static char **sdc_strv_free(char **l)
{
	if (l) {
		for (char **s = l; *s; s++)
			free(*s);
		free(l);
	}
	return NULL;
}
static void sdc_strv_freep(char ***p) { sdc_strv_free(*p); }
#define _sdc_cleanup_strv_free_ _sdc_cleanup_(sdc_strv_freep)

static void sdc_cause_donep(struct umh_sd_cause **p)
{
	if (*p)
		umh_sd_cause_done(*p);
}

static bool streq_ptr(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static size_t strv_length(char **l)
{
	size_t n = 0;
	while (l && l[n])
		n++;
	return n;
}

static bool strv_contains(char **l, const char *s)
{
	for (; l && *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* Appends the strings of `add` not yet in *l. */
static int strv_extend_uniq(char ***l, char **add)
{
	size_t n = strv_length(*l), k = strv_length(add);
	char **t;

	if (k == 0)
		return 0;
	t = realloc(*l, (n + k + 1) * sizeof(char *));
	if (!t)
		return -ENOMEM;
	*l = t;
	t[n] = NULL;
	for (size_t i = 0; i < k; i++) {
		if (strv_contains(t, add[i]))
			continue;
		t[n] = strdup(add[i]);
		if (!t[n])
			return -ENOMEM;
		t[++n] = NULL;
	}
	return 0;
}

static int sdc_asprintf(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sdc_asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int strdup_to(char **dst, const char *src)
{
	char *t = NULL;

	if (src) {
		t = strdup(src);
		if (!t)
			return -ENOMEM;
	}
	free(*dst);
	*dst = t;
	return 0;
}

/* --- connecting ------------------------------------------------------------ */

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
	_sdc_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_set_method_call_timeout(bus, SDC_CALL_TIMEOUT_USEC);
	if (r < 0)
		return r;
	/* On the system bus the manager sends signals only to subscribers; on a
	 * direct connection it sends them anyway and Subscribe() is harmless. */
	return sd_bus_call_method(bus, SDC_DEST, SDC_PATH, SDC_MGR, "Subscribe", &error, NULL, NULL);
}

int umh_sd_connect_pid(pid_t pid, sd_bus **ret)
{
	_sdc_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
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
	_sdc_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_sdc_cleanup_free_ char *address = NULL, *escaped = NULL;
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
			r = sdc_asprintf(&address, "unix:path=%s", escaped);
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

/* --- unit names --------------------------------------------------------- */

static const char unit_valid_chars[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:_.";

static char *escape_char(unsigned char c, char *t)
{
	static const char hex[] = "0123456789abcdef";

	*t++ = '\\';
	*t++ = 'x';
	*t++ = hex[c >> 4];
	*t++ = hex[c & 15];
	return t;
}

/* SipHash-2-4 (Aumasson, Bernstein), as systemd's siphash24(): systemd
 * shortens a unit name that would be too long with it. */
static uint64_t sip_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t sip_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define SIPROUND                                                                 \
	do {                                                                     \
		v0 += v1; v1 = sip_rotl(v1, 13); v1 ^= v0; v0 = sip_rotl(v0, 32); \
		v2 += v3; v3 = sip_rotl(v3, 16); v3 ^= v2;                       \
		v0 += v3; v3 = sip_rotl(v3, 21); v3 ^= v0;                       \
		v2 += v1; v1 = sip_rotl(v1, 17); v1 ^= v2; v2 = sip_rotl(v2, 32); \
	} while (0)

static uint64_t siphash24(const void *in, size_t len, const uint8_t key[16])
{
	const uint8_t *p = in, *end = p + (len & ~(size_t)7);
	uint64_t k0 = sip_le64(key), k1 = sip_le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, m;

	for (; p != end; p += 8) {
		m = sip_le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
#undef SIPROUND

/* systemd's LONG_UNIT_NAME_HASH_KEY and unit_name_hash_long(): a name of
 * UNIT_NAME_MAX bytes or more keeps its first 232 bytes, then "_", the
 * siphash of the whole name (its NUL included) as 16 hex digits of its
 * little-endian bytes, then the suffix. */
static const uint8_t long_unit_name_hash_key[16] = {
	0xec, 0xf2, 0x37, 0xfb, 0x58, 0x32, 0x4a, 0x32, 0x84, 0x9f, 0x06, 0x9b, 0x0d, 0x21, 0xeb, 0x9a,
};
#define SDC_UNIT_NAME_HASH_CHARS 16

static int unit_name_hash_long(const char *name, char **ret)
{
	const char *suffix = strrchr(name, '.');
	uint64_t h;
	size_t keep;
	char *n;

	if (!suffix)
		return -EINVAL;
	h = siphash24(name, strlen(name) + 1, long_unit_name_hash_key);
	keep = SDC_UNIT_NAME_MAX - 1 - strlen(suffix + 1) - SDC_UNIT_NAME_HASH_CHARS - 2;
	n = malloc(SDC_UNIT_NAME_MAX);
	if (!n)
		return -ENOMEM;
	memcpy(n, name, keep);
	n[keep] = '_';
	for (int i = 0; i < 8; i++)
		sprintf(n + keep + 1 + 2 * i, "%02x", (unsigned)((h >> (8 * i)) & 0xff));
	strcpy(n + keep + 1 + SDC_UNIT_NAME_HASH_CHARS, suffix);
	*ret = n;
	return 0;
}

bool umh_sd_is_mount_unit(const char *unit)
{
	return unit && strlen(unit) > strlen(".mount") && endswith(unit, ".mount");
}

/* As systemd's unit_name_is_hashed(): "..._0123456789abcdef.mount". */
static bool unit_name_is_hashed(const char *name)
{
	const char *s = strrchr(name, '.');

	if (!s || s - name < SDC_UNIT_NAME_HASH_CHARS + 1)
		return false;
	s -= SDC_UNIT_NAME_HASH_CHARS;
	if (s[-1] != '_')
		return false;
	for (int i = 0; i < SDC_UNIT_NAME_HASH_CHARS; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* As systemd's unit_name_from_path(path, ".mount"): simplify the path,
 * strip the slashes at both ends, '/' becomes '-', every byte outside
 * [0-9A-Za-z:_.] (and a leading '.') becomes \xNN. */
int umh_sd_mount_unit_name(const char *path, char **ret)
{
	static const char suffix[] = ".mount";
	_sdc_cleanup_free_ char *simple = NULL, *name = NULL;
	const char *p, *comp;
	char *o, *t;
	size_t n;

	if (!path || !ret)
		return -EINVAL;
	*ret = NULL;
	if (path[0] != '/' || strlen(path) >= 4096 /* PATH_MAX */)
		return -EINVAL;

	/* Simplify: collapse "//", drop "." components and the trailing "/";
	 * refuse ".." (systemd refuses a path that is not normalized). */
	simple = malloc(strlen(path) + 1);
	if (!simple)
		return -ENOMEM;
	o = simple;
	for (p = path; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		comp = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - comp);
		if (n == 1 && comp[0] == '.')
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.')
			return -EINVAL;
		if (n > 255) /* NAME_MAX: not a valid path */
			return -EINVAL;
		if (o != simple)
			*o++ = '/';
		memcpy(o, comp, n);
		o += n;
	}
	*o = 0;

	if (!simple[0]) {
		*ret = strdup("-.mount");
		return *ret ? 0 : -ENOMEM;
	}

	name = malloc(strlen(simple) * 4 + sizeof(suffix));
	if (!name)
		return -ENOMEM;
	t = name;
	p = simple;
	if (*p == '.')
		t = escape_char((unsigned char)*p++, t);
	for (; *p; p++) {
		if (*p == '/')
			*t++ = '-';
		else if (!strchr(unit_valid_chars, *p))
			t = escape_char((unsigned char)*p, t);
		else
			*t++ = *p;
	}
	strcpy(t, suffix);
	if (strlen(name) >= SDC_UNIT_NAME_MAX)
		return unit_name_hash_long(name, ret);
	*ret = name;
	name = NULL;
	return 0;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

int umh_sd_mount_unit_path(const char *unit, char **ret)
{
	_sdc_cleanup_free_ char *path = NULL;
	size_t n;
	char *o;

	if (!unit || !ret)
		return -EINVAL;
	*ret = NULL;
	if (!endswith(unit, ".mount") || unit_name_is_hashed(unit))
		return -EINVAL;
	n = strlen(unit) - strlen(".mount");
	if (n == 0)
		return -EINVAL;
	if (n == 1 && unit[0] == '-') {
		*ret = strdup("/");
		return *ret ? 0 : -ENOMEM;
	}
	path = malloc(n + 2);
	if (!path)
		return -ENOMEM;
	o = path;
	*o++ = '/';
	for (size_t i = 0; i < n; i++) {
		if (unit[i] == '-')
			*o++ = '/';
		else if (unit[i] == '\\') {
			int a, b;

			if (i + 3 >= n || unit[i + 1] != 'x')
				return -EINVAL;
			a = unhex(unit[i + 2]);
			b = unhex(unit[i + 3]);
			if (a < 0 || b < 0 || (a == 0 && b == 0))
				return -EINVAL;
			*o++ = (char)(a << 4 | b);
			i += 3;
		} else
			*o++ = unit[i];
	}
	*o = 0;
	*ret = path;
	path = NULL;
	return 0;
}

/* --- reading the manager's state ----------------------------------------- */

/* One unit as Manager.ListUnitsByNames() describes it. */
struct unit_brief {
	char *name, *load_state, *active_state, *sub_state;
	uint32_t job_id;
	char *job_type;
};

static void unit_brief_done(struct unit_brief *b)
{
	free(b->name);
	free(b->load_state);
	free(b->active_state);
	free(b->sub_state);
	free(b->job_type);
	memset(b, 0, sizeof(*b));
}

struct unit_briefs {
	struct unit_brief *v;
	size_t n;
};

static void unit_briefs_donep(struct unit_briefs *l)
{
	for (size_t i = 0; i < l->n; i++)
		unit_brief_done(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static const struct unit_brief *unit_briefs_find(const struct unit_briefs *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq_ptr(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* Parses the reply of ListUnitsByNames(as) -> a(ssssssouso): one consistent
 * snapshot of the states and jobs of every unit named (systemd loads the
 * ones it has not). */
static int parse_list_units(sd_bus_message *reply, struct unit_briefs *out)
{
	const char *name, *desc, *load, *active, *sub, *following, *upath, *jtype, *jpath;
	uint32_t jid;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, &desc, &load, &active, &sub,
	                                &following, &upath, &jid, &jtype, &jpath)) > 0) {
		struct unit_brief *v = realloc(out->v, (out->n + 1) * sizeof(*v)), *b;

		if (!v)
			return -ENOMEM;
		out->v = v;
		b = &v[out->n++];
		memset(b, 0, sizeof(*b));
		b->job_id = jid;
		if (!(b->name = strdup(name)) || !(b->load_state = strdup(load)) ||
		    !(b->active_state = strdup(active)) || !(b->sub_state = strdup(sub)) ||
		    (jid != 0 && !(b->job_type = strdup(jtype))))
			return -ENOMEM;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

/* Reads the unit's a{sv} from Properties.GetAll into `f`, picking the
 * properties this module knows; the rest is skipped. */
enum prop_type { P_STR, P_BOOL, P_STRV, P_ID128, P_JOB };
struct prop_map {
	const char *name;
	enum prop_type type;
	size_t offset;
};

#define PROP(n, t, field) { n, t, offsetof(struct umh_sd_unit_facts, field) }
static const struct prop_map unit_props[] = {
	PROP("Id", P_STR, id),
	PROP("LoadState", P_STR, load_state),
	PROP("ActiveState", P_STR, active_state),
	PROP("SubState", P_STR, sub_state),
	PROP("SourcePath", P_STR, source_path),
	PROP("FragmentPath", P_STR, fragment_path),
	PROP("InvocationID", P_ID128, invocation_id),
	PROP("StopWhenUnneeded", P_BOOL, stop_when_unneeded),
	PROP("NeedDaemonReload", P_BOOL, need_daemon_reload),
	PROP("BindsTo", P_STRV, binds_to),
	PROP("Requires", P_STRV, requires),
	PROP("PartOf", P_STRV, part_of),
	PROP("TriggeredBy", P_STRV, triggered_by),
	PROP("Conflicts", P_STRV, conflicts),
	PROP("ConflictedBy", P_STRV, conflicted_by),
	PROP("RequiredBy", P_STRV, required_by),
	PROP("RequisiteOf", P_STRV, requisite_of),
	PROP("WantedBy", P_STRV, wanted_by),
	PROP("BoundBy", P_STRV, bound_by),
	PROP("DropInPaths", P_STRV, drop_in_paths),
	PROP("Job", P_JOB, job_id),
	{ NULL, P_STR, 0 },
};
static const struct prop_map mount_props[] = {
	PROP("What", P_STR, what),
	PROP("Where", P_STR, where),
	PROP("Type", P_STR, fstype),
	PROP("Result", P_STR, result),
	{ NULL, P_STR, 0 },
};
#undef PROP

static int read_prop(sd_bus_message *reply, const struct prop_map *p, struct umh_sd_unit_facts *f)
{
	void *field = (char *)f + p->offset;
	const char *s;
	const void *bytes;
	size_t len;
	int b, r;
	uint32_t u;

	switch (p->type) {
	case P_STR:
		r = sd_bus_message_read(reply, "v", "s", &s);
		if (r < 0)
			return r;
		return strdup_to((char **)field, s[0] ? s : NULL);
	case P_BOOL:
		r = sd_bus_message_read(reply, "v", "b", &b);
		if (r < 0)
			return r;
		*(bool *)field = b;
		return 0;
	case P_STRV:
		r = sd_bus_message_enter_container(reply, 'v', "as");
		if (r < 0)
			return r;
		sdc_strv_free(*(char ***)field);
		*(char ***)field = NULL;
		r = sd_bus_message_read_strv(reply, (char ***)field);
		if (r < 0)
			return r;
		return sd_bus_message_exit_container(reply);
	case P_ID128:
		r = sd_bus_message_enter_container(reply, 'v', "ay");
		if (r < 0)
			return r;
		r = sd_bus_message_read_array(reply, 'y', &bytes, &len);
		if (r < 0)
			return r;
		if (len == 16) {
			char hex[33];
			for (size_t i = 0; i < 16; i++)
				sprintf(hex + 2 * i, "%02x", ((const unsigned char *)bytes)[i]);
			r = strdup_to((char **)field, hex);
			if (r < 0)
				return r;
		}
		return sd_bus_message_exit_container(reply);
	case P_JOB:
		r = sd_bus_message_read(reply, "v", "(uo)", &u, &s);
		if (r < 0)
			return r;
		*(uint32_t *)field = u;
		return 0;
	}
	return -EINVAL;
}

/* Parses the reply of Properties.GetAll: picks the properties of `map`. */
static int parse_get_all(sd_bus_message *reply, const struct prop_map *map, struct umh_sd_unit_facts *f)
{
	const char *name;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const struct prop_map *p;

		r = sd_bus_message_read(reply, "s", &name);
		if (r < 0)
			return r;
		for (p = map; p->name; p++)
			if (strcmp(p->name, name) == 0)
				break;
		r = p->name ? read_prop(reply, p, f) : sd_bus_message_skip(reply, "v");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

/* --- a batch of method calls, pipelined ------------------------------------
 *
 * The stop job races with us: from JobNew to the unit's garbage collection
 * took 10-20 ms in the test container, and systemd answers the first call
 * only once it has spawned /bin/umount (~10 ms).  So every call is sent at
 * once and the replies collected afterwards: systemd then answers them back
 * to back.  That needs sd_bus_process() on `bus`, which sd-bus forbids from
 * inside one of that bus's own callbacks; there (sd_bus_get_current_message()
 * says so) the calls are made one by one instead, which is slower. */
#define BATCH_MAX 40

struct batch_call {
	sd_bus_slot *slot;
	sd_bus_message *reply; /* a method return, or NULL */
	int error;             /* negative errno of a failed call */
	bool done;
	char error_name[128];
};

struct batch {
	sd_bus *bus;
	bool pipelined;
	size_t n;
	struct batch_call v[BATCH_MAX];
};

static void batch_donep(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		sd_bus_slot_unref(b->v[i].slot);
		sd_bus_message_unref(b->v[i].reply);
	}
	b->n = 0;
}

static void batch_store(struct batch_call *c, sd_bus_message *m)
{
	const sd_bus_error *e;

	c->done = true;
	if (!sd_bus_message_is_method_error(m, NULL)) {
		c->reply = sd_bus_message_ref(m);
		return;
	}
	e = sd_bus_message_get_error(m);
	c->error = -sd_bus_message_get_errno(m);
	if (c->error == 0)
		c->error = -EIO;
	if (e && e->name)
		snprintf(c->error_name, sizeof(c->error_name), "%s", e->name);
}

static int batch_on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)ret_error;
	batch_store(userdata, m);
	return 0;
}

static void batch_init(struct batch *b, sd_bus *bus)
{
	memset(b, 0, sizeof(*b));
	b->bus = bus;
	b->pipelined = sd_bus_get_current_message(bus) == NULL;
}

/* Queues (or, not pipelined, makes) one call; takes over `m`. Returns its index. */
static int batch_add(struct batch *b, sd_bus_message *m)
{
	_sdc_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = m;
	struct batch_call *c;
	int r;

	if (b->n >= BATCH_MAX)
		return -E2BIG;
	c = &b->v[b->n];
	memset(c, 0, sizeof(*c));
	if (b->pipelined) {
		r = sd_bus_call_async(b->bus, &c->slot, msg, batch_on_reply, c, 0);
		if (r < 0)
			return r;
	} else {
		_sdc_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;

		r = sd_bus_call(b->bus, msg, 0, &error, &reply);
		c->done = true;
		if (r < 0) {
			c->error = r;
			if (error.name)
				snprintf(c->error_name, sizeof(c->error_name), "%s", error.name);
		} else
			c->reply = reply;
	}
	return (int)b->n++;
}

static int batch_add_method(struct batch *b, const char *path, const char *iface, const char *member,
                            sd_bus_message **ret_msg)
{
	int r = sd_bus_message_new_method_call(b->bus, ret_msg, SDC_DEST, path, iface, member);
	return r < 0 ? r : 0;
}

static int batch_add_get(struct batch *b, const char *path, const char *iface, const char *prop)
{
	sd_bus_message *m = NULL;
	int r;

	r = batch_add_method(b, path, "org.freedesktop.DBus.Properties", "Get", &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "ss", iface, prop);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return batch_add(b, m);
}

static int batch_add_get_all(struct batch *b, const char *path, const char *iface)
{
	sd_bus_message *m = NULL;
	int r;

	r = batch_add_method(b, path, "org.freedesktop.DBus.Properties", "GetAll", &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "s", iface);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return batch_add(b, m);
}

static int batch_add_list_units(struct batch *b, char **names)
{
	sd_bus_message *m = NULL;
	int r;

	r = batch_add_method(b, SDC_PATH, SDC_MGR, "ListUnitsByNames", &m);
	if (r < 0)
		return r;
	r = sd_bus_message_append_strv(m, names);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	return batch_add(b, m);
}

/* Waits until every call of the batch has its answer (each call times out
 * by itself, after the bus's method call timeout). */
static int batch_wait(struct batch *b)
{
	int r;

	if (!b->pipelined)
		return 0;
	for (;;) {
		bool all = true;

		for (size_t i = 0; i < b->n; i++)
			all = all && b->v[i].done;
		if (all)
			return 0;
		r = sd_bus_process(b->bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		r = sd_bus_wait(b->bus, UINT64_MAX);
		if (r < 0 && r != -EINTR)
			return r;
	}
}

static void facts_done(struct umh_sd_unit_facts *f)
{
	char **strs[] = { &f->id, &f->load_state, &f->active_state, &f->sub_state, &f->job_type,
	                  &f->what, &f->where, &f->fstype, &f->result, &f->source_path,
	                  &f->fragment_path, &f->invocation_id };
	char ***lists[] = { &f->binds_to, &f->requires, &f->part_of, &f->triggered_by,
	                    &f->conflicts, &f->conflicted_by, &f->required_by, &f->requisite_of,
	                    &f->wanted_by, &f->bound_by, &f->drop_in_paths };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		sdc_strv_free(*lists[i]);
	memset(f, 0, sizeof(*f));
}

static void facts_donep(struct umh_sd_unit_facts *f)
{
	facts_done(f);
}

void umh_sd_cause_done(struct umh_sd_cause *c)
{
	if (!c)
		return;
	free(c->unit);
	free(c->related_unit);
	free(c->related_state);
	free(c->related_job);
	free(c->sentence);
	free(c->reason);
	facts_done(&c->facts);
	memset(c, 0, sizeof(*c));
}

const char *umh_sd_cause_kind_name(enum umh_sd_cause_kind kind)
{
	switch (kind) {
	case UMH_SD_CAUSE_BINDS_TO_INACTIVE: return "binds-to-inactive";
	case UMH_SD_CAUSE_STOP_WHEN_UNNEEDED: return "stop-when-unneeded";
	case UMH_SD_CAUSE_AUTOMOUNT_IDLE: return "automount-idle";
	case UMH_SD_CAUSE_CONFLICT: return "conflict";
	case UMH_SD_CAUSE_DEPENDENCY_STOPPING: return "dependency-stopping";
	case UMH_SD_CAUSE_NEED_DAEMON_RELOAD: return "need-daemon-reload";
	case UMH_SD_CAUSE_UNKNOWN: break;
	}
	return "unknown";
}

/* --- deciding ------------------------------------------------------------ */

static bool state_is(const struct unit_brief *b, const char *s)
{
	return b && streq_ptr(b->active_state, s);
}
static bool is_inactive_or_failed(const struct unit_brief *b)
{
	return state_is(b, "inactive") || state_is(b, "failed");
}
static bool has_job(const struct unit_brief *b, const char *type)
{
	return b && b->job_id != 0 && (!type || streq_ptr(b->job_type, type));
}
/* Stopping: a stop job is pending, or it is going down. */
static bool is_stopping(const struct unit_brief *b)
{
	return has_job(b, "stop") || state_is(b, "deactivating");
}
/* "inactive", or "inactive, unit not found" and the like, for the sentence. */
static int describe_state(const struct unit_brief *b, char **ret)
{
	const char *load = b->load_state ? b->load_state : "?";
	const char *active = b->active_state ? b->active_state : "?";

	if (has_job(b, NULL) && !streq_ptr(load, "loaded"))
		return sdc_asprintf(ret, "%s (LoadState=%s, a %s job pending)", active, load, b->job_type);
	if (has_job(b, NULL))
		return sdc_asprintf(ret, "%s (a %s job pending)", active, b->job_type);
	if (streq_ptr(load, "not-found"))
		return sdc_asprintf(ret, "%s (no such unit: LoadState=not-found)", active);
	if (streq_ptr(load, "masked"))
		return sdc_asprintf(ret, "%s (masked)", active);
	if (!streq_ptr(load, "loaded"))
		return sdc_asprintf(ret, "%s (LoadState=%s)", active, load);
	if (endswith(b->name, ".device") && streq_ptr(active, "inactive"))
		return sdc_asprintf(ret, "%s (the device is not present)", active);
	return sdc_asprintf(ret, "%s", active);
}

static int set_related(struct umh_sd_cause *c, const struct unit_brief *b)
{
	int r = strdup_to(&c->related_unit, b->name);
	if (r < 0)
		return r;
	r = strdup_to(&c->related_job, b->job_id ? b->job_type : NULL);
	if (r < 0)
		return r;
	return strdup_to(&c->related_state, b->active_state);
}

static char *format_usec(uint64_t usec, char *buf, size_t size)
{
	if (usec % 1000000 == 0)
		snprintf(buf, size, "%" PRIu64 "s", usec / 1000000);
	else
		snprintf(buf, size, "%" PRIu64 "ms", usec / 1000);
	return buf;
}

/* A known cause: the clause after "because", and the sentence around it. */
static int set_reason(struct umh_sd_cause *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_reason(struct umh_sd_cause *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(c->reason);
	va_start(ap, fmt);
	r = vasprintf(&c->reason, fmt, ap);
	va_end(ap);
	if (r < 0) {
		c->reason = NULL;
		return -ENOMEM;
	}
	return sdc_asprintf(&c->sentence, "systemd stopped %s because %s", c->unit, c->reason);
}

static int decide_rules(struct umh_sd_cause *c, const struct unit_briefs *deps, const uint64_t *idle_usec,
                        size_t n_idle)
{
	struct umh_sd_unit_facts *f = &c->facts;
	_sdc_cleanup_free_ char *state = NULL;
	const struct unit_brief *b;
	char **l;
	int r;

	/* 1. BindsTo= a unit that is inactive (with no job that may bring it
	 *    up: systemd waits for that), or that is being stopped. */
	for (l = f->binds_to; l && *l; l++) {
		b = unit_briefs_find(deps, *l);
		if (!b || !((is_inactive_or_failed(b) && !has_job(b, "start")) || is_stopping(b)))
			continue;
		c->kind = UMH_SD_CAUSE_BINDS_TO_INACTIVE;
		if ((r = set_related(c, b)) < 0 || (r = describe_state(b, &state)) < 0)
			return r;
		return set_reason(c, "it is bound (BindsTo=) to %s, which is %s", b->name,
		                  is_stopping(b) && !is_inactive_or_failed(b) ? "being stopped" : state);
	}

	/* 2. Conflicts= (either direction) with a unit that is being started
	 *    or has just started: umount.target at shutdown, or an explicit
	 *    Conflicts=. */
	for (int pass = 0; pass < 2; pass++)
		for (l = pass ? f->conflicted_by : f->conflicts; l && *l; l++) {
			bool starting;

			b = unit_briefs_find(deps, *l);
			starting = b && (has_job(b, "start") || state_is(b, "activating"));
			/* Active, no stop job: it started while we were reading. */
			if (!b || !(starting || (state_is(b, "active") && !is_stopping(b))))
				continue;
			c->kind = UMH_SD_CAUSE_CONFLICT;
			if ((r = set_related(c, b)) < 0)
				return r;
			return set_reason(c, "it conflicts (Conflicts=) with %s, which is %s%s", b->name,
			                  starting ? "being started" : "active",
			                  streq_ptr(b->name, "umount.target") ||
			                  streq_ptr(b->name, "shutdown.target") ?
			                  " (the system is shutting down)" : "");
		}

	/* 3. Triggered by an automount that is still active: its idle timeout
	 *    expired (systemd stops the mount when the kernel says it is idle). */
	for (size_t i = 0; i < n_idle && f->triggered_by && f->triggered_by[i]; i++) {
		uint64_t idle = idle_usec ? idle_usec[i] : 0;
		char buf[32];

		l = &f->triggered_by[i];
		if (!endswith(*l, ".automount") || idle == 0)
			continue;
		b = unit_briefs_find(deps, *l);
		if (!b || !state_is(b, "active"))
			continue;
		c->kind = UMH_SD_CAUSE_AUTOMOUNT_IDLE;
		if ((r = set_related(c, b)) < 0)
			return r;
		return set_reason(c, "its automount %s saw it unused for TimeoutIdleSec=%s", b->name,
		                  format_usec(idle, buf, sizeof(buf)));
	}

	/* 4. StopWhenUnneeded=yes and nothing that pins it (RequiredBy=,
	 *    RequisiteOf=, WantedBy=, BoundBy=) is active or has a job. */
	if (f->stop_when_unneeded) {
		char **pinners[] = { f->required_by, f->requisite_of, f->wanted_by, f->bound_by };
		bool needed = false;

		for (size_t i = 0; i < sizeof(pinners) / sizeof(pinners[0]) && !needed; i++)
			for (l = pinners[i]; l && *l; l++) {
				b = unit_briefs_find(deps, *l);
				if (b && (has_job(b, NULL) || !is_inactive_or_failed(b))) {
					needed = true;
					break;
				}
			}
		if (!needed) {
			c->kind = UMH_SD_CAUSE_STOP_WHEN_UNNEEDED;
			return set_reason(c, "it has StopWhenUnneeded=yes and no active unit wants, "
			                  "requires or binds to it");
		}
	}

	/* 5. Requires= / PartOf= a unit that is being stopped: the stop was
	 *    propagated to this unit in the same transaction. */
	for (int pass = 0; pass < 2; pass++)
		for (l = pass ? f->part_of : f->requires; l && *l; l++) {
			b = unit_briefs_find(deps, *l);
			if (!b || !is_stopping(b))
				continue;
			c->kind = UMH_SD_CAUSE_DEPENDENCY_STOPPING;
			if ((r = set_related(c, b)) < 0)
				return r;
			return set_reason(c, "it %s %s, which is being stopped",
			                  pass ? "is part of (PartOf=)" : "requires (Requires=)", b->name);
		}

	/* 6. Nothing in the dependencies: say what is known. */
	if (f->need_daemon_reload) {
		c->kind = UMH_SD_CAUSE_NEED_DAEMON_RELOAD;
		r = sdc_asprintf(&c->reason, "its unit file changed on disk since systemd loaded it "
		                 "(NeedDaemonReload=yes), and no dependency explains it");
		if (r < 0)
			return r;
		return sdc_asprintf(&c->sentence,
		                    "systemd stopped %s; no dependency explains it, but its unit file "
		                    "changed on disk since systemd loaded it (NeedDaemonReload=yes): "
		                    "run 'systemctl daemon-reload'",
		                    c->unit);
	}
	c->kind = UMH_SD_CAUSE_UNKNOWN;
	if (f->gone)
		return sdc_asprintf(&c->sentence,
		                    "systemd has no %s loaded: it was not mounted while systemd watched, or it "
		                    "was stopped and its state is gone; the journal may tell more",
		                    c->unit);
	if (!f->job_id)
		return sdc_asprintf(&c->sentence,
		                    "%s is %s and has no job: read too late, the state that caused the "
		                    "stop is gone",
		                    c->unit, f->active_state ? f->active_state : "inactive");
	if (!f->consistent)
		return sdc_asprintf(&c->sentence,
		                    "systemd stopped %s, but its state went away while it was read (the "
		                    "stop was over too fast): what was read explains nothing",
		                    c->unit);
	return sdc_asprintf(&c->sentence,
	                    "systemd stopped %s, but no dependency explains it: most likely on request "
	                    "(systemctl stop, isolate, or a umount through systemd)",
	                    c->unit);
}

static int decide(struct umh_sd_cause *c, const struct unit_briefs *deps, const uint64_t *idle_usec,
                  size_t n_idle)
{
	struct umh_sd_unit_facts *f = &c->facts;
	bool late = !f->job_id && (streq_ptr(f->active_state, "inactive") || streq_ptr(f->active_state, "failed"));
	char *longer;
	int r;

	/* A job, but not a stop: nothing to explain (yet). */
	if (f->job_id && !streq_ptr(f->job_type, "stop")) {
		c->kind = UMH_SD_CAUSE_UNKNOWN;
		return sdc_asprintf(&c->sentence, "systemd has a %s job for %s, not a stop job (it is %s)",
		                    f->job_type ? f->job_type : "?", c->unit,
		                    f->active_state ? f->active_state : "in an unknown state");
	}
	r = decide_rules(c, deps, idle_usec, n_idle);
	if (r < 0 || !late || c->kind == UMH_SD_CAUSE_UNKNOWN)
		return r;
	/* The dependencies that remain still explain it, but were read after
	 * the fact. */
	r = sdc_asprintf(&longer, "%s (read after the stop was over, from the state systemd still had)",
	                 c->sentence);
	if (r < 0)
		return r;
	free(c->sentence);
	c->sentence = longer;
	return 0;
}

/* Round one of a read, in this order, all sent at once.  The unit's own
 * properties one by one (Properties.Get): GetAll on the Unit interface makes
 * systemd look up UnitFileState and the presets on disk, which took it ~6 ms
 * in the test container, a third of the time the stop job leaves.  The most
 * telling first.  systemd may collect the unit between two answers (when
 * the stop job ends); a collected unit read again is a fresh copy, with no
 * InvocationID: so InvocationID is read first and again last, and all that
 * lies between is from the live unit when both are there and the same.
 * "@self" is ListUnitsByNames([unit]) (state and job), "@mount" the Mount
 * interface's GetAll (cheap; What= goes as soon as systemd sees the mount
 * leave mountinfo), "@invocation" the second InvocationID. */
/* A unit Ref()'d for the time of a read: Unref()'d when it goes out of
 * scope, without waiting for the answer. */
struct unit_pin {
	sd_bus *bus;
	const char *path;
};

static void unref_unitp(struct unit_pin *p)
{
	if (p->path)
		(void)sd_bus_call_method_async(p->bus, NULL, SDC_DEST, p->path, SDC_UNIT, "Unref", NULL,
		                               NULL, NULL);
}

static const char *const round_one[] = {
	"InvocationID", "BindsTo", "StopWhenUnneeded", "TriggeredBy", "Conflicts", "ConflictedBy",
	"@self", "@mount",
	"Requires", "PartOf", "RequiredBy", "RequisiteOf", "WantedBy", "BoundBy", "SourcePath",
	"FragmentPath", "DropInPaths", "NeedDaemonReload",
	"@invocation", NULL
};

static const struct prop_map *find_prop(const struct prop_map *map, const char *name)
{
	for (; map->name; map++)
		if (strcmp(map->name, name) == 0)
			return map;
	return NULL;
}

int umh_sd_read_cause(sd_bus *bus, const char *unit, struct umh_sd_cause *ret)
{
	struct umh_sd_cause c = { 0 };
	_sdc_cleanup_(sdc_cause_donep) struct umh_sd_cause *cleanup = &c;
	_sdc_cleanup_(unit_briefs_donep) struct unit_briefs self = { 0 }, deps = { 0 };
	_sdc_cleanup_(facts_donep) struct umh_sd_unit_facts last = { 0 };
	_sdc_cleanup_(batch_donep) struct batch b1, b2;
	_sdc_cleanup_strv_free_ char **names = NULL;
	_sdc_cleanup_free_ char *upath = NULL;
	_sdc_cleanup_(unref_unitp) struct unit_pin pin = { bus, NULL };
	_sdc_cleanup_free_ uint64_t *idle = NULL;
	const struct unit_brief *me;
	int r, i_self = -1, i_prop[BATCH_MAX], i_mount = -1, i_deps = -1, i_ref = -1, n_trig;
	int i_idle[BATCH_MAX];

	if (!bus || !unit || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	batch_init(&b1, bus);
	batch_init(&b2, bus);

	if (unit[0] == '/')
		r = umh_sd_mount_unit_name(unit, &c.unit);
	else
		r = strdup_to(&c.unit, unit);
	if (r < 0)
		return r;
	r = sd_bus_path_encode(SDC_UNIT_PREFIX, c.unit, &upath);
	if (r < 0)
		return r;

	/* Round one, all at once: the unit's state and job, its properties,
	 * its mount parameters.  On a bus (not on a direct connection, where
	 * systemd cannot track the caller), first Ref() the unit: then systemd
	 * cannot collect it while we read, even if the stop job ends. */
	if (sd_bus_is_bus_client(bus) > 0) {
		sd_bus_message *m = NULL;

		r = batch_add_method(&b1, upath, SDC_UNIT, "Ref", &m);
		if (r < 0)
			return r;
		if ((i_ref = batch_add(&b1, m)) < 0)
			return i_ref;
	}
	for (size_t i = 0; round_one[i]; i++) {
		if (strcmp(round_one[i], "@self") == 0) {
			char *one[] = { c.unit, NULL };
			if ((i_self = batch_add_list_units(&b1, one)) < 0)
				return i_self;
		} else if (strcmp(round_one[i], "@mount") == 0) {
			if (endswith(c.unit, ".mount") &&
			    (i_mount = batch_add_get_all(&b1, upath, SDC_MOUNT)) < 0)
				return i_mount;
		} else {
			const char *prop = round_one[i][0] == '@' ? "InvocationID" : round_one[i];
			if ((i_prop[i] = batch_add_get(&b1, upath, SDC_UNIT, prop)) < 0)
				return i_prop[i];
		}
	}
	r = batch_wait(&b1);
	if (r < 0)
		return r;

	if (i_ref >= 0 && b1.v[i_ref].reply) {
		/* Let go of it again when done, whatever happens: no reply wanted. */
		c.facts.pinned = true;
		pin.path = upath;
	}
	if (!b1.v[i_self].reply)
		return b1.v[i_self].error ? b1.v[i_self].error : -EIO;
	r = parse_list_units(b1.v[i_self].reply, &self);
	if (r < 0)
		return r;
	me = unit_briefs_find(&self, c.unit);
	if (!me)
		return -EIO;
	for (size_t i = 0; round_one[i]; i++) {
		struct batch_call *call;
		bool again = strcmp(round_one[i], "@invocation") == 0;

		if (round_one[i][0] == '@' && !again)
			continue;
		call = &b1.v[i_prop[i]];
		if (!call->reply) {
			/* A property this systemd does not have: skip it. */
			if (strcmp(call->error_name, SD_BUS_ERROR_UNKNOWN_PROPERTY) == 0)
				continue;
			return call->error ? call->error : -EIO;
		}
		r = read_prop(call->reply, find_prop(unit_props, again ? "InvocationID" : round_one[i]),
		              again ? &last : &c.facts);
		if (r < 0)
			return r;
	}
	if (i_mount >= 0) {
		if (!b1.v[i_mount].reply)
			return b1.v[i_mount].error ? b1.v[i_mount].error : -EIO;
		r = parse_get_all(b1.v[i_mount].reply, mount_props, &c.facts);
		if (r < 0)
			return r;
	}
	/* The job and state seen at "@self". */
	c.facts.job_id = me->job_id;
	if ((r = strdup_to(&c.facts.job_type, me->job_type)) < 0 ||
	    (r = strdup_to(&c.facts.active_state, me->active_state)) < 0 ||
	    (r = strdup_to(&c.facts.sub_state, me->sub_state)) < 0 ||
	    (r = strdup_to(&c.facts.load_state, me->load_state)) < 0 ||
	    (r = strdup_to(&c.facts.id, me->name)) < 0)
		return r;
	c.facts.consistent = c.facts.invocation_id && streq_ptr(c.facts.invocation_id, last.invocation_id);
	/* Read too late: the job is over, the unit was garbage-collected and
	 * what we read is a freshly loaded copy (no invocation ID). */
	if (!me->job_id && is_inactive_or_failed(me) && !c.facts.invocation_id)
		c.facts.gone = true;

	/* Round two: the states of every unit it depends on or is depended on
	 * by, and the idle timeouts of the automounts that trigger it. */
	{
		char **all[] = { c.facts.binds_to, c.facts.requires, c.facts.part_of,
		                 c.facts.triggered_by, c.facts.conflicts, c.facts.conflicted_by,
		                 c.facts.required_by, c.facts.requisite_of, c.facts.wanted_by,
		                 c.facts.bound_by };
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if ((r = strv_extend_uniq(&names, all[i])) < 0)
				return r;
	}
	if (names && (i_deps = batch_add_list_units(&b2, names)) < 0)
		return i_deps;
	n_trig = (int)strv_length(c.facts.triggered_by);
	if (n_trig > BATCH_MAX - 1)
		n_trig = BATCH_MAX - 1;
	for (int i = 0; i < n_trig; i++) {
		_sdc_cleanup_free_ char *apath = NULL;

		i_idle[i] = -1;
		if (!endswith(c.facts.triggered_by[i], ".automount"))
			continue;
		r = sd_bus_path_encode(SDC_UNIT_PREFIX, c.facts.triggered_by[i], &apath);
		if (r < 0)
			return r;
		if ((i_idle[i] = batch_add_get(&b2, apath, SDC_AUTOMOUNT, "TimeoutIdleUSec")) < 0)
			return i_idle[i];
	}
	r = batch_wait(&b2);
	if (r < 0)
		return r;
	if (i_deps >= 0) {
		if (!b2.v[i_deps].reply)
			return b2.v[i_deps].error ? b2.v[i_deps].error : -EIO;
		r = parse_list_units(b2.v[i_deps].reply, &deps);
		if (r < 0)
			return r;
	}
	if (n_trig > 0) {
		idle = calloc((size_t)n_trig + 1, sizeof(uint64_t));
		if (!idle)
			return -ENOMEM;
		for (int i = 0; i < n_trig; i++)
			if (i_idle[i] >= 0 && b2.v[i_idle[i]].reply &&
			    sd_bus_message_read(b2.v[i_idle[i]].reply, "v", "t", &idle[i]) < 0)
				idle[i] = 0;
	}

	r = decide(&c, &deps, idle, idle ? (size_t)n_trig : 0);
	if (r < 0)
		return r;

	*ret = c;
	cleanup = NULL;
	return 0;
}

int umh_sd_ref_unit(sd_bus *bus, const char *unit)
{
	_sdc_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_sdc_cleanup_free_ char *upath = NULL;
	int r;

	if (!bus || !unit)
		return -EINVAL;
	r = sd_bus_path_encode(SDC_UNIT_PREFIX, unit, &upath);
	if (r < 0)
		return r;
	return sd_bus_call_method(bus, SDC_DEST, upath, SDC_UNIT, "Ref", &error, NULL, NULL);
}
