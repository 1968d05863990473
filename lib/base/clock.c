#include "base/clock.h"

int64_t umh_clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t umh_now_ns(void) { return umh_clock_ns(CLOCK_MONOTONIC); }
int64_t umh_boot_ns(void) { return umh_clock_ns(CLOCK_BOOTTIME); }
int64_t umh_wall_ns(void) { return umh_clock_ns(CLOCK_REALTIME); }
int64_t umh_wall_us(void) { return umh_wall_ns() / 1000; }

int64_t umh_boot_to_wall_ns(int64_t boot_ns)
{
	int64_t boot = umh_boot_ns(), wall = umh_wall_ns();
	return wall - (boot - boot_ns);
}
