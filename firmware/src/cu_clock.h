/* The two things the socket layer needs of the system besides sockets. Internal. */
#ifndef CU_CLOCK_H
#define CU_CLOCK_H

#include <stdint.h>

/** Milliseconds of a monotonic clock (wraps after 49 days). */
uint32_t cu_clock_now_ms(void);

/** Sleeps at least `ms` milliseconds (at least one scheduler tick on a chip). */
void cu_clock_sleep_ms(uint32_t ms);

#endif /* CU_CLOCK_H */
