#include "base/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char **umh_strv_free(char **l)
{
	if (l) {
		for (char **s = l; *s; s++)
			free(*s);
		free(l);
	}
	return NULL;
}

size_t umh_strv_length(char *const *l)
{
	size_t n = 0;
	while (l && l[n])
		n++;
	return n;
}

bool umh_strv_contains(char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

int umh_strv_extend_uniq(char ***l, char *const *add)
{
	size_t n = umh_strv_length(*l), k = umh_strv_length(add);
	if (k == 0)
		return 0;
	char **t = reallocarray(*l, n + k + 1, sizeof(char *));
	if (!t)
		return -ENOMEM;
	*l = t;
	t[n] = NULL;
	for (size_t i = 0; i < k; i++) {
		if (umh_strv_contains(t, add[i]))
			continue;
		t[n] = strdup(add[i]);
		if (!t[n])
			return -ENOMEM;
		t[++n] = NULL;
	}
	return 0;
}
