/* Reading JSON back: the watcher's record (watch/record.h) is JSON lines,
 * written by json.c, and read by explain, maybe torn by a crash or edited
 * by hand.  A small strict parser into a tree, for input that is never
 * trusted: bounded depth, no NUL inside strings, every byte checked.
 *
 * json.c writes a byte that is not UTF-8 as the lone surrogate \uDCXX; it
 * is read back as that byte, so names survive the round trip. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/json.h"

#define UMH_JREAD_MAX_DEPTH 24

enum umh_jtype { UMH_J_NULL, UMH_J_BOOL, UMH_J_NUM, UMH_J_STR, UMH_J_ARR, UMH_J_OBJ };

struct umh_jnode {
	enum umh_jtype type;
	bool b;
	char *s;   /* a string's bytes, or a number as it was written */
	char *key; /* the member's name inside an object, else NULL */
	struct umh_jnode *child, *next;
};

/* Parses one JSON value that fills TEXT[0..LEN) (white space around it
 * allowed).  Returns 0, -EINVAL for anything that is not valid JSON, or
 * -ENOMEM. */
int umh_jparse(const char *text, size_t len, struct umh_jnode **ret);
void umh_jfree(struct umh_jnode *n);
static inline void umh_jfreep(struct umh_jnode **n) { umh_jfree(*n); }

/* The member KEY of object OBJ, or NULL (also when OBJ is not an object). */
const struct umh_jnode *umh_jget(const struct umh_jnode *obj, const char *key);
/* Its value when it is a string, else NULL. */
const char *umh_jstr(const struct umh_jnode *obj, const char *key);
/* Its value when it is an integral number in range; false otherwise. */
bool umh_jint(const struct umh_jnode *obj, const char *key, int64_t *ret);
bool umh_juint(const struct umh_jnode *obj, const char *key, uint64_t *ret);
/* Its value when it is true or false; DEF otherwise. */
bool umh_jbool(const struct umh_jnode *obj, const char *key, bool def);

/* Writes N again through J as the member KEY (NULL in an array). */
void umh_jwrite(struct umh_json *j, const char *key, const struct umh_jnode *n);
