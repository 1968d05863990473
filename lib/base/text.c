#include "base/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/escape.h"

void umh_text_add(struct umh_text *t, const char *fmt, ...)
{
	if (t->oom)
		return;
	va_list ap;
	_cleanup_free_ char *piece = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : realloc(t->s, t->len + (size_t)n + 1);
	if (!s) {
		if (n < 0)
			piece = NULL; /* vasprintf leaves it undefined */
		t->oom = true;
		return;
	}
	memcpy(s + t->len, piece, (size_t)n + 1);
	t->s = s;
	t->len += (size_t)n;
}

void umh_text_add_escaped(struct umh_text *t, const char *s)
{
	_cleanup_free_ char *e = umh_escape(s ? s : "");
	if (!e)
		t->oom = true;
	else
		umh_text_add(t, "%s", e);
}

char *umh_text_take(struct umh_text *t)
{
	char *s = t->s;
	if (t->oom) {
		free(s);
		s = NULL;
	}
	*t = (struct umh_text){ 0 };
	return s;
}
