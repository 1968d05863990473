/* Strings that may be absent, strings from fixed-size fields, strings
 * made to order: the small comparisons and copies several layers need, in
 * one place. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Orders strings that may be absent: NULL before any string. */
static inline int umh_strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Equal, an absent string only to another absent one: two readings of a
 * field that was absent both times have not changed. */
static inline bool umh_streq_null(const char *a, const char *b) { return umh_strcmp_null(a, b) == 0; }

/* Both present and equal: a value that is not known (NULL) matches
 * nothing, not even another unknown one (a unit state systemd did not
 * give is not "loaded"). */
static inline bool umh_streq_known(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Copies the string at SRC, of at most SRC_LEN bytes (a kernel's fixed
 * field, such as a task's comm, is NUL-terminated only when shorter than
 * its array; a span of text is not at all), into DST of DST_SIZE bytes
 * (at least 1), cut to fit and NUL-terminated. */
static inline void umh_copy_field(char *dst, size_t dst_size, const char *src, size_t src_len)
{
	size_t n = strnlen(src, src_len);
	if (n >= dst_size)
		n = dst_size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Whether S ends with SUFFIX. */
static inline bool umh_endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* asprintf() into *RET: 0, or -ENOMEM with *RET NULL. */
int umh_asprintf(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Replaces *DST (freed) with a copy of SRC, or NULL when SRC is NULL: 0,
 * or -ENOMEM with *DST unchanged. */
int umh_strdup_to(char **dst, const char *src);
