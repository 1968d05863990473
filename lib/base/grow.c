#include "base/grow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int umh_grow(void **array, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : (first ? first : 1);
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	void *a = reallocarray(*array, c, size);
	if (!a)
		return -ENOMEM;
	*array = a;
	*cap = c;
	return 0;
}
