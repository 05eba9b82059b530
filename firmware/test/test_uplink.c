/*
 * `cu_upload` end to end against the model gateway of fake_gateway.c, in simulated time: random
 * image sizes (exact multiples of P-8 and 255 packets included), 0 to 40 % loss each way with
 * duplicates and reordering, corrupted payloads, a gateway that forgets everything. Each world's
 * seed is printed when one of its checks fails, to replay it.
 */
#include "cu_test.h"
#include "fake_gateway.h"

#define P 1460u
#define PAYLOAD (P - 8u)
#define ID 42

static fake_world world;
static uint8_t image[CU_MAX_PACKETS * PAYLOAD];
static uint8_t packet_buffer[P];

static uint32_t seed_state = 1;

static uint32_t draw(void)
{
    uint32_t x = seed_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return seed_state = x;
}

static void make_image(size_t bytes, uint32_t salt)
{
    for (size_t i = 0; i < bytes; i++) image[i] = (uint8_t)((i * 2654435761u + salt) >> 13);
}

static cu_config test_config(void)
{
    cu_config config;
    cu_config_defaults(&config);
    config.device_id = ID;
    config.packet_size = P;
    config.min_reply_timeout_ms = 20;
    config.request_attempts = 40;
    config.end_attempts = 10;
    config.restart_limit = 20;
    config.result_timeout_ms = 5000;
    config.upload_timeout_ms = 3600000;
    return config;
}

static void report_world(uint32_t seed, size_t bytes, double loss)
{
    fprintf(stderr, "  world seed %u, image %u bytes, loss %.2f: %u violations", (unsigned)seed, (unsigned)bytes,
            loss, (unsigned)world.violation_count);
    for (uint32_t i = 0; i < world.violation_count && i < FAKE_MAX_VIOLATIONS; i++) {
        fprintf(stderr, "%s%s", i ? "; " : ": ", world.violations[i]);
    }
    fprintf(stderr, "\n");
}

/* Uploads `bytes` of the image through `world`; checks it is stored, byte for byte, with its verdict. */
static void upload_and_check(cu_uplink *uplink, size_t bytes, uint32_t seed, double loss)
{
    int failures_before = cu_test_failures;
    uint32_t stored_before = world.images_stored;
    cu_result result;
    cu_upload(uplink, image, bytes, &result);
    CHECK_EQ(result.outcome, CU_STORED);
    CHECK(world.images_stored > stored_before);
    CHECK(world.stored && world.image_bytes == bytes && memcmp(world.assembled, image, bytes) == 0);
    CHECK(result.verdict_received);
    CHECK_EQ(result.packets, (bytes + PAYLOAD - 1) / PAYLOAD);
    CHECK_EQ(world.violation_count, 0);
    CHECK(world.largest_frame <= P);
    if (cu_test_failures > failures_before) report_world(seed, bytes, loss);
}

static void stores_every_image_byte_for_byte_through_a_lossy_link(void)
{
    static const double losses[] = {0.0, 0.2, 0.4};
    for (uint32_t run = 0; run < 90; run++) {
        uint32_t seed = 7919u * run + 1u;
        seed_state = seed;
        double loss = losses[run % 3];
        fake_link link = {loss, 0.05, 30, 0.0};
        fake_world_init(&world, link, seed, ID, 1000u + draw() % 100000u);
        cu_platform platform = fake_world_platform(&world);
        cu_config config = test_config();
        cu_uplink uplink;
        CHECK(cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
        /* Three images in a row on one uplink: stale replies and verdicts of the one before. */
        for (int nth = 0; nth < 3; nth++) {
            size_t bytes;
            switch (draw() % 5) {
            case 0:
                bytes = (size_t)(1 + draw() % 255) * PAYLOAD; /* an exact multiple of P-8 */
                break;
            case 1:
                bytes = CU_MAX_PACKETS * PAYLOAD - draw() % 2; /* 255 packets */
                break;
            case 2:
                bytes = 1 + draw() % 40;
                break;
            default:
                bytes = 1 + draw() % (CU_MAX_PACKETS * PAYLOAD);
            }
            make_image(bytes, seed + (uint32_t)nth);
            upload_and_check(&uplink, bytes, seed, loss);
        }
        fake_world_close(&world);
    }
}

static void never_lets_a_corrupted_image_be_stored(void)
{
    uint32_t mismatches = 0;
    for (uint32_t run = 0; run < 20; run++) {
        uint32_t seed = 104729u * run + 3u;
        fake_link link = {0.1, 0.05, 20, 0.05};
        fake_world_init(&world, link, seed, ID, 50000);
        cu_platform platform = fake_world_platform(&world);
        cu_config config = test_config();
        cu_uplink uplink;
        CHECK(cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
        size_t bytes = 8 * PAYLOAD + 100;
        make_image(bytes, seed);
        upload_and_check(&uplink, bytes, seed, 0.1);
        mismatches += world.checksum_mismatches;
        fake_world_close(&world);
    }
    /* The model assembled corrupted images, which their CRC caught: none was stored. */
    CHECK(mismatches > 0);
}

static void recovers_from_a_gateway_that_forgets_everything(void)
{
    uint32_t mismatches = 0;
    for (uint32_t run = 0; run < 30; run++) {
        uint32_t seed = 15485863u * run + 5u;
        seed_state = seed;
        fake_link link = {0.05, 0.0, 10, 0.0};
        fake_world_init(&world, link, seed, ID, 0);
        world.forget_after = 1 + draw() % 60;
        cu_platform platform = fake_world_platform(&world);
        cu_config config = test_config();
        cu_uplink uplink;
        CHECK(cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
        size_t bytes = 30 * PAYLOAD + 7;
        make_image(bytes, seed);
        upload_and_check(&uplink, bytes, seed, 0.05);
        mismatches += world.checksum_mismatches;
        fake_world_close(&world);
    }
    CHECK_EQ(mismatches, 0);
}

static void counts_checksum_mismatches_when_payloads_are_corrupted(void)
{
    fake_link link = {0.0, 0.0, 0, 0.15};
    fake_world_init(&world, link, 99, ID, 0);
    cu_platform platform = fake_world_platform(&world);
    cu_config config = test_config();
    cu_uplink uplink;
    CHECK(cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
    size_t bytes = 10 * PAYLOAD;
    make_image(bytes, 11);
    cu_result result;
    cu_upload(&uplink, image, bytes, &result);
    CHECK_EQ(result.outcome, CU_STORED);
    CHECK(world.checksum_mismatches > 0);
    CHECK_EQ(result.restarts, world.checksum_mismatches);
    CHECK(memcmp(world.assembled, image, bytes) == 0);
    fake_world_close(&world);
}

static void pings_the_gateway(void)
{
    fake_link link = {0.0, 0.0, 0, 0.0};
    fake_world_init(&world, link, 5, ID, 0);
    cu_platform platform = fake_world_platform(&world);
    cu_config config = test_config();
    cu_uplink uplink;
    CHECK(cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
    cu_ping_reply reply = {0, 0};
    CHECK_EQ(cu_ping(&uplink, 100, &reply), 1);
    CHECK_EQ(reply.version, 1);
    CHECK_EQ(reply.flags, CU_PING_ACCEPTING_UPLOADS | CU_PING_ANALYSIS_AVAILABLE);
    fake_world_close(&world);

    link.loss = 1.0;
    fake_world_init(&world, link, 5, ID, 0);
    platform = fake_world_platform(&world);
    CHECK(cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
    CHECK_EQ(cu_ping(&uplink, 100, &reply), 0);
    CHECK_EQ(world.now, 100);
    fake_world_close(&world);
}

static void refuses_settings_out_of_range(void)
{
    fake_world_init(&world, (fake_link){0.0, 0.0, 0, 0.0}, 1, ID, 0);
    cu_platform platform = fake_world_platform(&world);
    cu_uplink uplink;
    cu_config config = test_config();
    CHECK(!cu_uplink_init(&uplink, &platform, &config, packet_buffer, P - 1));
    config.packet_size = 8;
    CHECK(!cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
    config = test_config();
    config.min_reply_timeout_ms = config.reply_timeout_ms + 1;
    CHECK(!cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
    config = test_config();
    config.request_attempts = 0;
    CHECK(!cu_uplink_init(&uplink, &platform, &config, packet_buffer, sizeof packet_buffer));
    config = test_config();
    CHECK(!cu_uplink_init(&uplink, NULL, &config, packet_buffer, sizeof packet_buffer));
    fake_world_close(&world);
}

int main(void)
{
    RUN(stores_every_image_byte_for_byte_through_a_lossy_link);
    RUN(never_lets_a_corrupted_image_be_stored);
    RUN(recovers_from_a_gateway_that_forgets_everything);
    RUN(counts_checksum_mismatches_when_payloads_are_corrupted);
    RUN(pings_the_gateway);
    RUN(refuses_settings_out_of_range);
    return cu_test_report("uplink", 6);
}
