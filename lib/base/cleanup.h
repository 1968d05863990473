/* Scope-bound resources, in the style of systemd's _cleanup_ helpers: every
 * descriptor, allocation and stream declared with one of these is released
 * on every return path. */
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* FUNCp(), a cleanup for _cleanup_() made of a library's own FUNC (TYPE
 * p): FUNC(p) at the end of the scope, unless p is NULL.  One macro, as
 * systemd's DEFINE_TRIVIAL_CLEANUP_FUNC, rather than a wrapper written out
 * in each file (cleanup-mount.h has libmount's). */
#define UMH_DEFINE_CLEANUP(type, func)                                                                       \
	static inline void func##p(type *p)                                                                  \
	{                                                                                                    \
		if (*p)                                                                                      \
			func(*p);                                                                            \
	}

#define _cleanup_free_     _cleanup_(freep)
#define _cleanup_close_    _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand a resource out of its cleanup scope. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STRLEN(s)     (sizeof(s) - 1)
