#include "base/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"

/* Finds "KEY:" at the start of a line in BUF and returns what follows the
 * colon and any blanks, or NULL. */
static const char *field(const char *buf, const char *key)
{
	size_t len = strlen(key);
	for (const char *line = buf; line && *line;) {
		if (strncmp(line, key, len) == 0 && line[len] == ':') {
			const char *v = line + len + 1;
			return v + strspn(v, " \t");
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

static int parse_u64(const char *s, int base, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || end == s || (*end && *end != '\n' && *end != ' ' && *end != '\t'))
		return -EINVAL;
	*out = v;
	return 0;
}

int umh_parse_fdinfo(const char *buf, struct umh_fdinfo *out)
{
	*out = (struct umh_fdinfo){ 0 };
	uint64_t v;

	if (parse_u64(field(buf, "flags"), 8, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	out->flags = (unsigned int)v;
	if (parse_u64(field(buf, "pos"), 10, &out->pos) < 0)
		return -EINVAL;
	if (parse_u64(field(buf, "mnt_id"), 10, &out->mnt_id) == 0)
		out->has_mnt_id = true;
	if (parse_u64(field(buf, "ino"), 10, &v) == 0)
		out->ino = v;
	return 0;
}

const char *umh_access_from_flags(unsigned int flags)
{
	if (flags & O_PATH)
		return "path";
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return "r";
	case O_WRONLY:
		return "w";
	default:
		return "rw";
	}
}

int umh_parse_uring_files(const char *fdinfo, umh_uring_file_fn fn, void *userdata)
{
	const char *v = field(fdinfo, "UserFiles");
	if (!v)
		return -EINVAL;
	const char *line = strchr(v, '\n');
	int count = 0;

	/* The files follow, one per line: "%5u: PATH", until a line that is
	 * not indented starts the next field. */
	while (line && line[1] == ' ') {
		line++;
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		_Static_assert(sizeof(unsigned int) == 4, "index width");
		char *copy = strndup(line, len);
		if (!copy)
			return -ENOMEM;
		char *p = copy + strspn(copy, " ");
		char *colon;
		unsigned long idx = strtoul(p, &colon, 10);
		if (colon != p && colon[0] == ':' && colon[1] == ' ' && idx <= UINT32_MAX) {
			char *path = colon + 2;
			umh_unescape_octal(path);
			int r = fn ? fn((unsigned int)idx, path, userdata) : 0;
			if (r < 0) {
				free(copy);
				return r;
			}
			count++;
		}
		free(copy);
		line = end;
	}
	return count;
}

/* A hexadecimal or decimal number of at most 16 digits at *P, then SEP:
 * *P moves past both.  The kernel prints maps with fixed separators. */
static int take_number(const char **p, int base, char sep, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;
	for (;; s++, digits++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (digits == 0 || digits > (base == 16 ? 16 : 20) || (sep && *s != sep))
		return -EINVAL;
	*out = v;
	*p = sep ? s + 1 : s;
	return 0;
}

/* "start-end perms offset major:minor inode   path": by hand, as sscanf
 * cost the procfs scan a few percent (every mapping of every process). */
int umh_parse_maps_line(char *line, struct umh_maps_entry *out)
{
	*out = (struct umh_maps_entry){ 0 };
	line[strcspn(line, "\n")] = '\0';
	const char *p = line;
	uint64_t major, minor;
	if (take_number(&p, 16, '-', &out->start) < 0 || take_number(&p, 16, ' ', &out->end) < 0)
		return -EINVAL;
	if (strnlen(p, 5) < 5 || p[4] != ' ' || memchr(p, ' ', 4) || memchr(p, '\0', 4))
		return -EINVAL;
	memcpy(out->perms, p, 4);
	out->perms[4] = '\0';
	p += 5;
	if (take_number(&p, 16, ' ', &out->offset) < 0 || take_number(&p, 16, ':', &major) < 0 ||
	    take_number(&p, 16, ' ', &minor) < 0 || take_number(&p, 10, 0, &out->inode) < 0 ||
	    (*p && *p != ' ') || major > UINT32_MAX || minor > UINT32_MAX || out->end < out->start)
		return -EINVAL;
	out->major = (unsigned int)major;
	out->minor = (unsigned int)minor;
	char *path = line + (p - line);
	path += strspn(path, " ");
	umh_unescape_octal(path);
	out->path = path;
	return 0;
}

int umh_parse_swaps_line(char *line, struct umh_swap_entry *out)
{
	*out = (struct umh_swap_entry){ 0 };
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "Filename", 8) == 0)
		return -ENOENT;

	/* The file name is escaped (" \t\n\\" as octal), so the first blank
	 * ends it. */
	char *sep = line + strcspn(line, " \t");
	if (sep == line || !*sep)
		return -EINVAL;
	*sep++ = '\0';
	sep += strspn(sep, " \t");
	char *type_end = sep + strcspn(sep, " \t");
	if (type_end == sep)
		return -EINVAL;
	*type_end = '\0';
	umh_unescape_octal(line);
	out->filename = line;
	out->type = sep;
	return 0;
}

int umh_parse_binfmt_entry(char *buf, struct umh_binfmt_entry *out)
{
	*out = (struct umh_binfmt_entry){ .flags = "" };
	bool seen_state = false;

	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strcmp(line, "enabled") == 0 || strcmp(line, "disabled") == 0) {
			out->enabled = line[0] == 'e';
			seen_state = true;
		} else if (strncmp(line, "interpreter ", 12) == 0) {
			out->interpreter = line + 12;
		} else if (strncmp(line, "flags: ", 7) == 0) {
			out->flags = line + 7;
			out->open_binary = strchr(out->flags, 'F') != NULL;
		}
	}
	if (!seen_state || !out->interpreter)
		return -EINVAL;
	return 0;
}

int umh_parse_exports_line(char *line, struct umh_export_entry *out)
{
	*out = (struct umh_export_entry){ 0 };
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return -ENOENT;
	char *sep = line + strcspn(line, " \t");
	if (sep == line)
		return -EINVAL;
	if (*sep) {
		*sep++ = '\0';
		sep += strspn(sep, " \t");
	}
	/* The client (the auth domain: a host, a subnet, "*", "@netgroup",
	 * as exportfs was given it) ends where its options begin.  Its name
	 * holds no "(", which the kernel does not escape. */
	char *opts = strchr(sep, '(');
	if (opts) {
		*opts++ = '\0';
		size_t len = strlen(opts);
		if (len && opts[len - 1] == ')')
			opts[len - 1] = '\0';
		out->options = opts;
	}
	umh_unescape_octal(line);
	umh_unescape_octal(sep);
	out->path = line;
	out->client = sep;
	return 0;
}

int umh_parse_uprobe_event(char *line, struct umh_uprobe_event *out)
{
	*out = (struct umh_uprobe_event){ 0 };
	line[strcspn(line, "\n")] = '\0';
	if ((line[0] != 'p' && line[0] != 'r') || line[1] != ':')
		return -EINVAL;
	char *event = line + 2, *end = strchr(event, ' ');
	char *slash = end ? memchr(event, '/', (size_t)(end - event)) : NULL;
	if (!end || !slash || slash == event || slash + 1 == end)
		return -EINVAL;
	*end = '\0';
	out->event = event;
	out->ret = line[0] == 'r';
	for (const char *p = strstr(end + 1, ":0x"); p; p = strstr(p + 1, ":0x")) {
		size_t digits = strspn(p + 3, "0123456789abcdef");
		if (digits == 16 && strchr(" (", p[19])) {
			out->offset = strtoull(p + 3, NULL, 16);
			out->has_offset = true;
			break;
		}
	}
	return 0;
}

int umh_parse_seconds(const char *s, long long *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 86400)
		return -EINVAL;
	/* A positive number below a nanosecond would be a budget of 0
	 * (found by fuzz-config: "timeout = 5E-44"). */
	long long n = (long long)(v * 1e9);
	if (n <= 0)
		return -EINVAL;
	*ns = n;
	return 0;
}

int umh_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

pid_t umh_parse_pid(const char *s)
{
	long v;
	/* PID_MAX_LIMIT is 2^22; anything that fits a pid_t is let through. */
	return s && umh_parse_long(s, 1, 0x7fffffff, &v) == 0 ? (pid_t)v : 0;
}

bool umh_path_under(const char *path, const char *mountpoint)
{
	size_t n = strlen(mountpoint);
	if (n == 1 && mountpoint[0] == '/')
		return path[0] == '/';
	return strncmp(path, mountpoint, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
