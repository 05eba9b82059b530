#include "cu_session.h"

#include <string.h>

/*
 * Copies of `[1, id, 0, 4]` sent for each verdict: a lost confirmation makes the gateway push the
 * same verdict again, possibly while this device waits for the verdict of its next image, which
 * the frame cannot be told apart from (op 4 names no image). Two copies make that loss rarer.
 */
#define CONFIRM_COPIES 2u

/* Wrap-safe comparisons of the 32-bit millisecond clock. */
static bool reached(uint32_t now, uint32_t deadline)
{
    return (int32_t)(now - deadline) >= 0;
}

static uint32_t until(uint32_t now, uint32_t deadline)
{
    return reached(now, deadline) ? 0 : deadline - now;
}

static void finish(cu_session *session, uint32_t now, cu_outcome outcome)
{
    session->result.outcome = outcome;
    session->result.total_ms = now - session->started_at;
    session->phase = CU_PHASE_DONE;
}

static cu_step send_step(size_t length)
{
    cu_step step = {CU_STEP_SEND, length, 0};
    return step;
}

/* Waits for the reply awaited until `deadline`, and not past the upload's own deadline. */
static cu_step wait_step(const cu_session *session, uint32_t now, uint32_t deadline)
{
    uint32_t wait = until(now, deadline);
    if (session->phase != CU_PHASE_VERDICT) {
        uint32_t upload_end = session->started_at + session->config.upload_timeout_ms;
        uint32_t left = until(now, upload_end);
        if (left < wait) wait = left;
    }
    cu_step step = {CU_STEP_WAIT, 0, wait};
    return step;
}

/* The frame just written is sent now and its reply awaited. */
static cu_step send_awaited(cu_session *session, uint32_t now, size_t length)
{
    session->awaiting = true;
    session->sent_at = now;
    session->resent = session->silent_tries > 0;
    session->deadline = now + session->timer->timeout_ms;
    return send_step(length);
}

/*
 * The awaited reply did not come. One silence is most likely a loss: the frame goes again after
 * the same wait. From the second in a row the wait doubles, for a gateway that is slow or down.
 */
static void note_silence(cu_session *session)
{
    session->result.timeouts++;
    session->silent_tries++;
    session->awaiting = false;
    if (session->silent_tries >= 2) cu_reply_timer_back_off(session->timer, session->config.reply_timeout_ms);
}

/* The awaited reply came. */
static void note_answer(cu_session *session, uint32_t now)
{
    uint32_t min_ms = session->config.min_reply_timeout_ms;
    uint32_t max_ms = session->config.reply_timeout_ms;
    if (session->resent) cu_reply_timer_answered(session->timer, min_ms, max_ms);
    else cu_reply_timer_sample(session->timer, now - session->sent_at, min_ms, max_ms);
    session->silent_tries = 0;
    session->awaiting = false;
}

/* Request and whole burst again: the gateway holds no transfer this image's CRC belongs to. */
static void start_again(cu_session *session, uint32_t now)
{
    session->result.restarts++;
    if (session->result.restarts > session->config.restart_limit) {
        finish(session, now, CU_GAVE_UP);
        return;
    }
    session->phase = CU_PHASE_REQUEST;
    session->awaiting = false;
    session->silent_tries = 0;
    /* Whatever verdict came before belongs to no transfer the gateway still has. */
    session->has_early_verdict = false;
}

void cu_session_begin(cu_session *session, const cu_config *config, cu_reply_timer *timer,
                      const uint8_t *image, size_t image_bytes, size_t frame_capacity, uint32_t now_ms)
{
    memset(session, 0, sizeof *session);
    session->config = *config;
    session->timer = timer;
    session->image = image;
    session->started_at = now_ms;
    session->phase = CU_PHASE_REQUEST;
    uint32_t payload = config->packet_size > CU_DATA_HEADER_BYTES ? config->packet_size - CU_DATA_HEADER_BYTES : 0;
    session->payload_bytes = payload;
    if (image == NULL || image_bytes == 0 || payload == 0 || frame_capacity < config->packet_size ||
        image_bytes > (size_t)CU_MAX_PACKETS * payload) {
        session->result.image_bytes = image_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)image_bytes;
        finish(session, now_ms, CU_INVALID);
        return;
    }
    session->image_bytes = (uint32_t)image_bytes;
    /* Rounded up: an image of exactly k × (P-8) bytes is k full packets, the last one included. */
    session->packets = (uint8_t)((session->image_bytes + payload - 1) / payload);
    session->crc = cu_crc32_update(0, image, image_bytes);
    session->result.image_bytes = session->image_bytes;
    session->result.packets = session->packets;
    session->result.crc = session->crc;
}

/* Packet `index`: `[1, id, 2, i, L(4)]` and its slice of the image; never past its end. */
static size_t encode_packet(const cu_session *session, uint8_t index, uint8_t *frame)
{
    uint32_t offset = (uint32_t)index * session->payload_bytes;
    uint32_t length = session->image_bytes - offset;
    if (length > session->payload_bytes) length = session->payload_bytes;
    size_t header = cu_encode_data_header(frame, session->config.device_id, index, length);
    memcpy(frame + header, session->image + offset, length);
    return header + length;
}

/* The next packet of this round, or -1 when every one has gone. */
static int next_packet(cu_session *session)
{
    if (session->burst_next < session->packets) return (int)session->burst_next++;
    if (session->listed_next < session->listed_count) return session->listed[session->listed_next++];
    return -1;
}

cu_step cu_session_next(cu_session *session, uint32_t now_ms, uint8_t *frame)
{
    const cu_config *config = &session->config;
    for (;;) {
        if (session->confirm_pending > 0) {
            session->confirm_pending--;
            return send_step(cu_encode_confirm(frame, config->device_id, CU_OP_ANALYSIS_RESULT));
        }
        if (session->phase == CU_PHASE_DONE) {
            cu_step done = {CU_STEP_DONE, 0, 0};
            return done;
        }
        if (session->phase == CU_PHASE_VERDICT) {
            if (!reached(now_ms, session->deadline)) return wait_step(session, now_ms, session->deadline);
            finish(session, now_ms, CU_STORED);
            continue;
        }
        if (now_ms - session->started_at >= config->upload_timeout_ms) {
            finish(session, now_ms, CU_TIMED_OUT);
            continue;
        }
        switch (session->phase) {
        case CU_PHASE_REQUEST:
            if (!session->awaiting) {
                session->result.requests++;
                return send_awaited(session, now_ms,
                                    cu_encode_request(frame, config->device_id, session->packets,
                                                      config->packet_size, session->image_bytes));
            }
            if (!reached(now_ms, session->deadline)) return wait_step(session, now_ms, session->deadline);
            note_silence(session);
            if (session->silent_tries >= config->request_attempts) finish(session, now_ms, CU_NO_ANSWER);
            continue;
        case CU_PHASE_PAUSED:
            if (!reached(now_ms, session->deadline)) return wait_step(session, now_ms, session->deadline);
            session->phase = CU_PHASE_REQUEST;
            continue;
        case CU_PHASE_SENDING: {
            int index = next_packet(session);
            if (index >= 0) {
                session->result.packets_sent++;
                return send_step(encode_packet(session, (uint8_t)index, frame));
            }
            session->phase = CU_PHASE_ENDING;
            session->awaiting = false;
            continue;
        }
        case CU_PHASE_ENDING:
            if (!session->awaiting) {
                session->result.end_rounds++;
                return send_awaited(
                    session, now_ms,
                    cu_encode_end_of_transfer(frame, config->device_id, session->packets, session->crc));
            }
            if (!reached(now_ms, session->deadline)) return wait_step(session, now_ms, session->deadline);
            note_silence(session);
            /* A gateway that restarted without its spool, or forgot the transfer, may say nothing. */
            if (session->silent_tries >= config->end_attempts) start_again(session, now_ms);
            continue;
        default:
            continue;
        }
    }
}

static void on_upload_reply(cu_session *session, uint32_t now, const cu_reply *reply)
{
    if (session->phase != CU_PHASE_REQUEST || !session->awaiting || reply->as.upload.packets != session->packets ||
        reply->as.upload.packet_size != session->config.packet_size) {
        session->result.skipped++;
        return;
    }
    note_answer(session, now);
    uint8_t status = reply->as.upload.status;
    if (status == CU_STATUS_OK) {
        session->phase = CU_PHASE_SENDING;
        session->burst_next = 0;
        session->listed_count = 0;
        session->listed_next = 0;
        return;
    }
    session->result.refusal = status;
    if (status == CU_STATUS_BUSY || status == CU_STATUS_STORAGE_FAILURE) {
        session->phase = CU_PHASE_PAUSED;
        session->deadline = now + session->config.busy_pause_ms;
        return;
    }
    finish(session, now, CU_REFUSED);
}

static void on_missing_report(cu_session *session, uint32_t now, const cu_reply *reply)
{
    /* Only the checksum form answers this device's op 3, and only with this image's CRC. */
    if (session->phase != CU_PHASE_ENDING || !session->awaiting || !reply->as.missing.has_checksum ||
        reply->as.missing.checksum != session->crc) {
        session->result.skipped++;
        return;
    }
    uint8_t valid = 0;
    for (uint8_t position = 0; position < reply->as.missing.count; position++) {
        uint8_t index = reply->as.missing.indices[position];
        /* An index past the image would send bytes that are not the image's: never. */
        if (index < session->packets && valid < CU_MAX_MISSING_WITH_CHECKSUM) session->listed[valid++] = index;
    }
    if (reply->as.missing.count > 0 && valid == 0) {
        session->result.malformed++;
        return;
    }
    note_answer(session, now);
    if (reply->as.missing.restart) {
        start_again(session, now);
        return;
    }
    if (valid == 0) {
        session->result.stored_ms = now - session->started_at;
        if (session->has_early_verdict && session->config.result_timeout_ms > 0) {
            session->result.verdict = session->early_verdict;
            session->result.verdict_received = true;
        }
        if (session->config.result_timeout_ms == 0 || session->result.verdict_received) {
            finish(session, now, CU_STORED);
            return;
        }
        session->phase = CU_PHASE_VERDICT;
        session->deadline = now + session->config.result_timeout_ms;
        return;
    }
    session->phase = CU_PHASE_SENDING;
    session->burst_next = session->packets;
    session->listed_count = valid;
    session->listed_next = 0;
}

/*
 * Every verdict read is confirmed, so that the gateway stops pushing it. Op 4 names no image: one
 * read before the request is answered is a previous image's. One read while the end of transfer
 * awaits its reply is this image's when the gateway stored it and its k = 0 was lost (common on a
 * lossy link), or a previous image's pushed again because its confirmations were lost: it is kept
 * and taken once the image is known to be stored, a later one replacing it. Once stored, the next
 * verdict read is taken.
 */
static void on_verdict(cu_session *session, uint32_t now, const cu_reply *reply)
{
    session->confirm_pending = CONFIRM_COPIES;
    if (session->phase == CU_PHASE_VERDICT) {
        session->result.verdict = reply->as.analysis;
        session->result.verdict_received = true;
        finish(session, now, CU_STORED);
        return;
    }
    if (session->phase == CU_PHASE_ENDING) {
        session->early_verdict = reply->as.analysis;
        session->has_early_verdict = true;
        return;
    }
    session->result.skipped++;
}

void cu_session_receive(cu_session *session, uint32_t now_ms, const uint8_t *datagram, size_t length)
{
    if (session->phase == CU_PHASE_DONE) return;
    cu_reply reply;
    if (cu_decode_reply(datagram, length, &reply) != CU_DECODED) {
        session->result.malformed++;
        return;
    }
    if (reply.device_id != session->config.device_id) {
        session->result.skipped++;
        return;
    }
    switch (reply.kind) {
    case CU_REPLY_UPLOAD:
        on_upload_reply(session, now_ms, &reply);
        break;
    case CU_REPLY_MISSING:
        on_missing_report(session, now_ms, &reply);
        break;
    case CU_REPLY_ANALYSIS:
        on_verdict(session, now_ms, &reply);
        break;
    default:
        /* Per-packet ACKs (the gateway took this device for stop-and-wait at first), pings. */
        session->result.skipped++;
        break;
    }
}

void cu_session_fail(cu_session *session, uint32_t now_ms)
{
    if (session->phase != CU_PHASE_DONE) finish(session, now_ms, CU_NETWORK_ERROR);
}
