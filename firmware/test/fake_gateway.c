#include "fake_gateway.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_frames.h"

/* The model pushes a verdict this long after storing, then again at this interval until confirmed. */
#define VERDICT_DELAY_MS 5u
#define VERDICT_INTERVAL_MS 100u
#define VERDICT_MAX_PUSHES 200u

static uint32_t next_random(fake_world *world)
{
    uint32_t x = world->random;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return world->random = x;
}

static double uniform(fake_world *world)
{
    return (double)next_random(world) / 4294967296.0;
}

static void violation(fake_world *world, const char *format, ...)
{
    if (world->violation_count < FAKE_MAX_VIOLATIONS) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(world->violations[world->violation_count], sizeof world->violations[0], format, arguments);
        va_end(arguments);
    }
    world->violation_count++;
}

/* Puts `bytes` on the link towards the device or the gateway: lost, once, or twice, each delayed. */
static void carry(fake_world *world, bool to_device, const uint8_t *bytes, size_t length)
{
    if (uniform(world) < world->link.loss) return;
    int copies = uniform(world) < world->link.duplication ? 2 : 1;
    for (int copy = 0; copy < copies && world->in_flight_count < FAKE_MAX_IN_FLIGHT; copy++) {
        fake_datagram *datagram = malloc(sizeof *datagram);
        if (datagram == NULL) return;
        uint32_t jitter = world->link.jitter_ms > 0 ? next_random(world) % world->link.jitter_ms : 0;
        datagram->deliver_at = world->now + 1 + jitter;
        datagram->to_device = to_device;
        datagram->length = (uint16_t)length;
        memcpy(datagram->bytes, bytes, length);
        world->in_flight[world->in_flight_count++] = datagram;
    }
}

static void reply(fake_world *world, const uint8_t *bytes, size_t length)
{
    carry(world, true, bytes, length);
}

static void reply_report(fake_world *world, uint8_t count, const uint8_t *indices, uint32_t crc)
{
    uint8_t frame[CU_MAX_REPLY_BYTES] = {CU_CLIENT_CAMERA, world->device_id, CU_OP_END_OF_TRANSFER, count};
    size_t listed = count == CU_RESTART_TRANSFER_COUNT ? 0 : count;
    if (listed > 0) memcpy(frame + 4, indices, listed);
    cu_put_u32(frame + 4 + listed, crc);
    reply(world, frame, 8 + listed);
}

static uint32_t payload_of(const fake_world *world)
{
    return world->packet_size - CU_DATA_HEADER_BYTES;
}

static void on_request(fake_world *world, const uint8_t *frame, size_t length)
{
    if (length != CU_REQUEST_BYTES) {
        violation(world, "a request of %u bytes, generation C sends 12", (unsigned)length);
        return;
    }
    uint8_t packets = frame[3];
    uint32_t packet_size = cu_get_u32(frame + 4);
    uint32_t image_bytes = cu_get_u32(frame + 8);
    uint32_t payload = packet_size - CU_DATA_HEADER_BYTES;
    if (packets == 0 || packet_size <= CU_DATA_HEADER_BYTES || packet_size > FAKE_MAX_DATAGRAM ||
        (uint32_t)(packets - 1) * payload >= image_bytes || image_bytes > (uint32_t)packets * payload ||
        image_bytes > sizeof world->assembled) {
        violation(world, "a request with N %u, P %u, S %u", packets, (unsigned)packet_size, (unsigned)image_bytes);
        return;
    }
    bool same = world->has_transfer && !world->stored && world->packets == packets &&
                world->packet_size == packet_size && world->image_bytes == image_bytes;
    if (!same) {
        world->has_transfer = true;
        world->stored = false;
        world->packets = packets;
        world->packet_size = packet_size;
        world->image_bytes = image_bytes;
        memset(world->received, 0, sizeof world->received);
    }
    uint8_t accept[9] = {CU_CLIENT_CAMERA, world->device_id, CU_OP_UPLOAD_REQUEST, 0, packets};
    cu_put_u32(accept + 5, packet_size);
    reply(world, accept, sizeof accept);
}

static void on_data(fake_world *world, const uint8_t *frame, size_t length)
{
    if (!world->has_transfer || world->stored) return;
    uint8_t index = frame[3];
    uint32_t declared = cu_get_u32(frame + 4);
    uint32_t payload = payload_of(world);
    uint32_t expected = index + 1u < world->packets ? payload : world->image_bytes - (uint32_t)index * payload;
    /* A late copy of a packet of the image before: the network's doing, not the device's. */
    if (index >= world->packets) return;
    /* A late copy of another image's packet (the gateway would NACK it): fake_send checks the device. */
    if (declared != length - CU_DATA_HEADER_BYTES || declared != expected) return;
    /* As the gateway does: the first copy of a packet is kept. */
    if (world->received[index]) return;
    memcpy(world->assembled + (size_t)index * payload, frame + CU_DATA_HEADER_BYTES, declared);
    world->received[index] = true;
}

static void on_end_of_transfer(fake_world *world, const uint8_t *frame, size_t length)
{
    if (length != CU_END_OF_TRANSFER_BYTES) {
        violation(world, "an end of transfer of %u bytes, generation C sends 8", (unsigned)length);
        return;
    }
    uint32_t crc = cu_get_u32(frame + 4);
    if (!world->has_transfer) {
        reply_report(world, CU_RESTART_TRANSFER_COUNT, NULL, crc);
        return;
    }
    /* A late copy of the end of transfer of the image before (the network's doing): not this one's. */
    if (frame[3] != world->packets) {
        reply_report(world, CU_RESTART_TRANSFER_COUNT, NULL, crc);
        return;
    }
    if (world->stored) {
        reply_report(world, world->stored_crc == crc ? 0 : CU_RESTART_TRANSFER_COUNT, NULL, crc);
        return;
    }
    uint8_t missing[CU_MAX_MISSING_WITH_CHECKSUM];
    uint8_t count = 0;
    for (unsigned index = 0; index < world->packets && count < CU_MAX_MISSING_WITH_CHECKSUM; index++) {
        if (!world->received[index]) missing[count++] = (uint8_t)index;
    }
    if (count > 0) {
        reply_report(world, count, missing, crc);
        return;
    }
    if (cu_crc32_update(0, world->assembled, world->image_bytes) != crc) {
        world->checksum_mismatches++;
        world->has_transfer = false;
        reply_report(world, CU_RESTART_TRANSFER_COUNT, NULL, crc);
        return;
    }
    world->stored = true;
    world->stored_crc = crc;
    world->images_stored++;
    world->verdict_pending = true;
    world->verdict_at = world->now + VERDICT_DELAY_MS;
    world->verdict_pushes = 0;
    reply_report(world, 0, NULL, crc);
}

static void on_datagram(fake_world *world, const uint8_t *frame, size_t length)
{
    world->datagrams_in++;
    if (world->forget_after > 0 && world->datagrams_in == world->forget_after) {
        /* A restart without spool: every transfer and completed record is gone. */
        world->has_transfer = false;
        world->stored = false;
        world->verdict_pending = false;
    }
    if (length < 3 || frame[1] != world->device_id) {
        violation(world, "a datagram of %u bytes for device %u", (unsigned)length, length > 1 ? frame[1] : 0);
        return;
    }
    if (frame[0] == CU_CLIENT_SPECIAL && frame[2] == CU_OP_PING) {
        const uint8_t pong[5] = {CU_CLIENT_SPECIAL, world->device_id, CU_OP_PING, 1, 3};
        reply(world, pong, sizeof pong);
        return;
    }
    switch (frame[2]) {
    case CU_OP_CONFIRM:
        if (length != CU_CONFIRM_BYTES || frame[3] != CU_OP_ANALYSIS_RESULT) violation(world, "a bad confirmation");
        world->confirmations++;
        world->verdict_pending = false;
        break;
    case CU_OP_UPLOAD_REQUEST:
        on_request(world, frame, length);
        break;
    case CU_OP_DATA:
        on_data(world, frame, length);
        break;
    case CU_OP_END_OF_TRANSFER:
        on_end_of_transfer(world, frame, length);
        break;
    default:
        violation(world, "op %u", frame[2]);
    }
}

static void push_verdict(fake_world *world)
{
    static const uint8_t verdict[] = {CU_CLIENT_CAMERA, 0, CU_OP_ANALYSIS_RESULT, 0, 0, 0, 0x27, 0x10, 'g', 'o', 'o', 'd'};
    uint8_t frame[sizeof verdict];
    memcpy(frame, verdict, sizeof verdict);
    frame[1] = world->device_id;
    reply(world, frame, sizeof frame);
    world->verdict_pushes++;
    world->verdict_at = world->now + VERDICT_INTERVAL_MS;
    if (world->verdict_pushes >= VERDICT_MAX_PUSHES) world->verdict_pending = false;
}

/* The earliest datagram in flight, or -1. */
static long earliest(const fake_world *world)
{
    long best = -1;
    for (size_t i = 0; i < world->in_flight_count; i++) {
        if (best < 0 || (int32_t)(world->in_flight[i]->deliver_at - world->in_flight[(size_t)best]->deliver_at) < 0) {
            best = (long)i;
        }
    }
    return best;
}

static fake_datagram *take(fake_world *world, size_t position)
{
    fake_datagram *datagram = world->in_flight[position];
    world->in_flight[position] = world->in_flight[--world->in_flight_count];
    return datagram;
}

/* What the device sends must follow its own last request: every index below N, every L right. */
static void check_sent(fake_world *world, const uint8_t *datagram, size_t length)
{
    if (length == CU_REQUEST_BYTES && datagram[2] == CU_OP_UPLOAD_REQUEST) {
        world->sent_packets = datagram[3];
        world->sent_packet_size = cu_get_u32(datagram + 4);
        world->sent_image_bytes = cu_get_u32(datagram + 8);
        return;
    }
    if (length < CU_DATA_HEADER_BYTES || datagram[2] != CU_OP_DATA) return;
    uint8_t index = datagram[3];
    uint32_t payload = world->sent_packet_size - CU_DATA_HEADER_BYTES;
    if (index >= world->sent_packets) {
        violation(world, "sent packet %u of an image of %u packets", index, world->sent_packets);
        return;
    }
    uint32_t expected = index + 1u < world->sent_packets ? payload : world->sent_image_bytes - (uint32_t)index * payload;
    uint32_t declared = cu_get_u32(datagram + 4);
    if (declared != length - CU_DATA_HEADER_BYTES || declared != expected) {
        violation(world, "sent packet %u with L %u, %u bytes, expected %u", index, (unsigned)declared,
                  (unsigned)(length - CU_DATA_HEADER_BYTES), (unsigned)expected);
    }
}

static int fake_send(void *context, const uint8_t *datagram, size_t length)
{
    fake_world *world = context;
    if (length > world->largest_frame) world->largest_frame = (uint32_t)length;
    if (length > FAKE_MAX_DATAGRAM) {
        violation(world, "a datagram of %u bytes", (unsigned)length);
        return 0;
    }
    check_sent(world, datagram, length);
    uint8_t copy[FAKE_MAX_DATAGRAM];
    memcpy(copy, datagram, length);
    if (length > CU_DATA_HEADER_BYTES && copy[2] == CU_OP_DATA && uniform(world) < world->link.corruption) {
        copy[CU_DATA_HEADER_BYTES + next_random(world) % (length - CU_DATA_HEADER_BYTES)] ^= 0x5a;
    }
    carry(world, false, copy, length);
    return 0;
}

static int fake_receive(void *context, uint8_t *buffer, size_t capacity, uint32_t timeout_ms)
{
    fake_world *world = context;
    uint32_t until = world->now + timeout_ms;
    for (;;) {
        long next = earliest(world);
        bool verdict_due = world->verdict_pending && (int32_t)(world->verdict_at - until) <= 0 &&
                           (next < 0 || (int32_t)(world->verdict_at - world->in_flight[next]->deliver_at) < 0);
        if (verdict_due) {
            if ((int32_t)(world->verdict_at - world->now) > 0) world->now = world->verdict_at;
            push_verdict(world);
            continue;
        }
        if (next < 0 || (int32_t)(world->in_flight[next]->deliver_at - until) > 0) {
            world->now = until;
            return 0;
        }
        fake_datagram *datagram = take(world, (size_t)next);
        if ((int32_t)(datagram->deliver_at - world->now) > 0) world->now = datagram->deliver_at;
        if (!datagram->to_device) {
            on_datagram(world, datagram->bytes, datagram->length);
            free(datagram);
            continue;
        }
        size_t copied = datagram->length < capacity ? datagram->length : capacity;
        memcpy(buffer, datagram->bytes, copied);
        free(datagram);
        return (int)copied;
    }
}

static uint32_t fake_now(void *context)
{
    return ((fake_world *)context)->now;
}

void fake_world_init(fake_world *world, fake_link link, uint32_t seed, uint8_t device_id, uint32_t start_ms)
{
    memset(world, 0, sizeof *world);
    world->link = link;
    world->random = seed != 0 ? seed : 1;
    world->device_id = device_id;
    world->now = start_ms;
}

cu_platform fake_world_platform(fake_world *world)
{
    cu_platform platform = {world, fake_send, fake_receive, fake_now};
    return platform;
}

void fake_world_close(fake_world *world)
{
    while (world->in_flight_count > 0) free(take(world, 0));
}
