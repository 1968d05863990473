/* The one clock for budgets and deadlines: CLOCK_MONOTONIC, in nanoseconds;
 * and the wall clock, for the times records and journal entries carry. */
#pragma once

#include <stdint.h>

int64_t umh_now_ns(void);

/* CLOCK_REALTIME in microseconds since the epoch, as the watcher's record
 * and journal entries stamp their events (t_us). */
int64_t umh_wall_us(void);
