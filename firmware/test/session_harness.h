/*
 * The harness of the state machine's tests: a session, a clock moved by hand, literal frames in,
 * literal frames out. P = 24 here (16 payload bytes a packet) so that images stay short.
 */
#ifndef SESSION_HARNESS_H
#define SESSION_HARNESS_H

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

/* The image every test uploads a prefix of (one per test program). */
static uint8_t image[CU_MAX_PACKETS * PAYLOAD + 1];

static inline void fill_image(void)
{
    for (size_t i = 0; i < sizeof image; i++) image[i] = (uint8_t)(i * 13u + (i >> 8));
}

static inline void configure(harness *h)
{
    memset(h, 0, sizeof *h);
    cu_config_defaults(&h->config);
    h->config.device_id = ID;
    h->config.packet_size = P;
    h->config.reply_timeout_ms = 1000;
    h->config.min_reply_timeout_ms = 10;
    h->now = 5000;
}

static inline void begin(harness *h, size_t bytes)
{
    cu_reply_timer_reset(&h->timer, h->config.reply_timeout_ms);
    cu_session_begin(&h->session, &h->config, &h->timer, image, bytes, sizeof h->frame, h->now);
}

static inline cu_step next(harness *h)
{
    return cu_session_next(&h->session, h->now, h->frame);
}

static inline void give(harness *h, const uint8_t *datagram, size_t length)
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

static inline void expect_done(harness *h, cu_outcome outcome)
{
    cu_step step = next(h);
    CHECK_EQ(step.kind, CU_STEP_DONE);
    CHECK_EQ(h->session.result.outcome, outcome);
}

/* A data packet, checked against the image: index, length L and the bytes of its slice. */
static inline void expect_packet(harness *h, uint8_t index, uint32_t length)
{
    cu_step step = next(h);
    CHECK_EQ(step.kind, CU_STEP_SEND);
    CHECK_EQ(step.length, CU_DATA_HEADER_BYTES + length);
    CHECK_BYTES(h->frame, 4, 1, ID, 2, index);
    CHECK_EQ(cu_get_u32(h->frame + 4), length);
    CHECK(memcmp(h->frame + 8, image + (size_t)index * PAYLOAD, length) == 0);
}

static inline void expect_end_of_transfer(harness *h)
{
    cu_step step = next(h);
    CHECK_EQ(step.kind, CU_STEP_SEND);
    CHECK_EQ(step.length, 8);
    CHECK_BYTES(h->frame, 4, 1, ID, 3, h->session.packets);
    CHECK_EQ(cu_get_u32(h->frame + 4), h->session.crc);
}

static inline void accept(harness *h)
{
    uint8_t reply[9] = {1, ID, 1, 0, h->session.packets};
    cu_put_u32(reply + 5, P);
    give(h, reply, sizeof reply);
}

/* `[1, id, 3, k, indices…, CRC]` with this image's CRC (or `crc` when given). */
static inline void report(harness *h, uint8_t count, const uint8_t *indices, uint32_t crc)
{
    uint8_t reply[32] = {1, ID, 3, count};
    size_t listed = count == CU_RESTART_TRANSFER_COUNT ? 0 : count;
    if (listed > 0) memcpy(reply + 4, indices, listed);
    cu_put_u32(reply + 4 + listed, crc);
    give(h, reply, 8 + listed);
}

static inline void stored(harness *h)
{
    report(h, 0, NULL, h->session.crc);
}

/* Request, accept, burst, end of transfer: the session then awaits the reply to op 3. */
static inline void upload_to_end_of_transfer(harness *h, size_t bytes)
{
    begin(h, bytes);
    next(h);
    accept(h);
    for (uint32_t index = 0; index < h->session.packets; index++) next(h);
    expect_end_of_transfer(h);
}

#endif /* SESSION_HARNESS_H */
