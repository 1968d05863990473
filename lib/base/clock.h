/* The clocks, in one place:
 *   CLOCK_MONOTONIC (umh_now_ns): budgets and deadlines;
 *   CLOCK_BOOTTIME (umh_boot_ns): the kernel's time of an event, as BPF
 *     programs stamp it (bpf_ktime_get_boot_ns) and /proc/PID/stat counts
 *     a start; it goes on counting while the machine sleeps;
 *   CLOCK_REALTIME (umh_wall_ns, umh_wall_us): a time to print, or to keep
 *     in a record or a journal entry. */
#pragma once

#include <stdint.h>
#include <time.h>

/* Nanoseconds. */
int64_t umh_clock_ns(clockid_t clock);
int64_t umh_now_ns(void);
int64_t umh_boot_ns(void);
int64_t umh_wall_ns(void);

/* CLOCK_REALTIME in microseconds since the epoch, as the watcher's record
 * and journal entries stamp their events (t_us). */
int64_t umh_wall_us(void);

/* A CLOCK_BOOTTIME time as CLOCK_REALTIME, by the clocks' difference now. */
int64_t umh_boot_to_wall_ns(int64_t boot_ns);
