/* The library's CRC-32 against the check values libs/protocol/src/checksum.spec.ts uses. */
#include "cable_uplink.h"
#include "cu_test.h"

static void gives_the_published_check_values(void)
{
    const unsigned char check[] = "123456789";
    const unsigned char fox[] = "The quick brown fox jumps over the lazy dog";
    const unsigned char zero[] = {0x00};
    const unsigned char soi[] = {0xff, 0xd8, 0xff, 0xe0};
    unsigned char ones[32];
    memset(ones, 0xff, sizeof ones);
    CHECK_EQ(cu_crc32_update(0, check, 0), 0x00000000u);
    CHECK_EQ(cu_crc32_update(0, check, 9), 0xCBF43926u);
    CHECK_EQ(cu_crc32_update(0, zero, 1), 0xD202EF8Du);
    CHECK_EQ(cu_crc32_update(0, fox, sizeof fox - 1), 0x414FA339u);
    CHECK_EQ(cu_crc32_update(0, ones, sizeof ones), 0xFF6CAB0Bu);
    CHECK_EQ(cu_crc32_update(0, soi, sizeof soi), 0x4FF5A26Fu);
}

static void gives_the_same_value_fed_in_pieces(void)
{
    unsigned char image[4357];
    for (size_t i = 0; i < sizeof image; i++) image[i] = (unsigned char)((i * 31u) ^ (i >> 3));
    uint32_t whole = cu_crc32_update(0, image, sizeof image);
    for (size_t cut = 0; cut <= sizeof image; cut += 389) {
        uint32_t pieces = cu_crc32_update(cu_crc32_update(0, image, cut), image + cut, sizeof image - cut);
        CHECK_EQ(pieces, whole);
    }
}

static void changes_when_any_single_bit_flips(void)
{
    unsigned char image[1452 * 2];
    for (size_t i = 0; i < sizeof image; i++) image[i] = (unsigned char)(i * 7u);
    uint32_t original = cu_crc32_update(0, image, sizeof image);
    for (size_t offset = 0; offset < sizeof image; offset += 97) {
        for (unsigned bit = 0; bit < 8; bit++) {
            image[offset] ^= (unsigned char)(1u << bit);
            CHECK(cu_crc32_update(0, image, sizeof image) != original);
            image[offset] ^= (unsigned char)(1u << bit);
        }
    }
}

int main(void)
{
    RUN(gives_the_published_check_values);
    RUN(gives_the_same_value_fed_in_pieces);
    RUN(changes_when_any_single_bit_flips);
    return cu_test_report("crc32", 3);
}
