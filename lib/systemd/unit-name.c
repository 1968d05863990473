/* Mount unit names as systemd makes them (see unit-name.h).
 *
 * libsystemd exports no unit-name escaping (unit_name_from_path() and
 * unit_name_hash_long() are internal to systemd's src/basic and
 * src/shared), so this is a re-implementation, checked against the names
 * systemd 252 gives (tests/unit/test-systemd-unit-name.c), SipHash-2-4
 * included: systemd shortens a name that would be too long with it. */
#include "systemd/unit-name.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/str.h"

#define UNIT_NAME_MAX 256 /* systemd's UNIT_NAME_MAX, the NUL included */

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
#define UNIT_NAME_HASH_CHARS 16

static int unit_name_hash_long(const char *name, char **ret)
{
	const char *suffix = strrchr(name, '.');
	uint64_t h;
	size_t keep;
	char *n;

	if (!suffix)
		return -EINVAL;
	h = siphash24(name, strlen(name) + 1, long_unit_name_hash_key);
	keep = UNIT_NAME_MAX - 1 - strlen(suffix + 1) - UNIT_NAME_HASH_CHARS - 2;
	n = malloc(UNIT_NAME_MAX);
	if (!n)
		return -ENOMEM;
	memcpy(n, name, keep);
	n[keep] = '_';
	for (int i = 0; i < 8; i++)
		sprintf(n + keep + 1 + 2 * i, "%02x", (unsigned)((h >> (8 * i)) & 0xff));
	strcpy(n + keep + 1 + UNIT_NAME_HASH_CHARS, suffix);
	*ret = n;
	return 0;
}

bool umh_sd_is_mount_unit(const char *unit)
{
	return unit && strlen(unit) > strlen(".mount") && umh_endswith(unit, ".mount");
}

/* As systemd's unit_name_is_hashed(): "..._0123456789abcdef.mount". */
static bool unit_name_is_hashed(const char *name)
{
	const char *s = strrchr(name, '.');

	if (!s || s - name < UNIT_NAME_HASH_CHARS + 1)
		return false;
	s -= UNIT_NAME_HASH_CHARS;
	if (s[-1] != '_')
		return false;
	for (int i = 0; i < UNIT_NAME_HASH_CHARS; i++)
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
	_cleanup_free_ char *simple = NULL, *name = NULL;
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
	if (strlen(name) >= UNIT_NAME_MAX)
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
	_cleanup_free_ char *path = NULL;
	size_t n;
	char *o;

	if (!unit || !ret)
		return -EINVAL;
	*ret = NULL;
	if (!umh_endswith(unit, ".mount") || unit_name_is_hashed(unit))
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
