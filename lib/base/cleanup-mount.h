/* libmount's objects, released at the end of their scope:
 * _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL; */
#pragma once

#include <libmount.h>

#include "base/cleanup.h"

UMH_DEFINE_CLEANUP(struct libmnt_table *, mnt_unref_table)
UMH_DEFINE_CLEANUP(struct libmnt_cache *, mnt_unref_cache)
UMH_DEFINE_CLEANUP(struct libmnt_iter *, mnt_free_iter)
UMH_DEFINE_CLEANUP(struct libmnt_context *, mnt_free_context)
