/* Helpers shared by the libFuzzer targets. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated, writable string (parsers modify their
 * input in place, as they do with what they read from /proc). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
