/* The pieces of the text report: the holders (text-holders.c), which the
 * report of one mount (text.c) and of a filesystem (fs-text.c) both print.
 * Not for other layers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"

/* The processes that hold mount MNT_ID (0: any) and block (BLOCKING) or do
 * not, each with its references and, when blocking, a remedy that names
 * TARGET; and how many there are. */
void umh_text_print_processes(FILE *out, const struct umh_report *r, bool blocking, uint64_t mnt_id,
			      const char *target);
size_t umh_text_count_processes(const struct umh_report *r, bool blocking, uint64_t mnt_id);
/* One holder that is not a process (loop device, swap file, ...). */
void umh_text_kernel_holder(FILE *out, const struct umh_report *r, const struct umh_holder *h, const char *target);
bool umh_text_is_kernel_kind(const struct umh_holder *h);
/* What was not inspected, and why. */
void umh_text_skips(FILE *out, const struct umh_report *r);

/* The filesystem view (fs-text.c). */
void umh_report_print_fs_text(const struct umh_report *r, FILE *out);
/* A held copy (fs-text.c): the namespace it is in, under its header; what
 * frees the copy as a whole, after its holders. */
void umh_text_copy_namespace(FILE *out, const struct umh_report *r, const struct umh_mount *c);
void umh_text_copy_remedies(FILE *out, const struct umh_report *r, const struct umh_mount *c);
