/*
 * A `cu_platform` that is a whole small world: a simulated clock, a lossy link both ways (loss,
 * duplicates, random delays that reorder), and a model of the gateway's generation-C side
 * (docs/protocol.md) behind it. `cu_upload` runs against it in simulated time, so a test can
 * run hundreds of lossy uploads in a second and check what the model stored. The real gateway
 * is tested against the real library in test/generation-c.e2e-spec.ts; this model only has to
 * follow the spec, and it checks every frame the library sends against it.
 */
#ifndef FAKE_GATEWAY_H
#define FAKE_GATEWAY_H

#include "cable_uplink.h"

#define FAKE_MAX_IN_FLIGHT 2048
#define FAKE_MAX_DATAGRAM 1500
#define FAKE_MAX_VIOLATIONS 8

typedef struct fake_datagram {
    uint32_t deliver_at;
    bool to_device;
    uint16_t length;
    uint8_t bytes[FAKE_MAX_DATAGRAM];
} fake_datagram;

typedef struct fake_link {
    /** Each way: probability a datagram is lost, and that one that gets through arrives twice. */
    double loss;
    double duplication;
    /** Every copy is delayed 1 ms plus a uniform draw below this. */
    uint32_t jitter_ms;
    /** Probability that a data packet's payload has one byte changed on the way. */
    double corruption;
} fake_link;

typedef struct fake_world {
    uint32_t now;
    uint32_t random;
    fake_link link;
    fake_datagram *in_flight[FAKE_MAX_IN_FLIGHT];
    size_t in_flight_count;

    /* The gateway model. */
    uint8_t device_id;
    bool has_transfer;
    bool stored;
    uint8_t packets;
    uint32_t packet_size;
    uint32_t image_bytes;
    bool received[CU_MAX_PACKETS];
    uint8_t assembled[CU_MAX_PACKETS * 1452];
    uint32_t stored_crc;
    /** The model forgets its transfer (a restart without spool) when this many datagrams came. */
    uint32_t forget_after;
    uint32_t datagrams_in;
    /** Pending op-4 push: next time it goes, pushes left. */
    bool verdict_pending;
    uint32_t verdict_at;
    uint32_t verdict_pushes;

    /* What happened. N, P and S of the last request the device sent. */
    uint8_t sent_packets;
    uint32_t sent_packet_size;
    uint32_t sent_image_bytes;
    uint32_t images_stored;
    uint32_t checksum_mismatches;
    uint32_t confirmations;
    uint32_t largest_frame;
    char violations[FAKE_MAX_VIOLATIONS][120];
    uint32_t violation_count;
} fake_world;

/** A world at time `start_ms` with the given link, seed and device id. */
void fake_world_init(fake_world *world, fake_link link, uint32_t seed, uint8_t device_id, uint32_t start_ms);

/** The platform to drive the library with. */
cu_platform fake_world_platform(fake_world *world);

/** Frees the datagrams still in flight. */
void fake_world_close(fake_world *world);

#endif /* FAKE_GATEWAY_H */
