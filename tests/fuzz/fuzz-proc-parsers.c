/* Every /proc text parser on the same input: fdinfo (and io_uring's
 * registered files), maps, swaps, binfmt_misc entries, nfsd exports.  Each
 * parser gets its own copy, line by line where the file is line-based. */
#include <stdio.h>

#include "fuzz.h"
#include "base/escape.h"
#include "base/parse.h"

static int sink(unsigned int index, const char *path, void *userdata)
{
	(void)index;
	*(size_t *)userdata += strlen(path);
	return 0;
}

static void each_line(const char *text, int (*fn)(char *line))
{
	char *copy = strdup(text);
	if (!copy)
		abort();
	for (char *line = copy, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		fn(line);
	}
	free(copy);
}

static int maps_line(char *line)
{
	struct umh_maps_entry e;
	if (umh_parse_maps_line(line, &e) == 0 && (e.end < e.start || !e.path))
		abort();
	return 0;
}

static int swaps_line(char *line)
{
	struct umh_swap_entry e;
	if (umh_parse_swaps_line(line, &e) == 0 && (!e.filename || !e.type))
		abort();
	return 0;
}

static int exports_line(char *line)
{
	struct umh_export_entry e;
	if (umh_parse_exports_line(line, &e) == 0 && (!e.path || !e.client))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	struct umh_fdinfo fi;
	if (umh_parse_fdinfo(text, &fi) == 0)
		(void)umh_access_from_flags(fi.flags);
	size_t total = 0;
	umh_parse_uring_files(text, sink, &total);
	each_line(text, maps_line);
	each_line(text, swaps_line);
	each_line(text, exports_line);
	char *b = strdup(text);
	struct umh_binfmt_entry e;
	if (b && umh_parse_binfmt_entry(b, &e) == 0 && !e.interpreter)
		abort();
	free(b);
	umh_unescape_octal(text);
	free(text);
	return 0;
}
