/* libmount's objects, released at the end of their scope:
 * _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL; */
#pragma once

#include <libmount.h>

#include "base/cleanup.h"

UMH_DEFINE_CLEANUP(struct libmnt_table *, mnt_unref_table)
UMH_DEFINE_CLEANUP(struct libmnt_cache *, mnt_unref_cache)
UMH_DEFINE_CLEANUP(struct libmnt_iter *, mnt_free_iter)
UMH_DEFINE_CLEANUP(struct libmnt_context *, mnt_free_context)

/* Each entry of a table, with an iterator released however the loop ends. */
#define umh_foreach_fs(tb, fs)                                                                   \
	for (_cleanup_(mnt_free_iterp) struct libmnt_iter *_it = mnt_new_iter(MNT_ITER_FORWARD); \
	     _it && mnt_table_next_fs(tb, _it, &(fs)) == 0;)
