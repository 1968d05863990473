#include "base/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int umh_asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int umh_strdup_to(char **dst, const char *src)
{
	char *t = NULL;
	if (src && !(t = strdup(src)))
		return -ENOMEM;
	free(*dst);
	*dst = t;
	return 0;
}
