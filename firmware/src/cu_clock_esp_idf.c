/* The clock under ESP-IDF (and the Arduino core built on it): esp_timer and a FreeRTOS delay. */
#ifdef ESP_PLATFORM

#include "cu_clock.h"

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

uint32_t cu_clock_now_ms(void)
{
    /* Microseconds since boot, 64-bit; the library's clock is milliseconds modulo 2^32. */
    return (uint32_t)(esp_timer_get_time() / 1000);
}

void cu_clock_sleep_ms(uint32_t ms)
{
    TickType_t ticks = pdMS_TO_TICKS(ms);
    vTaskDelay(ticks > 0 ? ticks : 1);
}

#else
typedef int cu_clock_esp_idf_not_built;
#endif
