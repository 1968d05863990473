#include "bpf/common/pathjoin.h"

#include <errno.h>
#include <string.h>

int umh_bpf_join_path(const char *names, size_t len, bool complete, char *out, size_t size)
{
	if (size < 2 || (len && names[len - 1] != '\0'))
		return -EINVAL;
	const char *prefix = complete ? "" : "\xe2\x80\xa6"; /* "…": where the walk stopped */
	size_t pre = strlen(prefix), total = pre;
	size_t n = 0;
	/* Each name costs its length plus one "/". */
	for (size_t off = 0; off < len; n++) {
		size_t l = strlen(names + off);
		if (l == 0 || memchr(names + off, '/', l))
			return -EINVAL; /* the kernel's names are never empty and have no '/' */
		total += l + 1;
		off += l + 1;
	}
	if (n == 0) {
		/* The mount's root itself. */
		if (pre + 2 > size)
			return -ENAMETOOLONG;
		memcpy(out, prefix, pre);
		memcpy(out + pre, "/", 2);
		return 0;
	}
	if (total + 1 > size)
		return -ENAMETOOLONG;
	/* Fill from the end: the first name stored is the last one printed. */
	size_t end = total;
	out[end] = '\0';
	for (size_t off = 0; off < len;) {
		size_t l = strlen(names + off);
		end -= l;
		memcpy(out + end, names + off, l);
		out[--end] = '/';
		off += l + 1;
	}
	memcpy(out, prefix, pre);
	return 0;
}
