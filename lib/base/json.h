/* A small streaming JSON writer.
 *
 * libsmartcols prints one table as one JSON array of rows; the report's JSON
 * is an object with scalar fields and several arrays of differently shaped
 * objects (docs/DESIGN.md), so the report writes it with this instead.  Names
 * go through umh_json_string(): the output is valid JSON whatever the bytes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define UMH_JSON_MAX_DEPTH 16

struct umh_json {
	FILE *out;
	int depth;
	bool has_members[UMH_JSON_MAX_DEPTH];
	bool oneline[UMH_JSON_MAX_DEPTH];
};

void umh_json_init(struct umh_json *j, FILE *out);

/* One value WRITE writes (of ARG), as an allocated line without its newline
 * (a record's line, a journal field); NULL when memory ran out. */
char *umh_json_to_line(void (*write)(struct umh_json *j, const void *arg), const void *arg);

/* KEY is NULL for an array element or the top-level value.  A container
 * opened with ONELINE keeps all its members on one line. */
void umh_json_open_object(struct umh_json *j, const char *key, bool oneline);
void umh_json_close_object(struct umh_json *j);
void umh_json_open_array(struct umh_json *j, const char *key, bool oneline);
void umh_json_close_array(struct umh_json *j);

void umh_json_str(struct umh_json *j, const char *key, const char *value); /* NULL: null */
void umh_json_int(struct umh_json *j, const char *key, int64_t value);
void umh_json_uint(struct umh_json *j, const char *key, uint64_t value);
void umh_json_bool(struct umh_json *j, const char *key, bool value);
void umh_json_null(struct umh_json *j, const char *key);
