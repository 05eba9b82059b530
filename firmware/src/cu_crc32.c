/* CRC-32/ISO-HDLC, four bits at a time: a 64-byte table instead of zlib's 1 KB, for a chip's flash. */
#include "cable_uplink.h"

/* The reflected polynomial 0xEDB88320 applied to each 4-bit value. */
static const uint32_t NIBBLE_TABLE[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t cu_crc32_update(uint32_t crc, const uint8_t *bytes, size_t length)
{
    uint32_t value = ~crc;
    for (size_t position = 0; position < length; position++) {
        value ^= bytes[position];
        value = (value >> 4) ^ NIBBLE_TABLE[value & 0x0Fu];
        value = (value >> 4) ^ NIBBLE_TABLE[value & 0x0Fu];
    }
    return ~value;
}
