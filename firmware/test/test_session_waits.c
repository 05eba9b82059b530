/* The upload state machine against time: silences, pauses, deadlines, the verdict wait, the reply timer. */
#include "session_harness.h"

static void asks_again_after_silence_then_gives_up(void)
{
    harness h;
    configure(&h);
    h.config.request_attempts = 3;
    h.config.reply_timeout_ms = 400;
    begin(&h, 10);
    EXPECT_SENT(&h, 1, ID, 1, 1, 0, 0, 0, 24, 0, 0, 0, 10);
    EXPECT_WAIT(&h, 400);
    h.now += 400;
    EXPECT_SENT(&h, 1, ID, 1, 1, 0, 0, 0, 24, 0, 0, 0, 10);
    EXPECT_WAIT(&h, 400); /* the longest wait already */
    h.now += 400;
    EXPECT_SENT(&h, 1, ID, 1, 1, 0, 0, 0, 24, 0, 0, 0, 10);
    h.now += 400;
    expect_done(&h, CU_NO_ANSWER);
    CHECK_EQ(h.session.result.requests, 3);
    CHECK_EQ(h.session.result.timeouts, 3);
}

static void pauses_on_busy_and_stops_on_a_final_refusal(void)
{
    harness h;
    configure(&h);
    h.config.busy_pause_ms = 250;
    begin(&h, 10);
    next(&h);
    GIVE(&h, 1, ID, 1, 1, 1, 0, 0, 0, 24); /* busy */
    EXPECT_WAIT(&h, 250);
    h.now += 250;
    EXPECT_SENT(&h, 1, ID, 1, 1, 0, 0, 0, 24, 0, 0, 0, 10);
    GIVE(&h, 1, ID, 1, 2, 1, 0, 0, 0, 24); /* too large */
    expect_done(&h, CU_REFUSED);
    CHECK_EQ(h.session.result.refusal, 2);
    CHECK_EQ(h.session.result.requests, 2);
}

static void starts_again_after_end_attempts_of_silence(void)
{
    harness h;
    configure(&h);
    h.config.end_attempts = 2;
    upload_to_end_of_transfer(&h, 20);
    h.now += h.timer.timeout_ms;
    expect_end_of_transfer(&h);
    h.now += h.timer.timeout_ms;
    EXPECT_SENT(&h, 1, ID, 1, 2, 0, 0, 0, 24, 0, 0, 0, 20);
    CHECK_EQ(h.session.result.restarts, 1);
    CHECK_EQ(h.session.result.end_rounds, 2);
}

static void takes_a_verdict_only_once_the_image_is_stored(void)
{
    harness h;
    configure(&h);
    begin(&h, 20);
    /* Before the request is answered: a previous image's verdict pushed again, confirmed, not taken. */
    GIVE(&h, 1, ID, 4, 0, 0, 0, 0x27, 0x10, 'o', 'l', 'd');
    EXPECT_SENT(&h, 1, ID, 0, 4);
    EXPECT_SENT(&h, 1, ID, 0, 4);
    EXPECT_SENT(&h, 1, ID, 1, 2, 0, 0, 0, 24, 0, 0, 0, 20);
    accept(&h);
    next(&h);
    next(&h);
    expect_end_of_transfer(&h);
    CHECK_EQ(h.session.result.skipped, 1);
    /* While op 3 awaits its reply (its k = 0 lost): confirmed, and kept, the later one replacing it. */
    GIVE(&h, 1, ID, 4, 0, 0, 0, 0x27, 0x10, 'o', 'l', 'd');
    GIVE(&h, 1, ID, 4, 0, 1, 1, 0x1f, 0x40, 'n', 'e', 'w');
    EXPECT_SENT(&h, 1, ID, 0, 4);
    EXPECT_SENT(&h, 1, ID, 0, 4);
    EXPECT_WAIT(&h, h.timer.timeout_ms);
    CHECK(!h.session.result.verdict_received);
    stored(&h);
    expect_done(&h, CU_STORED);
    CHECK(h.session.result.verdict_received);
    CHECK(strcmp(h.session.result.verdict.label, "new") == 0);
}

static void waits_for_the_verdict_after_k_0_when_none_came_before(void)
{
    harness h;
    configure(&h);
    upload_to_end_of_transfer(&h, 20);
    stored(&h);
    CHECK_EQ(h.session.phase, CU_PHASE_VERDICT);
    GIVE(&h, 1, ID, 4, 0, 0, 0, 0x27, 0x10, 'o', 'k');
    EXPECT_SENT(&h, 1, ID, 0, 4);
    EXPECT_SENT(&h, 1, ID, 0, 4);
    expect_done(&h, CU_STORED);
    CHECK(strcmp(h.session.result.verdict.label, "ok") == 0);
}

static void ends_stored_without_a_verdict_after_the_result_timeout(void)
{
    harness h;
    configure(&h);
    h.config.result_timeout_ms = 300;
    upload_to_end_of_transfer(&h, 20);
    stored(&h);
    EXPECT_WAIT(&h, 300);
    h.now += 300;
    expect_done(&h, CU_STORED);
    CHECK(!h.session.result.verdict_received);

    configure(&h);
    h.config.result_timeout_ms = 0;
    upload_to_end_of_transfer(&h, 20);
    stored(&h);
    expect_done(&h, CU_STORED);
}

static void times_out_at_the_upload_deadline(void)
{
    harness h;
    configure(&h);
    h.config.upload_timeout_ms = 1500;
    h.config.request_attempts = 100;
    begin(&h, 20);
    next(&h);
    h.now += 1000;
    next(&h); /* the second request */
    EXPECT_WAIT(&h, 500);
    h.now += 500;
    expect_done(&h, CU_TIMED_OUT);
    CHECK_EQ(h.session.result.total_ms, 1500);
}

static void adapts_its_wait_to_the_round_trip(void)
{
    harness h;
    configure(&h);
    begin(&h, 20);
    next(&h);
    h.now += 40;
    accept(&h); /* first sample: 40 ms, variation 20: wait 40 + 4 × 20 */
    CHECK_EQ(h.timer.timeout_ms, 120);
    next(&h);
    next(&h);
    expect_end_of_transfer(&h);
    EXPECT_WAIT(&h, 120);
    h.now += 120;
    expect_end_of_transfer(&h); /* one silence: the same wait */
    EXPECT_WAIT(&h, 120);
    h.now += 120;
    expect_end_of_transfer(&h); /* two in a row: twice as long */
    EXPECT_WAIT(&h, 240);
    h.now += 5;
    stored(&h); /* a reply to a resent frame: not a measure, but the doubling is over */
    CHECK_EQ(h.timer.timeout_ms, 120);
    CHECK_EQ(h.timer.smoothed_ms, 40);

    cu_reply_timer timer;
    cu_reply_timer_reset(&timer, 1000);
    cu_reply_timer_sample(&timer, 1, 50, 1000);
    CHECK_EQ(timer.timeout_ms, 50);
    for (int i = 0; i < 20; i++) cu_reply_timer_back_off(&timer, 1000);
    CHECK_EQ(timer.timeout_ms, 1000);
}

static void counts_undecodable_datagrams(void)
{
    harness h;
    configure(&h);
    begin(&h, 20);
    next(&h);
    GIVE(&h, 1, ID);
    GIVE(&h, 9, ID, 1, 0);
    uint8_t too_long[33] = {1, ID, 4, 0, 0, 0, 0, 0};
    memset(too_long + 8, 'a', 25);
    give(&h, too_long, sizeof too_long);
    CHECK_EQ(h.session.result.malformed, 3);
    CHECK_EQ(h.session.phase, CU_PHASE_REQUEST);
}

int main(void)
{
    fill_image();
    RUN(asks_again_after_silence_then_gives_up);
    RUN(pauses_on_busy_and_stops_on_a_final_refusal);
    RUN(starts_again_after_end_attempts_of_silence);
    RUN(takes_a_verdict_only_once_the_image_is_stored);
    RUN(waits_for_the_verdict_after_k_0_when_none_came_before);
    RUN(ends_stored_without_a_verdict_after_the_result_timeout);
    RUN(times_out_at_the_upload_deadline);
    RUN(adapts_its_wait_to_the_round_trip);
    RUN(counts_undecodable_datagrams);
    return cu_test_report("session waits", 9);
}
