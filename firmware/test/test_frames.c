/*
 * The frames byte for byte: what the library sends, and how it reads every reply, with the same
 * literal datagrams as libs/protocol's decode and encode tests.
 */
#include "cu_frames.h"
#include "cu_test.h"

static void encodes_the_request_with_the_image_size(void)
{
    uint8_t frame[CU_REQUEST_BYTES];
    CHECK_EQ(cu_encode_request(frame, 99, 101, 1460, 146004), 12);
    CHECK_BYTES(frame, 12, 1, 99, 1, 101, 0, 0, 5, 180, 0, 0x02, 0x3a, 0x54);
    CHECK_EQ(cu_encode_request(frame, 7, 255, 1460, 370260), 12);
    CHECK_BYTES(frame, 12, 1, 7, 1, 255, 0, 0, 5, 180, 0, 0x05, 0xa6, 0x54);
}

static void encodes_a_data_header(void)
{
    uint8_t frame[CU_DATA_HEADER_BYTES];
    CHECK_EQ(cu_encode_data_header(frame, 99, 7, 1452), 8);
    CHECK_BYTES(frame, 8, 1, 99, 2, 7, 0, 0, 5, 172);
}

static void encodes_the_end_of_transfer_with_its_crc_big_endian(void)
{
    uint8_t frame[CU_END_OF_TRANSFER_BYTES];
    CHECK_EQ(cu_encode_end_of_transfer(frame, 99, 42, 0xCBF43926u), 8);
    CHECK_BYTES(frame, 8, 1, 99, 3, 42, 0xcb, 0xf4, 0x39, 0x26);
}

static void encodes_the_confirmation_and_the_ping(void)
{
    uint8_t frame[CU_CONFIRM_BYTES];
    CHECK_EQ(cu_encode_confirm(frame, 99, 4), 4);
    CHECK_BYTES(frame, 4, 1, 99, 0, 4);
    CHECK_EQ(cu_encode_ping(frame, 42), 3);
    CHECK_BYTES(frame, 3, 0, 42, 0);
}

static cu_decode_status decode(const uint8_t *datagram, size_t length, cu_reply *reply)
{
    memset(reply, 0xAB, sizeof *reply);
    return cu_decode_reply(datagram, length, reply);
}

static void decodes_an_upload_reply(void)
{
    const uint8_t accept[] = {1, 99, 1, 0, 255, 0, 0, 5, 180};
    cu_reply reply;
    CHECK_EQ(decode(accept, sizeof accept, &reply), CU_DECODED);
    CHECK_EQ(reply.kind, CU_REPLY_UPLOAD);
    CHECK_EQ(reply.device_id, 99);
    CHECK_EQ(reply.as.upload.status, 0);
    CHECK_EQ(reply.as.upload.packets, 255);
    CHECK_EQ(reply.as.upload.packet_size, 1460);
    const uint8_t busy[] = {1, 7, 1, 1, 3, 0, 0, 4, 0};
    CHECK_EQ(decode(busy, sizeof busy, &reply), CU_DECODED);
    CHECK_EQ(reply.as.upload.status, 1);
    CHECK_EQ(reply.as.upload.packet_size, 1024);
}

static void decodes_a_stray_data_ack(void)
{
    const uint8_t ack[] = {1, 99, 2, 3, 0, 0, 0, 5, 172};
    cu_reply reply;
    CHECK_EQ(decode(ack, sizeof ack, &reply), CU_DECODED);
    CHECK_EQ(reply.kind, CU_REPLY_DATA);
    CHECK_EQ(reply.as.data.index, 3);
    CHECK_EQ(reply.as.data.length, 1452);
}

static void decodes_the_checksum_forms_of_the_missing_list(void)
{
    cu_reply reply;
    const uint8_t stored[] = {1, 99, 3, 0, 0xcb, 0xf4, 0x39, 0x26};
    CHECK_EQ(decode(stored, sizeof stored, &reply), CU_DECODED);
    CHECK_EQ(reply.kind, CU_REPLY_MISSING);
    CHECK_EQ(reply.as.missing.count, 0);
    CHECK(reply.as.missing.has_checksum);
    CHECK(!reply.as.missing.restart);
    CHECK_EQ(reply.as.missing.checksum, 0xCBF43926u);

    const uint8_t two[] = {1, 99, 3, 2, 7, 254, 0x01, 0x02, 0x03, 0x04};
    CHECK_EQ(decode(two, sizeof two, &reply), CU_DECODED);
    CHECK_EQ(reply.as.missing.count, 2);
    CHECK_BYTES(reply.as.missing.indices, 2, 7, 254);
    CHECK(reply.as.missing.has_checksum);
    CHECK_EQ(reply.as.missing.checksum, 0x01020304u);

    uint8_t full[32] = {1, 99, 3, 24};
    for (unsigned i = 0; i < 24; i++) full[4 + i] = (uint8_t)(i * 10);
    full[28] = full[29] = full[30] = full[31] = 0xff;
    CHECK_EQ(decode(full, sizeof full, &reply), CU_DECODED);
    CHECK_EQ(reply.as.missing.count, 24);
    CHECK_EQ(reply.as.missing.indices[23], 230);
    CHECK_EQ(reply.as.missing.checksum, 0xFFFFFFFFu);

    const uint8_t restart[] = {1, 99, 3, 255, 0xcb, 0xf4, 0x39, 0x26};
    CHECK_EQ(decode(restart, sizeof restart, &reply), CU_DECODED);
    CHECK(reply.as.missing.restart);
    CHECK(reply.as.missing.has_checksum);
    CHECK_EQ(reply.as.missing.count, 0);
    CHECK_EQ(reply.as.missing.checksum, 0xCBF43926u);
}

static void decodes_generation_b_lists_as_without_checksum(void)
{
    cu_reply reply;
    const uint8_t three[] = {1, 99, 3, 3, 4, 9, 200};
    CHECK_EQ(decode(three, sizeof three, &reply), CU_DECODED);
    CHECK_EQ(reply.as.missing.count, 3);
    CHECK(!reply.as.missing.has_checksum);
    uint8_t full[32] = {1, 99, 3, 28};
    CHECK_EQ(decode(full, sizeof full, &reply), CU_DECODED);
    CHECK_EQ(reply.as.missing.count, 28);
    CHECK(!reply.as.missing.has_checksum);
}

static void decodes_a_verdict(void)
{
    const uint8_t analysed[] = {1, 99, 4, 0, 1, 2, 0x1d, 0x4c, 'f', 'r', 'a', 'y', 'e', 'd'};
    cu_reply reply;
    CHECK_EQ(decode(analysed, sizeof analysed, &reply), CU_DECODED);
    CHECK_EQ(reply.kind, CU_REPLY_ANALYSIS);
    CHECK_EQ(reply.as.analysis.status, CU_ANALYSED);
    CHECK_EQ(reply.as.analysis.verdict, CU_DEFECT);
    CHECK_EQ(reply.as.analysis.class_index, 2);
    CHECK_EQ(reply.as.analysis.confidence, 7500);
    CHECK(strcmp(reply.as.analysis.label, "frayed") == 0);

    const uint8_t unavailable[] = {1, 99, 4, 2, 2, 255, 0, 0};
    CHECK_EQ(decode(unavailable, sizeof unavailable, &reply), CU_DECODED);
    CHECK_EQ(reply.as.analysis.status, CU_ANALYSIS_UNAVAILABLE);
    CHECK(strcmp(reply.as.analysis.label, "") == 0);

    uint8_t longest[32] = {1, 99, 4, 0, 0, 1, 0x27, 0x10};
    memset(longest + 8, 'x', 24);
    CHECK_EQ(decode(longest, sizeof longest, &reply), CU_DECODED);
    CHECK_EQ(strlen(reply.as.analysis.label), 24);
}

static void decodes_a_ping_reply_ignoring_later_bytes(void)
{
    const uint8_t newer[] = {0, 42, 0, 1, 3, 9, 9};
    cu_reply reply;
    CHECK_EQ(decode(newer, sizeof newer, &reply), CU_DECODED);
    CHECK_EQ(reply.kind, CU_REPLY_PING);
    CHECK_EQ(reply.as.ping.version, 1);
    CHECK_EQ(reply.as.ping.flags, 3);
}

typedef struct rejected_case {
    const char *name;
    uint8_t bytes[40];
    size_t length;
    cu_decode_status status;
} rejected_case;

static void rejects_what_is_not_a_reply(void)
{
    static const rejected_case cases[] = {
        {"a 2-byte datagram", {1, 99}, 2, CU_TOO_SHORT},
        {"any reply longer than 32 bytes", {1, 99, 4, 0, 0, 1, 0, 0, 'A'}, 33, CU_TOO_LONG},
        {"client type 7", {7, 99, 0, 1, 0}, 5, CU_UNKNOWN_CLIENT_TYPE},
        {"a special op other than ping", {0, 99, 1, 1, 0}, 5, CU_UNKNOWN_OP},
        {"op 0, which only devices send", {1, 99, 0, 4}, 4, CU_UNKNOWN_OP},
        {"an undefined op", {1, 99, 5, 0}, 4, CU_UNKNOWN_OP},
        {"a 4-byte ping reply", {0, 99, 0, 1}, 4, CU_TOO_SHORT},
        {"an 8-byte upload reply", {1, 99, 1, 0, 255, 0, 0, 5}, 8, CU_TOO_SHORT},
        {"a 10-byte upload reply", {1, 99, 1, 0, 255, 0, 0, 5, 180, 0}, 10, CU_TOO_LONG},
        {"an upload reply with an undefined status", {1, 99, 1, 200, 255, 0, 0, 5, 180}, 9, CU_FIELD_OUT_OF_RANGE},
        {"a data reply with an undefined status", {1, 99, 2, 3, 99, 0, 0, 5, 172}, 9, CU_FIELD_OUT_OF_RANGE},
        {"a missing list without its count", {1, 99, 3}, 3, CU_TOO_SHORT},
        {"a missing list with fewer indices than k", {1, 99, 3, 2, 5}, 5, CU_TOO_SHORT},
        {"a missing list with more indices than k", {1, 99, 3, 1, 5, 6}, 6, CU_TOO_LONG},
        {"a missing list announcing 29 indices", {1, 99, 3, 29}, 4, CU_FIELD_OUT_OF_RANGE},
        {"a checksum reply whose CRC is cut short", {1, 99, 3, 1, 5, 0xcb, 0xf4, 0x39}, 8, CU_TOO_LONG},
        {"a checksum reply of 25 indices (33 bytes)", {1, 99, 3, 25}, 33, CU_TOO_LONG},
        {"a restart without its CRC", {1, 99, 3, 255}, 4, CU_TOO_SHORT},
        {"a restart listing an index", {1, 99, 3, 255, 9, 0, 0, 0, 0}, 9, CU_TOO_LONG},
        {"a 7-byte verdict", {1, 99, 4, 0, 0, 1, 0}, 7, CU_TOO_SHORT},
        {"a verdict with status 3", {1, 99, 4, 3, 0, 255, 0, 0}, 8, CU_FIELD_OUT_OF_RANGE},
        {"a verdict with verdict 3", {1, 99, 4, 0, 3, 1, 0, 0}, 8, CU_FIELD_OUT_OF_RANGE},
        {"a class other than 255 without analysis", {1, 99, 4, 1, 2, 0, 0, 0}, 8, CU_FIELD_OUT_OF_RANGE},
        {"a confidence of 10001", {1, 99, 4, 0, 0, 1, 0x27, 0x11}, 8, CU_FIELD_OUT_OF_RANGE},
        {"a label with a control character", {1, 99, 4, 0, 0, 1, 0x27, 0x10, 0x41, 0x00}, 10, CU_FIELD_OUT_OF_RANGE},
        {"a label with DEL", {1, 99, 4, 0, 0, 1, 0x27, 0x10, 0x7f}, 9, CU_FIELD_OUT_OF_RANGE},
        {"a label with a non-ASCII byte", {1, 99, 4, 0, 0, 1, 0x27, 0x10, 0xe9}, 9, CU_FIELD_OUT_OF_RANGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cu_reply reply;
        cu_test_current = cases[i].name;
        CHECK_EQ(decode(cases[i].bytes, cases[i].length, &reply), cases[i].status);
    }
}

/* A small deterministic generator (xorshift32): the seed is printed so a failure can be replayed. */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static void never_reads_past_the_datagram_whatever_it_holds(void)
{
    uint32_t seed = 20261127u;
    uint32_t state = seed;
    for (int run = 0; run < 200000; run++) {
        size_t length = next_random(&state) % 40;
        /* Exactly `length` bytes on the heap: AddressSanitizer flags any read past them. */
        uint8_t *datagram = malloc(length > 0 ? length : 1);
        for (size_t i = 0; i < length; i++) datagram[i] = (uint8_t)next_random(&state);
        if (length > 0) datagram[0] = (uint8_t)(datagram[0] % 3);
        if (length > 2) datagram[2] = (uint8_t)(datagram[2] % 6);
        if (length > 3 && (next_random(&state) & 1u)) datagram[3] = (uint8_t)(datagram[3] % 30);
        cu_reply reply;
        cu_decode_status status = cu_decode_reply(datagram, length, &reply);
        CHECK(status <= CU_FIELD_OUT_OF_RANGE);
        if (status == CU_DECODED && reply.kind == CU_REPLY_ANALYSIS) CHECK(strlen(reply.as.analysis.label) <= 24);
        free(datagram);
    }
    if (cu_test_failures > 0) fprintf(stderr, "seed %u\n", (unsigned)seed);
}

int main(void)
{
    RUN(encodes_the_request_with_the_image_size);
    RUN(encodes_a_data_header);
    RUN(encodes_the_end_of_transfer_with_its_crc_big_endian);
    RUN(encodes_the_confirmation_and_the_ping);
    RUN(decodes_an_upload_reply);
    RUN(decodes_a_stray_data_ack);
    RUN(decodes_the_checksum_forms_of_the_missing_list);
    RUN(decodes_generation_b_lists_as_without_checksum);
    RUN(decodes_a_verdict);
    RUN(decodes_a_ping_reply_ignoring_later_bytes);
    RUN(rejects_what_is_not_a_reply);
    RUN(never_reads_past_the_datagram_whatever_it_holds);
    return cu_test_report("frames", 12);
}
