#include "base/json.h"

#include <inttypes.h>
#include <stdlib.h>

#include "base/escape.h"

void umh_json_init(struct umh_json *j, FILE *out)
{
	*j = (struct umh_json){ .out = out };
}

/* Separator, indentation and key before a new member. */
static void member(struct umh_json *j, const char *key)
{
	int d = j->depth;
	if (d > 0) {
		if (j->has_members[d])
			fputc(',', j->out);
		if (j->oneline[d]) {
			if (j->has_members[d])
				fputc(' ', j->out);
		} else {
			fprintf(j->out, "\n%*s", 2 * d, "");
		}
		j->has_members[d] = true;
	}
	if (key) {
		umh_json_string(key, j->out);
		fputs(": ", j->out);
	}
}

static void open_container(struct umh_json *j, const char *key, bool oneline, char c)
{
	member(j, key);
	fputc(c, j->out);
	if (j->depth + 1 < UMH_JSON_MAX_DEPTH)
		j->depth++;
	j->has_members[j->depth] = false;
	/* A container inside a one-line container is one line too. */
	j->oneline[j->depth] = oneline || j->oneline[j->depth - 1];
}

static void close_container(struct umh_json *j, char c)
{
	int d = j->depth;
	if (j->has_members[d] && !j->oneline[d])
		fprintf(j->out, "\n%*s", 2 * (d - 1), "");
	fputc(c, j->out);
	if (d > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->out);
}

void umh_json_open_object(struct umh_json *j, const char *key, bool oneline)
{
	open_container(j, key, oneline, '{');
}
void umh_json_close_object(struct umh_json *j) { close_container(j, '}'); }
void umh_json_open_array(struct umh_json *j, const char *key, bool oneline)
{
	open_container(j, key, oneline, '[');
}
void umh_json_close_array(struct umh_json *j) { close_container(j, ']'); }

void umh_json_str(struct umh_json *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		umh_json_string(value, j->out);
	else
		fputs("null", j->out);
}

void umh_json_int(struct umh_json *j, const char *key, int64_t value)
{
	member(j, key);
	fprintf(j->out, "%" PRId64, value);
}

void umh_json_uint(struct umh_json *j, const char *key, uint64_t value)
{
	member(j, key);
	fprintf(j->out, "%" PRIu64, value);
}

void umh_json_bool(struct umh_json *j, const char *key, bool value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->out);
}

void umh_json_null(struct umh_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

char *umh_json_to_line(void (*write)(struct umh_json *j, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	struct umh_json j;
	umh_json_init(&j, f);
	write(&j, arg);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	/* A top-level value ends with a newline: a line's reader adds its own. */
	if (size && buf[size - 1] == '\n')
		buf[size - 1] = 0;
	return buf;
}
