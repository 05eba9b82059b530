/* The clock on a POSIX host: CLOCK_MONOTONIC and nanosleep. Compiled out under ESP-IDF. */
#ifndef ESP_PLATFORM

#define _POSIX_C_SOURCE 200809L
#include "cu_clock.h"

#include <errno.h>
#include <time.h>

uint32_t cu_clock_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint32_t)((uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u);
}

void cu_clock_sleep_ms(uint32_t ms)
{
    struct timespec left = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

#else
typedef int cu_clock_posix_not_built;
#endif
