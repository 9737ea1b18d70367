/*
 * crc32.c — CRC-32 (the gzip/zlib/Parquet checksum) by folding with
 * carry-less multiplication, written from the algebra below; zlib's crc32_z
 * where the CPU lacks PCLMULQDQ and for the last few bytes.
 *
 * The algebra. Give the message M (n bytes) the polynomial over GF(2) whose
 * highest coefficient is bit 0 of the first byte (a reflected CRC reads bits
 * LSB first). With a zero register, the CRC register after M is
 * M(x) * x^32 mod P(x), P = x^32 + 0x04C11DB7, so two messages of the same
 * length with M = M' mod P leave the same register. A non-zero starting
 * register s is the same as a zero one with s XORed into the first four bytes.
 *
 * Folding. Take a 16-byte block V of M followed by D more bits before the
 * block W it is folded into: V(x) * x^D contributes to M exactly as V does.
 * Split V = Vh * x^64 + Vl; then V * x^D = Vh * (x^(D+64) mod P) + Vl * (x^D mod P)
 * (mod P), a polynomial of degree below 96, which is XORed into W: the message
 * is 16 bytes shorter and unchanged mod P. Four blocks are folded in parallel
 * (D = 512) while 64 bytes remain, then into one (D = 128).
 *
 * Bit order. Loaded little-endian into 128 bits, bit i of a block is the
 * coefficient of x^(127-i); its low 64 bits are Vh reversed, its high 64 bits
 * Vl reversed. The carry-less product of two 64-bit reversed polynomials
 * A and B has bit p = coefficient of x^(126-p) of A*B, which read as a block
 * is A*B*x; so the constants are x^(D+63) mod P and x^(D-1) mod P, bit-reversed
 * into 64 bits (coefficient of x^d at bit 63-d). tests/unit/common/test_crc32.c
 * derives them again and compares the results with zlib's.
 *
 * The end. The folded block and the bytes after it are a message with the
 * same register as the original; zlib finishes them (at most 31 bytes), with
 * the register zeroed (crc argument 0xFFFFFFFF) because the start register
 * was already XORed in.
 */
#include "common/crc32.h"

#include <string.h>
#include <zlib.h>

uint32_t em_crc32_portable(uint32_t crc, const void *p, size_t n)
{
    const Bytef *b = p;
    uLong c = crc;
    /* zlib takes uInt lengths: feed large buffers in pieces. */
    while (n > 0) {
        uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, b, step);
        b += step;
        n -= step;
    }
    return (uint32_t)c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* For D = 512 and 128: K*_HI = x^(D+63) mod P, for Vh; K*_LO = x^(D-1) mod P,
 * for Vl; both reversed into 64 bits (see above). */
#define K512_HI 0x653d982200000000ULL
#define K512_LO 0xcad38e8f00000000ULL
#define K128_HI 0x65673b4600000000ULL
#define K128_LO 0x9ba54c6f00000000ULL

/* Below this many bytes the setup does not pay. */
#define FOLD_MIN 64

__attribute__((target("sse2,pclmul"))) static inline __m128i fold(__m128i v, __m128i k, __m128i w)
{
    /* The block's low qword (Vh, reversed) times k's low qword (a K*_HI), its
     * high qword (Vl) times k's high qword (a K*_LO). */
    __m128i a = _mm_clmulepi64_si128(v, k, 0x00);
    __m128i b = _mm_clmulepi64_si128(v, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(a, b), w);
}

__attribute__((target("sse2,pclmul"))) static uint32_t crc32_clmul(uint32_t crc, const uint8_t *p,
                                                                   size_t n)
{
    /* _mm_set_epi64x takes the high qword first. */
    const __m128i k512 = _mm_set_epi64x((long long)K512_LO, (long long)K512_HI);
    const __m128i k128 = _mm_set_epi64x((long long)K128_LO, (long long)K128_HI);
    __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    /* The start register (pre-inverted, as the CRC defines) into the first bytes. */
    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)~crc));
    p += 64;
    n -= 64;
    while (n >= 64) {
        x0 = fold(x0, k512, _mm_loadu_si128((const __m128i *)(const void *)p));
        x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)(const void *)(p + 16)));
        x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(const void *)(p + 32)));
        x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(const void *)(p + 48)));
        p += 64;
        n -= 64;
    }
    __m128i x = fold(x0, k128, x1);
    x = fold(x, k128, x2);
    x = fold(x, k128, x3);
    while (n >= 16) {
        x = fold(x, k128, _mm_loadu_si128((const __m128i *)(const void *)p));
        p += 16;
        n -= 16;
    }
    uint8_t tail[32];
    _mm_storeu_si128((__m128i *)(void *)tail, x);
    if (n > 0) memcpy(tail + 16, p, n);
    return (uint32_t)crc32(0xffffffffUL, tail, (uInt)(16 + n));
}

uint32_t em_crc32(uint32_t crc, const void *p, size_t n)
{
    /* The CPU's features were read by the runtime's start-up code (libgcc's
     * constructor), so this is a load and a test. */
    if (n < FOLD_MIN || !__builtin_cpu_supports("pclmul")) return em_crc32_portable(crc, p, n);
    return crc32_clmul(crc, p, n);
}

#else

uint32_t em_crc32(uint32_t crc, const void *p, size_t n)
{
    return em_crc32_portable(crc, p, n);
}

#endif
