#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "umount-helper.h"

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

/* One KEY = VALUE line.  Returns 0, -EINVAL (reported by the caller) or
 * -ENOMEM. */
static int apply(struct umh_config *c, const char *type, const char *key, const char *value)
{
	if (strcmp(key, "explain") == 0)
		return parse_bool(value, &c->explain);
	if (strcmp(key, "timeout") == 0)
		return umh_parse_seconds(value, &c->budget_ns);
	if (strncmp(key, "helper.", 7) == 0) {
		if (!*value || (strcmp(value, "none") != 0 && value[0] != '/'))
			return -EINVAL; /* an absolute path, never one looked up */
		if (!type || strcmp(key + 7, type) != 0)
			return 0;
		free(c->helper);
		c->helper = NULL;
		c->helper_none = strcmp(value, "none") == 0;
		if (!c->helper_none && !(c->helper = strdup(value)))
			return -ENOMEM;
		return 0;
	}
	return -EINVAL;
}

int umh_config_load(const char *prog, const char *type, struct umh_config *c)
{
	*c = (struct umh_config){ .explain = true, .budget_ns = UMH_DEFAULT_BUDGET_NS };
	/* secure_getenv: a set-user-ID umount must not read a file the
	 * caller chose. */
	const char *path = secure_getenv("UMOUNT_HELPER_CONF");
	if (!path || !*path)
		path = UMH_CONF_PATH;
	if (!(c->path = strdup(path)))
		return -ENOMEM;

	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int r = f ? umh_config_parse(f, prog, type, c) : 0;
	if (r < 0)
		return r;

	const char *env = getenv("UMOUNT_HELPER_EXPLAIN");
	bool on;
	if (env && parse_bool(env, &on) == 0 && !on)
		c->explain = false;
	return 0;
}

int umh_config_parse(FILE *f, const char *prog, const char *type, struct umh_config *c)
{
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	for (unsigned lineno = 1; getline(&line, &size, f) >= 0; lineno++) {
		line[strcspn(line, "#")] = '\0';
		char *l = trim(line);
		if (!*l)
			continue;
		char *eq = strchr(l, '=');
		int r = -EINVAL;
		if (eq) {
			*eq = '\0';
			r = apply(c, type, trim(l), trim(eq + 1));
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0 && prog)
			fprintf(stderr, "%s: %s:%u: ignored: expected explain = yes|no, timeout = SECONDS or "
					"helper.TYPE = /PATH|none\n",
				prog, c->path ? c->path : "(config)", lineno);
	}
	return 0;
}

void umh_config_free(struct umh_config *c)
{
	free(c->helper);
	free(c->path);
	*c = (struct umh_config){ 0 };
}
