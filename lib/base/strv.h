/* Lists of strings, NULL-terminated (as sd-bus reads an "as" with
 * sd_bus_message_read_strv()): freeing, length, membership, merging. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/cleanup.h"

/* Frees every string and the list; NULL is an empty list.  Returns NULL. */
char **umh_strv_free(char **l);
static inline void umh_strv_freep(char ***l) { umh_strv_free(*l); }
#define _cleanup_strv_free_ _cleanup_(umh_strv_freep)

size_t umh_strv_length(char *const *l);
bool umh_strv_contains(char *const *l, const char *s);

/* Appends copies of the strings of ADD that *L does not hold yet.  0 or
 * -ENOMEM (*L stays a valid list either way). */
int umh_strv_extend_uniq(char ***l, char *const *add);
