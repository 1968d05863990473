/* Escaping names for terminals and JSON. */
#include <stdlib.h>

#include "base/escape.h"
#include "unit.h"

static char *json(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	umh_json_string(s, f);
	fclose(f);
	return buf;
}

static void text(const char *in, const char *want, const char *what)
{
	char *got = umh_escape(in);
	CHECK_STR(got, want, "text: %s", what);
	free(got);
}

static void js(const char *in, const char *want, const char *what)
{
	char *got = json(in);
	CHECK_STR(got, want, "json: %s", what);
	free(got);
}

int main(void)
{
	text("/mnt/plain", "/mnt/plain", "plain ASCII unchanged");
	text("/mnt/a\nb", "/mnt/a\\nb", "newline");
	text("/mnt/\x1b[31mred", "/mnt/\\x1b[31mred", "terminal escape");
	text("a\\b", "a\\\\b", "backslash doubled");
	text("caf\xc3\xa9", "caf\xc3\xa9", "valid UTF-8 kept");
	text("bad\xff\xfe", "bad\\xff\\xfe", "invalid bytes in hex");
	text("csi\xc2\x9b" "2J", "csi\\xc2\\x9b2J", "C1 CSI escaped");
	text("over\xc0\xaf", "over\\xc0\\xaf", "overlong encoding rejected");
	text("sur\xed\xa0\x80", "sur\\xed\\xa0\\x80", "UTF-16 surrogate rejected");
	text("del\x7f", "del\\x7f", "DEL");
	text("tab\there", "tab\\there", "tab");

	js("/mnt/a\"b\\c", "\"/mnt/a\\\"b\\\\c\"", "quote and backslash");
	js("nl\n\x01", "\"nl\\n\\u0001\"", "control characters");
	js("bad\xff", "\"bad\\udcff\"", "invalid byte as lone surrogate");
	js("caf\xc3\xa9", "\"caf\xc3\xa9\"", "valid UTF-8 kept");
	js("csi\xc2\x9b", "\"csi\\u009b\"", "C1 control escaped");
	js("esc\x1b[0m", "\"esc\\u001b[0m\"", "terminal escape");

	char s[] = "/mnt/a\\040b\\011\\012\\134x\\01";
	umh_unescape_octal(s);
	CHECK_STR(s, "/mnt/a b\t\n\\x\\01", "octal unescape, short escapes left alone");
	UNIT_EXIT();
}
