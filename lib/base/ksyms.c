#include "base/ksyms.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/grow.h"

int umh_parse_kallsyms_line(char *line, uint64_t *addr, char *type, char **name, char **module)
{
	char *end;
	errno = 0;
	unsigned long long a = strtoull(line, &end, 16);
	if (errno || end == line || *end != ' ' || !end[1] || end[2] != ' ')
		return -EINVAL;
	*addr = a;
	*type = end[1];
	char *n = end + 3;
	size_t len = strcspn(n, "\t\n");
	if (len == 0)
		return -EINVAL;
	*module = NULL;
	if (n[len] == '\t') {
		char *m = n + len + 1;
		if (*m != '[')
			return -EINVAL;
		char *close = strchr(m, ']');
		if (!close || close == m + 1)
			return -EINVAL;
		*close = '\0';
		*module = m + 1;
	}
	n[len] = '\0';
	*name = n;
	return 0;
}

static int push(struct umh_ksym **v, size_t *n, size_t *cap, uint64_t addr, uint64_t size, const char *name,
		const char *module)
{
	if (UMH_GROW(*v, *cap, *n + 1, 1024) < 0)
		return -ENOMEM;
	struct umh_ksym *s = &(*v)[*n];
	*s = (struct umh_ksym){ .addr = addr, .size = size, .name = strdup(name),
				.module = module ? strdup(module) : NULL };
	if (!s->name || (module && !s->module)) {
		free(s->name);
		free(s->module);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

int umh_ksyms_add(struct umh_ksyms *k, uint64_t addr, uint64_t size, const char *name, const char *module)
{
	k->sorted = false;
	if (size)
		return push(&k->exact, &k->n_exact, &k->cap_exact, addr, size, name, module);
	return push(&k->syms, &k->n, &k->cap, addr, 0, name, module);
}

int umh_ksyms_load(struct umh_ksyms *k)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -errno;
	char line[512];
	bool any_addr = false;
	while (fgets(line, sizeof(line), f)) {
		uint64_t addr;
		char type, *name, *module;
		if (umh_parse_kallsyms_line(line, &addr, &type, &name, &module) < 0)
			continue;
		if (type != 't' && type != 'T')
			continue; /* stacks hold code addresses */
		any_addr |= addr != 0;
		int r = umh_ksyms_add(k, addr, 0, name, module);
		if (r < 0)
			return r;
	}
	k->hidden = !any_addr;
	return 0;
}

void umh_ksyms_free(struct umh_ksyms *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->syms[i].name);
		free(k->syms[i].module);
	}
	for (size_t i = 0; i < k->n_exact; i++) {
		free(k->exact[i].name);
		free(k->exact[i].module);
	}
	free(k->syms);
	free(k->exact);
	*k = (struct umh_ksyms){ 0 };
}

static int by_addr(const void *a, const void *b)
{
	const struct umh_ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The last symbol at or below ADDR in V (sorted), or NULL. */
static const struct umh_ksym *floor_sym(const struct umh_ksym *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &v[lo - 1] : NULL;
}

const struct umh_ksym *umh_ksyms_find(struct umh_ksyms *k, uint64_t addr)
{
	if (!k->sorted) {
		/* (qsort's array may not be NULL, even for no element) */
		if (k->n)
			qsort(k->syms, k->n, sizeof(*k->syms), by_addr);
		if (k->n_exact)
			qsort(k->exact, k->n_exact, sizeof(*k->exact), by_addr);
		k->sorted = true;
	}
	if (!addr)
		return NULL;
	/* Symbols of known extent first: they cover code kallsyms forgot. */
	const struct umh_ksym *s = floor_sym(k->exact, k->n_exact, addr);
	if (s && addr < s->addr + s->size)
		return s;
	if (k->hidden)
		return NULL;
	return floor_sym(k->syms, k->n, addr);
}

void umh_ksyms_format(struct umh_ksyms *k, uint64_t addr, char *buf, size_t size)
{
	const struct umh_ksym *s = umh_ksyms_find(k, addr);
	if (!s) {
		snprintf(buf, size, "0x%" PRIx64, addr);
		return;
	}
	int n = snprintf(buf, size, "%s+0x%" PRIx64, s->name, addr - s->addr);
	if (s->module && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " [%s]", s->module);
}

static bool open_path_internal(const char *name)
{
	static const char *const skip[] = {
		"do_dentry_open", "vfs_open", "do_open", "path_openat", "do_filp_open", "file_open_name",
		"file_open_root", "do_file_open_root", "finish_open", "dentry_open", "kernel_file_open",
	};
	if (strncmp(name, "bpf_", 4) == 0 || strncmp(name, "__bpf_", 6) == 0)
		return true; /* the probe's own trampoline and helpers */
	for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
		if (strcmp(name, skip[i]) == 0)
			return true;
	return false;
}

void umh_ksyms_chain(struct umh_ksyms *k, const uint64_t *ips, size_t n, size_t max, char *buf, size_t size)
{
	size_t used = 0, shown = 0;
	bool leading = true;
	buf[0] = '\0';
	for (size_t i = 0; i < n && ips[i] && shown < max && used < size; i++) {
		const struct umh_ksym *s = umh_ksyms_find(k, ips[i]);
		if (leading && (!s || open_path_internal(s->name)))
			continue;
		leading = false;
		int w;
		if (!s)
			w = snprintf(buf + used, size - used, "%s0x%" PRIx64, shown ? " <- " : "", ips[i]);
		else if (s->module)
			w = snprintf(buf + used, size - used, "%s%s [%s]", shown ? " <- " : "", s->name, s->module);
		else
			w = snprintf(buf + used, size - used, "%s%s", shown ? " <- " : "", s->name);
		if (w < 0)
			break;
		used += (size_t)w;
		shown++;
	}
	if (used >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
	else if (shown == max && used + 5 < size && max < n && ips[max])
		memcpy(buf + used, " ...", 5);
}
