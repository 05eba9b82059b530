/*
 * One upload as a state machine without I/O and without a clock of its own: the caller asks it
 * what to do next (send this frame, wait this long, or stop), gives it every datagram that
 * arrives, and says what time it is. `cu_upload` drives it over a `cu_platform`; the unit tests
 * drive it with literal frames and a made-up clock. Internal to the library.
 *
 * Phases, in order:
 *   REQUEST ─accept→ SENDING ─every packet sent→ ENDING ─k = 0→ VERDICT ─op 4 / timeout→ DONE
 *   REQUEST ─busy→ PAUSED ─pause over→ REQUEST
 *   ENDING ─k = 1..24→ SENDING (those packets) ─→ ENDING
 *   ENDING ─k = 255, or end attempts spent→ REQUEST (a restart)
 * Any phase ends in DONE on a final refusal, too many requests or restarts, or the upload timeout.
 */
#ifndef CU_SESSION_H
#define CU_SESSION_H

#include "cable_uplink.h"
#include "cu_frames.h"

typedef enum cu_phase {
    /** The request is to be sent, or has been and awaits its reply. */
    CU_PHASE_REQUEST,
    /** Refused as busy: the request goes again once the pause is over. */
    CU_PHASE_PAUSED,
    /** Data packets to send: the whole burst, or the indices last reported missing. */
    CU_PHASE_SENDING,
    /** The end of transfer is to be sent, or has been and awaits its reply. */
    CU_PHASE_ENDING,
    /** Stored; waiting for the op-4 verdict. */
    CU_PHASE_VERDICT,
    CU_PHASE_DONE
} cu_phase;

typedef enum cu_step_kind {
    /** Send the `length` bytes the session wrote into the frame buffer. */
    CU_STEP_SEND,
    /** Wait up to `wait_ms` for a datagram, then ask again. */
    CU_STEP_WAIT,
    /** The upload is over: the result is final. */
    CU_STEP_DONE
} cu_step_kind;

typedef struct cu_step {
    cu_step_kind kind;
    size_t length;
    uint32_t wait_ms;
} cu_step;

typedef struct cu_session {
    cu_config config;
    cu_reply_timer *timer;
    const uint8_t *image;
    uint32_t image_bytes;
    uint32_t payload_bytes;
    uint8_t packets;
    uint32_t crc;
    cu_phase phase;
    /** The frame of the current phase was sent and its reply is awaited until `deadline`. */
    bool awaiting;
    uint32_t deadline;
    uint32_t sent_at;
    /** The frame awaiting a reply is a resend: its reply says nothing of the round trip. */
    bool resent;
    /** Requests, or ends of transfer, left unanswered in a row. */
    uint32_t silent_tries;
    /** SENDING: next index of the whole burst (`packets` when only the listed ones go). */
    uint32_t burst_next;
    uint8_t listed[CU_MAX_MISSING_WITH_CHECKSUM];
    uint8_t listed_count;
    uint8_t listed_next;
    /** Copies of `[1, id, 0, 4]` still to send for a verdict read; they go before anything else. */
    uint8_t confirm_pending;
    /** A verdict read while the end of transfer awaited its reply: taken if k = 0 follows. */
    bool has_early_verdict;
    cu_verdict early_verdict;
    uint32_t started_at;
    cu_result result;
} cu_session;

/**
 * Starts an upload of `image` at `now_ms`; the image must stay unchanged until DONE. An empty
 * image, one of more than 255 packets, or a packet buffer (`frame_capacity`) smaller than P ends
 * the session at once with `CU_INVALID`.
 */
void cu_session_begin(cu_session *session, const cu_config *config, cu_reply_timer *timer,
                      const uint8_t *image, size_t image_bytes, size_t frame_capacity, uint32_t now_ms);

/** What to do at `now_ms`; a frame to send is written into `frame` (at least P bytes). */
cu_step cu_session_next(cu_session *session, uint32_t now_ms, uint8_t *frame);

/** A datagram from the gateway arrived at `now_ms`. */
void cu_session_receive(cu_session *session, uint32_t now_ms, const uint8_t *datagram, size_t length);

/** The platform failed for good: the session ends with `CU_NETWORK_ERROR`. */
void cu_session_fail(cu_session *session, uint32_t now_ms);

/** Sets `timer` to know nothing yet: the first wait is `max_ms`. */
void cu_reply_timer_reset(cu_reply_timer *timer, uint32_t max_ms);

/** A reply came `rtt_ms` after a frame sent once: the wait follows the round trip. */
void cu_reply_timer_sample(cu_reply_timer *timer, uint32_t rtt_ms, uint32_t min_ms, uint32_t max_ms);

/** A reply came to a resent frame: no measure, but the doubling is over. */
void cu_reply_timer_answered(cu_reply_timer *timer, uint32_t min_ms, uint32_t max_ms);

/** A wait ended in silence: the next one is twice as long, up to `max_ms`. */
void cu_reply_timer_back_off(cu_reply_timer *timer, uint32_t max_ms);

#endif /* CU_SESSION_H */
