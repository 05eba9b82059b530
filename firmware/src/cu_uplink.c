/* The blocking driver of a `cu_session` over a `cu_platform`, the ping, and the settings. */
#include "cu_session.h"

#include <string.h>

/* Longest wait any setting may ask for: the 32-bit clock's comparisons hold up to 2^31 ms. */
#define MAX_WAIT_MS 86400000u

/* Datagrams read without waiting before an upload starts, at most (a flood must not hold it). */
#define DRAIN_LIMIT 64

void cu_config_defaults(cu_config *config)
{
    config->device_id = 99;
    config->packet_size = 1460;
    config->reply_timeout_ms = 1000;
    config->min_reply_timeout_ms = 100;
    config->request_attempts = 16;
    config->end_attempts = 8;
    config->restart_limit = 3;
    config->busy_pause_ms = 500;
    config->result_timeout_ms = 10000;
    config->upload_timeout_ms = 60000;
}

static bool config_is_valid(const cu_config *config)
{
    return config->packet_size > CU_DATA_HEADER_BYTES && config->packet_size <= CU_MAX_PACKET_SIZE &&
           config->min_reply_timeout_ms >= 1 && config->min_reply_timeout_ms <= config->reply_timeout_ms &&
           config->reply_timeout_ms <= MAX_WAIT_MS && config->request_attempts >= 1 && config->end_attempts >= 1 &&
           config->busy_pause_ms <= MAX_WAIT_MS && config->result_timeout_ms <= MAX_WAIT_MS &&
           config->upload_timeout_ms >= 1 && config->upload_timeout_ms <= MAX_WAIT_MS;
}

bool cu_uplink_init(cu_uplink *uplink, const cu_platform *platform, const cu_config *config,
                    uint8_t *packet_buffer, size_t packet_buffer_size)
{
    memset(uplink, 0, sizeof *uplink);
    if (platform == NULL || platform->send == NULL || platform->receive == NULL || platform->now_ms == NULL ||
        config == NULL || !config_is_valid(config) || packet_buffer == NULL ||
        packet_buffer_size < config->packet_size) {
        return false;
    }
    uplink->platform = *platform;
    uplink->config = *config;
    uplink->packet_buffer = packet_buffer;
    uplink->packet_buffer_size = packet_buffer_size;
    cu_reply_timer_reset(&uplink->timer, config->reply_timeout_ms);
    return true;
}

static uint32_t now_ms(const cu_uplink *uplink)
{
    return uplink->platform.now_ms(uplink->platform.context);
}

static int receive(cu_uplink *uplink, uint32_t timeout_ms)
{
    return uplink->platform.receive(uplink->platform.context, uplink->reply_buffer, sizeof uplink->reply_buffer,
                                    timeout_ms);
}

cu_outcome cu_upload(cu_uplink *uplink, const uint8_t *image, size_t image_bytes, cu_result *result)
{
    cu_session session;
    cu_session_begin(&session, &uplink->config, &uplink->timer, image, image_bytes, uplink->packet_buffer_size,
                     now_ms(uplink));
    /* What queued up since the last upload (a verdict pushed again, late duplicates) is judged first. */
    for (int drained = 0; drained < DRAIN_LIMIT && session.phase != CU_PHASE_DONE; drained++) {
        int got = receive(uplink, 0);
        if (got <= 0) break;
        cu_session_receive(&session, now_ms(uplink), uplink->reply_buffer, (size_t)got);
    }
    for (;;) {
        uint32_t now = now_ms(uplink);
        cu_step step = cu_session_next(&session, now, uplink->packet_buffer);
        if (step.kind == CU_STEP_DONE) break;
        if (step.kind == CU_STEP_SEND) {
            if (uplink->platform.send(uplink->platform.context, uplink->packet_buffer, step.length) < 0) {
                cu_session_fail(&session, now);
            }
            continue;
        }
        int got = receive(uplink, step.wait_ms);
        if (got < 0) cu_session_fail(&session, now_ms(uplink));
        else if (got > 0) cu_session_receive(&session, now_ms(uplink), uplink->reply_buffer, (size_t)got);
    }
    *result = session.result;
    return result->outcome;
}

int cu_ping(cu_uplink *uplink, uint32_t timeout_ms, cu_ping_reply *reply)
{
    uint8_t ping[CU_PING_BYTES];
    uint8_t device_id = uplink->config.device_id;
    if (uplink->platform.send(uplink->platform.context, ping, cu_encode_ping(ping, device_id)) < 0) return -1;
    uint32_t started = now_ms(uplink);
    for (;;) {
        uint32_t elapsed = now_ms(uplink) - started;
        if (elapsed >= timeout_ms) return 0;
        int got = receive(uplink, timeout_ms - elapsed);
        if (got < 0) return -1;
        cu_reply decoded;
        if (got > 0 && cu_decode_reply(uplink->reply_buffer, (size_t)got, &decoded) == CU_DECODED &&
            decoded.kind == CU_REPLY_PING && decoded.device_id == device_id) {
            *reply = decoded.as.ping;
            return 1;
        }
    }
}

const char *cu_outcome_name(cu_outcome outcome)
{
    switch (outcome) {
    case CU_STORED:
        return "stored";
    case CU_REFUSED:
        return "refused";
    case CU_NO_ANSWER:
        return "no-answer";
    case CU_GAVE_UP:
        return "gave-up";
    case CU_TIMED_OUT:
        return "timed-out";
    case CU_INVALID:
        return "invalid";
    case CU_NETWORK_ERROR:
        return "network-error";
    default:
        return "unknown";
    }
}

const char *cu_verdict_name(uint8_t verdict)
{
    static const char *const names[] = {"pass", "defect", "uncertain"};
    return verdict <= CU_UNCERTAIN ? names[verdict] : "unknown";
}

const char *cu_analysis_status_name(uint8_t status)
{
    static const char *const names[] = {"analysed", "undecodable", "unavailable"};
    return status <= CU_ANALYSIS_UNAVAILABLE ? names[status] : "unknown";
}
