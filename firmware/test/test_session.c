/*
 * The upload state machine, step by step: literal frames in, literal frames out, a clock the
 * test moves by hand. P = 24 here (16 payload bytes a packet) so that images stay short.
 */
#include "cu_session.h"
#include "cu_test.h"

#define ID 99
#define P 24u
#define PAYLOAD (P - CU_DATA_HEADER_BYTES)

typedef struct harness {
    cu_config config;
    cu_reply_timer timer;
    cu_session session;
    uint8_t frame[2048];
    uint32_t now;
} harness;

static uint8_t image[CU_MAX_PACKETS * PAYLOAD + 1];

static void fill_image(void)
{
    for (size_t i = 0; i < sizeof image; i++) image[i] = (uint8_t)(i * 13u + (i >> 8));
}

static void configure(harness *h)
{
    memset(h, 0, sizeof *h);
    cu_config_defaults(&h->config);
    h->config.device_id = ID;
    h->config.packet_size = P;
    h->config.reply_timeout_ms = 1000;
    h->config.min_reply_timeout_ms = 10;
    h->now = 5000;
}

static void begin(harness *h, size_t bytes)
{
    cu_reply_timer_reset(&h->timer, h->config.reply_timeout_ms);
    cu_session_begin(&h->session, &h->config, &h->timer, image, bytes, sizeof h->frame, h->now);
}

static cu_step next(harness *h)
{
    return cu_session_next(&h->session, h->now, h->frame);
}

static void give(harness *h, const uint8_t *datagram, size_t length)
{
    cu_session_receive(&h->session, h->now, datagram, length);
}

#define GIVE(h, ...)                                                                                        \
    do {                                                                                                    \
        const uint8_t literal[] = {__VA_ARGS__};                                                            \
        give((h), literal, sizeof literal);                                                                 \
    } while (0)

#define EXPECT_SENT(h, ...)                                                                                 \
    do {                                                                                                    \
        cu_step sent = next(h);                                                                             \
        CHECK_EQ(sent.kind, CU_STEP_SEND);                                                                  \
        CHECK_BYTES((h)->frame, sent.length, __VA_ARGS__);                                                  \
    } while (0)

#define EXPECT_WAIT(h, ms)                                                                                  \
    do {                                                                                                    \
        cu_step waited = next(h);                                                                           \
        CHECK_EQ(waited.kind, CU_STEP_WAIT);                                                                \
        CHECK_EQ(waited.wait_ms, (ms));                                                                     \
    } while (0)

static void expect_done(harness *h, cu_outcome outcome)
{
    cu_step step = next(h);
    CHECK_EQ(step.kind, CU_STEP_DONE);
    CHECK_EQ(h->session.result.outcome, outcome);
}

/* A data packet, checked against the image: index, length L and the bytes of its slice. */
static void expect_packet(harness *h, uint8_t index, uint32_t length)
{
    cu_step step = next(h);
    CHECK_EQ(step.kind, CU_STEP_SEND);
    CHECK_EQ(step.length, CU_DATA_HEADER_BYTES + length);
    CHECK_BYTES(h->frame, 4, 1, ID, 2, index);
    CHECK_EQ(cu_get_u32(h->frame + 4), length);
    CHECK(memcmp(h->frame + 8, image + (size_t)index * PAYLOAD, length) == 0);
}

static void expect_end_of_transfer(harness *h)
{
    cu_step step = next(h);
    CHECK_EQ(step.kind, CU_STEP_SEND);
    CHECK_EQ(step.length, 8);
    CHECK_BYTES(h->frame, 4, 1, ID, 3, h->session.packets);
    CHECK_EQ(cu_get_u32(h->frame + 4), h->session.crc);
}

static void accept(harness *h)
{
    uint8_t reply[9] = {1, ID, 1, 0, h->session.packets};
    cu_put_u32(reply + 5, P);
    give(h, reply, sizeof reply);
}

/* `[1, id, 3, k, indices…, CRC]` with this image's CRC (or `crc` when given). */
static void report(harness *h, uint8_t count, const uint8_t *indices, uint32_t crc)
{
    uint8_t reply[32] = {1, ID, 3, count};
    size_t listed = count == CU_RESTART_TRANSFER_COUNT ? 0 : count;
    if (listed > 0) memcpy(reply + 4, indices, listed);
    cu_put_u32(reply + 4 + listed, crc);
    give(h, reply, 8 + listed);
}

static void stored(harness *h)
{
    report(h, 0, NULL, h->session.crc);
}

/* Request, accept, burst, end of transfer: the session then awaits the reply to op 3. */
static void upload_to_end_of_transfer(harness *h, size_t bytes)
{
    begin(h, bytes);
    next(h);
    accept(h);
    for (uint32_t index = 0; index < h->session.packets; index++) next(h);
    expect_end_of_transfer(h);
}

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
    RUN(uploads_an_image_and_confirms_its_verdict);
    RUN(sends_an_exact_multiple_of_p_minus_8_whole);
    RUN(sends_255_packets_and_refuses_one_more);
    RUN(resends_the_listed_packets_then_asks_again);
    RUN(never_sends_an_index_past_the_image);
    RUN(starts_again_when_told_k_255);
    RUN(skips_replies_about_another_image_or_device);
    RUN(asks_again_after_silence_then_gives_up);
    RUN(pauses_on_busy_and_stops_on_a_final_refusal);
    RUN(starts_again_after_end_attempts_of_silence);
    RUN(takes_a_verdict_only_once_the_image_is_stored);
    RUN(waits_for_the_verdict_after_k_0_when_none_came_before);
    RUN(ends_stored_without_a_verdict_after_the_result_timeout);
    RUN(times_out_at_the_upload_deadline);
    RUN(adapts_its_wait_to_the_round_trip);
    RUN(counts_undecodable_datagrams);
    return cu_test_report("session", 16);
}
