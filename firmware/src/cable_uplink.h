/*
 * cable_uplink: the camera side of the cable-inspector UDP protocol, generation C.
 *
 * One call uploads one image to the gateway and returns what became of it: the upload request
 * with the image size, every packet in a burst, an end of transfer carrying the image's CRC-32,
 * the missing packets resent until the gateway answers that it stored the image and verified the
 * CRC, then the op-4 verdict, confirmed. C99, no heap: every buffer comes from the caller. The
 * network sits behind `cu_platform` (three functions); `cu_socket.h` provides it over BSD
 * sockets, POSIX on a host and lwIP under ESP-IDF. docs/protocol.md is the wire protocol.
 */
#ifndef CABLE_UPLINK_H
#define CABLE_UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CU_VERSION "1.0.0"

/* Facts of the wire format (libs/protocol/src/limits.ts holds the same). */

/** A data packet's header: type, id, op, index, 4-byte length. P includes it. */
#define CU_DATA_HEADER_BYTES 8u
/** The packet count travels in one byte. */
#define CU_MAX_PACKETS 255u
/** No server frame is longer. */
#define CU_MAX_REPLY_BYTES 32u
/** Indices a reply to a checksum-bearing end of transfer lists at most (4 + 24 + 4 = 32). */
#define CU_MAX_MISSING_WITH_CHECKSUM 24u
/** k of that reply meaning "start again": request and whole burst. */
#define CU_RESTART_TRANSFER_COUNT 255u
/** Longest label of an op-4 verdict. */
#define CU_MAX_LABEL_BYTES 24u
/** Largest packet size P the library accepts (a UDP datagram over IPv4). */
#define CU_MAX_PACKET_SIZE 65507u
/** The gateway's port unless configured otherwise. */
#define CU_DEFAULT_PORT 44444u

/**
 * How the library reaches the network. `cu_socket.h` fills one in; a test can script its own.
 *
 * - `send` sends one datagram to the gateway: 0 when it left (or was lost to a transient
 *   condition: no buffer, no route, port unreachable, all of which the protocol's retries
 *   cover), negative for an error no retry can mend.
 * - `receive` waits up to `timeout_ms` (0: do not wait) for one datagram from the gateway and
 *   copies at most `capacity` bytes of it: its length (truncated to `capacity`), 0 when none
 *   came, negative for an error no retry can mend.
 * - `now_ms` is a monotonic clock in milliseconds; it may wrap around.
 */
typedef struct cu_platform {
    void *context;
    int (*send)(void *context, const uint8_t *datagram, size_t length);
    int (*receive)(void *context, uint8_t *buffer, size_t capacity, uint32_t timeout_ms);
    uint32_t (*now_ms)(void *context);
} cu_platform;

/** Every setting of an upload; `cu_config_defaults` gives the values documented here. */
typedef struct cu_config {
    /** Byte 1 of every frame; unique among the cameras behind one address (default 99). */
    uint8_t device_id;
    /** P, the 8-byte data header included: 9..65507; 1460 fits any Ethernet or WiFi frame. */
    uint16_t packet_size;
    /**
     * Longest wait for a reply before the request or end of transfer is sent again (1000 ms).
     * The wait adapts to the round trips measured, between this and `min_reply_timeout_ms`,
     * and doubles after each silence from the second in a row.
     */
    uint32_t reply_timeout_ms;
    /** Shortest such wait (100 ms). */
    uint32_t min_reply_timeout_ms;
    /** Upload requests left unanswered before giving up: outcome `CU_NO_ANSWER` (16). */
    uint8_t request_attempts;
    /** Ends of transfer left unanswered in a row before starting the upload again (8). */
    uint8_t end_attempts;
    /** Times an upload may start again (told k = 255, or end attempts spent): `CU_GAVE_UP` (3). */
    uint8_t restart_limit;
    /** Pause after a busy or storage-failure refusal before asking again (500 ms). */
    uint32_t busy_pause_ms;
    /** Wait for the op-4 verdict once the image is stored; 0: do not wait (10000 ms). */
    uint32_t result_timeout_ms;
    /** Longest time from the first request to the stored image: `CU_TIMED_OUT` (60000 ms). */
    uint32_t upload_timeout_ms;
} cu_config;

/** How an upload ended. */
typedef enum cu_outcome {
    /** The gateway stored the image and verified its CRC. */
    CU_STORED = 0,
    /** The gateway refused the upload for good (`cu_result.refusal` says why). */
    CU_REFUSED,
    /** No reply to `request_attempts` upload requests. */
    CU_NO_ANSWER,
    /** Started again `restart_limit` times, still not stored. */
    CU_GAVE_UP,
    /** `upload_timeout_ms` passed. */
    CU_TIMED_OUT,
    /** Nothing was sent: an empty image, one larger than 255 packets, or a setting out of range. */
    CU_INVALID,
    /** The platform reported an error that no retry can mend. */
    CU_NETWORK_ERROR
} cu_outcome;

/** Status byte of a verdict. */
enum { CU_ANALYSED = 0, CU_UNDECODABLE = 1, CU_ANALYSIS_UNAVAILABLE = 2 };
/** Verdict byte of a verdict. */
enum { CU_PASS = 0, CU_DEFECT = 1, CU_UNCERTAIN = 2 };
/** Class byte of a verdict whose status is not `CU_ANALYSED`. */
#define CU_NO_CLASS 255u

/** The gateway's op-4 analysis result. */
typedef struct cu_verdict {
    /** `CU_ANALYSED`, `CU_UNDECODABLE` or `CU_ANALYSIS_UNAVAILABLE`. */
    uint8_t status;
    /** `CU_PASS`, `CU_DEFECT` or `CU_UNCERTAIN`; meaningful when analysed. */
    uint8_t verdict;
    /** Index of the best class in the model's labels; `CU_NO_CLASS` unless analysed. */
    uint8_t class_index;
    /** Best score in basis points, 0..10000. */
    uint16_t confidence;
    /** The best class's name, printable ASCII, NUL-terminated. */
    char label[CU_MAX_LABEL_BYTES + 1];
} cu_verdict;

/** What one upload did. */
typedef struct cu_result {
    cu_outcome outcome;
    /** Reason code of the last refusal (1 busy, 2 too large, 3 bad parameters, 7 storage…); 0: none. */
    uint8_t refusal;
    /** N. */
    uint8_t packets;
    uint32_t image_bytes;
    /** CRC-32 of the image, as sent in the end of transfer. */
    uint32_t crc;
    /** From the first request to the gateway's word that the image is stored. */
    uint32_t stored_ms;
    /** From the first request to the end, the verdict wait included. */
    uint32_t total_ms;
    uint32_t requests;
    /** Data packets sent, resent ones included. */
    uint32_t packets_sent;
    /** Ends of transfer sent. */
    uint32_t end_rounds;
    uint32_t restarts;
    /** Waits that ended without a reply. */
    uint32_t timeouts;
    /** Well-formed datagrams not meant for this exchange: stray ACKs, stale replies, a previous verdict. */
    uint32_t skipped;
    /** Datagrams that are not a frame of the protocol, or are for another device. */
    uint32_t malformed;
    bool verdict_received;
    cu_verdict verdict;
} cu_result;

/** A ping reply: the gateway's protocol version and its flags. */
typedef struct cu_ping_reply {
    uint8_t version;
    /** Bit 0: accepting uploads; bit 1: analysis available. */
    uint8_t flags;
} cu_ping_reply;

#define CU_PING_ACCEPTING_UPLOADS 0x01u
#define CU_PING_ANALYSIS_AVAILABLE 0x02u

/** Round-trip estimate that sets the reply wait (internal; kept across uploads). */
typedef struct cu_reply_timer {
    uint32_t smoothed_ms;
    uint32_t variation_ms;
    uint32_t timeout_ms;
    bool measured;
} cu_reply_timer;

/**
 * An uplink to one gateway: the platform, the settings, the caller's packet buffer, and what it
 * learnt of the round trip. Allocate it where you like (static, stack); fields are private.
 */
typedef struct cu_uplink {
    cu_platform platform;
    cu_config config;
    uint8_t *packet_buffer;
    size_t packet_buffer_size;
    cu_reply_timer timer;
    /* One byte more than any reply, so that an over-long datagram shows. */
    uint8_t reply_buffer[CU_MAX_REPLY_BYTES + 1];
} cu_uplink;

/** Fills `config` with the defaults documented in `cu_config`. */
void cu_config_defaults(cu_config *config);

/**
 * Checks `config` and sets up `uplink`. `packet_buffer` (at least `config->packet_size` bytes)
 * holds each datagram while it is sent; it must outlive the uplink.
 *
 * @return true when ready; false for a setting out of range (P outside 9..65507, a minimum wait
 * above the maximum, no attempt allowed, a wait over a day) or a buffer too small.
 */
bool cu_uplink_init(cu_uplink *uplink, const cu_platform *platform, const cu_config *config,
                    uint8_t *packet_buffer, size_t packet_buffer_size);

/**
 * Uploads `image` (1 to 255 × (P-8) bytes), waits for its verdict if configured, and fills
 * `result`. Blocks until the outcome is known. The image must not change during the call.
 */
cu_outcome cu_upload(cu_uplink *uplink, const uint8_t *image, size_t image_bytes, cu_result *result);

/**
 * Pings the gateway (`[0, id, 0]`) and waits up to `timeout_ms` for its reply.
 *
 * @return 1 with `reply` filled, 0 when no reply came, negative on a network error.
 */
int cu_ping(cu_uplink *uplink, uint32_t timeout_ms, cu_ping_reply *reply);

/** A stable lower-case name: "stored", "refused", "no-answer", "gave-up", "timed-out"… */
const char *cu_outcome_name(cu_outcome outcome);

/** "pass", "defect" or "uncertain". */
const char *cu_verdict_name(uint8_t verdict);

/** "analysed", "undecodable" or "unavailable". */
const char *cu_analysis_status_name(uint8_t status);

/** What the line does with the cable just photographed: the output a lamp or a rejector follows. */
typedef enum cu_action { CU_KEEP = 0, CU_REJECT = 1 } cu_action;

/** Which results, besides a defect verdict, reject the cable. */
typedef struct cu_policy {
    /** The verdict is uncertain: the best score is under the gateway's confidence threshold. */
    bool reject_uncertain;
    /** The gateway stored the image but could not analyse it (no model, not a picture). */
    bool reject_unanalysed;
    /** No verdict at all: the upload failed, or its verdict did not come in time. */
    bool reject_without_verdict;
} cu_policy;

/** The fail-safe policy: only a verdict of pass keeps the cable. */
void cu_policy_fail_safe(cu_policy *policy);

/** Keep or reject, from an upload's result and the policy. */
cu_action cu_decide(const cu_result *result, const cu_policy *policy);

/**
 * CRC-32 (ISO-HDLC, zlib's `crc32`): start with `crc = 0`, feed the image in as many pieces as
 * you like; the result is the checksum generation C sends.
 */
uint32_t cu_crc32_update(uint32_t crc, const uint8_t *bytes, size_t length);

#ifdef __cplusplus
}
#endif

#endif /* CABLE_UPLINK_H */
