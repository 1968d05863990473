/* Making names safe to print.  File names, mount points and comm values are
 * chosen by anyone; they may hold newlines, terminal escape sequences and
 * bytes that are not UTF-8.  Nothing raw reaches the terminal or breaks JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes NAME for a terminal: printable UTF-8 as is; backslash as "\\";
 * \n, \t, \r as C escapes; every other control character (C0, DEL, C1) and
 * every byte that is not part of valid UTF-8 as "\xHH". */
void umh_fputs_escaped(const char *name, FILE *out);

/* The same, into a new string (NULL on allocation failure). */
char *umh_escape(const char *name);

/* Writes NAME as a JSON string, quotes included: valid UTF-8 is kept,
 * control characters (C0, DEL, C1) are \u00XX, and a byte that is not valid
 * UTF-8 becomes the lone surrogate \uDCXX (Python's "surrogateescape"), so
 * the output is valid JSON and the original bytes can be recovered. */
void umh_json_string(const char *name, FILE *out);

/* Length of the valid UTF-8 sequence at S (1..4), or 0 if S does not start
 * one.  N is the number of bytes available. */
size_t umh_utf8_seq_len(const unsigned char *s, size_t n);

/* Decodes the octal escapes (\040 for space, \011, \012, \134) that the
 * kernel's seq_file_path() and mangle() use in /proc/swaps, mountinfo and
 * nfsd's exports, in place. */
void umh_unescape_octal(char *s);
