/* Escaping: the text form never contains a control character or invalid
 * UTF-8, and the JSON form is always a valid JSON string of valid UTF-8. */
#include <stdio.h>

#include "base/escape.h"
#include "fuzz.h"

static void check_clean_utf8(const char *s, size_t n, int allow_newline)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n > 0) {
		size_t len = umh_utf8_seq_len(p, n);
		if (len == 0)
			abort(); /* invalid UTF-8 got through */
		if (len == 1 && (p[0] < 0x20 || p[0] == 0x7f) && !(allow_newline && p[0] == '\n'))
			abort(); /* a raw control character got through */
		if (len == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			abort(); /* a raw C1 control got through */
		p += len;
		n -= len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size);
	char *text = umh_escape(in);
	if (!text)
		abort();
	check_clean_utf8(text, strlen(text), 0);

	char *json = NULL;
	size_t jsize = 0;
	FILE *f = open_memstream(&json, &jsize);
	umh_json_string(in, f);
	fclose(f);
	check_clean_utf8(json, jsize, 0);
	if (jsize < 2 || json[0] != '"' || json[jsize - 1] != '"')
		abort();
	/* No unescaped quote inside. */
	for (size_t i = 1; i + 1 < jsize; i++) {
		if (json[i] == '\\')
			i++;
		else if (json[i] == '"')
			abort();
	}
	free(json);
	free(text);
	free(in);
	return 0;
}
