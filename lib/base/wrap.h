/* Sentences printed as paragraphs: lines broken at spaces. */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* TEXT (printed as it is: escape it first if it holds names) in lines of
 * at most WIDTH columns, the first after INDENT, the others after
 * MORE_INDENT, broken at spaces; a word longer than a line stays whole. */
void umh_print_wrapped(FILE *out, const char *text, const char *indent, const char *more_indent, size_t width);
