/* The one clock for budgets and deadlines: CLOCK_MONOTONIC, in nanoseconds. */
#pragma once

#include <stdint.h>

int64_t umh_now_ns(void);
