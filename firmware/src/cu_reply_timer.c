/*
 * How long to wait for a reply: TCP's retransmission timer (RFC 6298) in whole milliseconds.
 * The wait is the smoothed round trip plus four times its variation, between the configured
 * bounds; a silence doubles it. Only replies to frames sent once are measured (Karn's rule): a
 * reply to a resent frame may answer either copy. Any reply ends the doubling, as new data
 * acknowledged does in Linux's TCP: on a lossy link most exchanges need a resend, and a wait left
 * doubled until the next clean measure would cost every later silence the longest wait.
 */
#include "cu_session.h"

static uint32_t clamp(uint32_t value, uint32_t min_ms, uint32_t max_ms)
{
    if (value < min_ms) return min_ms;
    return value > max_ms ? max_ms : value;
}

void cu_reply_timer_reset(cu_reply_timer *timer, uint32_t max_ms)
{
    timer->smoothed_ms = 0;
    timer->variation_ms = 0;
    timer->timeout_ms = max_ms;
    timer->measured = false;
}

static void settle(cu_reply_timer *timer, uint32_t min_ms, uint32_t max_ms)
{
    /* Both terms are below max_ms × 8 for any sane bound: no overflow before the clamp. */
    timer->timeout_ms = clamp(timer->smoothed_ms + 4 * timer->variation_ms, min_ms, max_ms);
}

void cu_reply_timer_answered(cu_reply_timer *timer, uint32_t min_ms, uint32_t max_ms)
{
    if (timer->measured) settle(timer, min_ms, max_ms);
}

void cu_reply_timer_sample(cu_reply_timer *timer, uint32_t rtt_ms, uint32_t min_ms, uint32_t max_ms)
{
    if (!timer->measured) {
        timer->smoothed_ms = rtt_ms;
        timer->variation_ms = rtt_ms / 2;
        timer->measured = true;
    } else {
        uint32_t deviation =
            rtt_ms > timer->smoothed_ms ? rtt_ms - timer->smoothed_ms : timer->smoothed_ms - rtt_ms;
        timer->variation_ms = (3 * timer->variation_ms + deviation) / 4;
        timer->smoothed_ms = (7 * timer->smoothed_ms + rtt_ms) / 8;
    }
    settle(timer, min_ms, max_ms);
}

void cu_reply_timer_back_off(cu_reply_timer *timer, uint32_t max_ms)
{
    timer->timeout_ms = timer->timeout_ms > max_ms / 2 ? max_ms : timer->timeout_ms * 2;
}
