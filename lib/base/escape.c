#include "base/escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t umh_utf8_seq_len(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;

	size_t len;
	uint32_t cp, min;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past Unicode are
	 * not valid UTF-8: they are a classic way to smuggle bytes past filters. */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* C1 control characters (U+0080..U+009F) are interpreted by some terminals
 * (CSI is U+009B), so they are escaped like C0 controls. */
static int is_c1_control(const unsigned char *s, size_t len)
{
	return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

void umh_fputs_escaped(const char *name, FILE *out)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name);

	while (n > 0) {
		size_t len = umh_utf8_seq_len(s, n);
		if (len == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\') {
			fputc(*s, out);
		} else if (len == 1 && (*s == '\\' || *s == '\n' || *s == '\t' || *s == '\r')) {
			fputc('\\', out);
			fputc(*s == '\n' ? 'n' : *s == '\t' ? 't' : *s == '\r' ? 'r' : '\\', out);
		} else if (len > 1 && !is_c1_control(s, len)) {
			fwrite(s, 1, len, out);
		} else {
			/* A control character, or a byte that is not UTF-8:
			 * each byte of it, in hex. */
			if (len == 0)
				len = 1;
			for (size_t i = 0; i < len; i++)
				fprintf(out, "\\x%02x", s[i]);
		}
		s += len;
		n -= len;
	}
}

char *umh_escape(const char *name)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	umh_fputs_escaped(name, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void umh_json_string(const char *name, FILE *out)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name);

	fputc('"', out);
	while (n > 0) {
		size_t len = umh_utf8_seq_len(s, n);
		if (len == 0) {
			fprintf(out, "\\udc%02x", *s);
			len = 1;
		} else if (len == 1 && (*s == '"' || *s == '\\')) {
			fputc('\\', out);
			fputc(*s, out);
		} else if (len == 1 && *s == '\n') {
			fputs("\\n", out);
		} else if (len == 1 && *s == '\t') {
			fputs("\\t", out);
		} else if (len == 1 && (*s < 0x20 || *s == 0x7f)) {
			fprintf(out, "\\u%04x", *s);
		} else if (is_c1_control(s, len)) {
			fprintf(out, "\\u%04x", s[1]);
		} else {
			fwrite(s, 1, len, out);
		}
		s += len;
		n -= len;
	}
	fputc('"', out);
}

static int is_octal(char c) { return c >= '0' && c <= '7'; }

void umh_unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && is_octal(r[1]) && is_octal(r[2]) && is_octal(r[3])) {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}
