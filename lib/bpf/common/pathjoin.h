/* Turns the names a BPF program walked (path.bpf.h: leaf first, each
 * NUL-terminated) into a path, "/" first. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* NAMES holds LEN bytes.  Writes at most SIZE bytes (NUL included) to OUT.
 * COMPLETE says the walk reached the namespace root; when it did not, the
 * path is marked as partial with a leading "…/".  Returns 0, or -EINVAL for
 * malformed input, -ENAMETOOLONG when OUT is too small. */
int umh_bpf_join_path(const char *names, size_t len, bool complete, char *out, size_t size);
