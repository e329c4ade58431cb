/* CRC-32 (IEEE 802.3, the zlib/PNG one) over 64 KiB of generated data.
 *
 * Also hvlab's compute benchmark: a table lookup, a shift and an xor per
 * byte, over a buffer that does not fit in one page. Returns 1 if the check
 * value of the standard test string is wrong.
 */
#include "hvrt.h"

#define DATA_SIZE (64 * 1024)

static uint32_t table[256];
static unsigned char data[DATA_SIZE];

static void make_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1; /* reflected polynomial 0x04C11DB7 */
        table[n] = c;
    }
}

static uint32_t crc32(const unsigned char *p, unsigned len) {
    uint32_t c = 0xFFFFFFFFu;
    while (len--)
        c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

int main(void) {
    make_table();
    uint32_t check = crc32((const unsigned char *)"123456789", 9);
    hv_printf("crc32(\"123456789\") = %08x (expect cbf43926)\n", (unsigned)check);

    uint32_t x = 2463534242u; /* xorshift32 (Marsaglia 2003) */
    for (unsigned i = 0; i < DATA_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)(x >> 24);
    }
    hv_printf("crc32(64 KiB) = %08x\n", (unsigned)crc32(data, DATA_SIZE));
    hv_printf("crc32(first 1000) = %08x, crc32(last 1000) = %08x\n", (unsigned)crc32(data, 1000),
              (unsigned)crc32(data + DATA_SIZE - 1000, 1000));
    return check == 0xCBF43926u ? 0 : 1;
}
