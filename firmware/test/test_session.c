/* The upload state machine, step by step: what it sends, and the replies it takes or skips. */
#include "session_harness.h"

static void uploads_an_image_and_confirms_its_verdict(void)
{
    harness h;
    configure(&h);
    begin(&h, 40); /* 3 packets: 16, 16 and 8 bytes */
    CHECK_EQ(h.session.packets, 3);
    CHECK_EQ(h.session.crc, cu_crc32_update(0, image, 40));
    EXPECT_SENT(&h, 1, ID, 1, 3, 0, 0, 0, 24, 0, 0, 0, 40);
    EXPECT_WAIT(&h, 1000);
    h.now += 20;
    accept(&h);
    expect_packet(&h, 0, 16);
    expect_packet(&h, 1, 16);
    expect_packet(&h, 2, 8);
    expect_end_of_transfer(&h);
    h.now += 30;
    stored(&h);
    CHECK_EQ(h.session.result.stored_ms, 50);
    EXPECT_WAIT(&h, 10000);
    h.now += 7;
    GIVE(&h, 1, ID, 4, 0, 1, 2, 0x1d, 0x4c, 'k', 'i', 'n', 'k');
    EXPECT_SENT(&h, 1, ID, 0, 4);
    EXPECT_SENT(&h, 1, ID, 0, 4);
    expect_done(&h, CU_STORED);
    const cu_result *result = &h.session.result;
    CHECK(result->verdict_received);
    CHECK_EQ(result->verdict.verdict, CU_DEFECT);
    CHECK_EQ(result->verdict.confidence, 7500);
    CHECK(strcmp(result->verdict.label, "kink") == 0);
    CHECK_EQ(result->total_ms, 57);
    CHECK_EQ(result->requests, 1);
    CHECK_EQ(result->packets_sent, 3);
    CHECK_EQ(result->end_rounds, 1);
    CHECK_EQ(result->timeouts, 0);
}

static void sends_an_exact_multiple_of_p_minus_8_whole(void)
{
    harness h;
    configure(&h);
    begin(&h, 3 * PAYLOAD);
    CHECK_EQ(h.session.packets, 3);
    EXPECT_SENT(&h, 1, ID, 1, 3, 0, 0, 0, 24, 0, 0, 0, 48);
    accept(&h);
    expect_packet(&h, 0, 16);
    expect_packet(&h, 1, 16);
    expect_packet(&h, 2, 16);
    expect_end_of_transfer(&h);
}

static void sends_255_packets_and_refuses_one_more(void)
{
    harness h;
    configure(&h);
    begin(&h, CU_MAX_PACKETS * PAYLOAD);
    CHECK_EQ(h.session.packets, 255);
    EXPECT_SENT(&h, 1, ID, 1, 255, 0, 0, 0, 24, 0, 0, 0x0f, 0xf0);
    accept(&h);
    for (uint32_t index = 0; index < 255; index++) expect_packet(&h, (uint8_t)index, PAYLOAD);
    expect_end_of_transfer(&h);

    configure(&h);
    begin(&h, CU_MAX_PACKETS * PAYLOAD + 1);
    expect_done(&h, CU_INVALID);
    CHECK_EQ(h.session.result.requests, 0);
    configure(&h);
    begin(&h, 0);
    expect_done(&h, CU_INVALID);
}

static void resends_the_listed_packets_then_asks_again(void)
{
    harness h;
    configure(&h);
    upload_to_end_of_transfer(&h, 5 * PAYLOAD + 3);
    const uint8_t missing[] = {5, 1};
    report(&h, 2, missing, h.session.crc);
    expect_packet(&h, 5, 3);
    expect_packet(&h, 1, 16);
    expect_end_of_transfer(&h);
    stored(&h);
    CHECK_EQ(h.session.phase, CU_PHASE_VERDICT);
    CHECK_EQ(h.session.result.packets_sent, 8);
    CHECK_EQ(h.session.result.end_rounds, 2);
}

static void never_sends_an_index_past_the_image(void)
{
    harness h;
    configure(&h);
    upload_to_end_of_transfer(&h, 3 * PAYLOAD);
    const uint8_t some_bad[] = {3, 2, 200};
    report(&h, 3, some_bad, h.session.crc);
    expect_packet(&h, 2, 16);
    expect_end_of_transfer(&h);
    const uint8_t all_bad[] = {3, 254};
    report(&h, 2, all_bad, h.session.crc);
    CHECK_EQ(h.session.result.malformed, 1);
    /* Not an answer: the end of transfer still awaits one. */
    EXPECT_WAIT(&h, h.timer.timeout_ms);
}

static void starts_again_when_told_k_255(void)
{
    harness h;
    configure(&h);
    h.config.restart_limit = 1;
    upload_to_end_of_transfer(&h, 2 * PAYLOAD);
    GIVE(&h, 1, ID, 4, 0, 0, 0, 0x27, 0x10, 'o', 'l', 'd'); /* read before the restart: never taken */
    EXPECT_SENT(&h, 1, ID, 0, 4);
    EXPECT_SENT(&h, 1, ID, 0, 4);
    report(&h, CU_RESTART_TRANSFER_COUNT, NULL, h.session.crc);
    CHECK_EQ(h.session.result.restarts, 1);
    CHECK(!h.session.has_early_verdict);
    EXPECT_SENT(&h, 1, ID, 1, 2, 0, 0, 0, 24, 0, 0, 0, 32);
    accept(&h);
    expect_packet(&h, 0, 16);
    expect_packet(&h, 1, 16);
    expect_end_of_transfer(&h);
    report(&h, CU_RESTART_TRANSFER_COUNT, NULL, h.session.crc);
    expect_done(&h, CU_GAVE_UP);
    CHECK_EQ(h.session.result.requests, 2);
}

static void skips_replies_about_another_image_or_device(void)
{
    harness h;
    configure(&h);
    upload_to_end_of_transfer(&h, 2 * PAYLOAD);
    report(&h, 0, NULL, h.session.crc ^ 1u);                   /* another image's k = 0 */
    report(&h, CU_RESTART_TRANSFER_COUNT, NULL, h.session.crc + 7u); /* another image's restart */
    GIVE(&h, 1, ID, 3, 0);                                     /* generation B's form: no CRC */
    GIVE(&h, 1, ID, 2, 1, 0, 0, 0, 0, 16);                     /* a stray per-packet ACK */
    GIVE(&h, 1, ID, 1, 0, 2, 0, 0, 0, 24);                     /* a late duplicate accept */
    uint8_t other_device[8] = {1, ID + 1, 3, 0};
    cu_put_u32(other_device + 4, h.session.crc);
    give(&h, other_device, sizeof other_device);
    CHECK_EQ(h.session.result.skipped, 6);
    CHECK_EQ(h.session.phase, CU_PHASE_ENDING);
    EXPECT_WAIT(&h, h.timer.timeout_ms);
    stored(&h);
    CHECK_EQ(h.session.phase, CU_PHASE_VERDICT);
}

int main(void)
{
    fill_image();
    RUN(uploads_an_image_and_confirms_its_verdict);
    RUN(sends_an_exact_multiple_of_p_minus_8_whole);
    RUN(sends_255_packets_and_refuses_one_more);
    RUN(resends_the_listed_packets_then_asks_again);
    RUN(never_sends_an_index_past_the_image);
    RUN(starts_again_when_told_k_255);
    RUN(skips_replies_about_another_image_or_device);
    return cu_test_report("session", 7);
}
