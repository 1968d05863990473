#include "bpf/opens/opens-print.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf/opens/opens.h"
#include "bpf/common/pathjoin.h"
#include "base/cleanup.h"
#include "base/clock.h"
#include "base/escape.h"
#include "base/str.h"

void umh_opens_printer_init(struct umh_opens_printer *p, FILE *out, int stacks_fd, int modsyms_fd)
{
	*p = (struct umh_opens_printer){ .out = out, .stacks_fd = stacks_fd, .modsyms_fd = modsyms_fd };
}

void umh_opens_printer_free(struct umh_opens_printer *p)
{
	umh_ksyms_free(&p->ks);
}

void umh_boot_to_wall(int64_t boot_ns, bool usec, char *buf, size_t size)
{
	int64_t real = umh_boot_to_wall_ns(boot_ns);
	time_t secs = (time_t)(real / 1000000000);
	struct tm tm;
	localtime_r(&secs, &tm);
	size_t n = strftime(buf, size, "%H:%M:%S", &tm);
	if (usec && n)
		snprintf(buf + n, size - n, ".%06ld", (long)(real % 1000000000 / 1000));
}

int umh_opens_load_symbols(struct umh_ksyms *ks, int modsyms_fd)
{
	int r = umh_ksyms_load(ks);
	if (r < 0 || modsyms_fd < 0)
		return r;
	uint64_t key, next;
	uint64_t *prev = NULL;
	while (bpf_map_get_next_key(modsyms_fd, prev, &next) == 0) {
		struct umh_modsym v;
		if (bpf_map_lookup_elem(modsyms_fd, &next, &v) == 0) {
			v.name[sizeof(v.name) - 1] = v.module[sizeof(v.module) - 1] = '\0';
			if ((r = umh_ksyms_add(ks, next, v.size ? v.size : 1, v.name, v.module)) < 0)
				return r;
		}
		key = next;
		prev = &key;
	}
	return 0;
}

int umh_opens_read_stack(int stacks_fd, int id, uint64_t *ips, size_t max)
{
	uint64_t frames[UMH_OPENS_STACK_DEPTH] = { 0 };
	if (stacks_fd < 0 || id < 0)
		return -ENOENT;
	uint32_t key = (uint32_t)id;
	if (bpf_map_lookup_elem(stacks_fd, &key, frames) < 0)
		return -errno;
	size_t n = 0;
	while (n < max && n < UMH_OPENS_STACK_DEPTH && frames[n]) {
		ips[n] = frames[n];
		n++;
	}
	return (int)n;
}

void umh_opens_print_line(struct umh_opens_printer *p, const struct umh_open_event *ev, const char *verb, int fd,
			  const char *note)
{
	char when[32], path[UMH_OPENS_PATH_MAX + 16], comm[sizeof(ev->comm) + 1];
	umh_boot_to_wall((int64_t)ev->ts_ns, true, when, sizeof(when));
	if (!ev->path_len)
		snprintf(path, sizeof(path), "(mount id %u)", ev->mnt_id);
	else if (umh_bpf_join_path(ev->path, ev->path_len, ev->path_complete, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "(a path too long to show)");
	umh_copy_field(comm, sizeof(comm), ev->comm, sizeof(ev->comm));

	fprintf(p->out, "%s  %-11s pid %d (", when, verb, ev->pid);
	umh_fputs_escaped(comm, p->out);
	fputc(')', p->out);
	if (ev->tid != ev->pid)
		fprintf(p->out, " tid %d", ev->tid);
	if (fd >= 0)
		fprintf(p->out, " fd %d", fd);
	fputs("  ", p->out);
	umh_fputs_escaped(path, p->out);
	if (note)
		fprintf(p->out, "  (%s)", note);
	fputc('\n', p->out);
}

void umh_opens_print_stack(struct umh_opens_printer *p, int stack_id, const char *indent)
{
	uint64_t ips[UMH_OPENS_STACK_DEPTH];
	int n = umh_opens_read_stack(p->stacks_fd, stack_id, ips, UMH_OPENS_STACK_DEPTH);
	if (n <= 0)
		return;
	/* Module symbols change as modules come and go: read them afresh. */
	umh_ksyms_free(&p->ks);
	p->ks_loaded = umh_opens_load_symbols(&p->ks, p->modsyms_fd) == 0;
	int i = 0;
	/* The probe's own frames (the BPF program, its trampoline) first. */
	for (const struct umh_ksym *k; i < n && (k = umh_ksyms_find(&p->ks, ips[i])) && k->module &&
				       strcmp(k->module, "bpf") == 0;)
		i++;
	for (; i < n; i++) {
		char frame[256];
		umh_ksyms_format(&p->ks, ips[i], frame, sizeof(frame));
		fprintf(p->out, "%s%s\n", indent, frame);
	}
}
