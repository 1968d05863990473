/* A minimal TAP test harness for the unit tests. */
#pragma once

#include <stdio.h>
#include <string.h>

static int unit_failures;

/* COND is evaluated once: the parsers under test modify their input. */
#define CHECK(cond, ...)                                                              \
	do {                                                                          \
		int _c = !!(cond);                                                    \
		if (_c) {                                                             \
			printf("ok - ");                                              \
		} else {                                                              \
			printf("not ok - ");                                          \
			unit_failures++;                                              \
		}                                                                     \
		printf(__VA_ARGS__);                                                  \
		printf("\n");                                                         \
		if (!_c)                                                              \
			printf("# %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
	} while (0)

#define CHECK_STR(actual, expected, ...)                                              \
	do {                                                                          \
		const char *_a = (actual), *_e = (expected);                          \
		int _ok = (_a && _e) ? strcmp(_a, _e) == 0 : _a == _e;                \
		CHECK(_ok, __VA_ARGS__);                                              \
		if (!_ok)                                                             \
			printf("#   got \"%s\", want \"%s\"\n", _a ? _a : "(null)", _e ? _e : "(null)"); \
	} while (0)

#define UNIT_EXIT() return unit_failures ? 1 : 0
