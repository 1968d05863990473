#include "wrap.h"

#include <string.h>

void umh_print_wrapped(FILE *out, const char *text, const char *indent, const char *more_indent, size_t width)
{
	for (const char *line = text, *lead = indent; *line; lead = more_indent) {
		size_t room = width > strlen(lead) ? width - strlen(lead) : 1, len = strlen(line);
		if (len > room) {
			const char *cut = line + room;
			while (cut > line && *cut != ' ')
				cut--;
			if (cut == line && !(cut = strchr(line + room, ' ')))
				cut = line + len; /* one word longer than a line */
			len = (size_t)(cut - line);
		}
		size_t shown = len;
		while (shown > 0 && line[shown - 1] == ' ')
			shown--; /* no spaces left at a line's end */
		fprintf(out, "%s%.*s\n", lead, (int)shown, line);
		line += len;
		while (*line == ' ')
			line++;
	}
}
