/* SHA-256 (FIPS 180-4) on the standard test vectors and a longer message.
 *
 * Rotations, 32-bit additions that wrap, big-endian loads: the core's ALU
 * and shifts under a well-known oracle. Exit status: the number of vectors
 * whose digest is not the published one.
 */
#include "hvrt.h"

struct sha256 {
    uint32_t h[8];
    unsigned char block[64];
    unsigned used;
    uint32_t bytes;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return x >> n | x << (32 - n); }

static void compress(struct sha256 *s) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)s->block[4 * i] << 24 | (uint32_t)s->block[4 * i + 1] << 16 |
               (uint32_t)s->block[4 * i + 2] << 8 | s->block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(struct sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; i++)
        s->h[i] = iv[i];
    s->used = 0;
    s->bytes = 0;
}

static void sha256_update(struct sha256 *s, const void *data, unsigned len) {
    const unsigned char *p = data;
    s->bytes += len;
    while (len--) {
        s->block[s->used++] = *p++;
        if (s->used == 64) {
            compress(s);
            s->used = 0;
        }
    }
}

static void sha256_final(struct sha256 *s, char hex[65]) {
    uint32_t bits = s->bytes * 8; /* messages here stay under 512 MiB */
    s->block[s->used++] = 0x80;
    if (s->used > 56) {
        while (s->used < 64)
            s->block[s->used++] = 0;
        compress(s);
        s->used = 0;
    }
    while (s->used < 60)
        s->block[s->used++] = 0;
    for (int i = 0; i < 4; i++)
        s->block[60 + i] = (unsigned char)(bits >> (24 - 8 * i));
    compress(s);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        unsigned char byte = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
        hex[2 * i] = digits[byte >> 4];
        hex[2 * i + 1] = digits[byte & 15];
    }
    hex[64] = 0;
}

static int streq(const char *a, const char *b) {
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int check(const char *label, const char *msg, const char *expect) {
    struct sha256 s;
    char hex[65];
    unsigned len = 0;
    while (msg[len])
        len++;
    sha256_init(&s);
    sha256_update(&s, msg, len);
    sha256_final(&s, hex);
    int ok = streq(hex, expect);
    hv_printf("%-8s %s %s\n", label, hex, ok ? "ok" : "WRONG");
    return !ok;
}

int main(void) {
    int bad = 0;
    bad += check("abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    bad += check("empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    bad += check("448-bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    bad += check("896-bit",
                 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopq"
                 "rsmnopqrstnopqrstu",
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* A longer message, fed in uneven pieces to exercise the block buffering. */
    struct sha256 s;
    char hex[65];
    unsigned char chunk[97];
    sha256_init(&s);
    for (unsigned i = 0; i < 100; i++) {
        unsigned n = 1 + i % 97;
        for (unsigned j = 0; j < n; j++)
            chunk[j] = (unsigned char)(i * 7 + j * 13);
        sha256_update(&s, chunk, n);
    }
    sha256_final(&s, hex);
    hv_printf("long     %s (%u bytes)\n", hex, (unsigned)s.bytes);
    hv_printf("%d wrong\n", bad);
    return bad;
}
