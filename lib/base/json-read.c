#include "base/json-read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

struct jp {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool lit(struct jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return false;
	j->p += n;
	return true;
}

static int hex4(struct jp *j, unsigned int *v)
{
	*v = 0;
	if (j->end - j->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = *j->p++;
		unsigned int d;
		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
		*v = *v << 4 | d;
	}
	return 0;
}

static char *put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* A string, the opening quote already consumed.  Every escape is at least
 * as long as what it decodes to, so the input's length bounds the output. */
static int parse_string(struct jp *j, char **ret)
{
	const char *start = j->p;
	while (j->p < j->end && *j->p != '"')
		j->p += *j->p == '\\' && j->p + 1 < j->end ? 2 : 1;
	if (j->p >= j->end)
		return -EINVAL;
	size_t n = (size_t)(j->p - start);
	j->p = start;
	_cleanup_free_ char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	char *o = s;
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		if (c < 0x20)
			return -EINVAL; /* raw control characters are not JSON */
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = (char)c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned int cp, lo;
			if (hex4(j, &cp) < 0 || cp == 0)
				return -EINVAL;
			if (cp >= 0xdc80 && cp <= 0xdcff) {
				*o++ = (char)(cp & 0xff); /* a raw byte, as json.c wrote it */
				break;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
					return -EINVAL;
				j->p += 2;
				if (hex4(j, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -EINVAL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -EINVAL;
			}
			o = put_utf8(o, cp);
			break;
		}
		default:
			return -EINVAL;
		}
	}
	j->p++; /* the closing quote */
	*o = 0;
	*ret = TAKE_PTR(s);
	return 0;
}

static int parse_number(struct jp *j, char **ret)
{
	const char *start = j->p;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return -EINVAL;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -EINVAL;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -EINVAL;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	*ret = strndup(start, (size_t)(j->p - start));
	return *ret ? 0 : -ENOMEM;
}

static int parse_value(struct jp *j, struct umh_jnode **ret);

/* The members of an array or object, the opening bracket consumed. */
static int parse_container(struct jp *j, struct umh_jnode *n, char close)
{
	struct umh_jnode **tail = &n->child;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		_cleanup_free_ char *key = NULL;
		int r;
		skip_ws(j);
		if (close == '}') {
			if (j->p >= j->end || *j->p != '"')
				return -EINVAL;
			j->p++;
			if ((r = parse_string(j, &key)) < 0)
				return r;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -EINVAL;
			j->p++;
		}
		struct umh_jnode *v;
		if ((r = parse_value(j, &v)) < 0)
			return r;
		v->key = TAKE_PTR(key);
		*tail = v;
		tail = &v->next;
		skip_ws(j);
		if (j->p >= j->end)
			return -EINVAL;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p != close)
			return -EINVAL;
		j->p++;
		return 0;
	}
}

static int parse_value(struct jp *j, struct umh_jnode **ret)
{
	_cleanup_(umh_jfreep) struct umh_jnode *n = calloc(1, sizeof(*n));
	int r = 0;
	if (!n)
		return -ENOMEM;
	skip_ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > UMH_JREAD_MAX_DEPTH)
			return -EINVAL;
		n->type = *j->p == '{' ? UMH_J_OBJ : UMH_J_ARR;
		j->p++;
		r = parse_container(j, n, n->type == UMH_J_OBJ ? '}' : ']');
		j->depth--;
		break;
	case '"':
		n->type = UMH_J_STR;
		j->p++;
		r = parse_string(j, &n->s);
		break;
	case 't':
	case 'f':
		n->type = UMH_J_BOOL;
		n->b = *j->p == 't';
		r = lit(j, n->b ? "true" : "false") ? 0 : -EINVAL;
		break;
	case 'n':
		n->type = UMH_J_NULL;
		r = lit(j, "null") ? 0 : -EINVAL;
		break;
	default:
		n->type = UMH_J_NUM;
		r = parse_number(j, &n->s);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(n);
	return 0;
}

int umh_jparse(const char *text, size_t len, struct umh_jnode **ret)
{
	struct jp j = { .p = text, .end = text + len };
	struct umh_jnode *n;
	*ret = NULL;
	int r = parse_value(&j, &n);
	if (r < 0)
		return r;
	skip_ws(&j);
	if (j.p != j.end) {
		umh_jfree(n);
		return -EINVAL;
	}
	*ret = n;
	return 0;
}

void umh_jfree(struct umh_jnode *n)
{
	/* Siblings in a loop, children by recursion: depth is bounded. */
	while (n) {
		struct umh_jnode *next = n->next;
		umh_jfree(n->child);
		free(n->s);
		free(n->key);
		free(n);
		n = next;
	}
}

const struct umh_jnode *umh_jget(const struct umh_jnode *obj, const char *key)
{
	if (!obj || obj->type != UMH_J_OBJ)
		return NULL;
	/* The last one wins, as in most readers. */
	const struct umh_jnode *found = NULL;
	for (const struct umh_jnode *c = obj->child; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			found = c;
	return found;
}

const char *umh_jstr(const struct umh_jnode *obj, const char *key)
{
	const struct umh_jnode *n = umh_jget(obj, key);
	return n && n->type == UMH_J_STR ? n->s : NULL;
}

static bool node_int(const struct umh_jnode *n, int64_t *ret)
{
	if (!n || n->type != UMH_J_NUM || strpbrk(n->s, ".eE"))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(n->s, &end, 10);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

static bool node_uint(const struct umh_jnode *n, uint64_t *ret)
{
	if (!n || n->type != UMH_J_NUM || n->s[0] == '-' || strpbrk(n->s, ".eE"))
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(n->s, &end, 10);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

bool umh_jint(const struct umh_jnode *obj, const char *key, int64_t *ret)
{
	return node_int(umh_jget(obj, key), ret);
}

bool umh_juint(const struct umh_jnode *obj, const char *key, uint64_t *ret)
{
	return node_uint(umh_jget(obj, key), ret);
}

bool umh_jbool(const struct umh_jnode *obj, const char *key, bool def)
{
	const struct umh_jnode *n = umh_jget(obj, key);
	return n && n->type == UMH_J_BOOL ? n->b : def;
}

void umh_jwrite(struct umh_json *j, const char *key, const struct umh_jnode *n)
{
	switch (n->type) {
	case UMH_J_NULL:
		umh_json_null(j, key);
		return;
	case UMH_J_BOOL:
		umh_json_bool(j, key, n->b);
		return;
	case UMH_J_NUM: {
		/* json.c writes integers only; a fraction (never in a record)
		 * goes out as the string it was. */
		int64_t i;
		uint64_t u;
		if (node_int(n, &i))
			umh_json_int(j, key, i);
		else if (node_uint(n, &u))
			umh_json_uint(j, key, u);
		else
			umh_json_str(j, key, n->s);
		return;
	}
	case UMH_J_STR:
		umh_json_str(j, key, n->s);
		return;
	case UMH_J_ARR:
	case UMH_J_OBJ:
		if (n->type == UMH_J_OBJ)
			umh_json_open_object(j, key, false);
		else
			umh_json_open_array(j, key, true);
		for (const struct umh_jnode *c = n->child; c; c = c->next)
			umh_jwrite(j, n->type == UMH_J_OBJ ? c->key : NULL, c);
		if (n->type == UMH_J_OBJ)
			umh_json_close_object(j);
		else
			umh_json_close_array(j);
		return;
	}
}
