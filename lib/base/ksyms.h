/* Kernel addresses to names: /proc/kallsyms, plus module symbols kept by
 * the ledger (a module's __init functions leave kallsyms once it has
 * loaded, and they are what opened the file).  Stacks print as
 * "symbol+0xoff [module]". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct umh_ksym {
	uint64_t addr;
	uint64_t size;   /* 0: unknown (kallsyms): up to the next symbol */
	char *name;
	char *module;    /* NULL for the kernel itself */
};

struct umh_ksyms {
	struct umh_ksym *syms; /* by address, once sorted */
	size_t n, cap;
	struct umh_ksym *exact; /* symbols with a known size, searched first */
	size_t n_exact, cap_exact;
	bool sorted;
	bool hidden;            /* kallsyms showed only zero addresses */
};

/* One line of /proc/kallsyms: "ffffffffc0a01000 t name\t[module]".  NAME
 * and MODULE point into LINE and are NUL-terminated there (LINE is
 * modified); MODULE is NULL for the kernel.  Returns 0 or -EINVAL. */
int umh_parse_kallsyms_line(char *line, uint64_t *addr, char *type, char **name, char **module);

/* Reads /proc/kallsyms (text symbols only).  Returns 0 or a negative errno. */
int umh_ksyms_load(struct umh_ksyms *k);
/* Adds one symbol; SIZE 0 if unknown. */
int umh_ksyms_add(struct umh_ksyms *k, uint64_t addr, uint64_t size, const char *name, const char *module);
void umh_ksyms_free(struct umh_ksyms *k);

/* The symbol ADDR lies in, or NULL. */
const struct umh_ksym *umh_ksyms_find(struct umh_ksyms *k, uint64_t addr);

/* "symbol+0xoff [module]", or "0xADDR" when no symbol covers it. */
void umh_ksyms_format(struct umh_ksyms *k, uint64_t addr, char *buf, size_t size);

/* The frames worth reading in a stack that opened a file: the VFS's own
 * open path (do_dentry_open, vfs_open, path_openat, do_filp_open, ...) and
 * BPF trampolines are skipped up to the first caller, then at most MAX
 * frames are joined: "filp_open <- holdfile_init [holdfile] <- ...".
 * Writes "" when there is no frame. */
void umh_ksyms_chain(struct umh_ksyms *k, const uint64_t *ips, size_t n, size_t max, char *buf, size_t size);
