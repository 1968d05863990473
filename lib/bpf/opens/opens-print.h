/* Saying what the open probes saw: times on the wall clock, paths from
 * the names the programs walked, kernel stacks as symbol+0xoff [module].
 * Used by trace (live lines) and by the ledger's readers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/ksyms.h"

struct umh_open_event;

struct umh_opens_printer {
	FILE *out;
	int stacks_fd;  /* the stack map, or -1 */
	int modsyms_fd; /* module symbols kept at load, or -1 */
	struct umh_ksyms ks;
	bool ks_loaded;
};

void umh_opens_printer_init(struct umh_opens_printer *p, FILE *out, int stacks_fd, int modsyms_fd);
void umh_opens_printer_free(struct umh_opens_printer *p);

/* "12:00:01.234567  VERB  pid N (comm) [tid T] [fd F]  PATH[  (NOTE)]" */
void umh_opens_print_line(struct umh_opens_printer *p, const struct umh_open_event *ev, const char *verb, int fd,
			  const char *note);
/* One frame a line, INDENT first; nothing if the stack is unknown. */
void umh_opens_print_stack(struct umh_opens_printer *p, int stack_id, const char *indent);

/* Kernel symbols for stacks: kallsyms, then the module symbols the probes
 * kept (MODSYMS_FD, or -1). */
int umh_opens_load_symbols(struct umh_ksyms *ks, int modsyms_fd);
/* The frames of stack ID in the stack map STACKS_FD.  Returns how many, or a
 * negative errno. */
int umh_opens_read_stack(int stacks_fd, int id, uint64_t *ips, size_t max);
/* A CLOCK_BOOTTIME time as local wall-clock time, "HH:MM:SS" (with
 * ".uuuuuu" when USEC). */
void umh_boot_to_wall(int64_t boot_ns, bool usec, char *buf, size_t size);
