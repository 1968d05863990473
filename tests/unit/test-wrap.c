/* Paragraphs: lines broken at spaces, indents, a word longer than a line. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "base/wrap.h"

static char *wrapped(const char *text, const char *indent, const char *more, size_t width)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	umh_print_wrapped(f, text, indent, more, width);
	fclose(f);
	return buf;
}

static void check_wrap(const char *desc, const char *text, const char *indent, const char *more, size_t width,
		       const char *want)
{
	char *got = wrapped(text, indent, more, width);
	CHECK_STR(got, want, "%s", desc);
	free(got);
}

int main(void)
{
	check_wrap("short text: one line", "a b c", "", "", 80, "a b c\n");
	check_wrap("broken at the last space that fits", "aaa bbb ccc", "", "", 7, "aaa bbb\nccc\n");
	check_wrap("a line may be exactly the width", "aaaa bbbb", "", "", 4, "aaaa\nbbbb\n");
	check_wrap("indents count in the width", "aa bb cc", "  ", "    ", 7, "  aa bb\n    cc\n");
	check_wrap("runs of spaces at a break are dropped", "aa   bb", "", "", 3, "aa\nbb\n");
	check_wrap("a word longer than a line stays whole", "x /a/very/long/path y", "", "", 5,
		   "x\n/a/very/long/path\ny\n");
	check_wrap("empty text: nothing", "", "  ", "  ", 10, "");
	UNIT_EXIT();
}
