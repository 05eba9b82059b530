/*
 * The frames of generation C, byte for byte (docs/protocol.md). Encoders write into the caller's
 * buffer and return the length written; the decoder checks every length before it reads a field
 * and never reads past `length`. Internal to the library; the unit tests use it directly.
 */
#ifndef CU_FRAMES_H
#define CU_FRAMES_H

#include "cable_uplink.h"

/* Byte 0. */
#define CU_CLIENT_SPECIAL 0u
#define CU_CLIENT_CAMERA 1u

/* Byte 2 of a camera frame. */
#define CU_OP_CONFIRM 0u
#define CU_OP_UPLOAD_REQUEST 1u
#define CU_OP_DATA 2u
#define CU_OP_END_OF_TRANSFER 3u
#define CU_OP_ANALYSIS_RESULT 4u
/* Byte 2 of a special frame. */
#define CU_OP_PING 0u

/* Lengths of the frames a device sends. */
#define CU_REQUEST_BYTES 12u
#define CU_END_OF_TRANSFER_BYTES 8u
#define CU_CONFIRM_BYTES 4u
#define CU_PING_BYTES 3u

/* Reply status codes the library acts on (the gateway's reason codes). */
#define CU_STATUS_OK 0u
#define CU_STATUS_BUSY 1u
#define CU_STATUS_STORAGE_FAILURE 7u
/* The highest reason code published so far. */
#define CU_STATUS_MAX_KNOWN 7u

/** Most indices a missing list can carry (the 4-byte form, without a checksum). */
#define CU_MAX_MISSING_PLAIN 28u

/** `[1, id, 1, N, P(4), S(4)]` into `out` (12 bytes). */
size_t cu_encode_request(uint8_t *out, uint8_t device_id, uint8_t packets, uint32_t packet_size,
                         uint32_t image_bytes);

/** `[1, id, 2, i, L(4)]` into `out` (8 bytes); the payload follows it. */
size_t cu_encode_data_header(uint8_t *out, uint8_t device_id, uint8_t index, uint32_t length);

/** `[1, id, 3, N, CRC(4)]` into `out` (8 bytes). */
size_t cu_encode_end_of_transfer(uint8_t *out, uint8_t device_id, uint8_t packets, uint32_t crc);

/** `[1, id, 0, op]` into `out` (4 bytes). */
size_t cu_encode_confirm(uint8_t *out, uint8_t device_id, uint8_t confirmed_op);

/** `[0, id, 0]` into `out` (3 bytes). */
size_t cu_encode_ping(uint8_t *out, uint8_t device_id);

typedef enum cu_reply_kind {
    CU_REPLY_PING,
    CU_REPLY_UPLOAD,
    CU_REPLY_DATA,
    CU_REPLY_MISSING,
    CU_REPLY_ANALYSIS
} cu_reply_kind;

/** A decoded server frame. */
typedef struct cu_reply {
    cu_reply_kind kind;
    uint8_t device_id;
    union {
        cu_ping_reply ping;
        struct {
            uint8_t status;
            uint8_t packets;
            uint32_t packet_size;
        } upload;
        struct {
            uint8_t index;
            uint8_t status;
            uint32_t length;
        } data;
        struct {
            uint8_t count;
            uint8_t indices[CU_MAX_MISSING_PLAIN];
            /** The checksum form: the CRC echoed after the indices. */
            bool has_checksum;
            /** k = 255: start again (only with a checksum; `count` is then 0). */
            bool restart;
            uint32_t checksum;
        } missing;
        cu_verdict analysis;
    } as;
} cu_reply;

/** Why a datagram is not a server frame. */
typedef enum cu_decode_status {
    CU_DECODED = 0,
    CU_TOO_SHORT,
    CU_TOO_LONG,
    CU_UNKNOWN_CLIENT_TYPE,
    CU_UNKNOWN_OP,
    CU_FIELD_OUT_OF_RANGE
} cu_decode_status;

/**
 * Decodes a datagram from the gateway, with the rules of libs/protocol's `decodeServerFrame`:
 * at most 32 bytes; a ping reply of 5 or more; upload and data replies of exactly 9 with a known
 * status; a missing list of exactly 4 + k (k ≤ 28) or, with the checksum, 8 + k (k ≤ 24), or the
 * 8-byte restart (k = 255); an analysis result of 8 to 32 bytes with known status and verdict,
 * class 255 unless analysed, confidence ≤ 10000, a printable ASCII label.
 */
cu_decode_status cu_decode_reply(const uint8_t *datagram, size_t length, cu_reply *reply);

/** Big-endian helpers. */
void cu_put_u32(uint8_t *out, uint32_t value);
uint32_t cu_get_u32(const uint8_t *in);

#endif /* CU_FRAMES_H */
