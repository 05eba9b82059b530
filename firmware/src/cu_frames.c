#include "cu_frames.h"

#include <string.h>

/* Where the fields sit. */
enum {
    AT_CLIENT_TYPE = 0,
    AT_DEVICE_ID = 1,
    AT_OP = 2,
    AT_BODY = 3,
    HEADER_BYTES = 3,
    UPLOAD_REPLY_BYTES = 9,
    DATA_REPLY_BYTES = 9,
    PING_REPLY_BYTES = 5,
    MISSING_HEADER_BYTES = 4,
    CHECKSUM_BYTES = 4,
    ANALYSIS_HEADER_BYTES = 8,
    CONFIDENCE_SCALE = 10000,
    FIRST_PRINTABLE = 0x20,
    LAST_PRINTABLE = 0x7e
};

void cu_put_u32(uint8_t *out, uint32_t value)
{
    out[0] = (uint8_t)(value >> 24);
    out[1] = (uint8_t)(value >> 16);
    out[2] = (uint8_t)(value >> 8);
    out[3] = (uint8_t)value;
}

uint32_t cu_get_u32(const uint8_t *in)
{
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

static size_t put_header(uint8_t *out, uint8_t client_type, uint8_t device_id, uint8_t op)
{
    out[AT_CLIENT_TYPE] = client_type;
    out[AT_DEVICE_ID] = device_id;
    out[AT_OP] = op;
    return HEADER_BYTES;
}

size_t cu_encode_request(uint8_t *out, uint8_t device_id, uint8_t packets, uint32_t packet_size,
                         uint32_t image_bytes)
{
    put_header(out, CU_CLIENT_CAMERA, device_id, CU_OP_UPLOAD_REQUEST);
    out[AT_BODY] = packets;
    cu_put_u32(out + 4, packet_size);
    cu_put_u32(out + 8, image_bytes);
    return CU_REQUEST_BYTES;
}

size_t cu_encode_data_header(uint8_t *out, uint8_t device_id, uint8_t index, uint32_t length)
{
    put_header(out, CU_CLIENT_CAMERA, device_id, CU_OP_DATA);
    out[AT_BODY] = index;
    cu_put_u32(out + 4, length);
    return CU_DATA_HEADER_BYTES;
}

size_t cu_encode_end_of_transfer(uint8_t *out, uint8_t device_id, uint8_t packets, uint32_t crc)
{
    put_header(out, CU_CLIENT_CAMERA, device_id, CU_OP_END_OF_TRANSFER);
    out[AT_BODY] = packets;
    cu_put_u32(out + 4, crc);
    return CU_END_OF_TRANSFER_BYTES;
}

size_t cu_encode_confirm(uint8_t *out, uint8_t device_id, uint8_t confirmed_op)
{
    put_header(out, CU_CLIENT_CAMERA, device_id, CU_OP_CONFIRM);
    out[AT_BODY] = confirmed_op;
    return CU_CONFIRM_BYTES;
}

size_t cu_encode_ping(uint8_t *out, uint8_t device_id)
{
    return put_header(out, CU_CLIENT_SPECIAL, device_id, CU_OP_PING);
}

static cu_decode_status exact_length(size_t length, size_t expected)
{
    if (length < expected) return CU_TOO_SHORT;
    return length > expected ? CU_TOO_LONG : CU_DECODED;
}

static cu_decode_status decode_missing(const uint8_t *datagram, size_t length, cu_reply *reply)
{
    if (length < MISSING_HEADER_BYTES) return CU_TOO_SHORT;
    uint8_t count = datagram[AT_BODY];
    reply->as.missing.count = 0;
    reply->as.missing.has_checksum = false;
    reply->as.missing.restart = false;
    reply->as.missing.checksum = 0;
    if (count == CU_RESTART_TRANSFER_COUNT) {
        cu_decode_status size = exact_length(length, MISSING_HEADER_BYTES + CHECKSUM_BYTES);
        if (size != CU_DECODED) return size;
        reply->as.missing.has_checksum = true;
        reply->as.missing.restart = true;
        reply->as.missing.checksum = cu_get_u32(datagram + MISSING_HEADER_BYTES);
        return CU_DECODED;
    }
    if (count > CU_MAX_MISSING_PLAIN) return CU_FIELD_OUT_OF_RANGE;
    size_t plain = MISSING_HEADER_BYTES + (size_t)count;
    if (length != plain && length != plain + CHECKSUM_BYTES) {
        return length < plain ? CU_TOO_SHORT : CU_TOO_LONG;
    }
    reply->as.missing.count = count;
    memcpy(reply->as.missing.indices, datagram + MISSING_HEADER_BYTES, count);
    if (length == plain + CHECKSUM_BYTES) {
        reply->as.missing.has_checksum = true;
        reply->as.missing.checksum = cu_get_u32(datagram + plain);
    }
    return CU_DECODED;
}

static cu_decode_status decode_analysis(const uint8_t *datagram, size_t length, cu_reply *reply)
{
    if (length < ANALYSIS_HEADER_BYTES) return CU_TOO_SHORT;
    cu_verdict *verdict = &reply->as.analysis;
    verdict->status = datagram[3];
    verdict->verdict = datagram[4];
    verdict->class_index = datagram[5];
    verdict->confidence = (uint16_t)((datagram[6] << 8) | datagram[7]);
    if (verdict->status > CU_ANALYSIS_UNAVAILABLE || verdict->verdict > CU_UNCERTAIN) {
        return CU_FIELD_OUT_OF_RANGE;
    }
    if (verdict->status != CU_ANALYSED && verdict->class_index != CU_NO_CLASS) return CU_FIELD_OUT_OF_RANGE;
    if (verdict->confidence > CONFIDENCE_SCALE) return CU_FIELD_OUT_OF_RANGE;
    size_t label_bytes = length - ANALYSIS_HEADER_BYTES;
    for (size_t position = 0; position < label_bytes; position++) {
        uint8_t character = datagram[ANALYSIS_HEADER_BYTES + position];
        if (character < FIRST_PRINTABLE || character > LAST_PRINTABLE) return CU_FIELD_OUT_OF_RANGE;
        verdict->label[position] = (char)character;
    }
    verdict->label[label_bytes] = '\0';
    return CU_DECODED;
}

cu_decode_status cu_decode_reply(const uint8_t *datagram, size_t length, cu_reply *reply)
{
    if (length < HEADER_BYTES) return CU_TOO_SHORT;
    if (length > CU_MAX_REPLY_BYTES) return CU_TOO_LONG;
    uint8_t client_type = datagram[AT_CLIENT_TYPE];
    uint8_t op = datagram[AT_OP];
    reply->device_id = datagram[AT_DEVICE_ID];
    if (client_type == CU_CLIENT_SPECIAL) {
        if (op != CU_OP_PING) return CU_UNKNOWN_OP;
        /* A newer gateway may append bytes to its ping reply: they are ignored. */
        if (length < PING_REPLY_BYTES) return CU_TOO_SHORT;
        reply->kind = CU_REPLY_PING;
        reply->as.ping.version = datagram[3];
        reply->as.ping.flags = datagram[4];
        return CU_DECODED;
    }
    if (client_type != CU_CLIENT_CAMERA) return CU_UNKNOWN_CLIENT_TYPE;
    switch (op) {
    case CU_OP_UPLOAD_REQUEST: {
        cu_decode_status size = exact_length(length, UPLOAD_REPLY_BYTES);
        if (size != CU_DECODED) return size;
        if (datagram[3] > CU_STATUS_MAX_KNOWN) return CU_FIELD_OUT_OF_RANGE;
        reply->kind = CU_REPLY_UPLOAD;
        reply->as.upload.status = datagram[3];
        reply->as.upload.packets = datagram[4];
        reply->as.upload.packet_size = cu_get_u32(datagram + 5);
        return CU_DECODED;
    }
    case CU_OP_DATA: {
        cu_decode_status size = exact_length(length, DATA_REPLY_BYTES);
        if (size != CU_DECODED) return size;
        if (datagram[4] > CU_STATUS_MAX_KNOWN) return CU_FIELD_OUT_OF_RANGE;
        reply->kind = CU_REPLY_DATA;
        reply->as.data.index = datagram[3];
        reply->as.data.status = datagram[4];
        reply->as.data.length = cu_get_u32(datagram + 5);
        return CU_DECODED;
    }
    case CU_OP_END_OF_TRANSFER:
        reply->kind = CU_REPLY_MISSING;
        return decode_missing(datagram, length, reply);
    case CU_OP_ANALYSIS_RESULT:
        reply->kind = CU_REPLY_ANALYSIS;
        return decode_analysis(datagram, length, reply);
    default:
        return CU_UNKNOWN_OP;
    }
}
