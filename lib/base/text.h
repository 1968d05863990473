/* A text built piece by piece in memory (a sentence for the journal, a
 * line of the record).  A failed allocation is remembered, the pieces after
 * it are dropped, and umh_text_take() reports it once at the end, so the
 * code that composes needs no check after every piece. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct umh_text {
	char *s; /* NUL-terminated once anything was added */
	size_t len;
	bool oom;
};

void umh_text_add(struct umh_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds S (NULL as nothing) escaped for a terminal (base/escape.h). */
void umh_text_add_escaped(struct umh_text *t, const char *s);

/* The text, the caller's to free; NULL (and nothing left to free) when
 * an allocation failed, or when nothing was added. */
char *umh_text_take(struct umh_text *t);
