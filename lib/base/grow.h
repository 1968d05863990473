/* Arrays that grow as they are filled: the capacity doubles, so that
 * adding one element at a time costs amortised O(1). */
#pragma once

#include <stddef.h>

/* Makes room for NEED elements of SIZE bytes in *ARRAY, whose capacity is
 * *CAP elements: doubles *CAP (from FIRST) until it holds NEED.  Returns 0,
 * or -ENOMEM with *ARRAY and *CAP unchanged. */
int umh_grow(void **array, size_t *cap, size_t need, size_t size, size_t first);

/* The same for an array variable V of any type, and its capacity CAP:
 *     if (UMH_GROW(r->objs, r->cap_objs, r->n_objs + 1, 32) < 0)
 *             return -ENOMEM;
 *     r->objs[r->n_objs++] = obj; */
#define UMH_GROW(v, cap, need, first) umh_grow((void **)&(v), &(cap), (need), sizeof(*(v)), (first))
