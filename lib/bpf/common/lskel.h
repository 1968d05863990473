/* Around the inclusion of a light skeleton (bpf.mk's *.lskel.h): the
 * generated loaders are not written for -Wextra -Wshadow, and only they
 * are let off.
 *
 *   UMH_LSKEL_BEGIN
 *   #include "bpf/x.lskel.h"
 *   UMH_LSKEL_END
 */
#pragma once

#define UMH_LSKEL_BEGIN                                                \
	_Pragma("GCC diagnostic push")                                  \
	_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")             \
	_Pragma("GCC diagnostic ignored \"-Wshadow\"")                   \
	_Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")         \
	_Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#define UMH_LSKEL_END _Pragma("GCC diagnostic pop")
