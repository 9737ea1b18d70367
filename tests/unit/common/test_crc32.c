/*
 * test_crc32.c — em_crc32 (carry-less folding) against zlib's crc32_z: every
 * length 0..4096 at unaligned starts, continued CRCs, large buffers, and the
 * folding constants derived again from the polynomial.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/common.h"
#include "common/crc32.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint8_t next_byte(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 24);
}

static uint32_t zlib_crc(uint32_t crc, const uint8_t *p, size_t n)
{
    return (uint32_t)crc32_z(crc, p, n);
}

static void test_known_values(void **state)
{
    (void)state;
    /* The CRC-32 check value. */
    assert_int_equal(em_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(em_crc32(0, "", 0), 0u);
    uint8_t zeros[4096] = {0};
    assert_int_equal(em_crc32(0, zeros, sizeof zeros), zlib_crc(0, zeros, sizeof zeros));
    uint8_t ones[4096];
    memset(ones, 0xff, sizeof ones);
    assert_int_equal(em_crc32(0, ones, sizeof ones), zlib_crc(0, ones, sizeof ones));
}

static void test_every_length_and_alignment(void **state)
{
    (void)state;
    enum { MAX = 4096, ALIGN = 16 };
    uint8_t *buf = em_malloc(MAX + ALIGN);
    for (size_t i = 0; i < MAX + ALIGN; i++) buf[i] = next_byte();
    for (size_t off = 0; off < ALIGN; off++) {
        for (size_t n = 0; n <= MAX; n++) {
            const uint8_t *p = buf + off;
            uint32_t want = zlib_crc(0, p, n);
            uint32_t got = em_crc32(0, p, n);
            if (got != want) fail_msg("length %zu offset %zu: %08x, zlib %08x", n, off, got, want);
            assert_int_equal(em_crc32_portable(0, p, n), want);
        }
    }
    em_free(buf);
}

static void test_continued(void **state)
{
    (void)state;
    enum { N = 10000 };
    uint8_t *buf = em_malloc(N);
    for (size_t i = 0; i < N; i++) buf[i] = next_byte();
    uint32_t whole = zlib_crc(0, buf, N);
    /* Any split, and any starting register, agrees with zlib. */
    static const size_t cuts[] = {0, 1, 15, 16, 63, 64, 65, 127, 1000, 4097, 9999, N};
    for (size_t i = 0; i < EM_ARRAY_LEN(cuts); i++) {
        size_t c = cuts[i];
        uint32_t a = em_crc32(0, buf, c);
        assert_int_equal(em_crc32(a, buf + c, N - c), whole);
    }
    static const uint32_t starts[] = {1, 0xffffffffu, 0xdeadbeefu, 0x80000000u};
    for (size_t i = 0; i < EM_ARRAY_LEN(starts); i++)
        for (size_t n = 60; n < 300; n += 7)
            assert_int_equal(em_crc32(starts[i], buf + 3, n), zlib_crc(starts[i], buf + 3, n));
    em_free(buf);
}

static void test_large(void **state)
{
    (void)state;
    size_t n = (3u << 20) + 13;
    uint8_t *buf = em_malloc(n);
    for (size_t i = 0; i < n; i++) buf[i] = next_byte();
    assert_int_equal(em_crc32(0, buf, n), zlib_crc(0, buf, n));
    /* A flipped bit anywhere changes the CRC. */
    static const size_t at[] = {0, 17, 64, 1000, (3u << 20), (3u << 20) + 12};
    for (size_t i = 0; i < EM_ARRAY_LEN(at); i++) {
        buf[at[i]] ^= 0x10;
        assert_int_equal(em_crc32(0, buf, n), zlib_crc(0, buf, n));
        buf[at[i]] ^= 0x10;
    }
    em_free(buf);
}

/* x^k mod P (P = x^32 + 0x04C11DB7), bit i = coefficient of x^i. */
static uint32_t xpow_mod(unsigned k)
{
    uint64_t r = 1;
    for (unsigned i = 0; i < k; i++) {
        r <<= 1;
        if (r >> 32) r ^= 0x104C11DB7ULL;
    }
    return (uint32_t)r;
}

static uint64_t reverse_into_64(uint32_t k)
{
    uint64_t o = 0;
    for (int d = 0; d < 32; d++)
        if (k >> d & 1) o |= 1ULL << (63 - d);
    return o;
}

static void test_constants(void **state)
{
    (void)state;
    /* The literals in src/common/crc32.c, derived as its comment says. */
    assert_true(reverse_into_64(xpow_mod(512 + 63)) == 0x653d982200000000ULL);
    assert_true(reverse_into_64(xpow_mod(512 - 1)) == 0xcad38e8f00000000ULL);
    assert_true(reverse_into_64(xpow_mod(128 + 63)) == 0x65673b4600000000ULL);
    assert_true(reverse_into_64(xpow_mod(128 - 1)) == 0x9ba54c6f00000000ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_every_length_and_alignment),
        cmocka_unit_test(test_continued),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
