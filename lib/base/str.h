/* Strings that may be absent, and strings from fixed-size fields: the
 * small comparisons and copies several layers need, in one place. */
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
