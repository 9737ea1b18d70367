/*
 * parquet_rle.c — integer packing: LSB-first bit unpacking, the RLE /
 * bit-packed hybrid (levels, dictionary indices, booleans), the deprecated
 * MSB-first BIT_PACKED levels, and DELTA_BINARY_PACKED (Encodings.md).
 *
 * Unpacking is the inner loop of every dictionary-encoded or nullable
 * column, so it is specialized per bit width: a group of 8 values of width w
 * is exactly w bytes, and with w a compile-time constant each value is one
 * unaligned 64-bit load, a shift and a mask. The fast path needs 8 readable
 * bytes past the group; the last groups of a buffer go through a copy into
 * a zero-padded scratch block, so nothing ever reads past the input.
 */
#include "format/parquet/parquet.h"

#include <string.h>

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

#define MASK32(w) ((w) == 32 ? 0xffffffffu : ((1u << (w)) - 1u))

/* groups of 8 values of width W from in (W bytes each), 8 bytes of slack past
 * the last group required. */
#define DEF_UNPACK(W)                                                                              \
    static void unpack_##W(const uint8_t *in, uint32_t *out, size_t groups)                        \
    {                                                                                              \
        for (size_t g = 0; g < groups; g++, in += (W), out += 8) {                                 \
            for (unsigned k = 0; k < 8; k++) {                                                     \
                unsigned bit = k * (W);                                                            \
                out[k] = (uint32_t)(load64(in + (bit >> 3)) >> (bit & 7)) & MASK32(W);             \
            }                                                                                      \
        }                                                                                          \
    }
DEF_UNPACK(1)
DEF_UNPACK(2)
DEF_UNPACK(3)
DEF_UNPACK(4)
DEF_UNPACK(5)
DEF_UNPACK(6)
DEF_UNPACK(7)
DEF_UNPACK(8)
DEF_UNPACK(9)
DEF_UNPACK(10)
DEF_UNPACK(11)
DEF_UNPACK(12)
DEF_UNPACK(13)
DEF_UNPACK(14)
DEF_UNPACK(15)
DEF_UNPACK(16)
DEF_UNPACK(17)
DEF_UNPACK(18)
DEF_UNPACK(19)
DEF_UNPACK(20)
DEF_UNPACK(21)
DEF_UNPACK(22)
DEF_UNPACK(23)
DEF_UNPACK(24)
DEF_UNPACK(25)
DEF_UNPACK(26)
DEF_UNPACK(27)
DEF_UNPACK(28)
DEF_UNPACK(29)
DEF_UNPACK(30)
DEF_UNPACK(31)
DEF_UNPACK(32)

typedef void (*unpack_fn)(const uint8_t *in, uint32_t *out, size_t groups);
static const unpack_fn unpackers[33] = {
    NULL,      unpack_1,  unpack_2,  unpack_3,  unpack_4,  unpack_5,  unpack_6,
    unpack_7,  unpack_8,  unpack_9,  unpack_10, unpack_11, unpack_12, unpack_13,
    unpack_14, unpack_15, unpack_16, unpack_17, unpack_18, unpack_19, unpack_20,
    unpack_21, unpack_22, unpack_23, unpack_24, unpack_25, unpack_26, unpack_27,
    unpack_28, unpack_29, unpack_30, unpack_31, unpack_32,
};

/* Unpack whole groups (n a multiple of 8, in_len >= n / 8 * width or the
 * missing tail reads as zeros). */
static void unpack_groups(const uint8_t *in, size_t in_len, int width, uint32_t *out, size_t groups)
{
    if (width == 0) {
        memset(out, 0, groups * 8 * sizeof *out);
        return;
    }
    size_t w = (size_t)width;
    size_t fast = in_len >= 8 ? (in_len - 8) / w : 0;
    if (fast > groups) fast = groups;
    unpackers[width](in, out, fast);
    for (size_t g = fast; g < groups; g++) {
        uint8_t tmp[48] = {0};
        size_t off = g * w;
        if (off < in_len) memcpy(tmp, in + off, EM_MIN(w, in_len - off));
        unpackers[width](tmp, out + g * 8, 1);
    }
}

void em__pq_unpack32(const uint8_t *in, size_t in_len, int width, uint32_t *out, size_t n)
{
    size_t groups = n / 8;
    unpack_groups(in, in_len, width, out, groups);
    if (n % 8) {
        uint32_t tail[8];
        size_t off = groups * (size_t)width;
        unpack_groups(off < in_len ? in + off : in, off < in_len ? in_len - off : 0, width, tail,
                      1);
        memcpy(out + groups * 8, tail, (n % 8) * sizeof *out);
    }
}

void em__pq_unpack64(const uint8_t *in, size_t in_len, int width, uint64_t *out, size_t n)
{
    if (width <= 32) {
        /* Through the 32-bit unpacker in pieces of 64 values. */
        uint32_t tmp[64];
        size_t done = 0;
        while (done < n) {
            size_t k = EM_MIN(n - done, (size_t)64);
            size_t off = done / 8 * (size_t)width; /* done is a multiple of 64 */
            em__pq_unpack32(off < in_len ? in + off : in, off < in_len ? in_len - off : 0, width,
                            tmp, k);
            for (size_t i = 0; i < k; i++) out[done + i] = tmp[i];
            done += k;
        }
        return;
    }
    /* Wide values: bit by byte, safely. Rare (deltas of INT64 above 2^32). */
    for (size_t i = 0; i < n; i++) {
        uint64_t bit = (uint64_t)i * (uint64_t)width, v = 0;
        for (int b = 0; b < width;) {
            uint64_t byte = (bit + (uint64_t)b) >> 3;
            int shift = (int)((bit + (uint64_t)b) & 7);
            int take = EM_MIN(8 - shift, width - b);
            uint64_t bits = byte < in_len ? (uint64_t)(in[byte] >> shift) & ((1u << take) - 1) : 0;
            v |= bits << b;
            b += take;
        }
        out[i] = v;
    }
}

void em__pq_unpack_msb(const uint8_t *in, size_t in_len, int width, uint8_t *out, size_t first,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t bit = (uint64_t)(first + i) * (uint64_t)width;
        unsigned v = 0;
        for (int b = 0; b < width; b++, bit++) {
            size_t byte = (size_t)(bit >> 3);
            unsigned x = byte < in_len ? (in[byte] >> (7 - (bit & 7))) & 1u : 0u;
            v = v << 1 | x;
        }
        out[i] = (uint8_t)v;
    }
}

/* ---- RLE / bit-packed hybrid ------------------------------------------------ */

void em__pq_rle_init(em__pq_rle *r, const uint8_t *p, size_t n, int width)
{
    static const uint8_t none[1];
    memset(r, 0, sizeof *r);
    if (p == NULL) {
        p = none;
        n = 0;
    }
    r->p = p;
    r->end = p + n;
    r->width = width;
    r->bp_pos = 8;
    if (width < 0 || width > 32) r->bad = true;
}

/* Read the next run header; false at the end of the input or on corruption. */
static bool next_run(em__pq_rle *r)
{
    for (;;) {
        if (r->bad) return false;
        if (r->p >= r->end) {
            if (r->width == 0) {
                /* A width of 0 has only one value; some writers store no runs. */
                r->rle_left = UINT32_MAX;
                r->rle_value = 0;
                return true;
            }
            return false;
        }
        uint64_t h = 0;
        int shift = 0;
        for (;;) {
            if (r->p >= r->end || shift > 35) {
                r->bad = true;
                return false;
            }
            uint8_t b = *r->p++;
            h |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) break;
        }
        if (h & 1) {
            uint64_t groups = h >> 1;
            size_t w = (size_t)r->width;
            size_t avail = (size_t)(r->end - r->p);
            /* Accept a final run whose padding bytes were left out. */
            uint64_t have = w == 0 ? groups : (avail + w - 1) / w;
            if (groups > have) groups = have;
            if (groups == 0) continue;
            if (groups > UINT32_MAX / 8) groups = UINT32_MAX / 8;
            r->bp_left = (uint32_t)(groups * 8);
            r->bp_pos = 8;
            return true;
        }
        uint64_t len = h >> 1;
        int nb = (r->width + 7) / 8;
        if (r->end - r->p < nb) {
            r->bad = true;
            return false;
        }
        uint32_t v = 0;
        for (int i = 0; i < nb; i++) v |= (uint32_t)r->p[i] << (8 * i);
        r->p += nb;
        if (r->width < 32 && (v >> r->width) != 0) v &= (1u << r->width) - 1u;
        if (len == 0) continue;
        r->rle_left = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        r->rle_value = v;
        return true;
    }
}

/* Refill bp_buf with the next group of the current bit-packed run. */
static void bp_group(em__pq_rle *r)
{
    size_t w = (size_t)r->width;
    size_t avail = (size_t)(r->end - r->p);
    unpack_groups(r->p, avail, r->width, r->bp_buf, 1);
    r->p += EM_MIN(w, avail);
    r->bp_pos = 0;
    r->bp_left -= 8;
}

size_t em__pq_rle_u32(em__pq_rle *r, uint32_t *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        if (r->rle_left > 0) {
            size_t k = EM_MIN((size_t)r->rle_left, n - got);
            uint32_t v = r->rle_value;
            for (size_t i = 0; i < k; i++) out[got + i] = v;
            got += k;
            r->rle_left -= (uint32_t)k;
            continue;
        }
        if (r->bp_pos < 8) {
            size_t k = EM_MIN((size_t)(8 - r->bp_pos), n - got);
            memcpy(out + got, r->bp_buf + r->bp_pos, k * sizeof *out);
            r->bp_pos += (int)k;
            got += k;
            continue;
        }
        if (r->bp_left > 0) {
            size_t groups = EM_MIN((size_t)r->bp_left, n - got) / 8;
            if (groups > 0) {
                size_t w = (size_t)r->width;
                size_t avail = (size_t)(r->end - r->p);
                if (w > 0 && groups * w > avail) groups = avail / w;
                if (groups > 0) {
                    unpack_groups(r->p, avail, r->width, out + got, groups);
                    r->p += groups * w;
                    r->bp_left -= (uint32_t)(groups * 8);
                    got += groups * 8;
                    continue;
                }
            }
            bp_group(r);
            continue;
        }
        if (!next_run(r)) break;
    }
    return got;
}

bool em__pq_rle_take_run(em__pq_rle *r, uint32_t value, size_t n)
{
    if (r->rle_left == 0 && r->bp_pos >= 8 && r->bp_left == 0 && !next_run(r)) return false;
    if (r->rle_left < n || r->rle_value != value) return false;
    r->rle_left -= (uint32_t)n;
    return true;
}

size_t em__pq_rle_u8(em__pq_rle *r, uint8_t *out, size_t n)
{
    size_t got = 0;
    uint32_t tmp[256];
    while (got < n) {
        if (r->rle_left > 0) {
            size_t k = EM_MIN((size_t)r->rle_left, n - got);
            memset(out + got, (int)(uint8_t)r->rle_value, k);
            got += k;
            r->rle_left -= (uint32_t)k;
            continue;
        }
        if (r->bp_pos >= 8 && r->bp_left == 0) {
            if (!next_run(r)) break;
            continue;
        }
        /* Inside a bit-packed run: at most what is left of it, through tmp. */
        size_t left = (size_t)r->bp_left + (size_t)(r->bp_pos < 8 ? 8 - r->bp_pos : 0);
        size_t k = EM_MIN(EM_MIN(left, n - got), EM_ARRAY_LEN(tmp));
        size_t d = em__pq_rle_u32(r, tmp, k);
        for (size_t i = 0; i < d; i++) out[got + i] = (uint8_t)tmp[i];
        got += d;
        if (d < k) break;
    }
    return got;
}

size_t em__pq_rle_skip(em__pq_rle *r, size_t n)
{
    uint32_t tmp[256];
    size_t done = 0;
    while (done < n) {
        if (r->rle_left > 0) {
            size_t k = EM_MIN((size_t)r->rle_left, n - done);
            r->rle_left -= (uint32_t)k;
            done += k;
            continue;
        }
        size_t k = EM_MIN(n - done, EM_ARRAY_LEN(tmp));
        size_t d = em__pq_rle_u32(r, tmp, k);
        done += d;
        if (d < k) break;
    }
    return done;
}

/* ---- RLE encoding (writer) ---------------------------------------------------- */

static void put_varint(em_strbuf *out, uint64_t v)
{
    em__thrift_w_varint(out, v);
}

static void put_bitpacked(const uint32_t *v, size_t n, int width, em_strbuf *out)
{
    /* n is a multiple of 8 (the caller pads). */
    size_t groups = n / 8;
    put_varint(out, (uint64_t)groups << 1 | 1);
    size_t bytes = groups * (size_t)width;
    em_strbuf_reserve(out, bytes + 8);
    uint8_t *dst = (uint8_t *)out->data + out->len;
    memset(dst, 0, bytes + 8);
    uint64_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += (uint64_t)width) {
        uint64_t x = (uint64_t)v[i] << (bit & 7);
        size_t byte = (size_t)(bit >> 3);
        for (int k = 0; x != 0; k++, x >>= 8) dst[byte + (size_t)k] |= (uint8_t)x;
    }
    out->len += bytes;
    out->data[out->len] = '\0';
}

static void put_rle(uint32_t value, size_t count, int width, em_strbuf *out)
{
    put_varint(out, (uint64_t)count << 1);
    int nb = (width + 7) / 8;
    for (int i = 0; i < nb; i++) em_strbuf_putc(out, (char)(value >> (8 * i)));
}

void em__pq_rle_encode(const uint32_t *v, size_t n, int width, em_strbuf *out)
{
    uint32_t lit[512];
    size_t nlit = 0;
    size_t i = 0;
    while (i < n) {
        size_t run = 1;
        while (i + run < n && v[i + run] == v[i]) run++;
        if (run >= 8 && nlit % 8 == 0) {
            if (nlit > 0) put_bitpacked(lit, nlit, width, out);
            nlit = 0;
            put_rle(v[i], run, width, out);
            i += run;
            continue;
        }
        /* Literal values, one at a time, until a long run can start on a group
         * boundary. */
        size_t take = run >= 8 ? 8 - nlit % 8 : run;
        for (size_t k = 0; k < take; k++) {
            lit[nlit++] = v[i++];
            if (nlit == EM_ARRAY_LEN(lit)) {
                put_bitpacked(lit, nlit, width, out);
                nlit = 0;
            }
        }
    }
    if (nlit > 0) {
        while (nlit % 8) lit[nlit++] = 0;
        put_bitpacked(lit, nlit, width, out);
    }
}

void em__pq_rle_encode_u8(const uint8_t *v, size_t n, int width, em_strbuf *out)
{
    /* One pass over the whole stream: padding is only allowed at its very end. */
    uint32_t *buf = em_malloc(sizeof *buf * (n > 0 ? n : 1));
    for (size_t i = 0; i < n; i++) buf[i] = v[i];
    em__pq_rle_encode(buf, n, width, out);
    em_free(buf);
}

/* ---- DELTA_BINARY_PACKED -------------------------------------------------------- */

static uint64_t dvarint(em__pq_delta *d)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (d->p >= d->end) {
            d->bad = true;
            d->why = "truncated DELTA_BINARY_PACKED data";
            return 0;
        }
        uint8_t b = *d->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    d->bad = true;
    d->why = "invalid varint in DELTA_BINARY_PACKED data";
    return 0;
}

void em__pq_delta_init(em__pq_delta *d, const uint8_t *p, size_t n)
{
    static const uint8_t none[1];
    memset(d, 0, sizeof *d);
    if (p == NULL) {
        p = none;
        n = 0;
    }
    d->p = p;
    d->end = p + n;
    d->block_size = dvarint(d);
    d->miniblocks = dvarint(d);
    uint64_t total = dvarint(d);
    uint64_t z = dvarint(d);
    d->last = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    if (d->bad) return;
    if (d->block_size == 0 || d->block_size % 128 != 0 || d->block_size > (1u << 20) ||
        d->miniblocks == 0 || d->block_size % d->miniblocks != 0 ||
        (d->block_size / d->miniblocks) % 32 != 0 || total > INT32_MAX) {
        d->bad = true;
        d->why = "invalid DELTA_BINARY_PACKED header";
        return;
    }
    d->per_mini = d->block_size / d->miniblocks;
    d->total = (int64_t)total;
    d->first_pending = total > 0;
    d->mini = d->miniblocks; /* forces a new block on the first delta */
}

/* Start the next miniblock: a new block header when the block is used up. */
static bool next_mini(em__pq_delta *d)
{
    if (d->mini + 1 >= d->miniblocks || d->widths == NULL) {
        uint64_t z = dvarint(d);
        d->min_delta = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
        if (d->bad) return false;
        if ((uint64_t)(d->end - d->p) < d->miniblocks) {
            d->bad = true;
            d->why = "truncated DELTA_BINARY_PACKED block";
            return false;
        }
        d->widths = d->p;
        d->p += d->miniblocks;
        d->mini = 0;
    } else {
        d->mini++;
    }
    if (d->widths[d->mini] > 64) {
        d->bad = true;
        d->why = "DELTA_BINARY_PACKED bit width above 64";
        return false;
    }
    d->mini_left = d->per_mini;
    return true;
}

/* Unpack the next 32 deltas of the current miniblock into buf. */
static bool fill(em__pq_delta *d)
{
    if (d->mini_left == 0 && !next_mini(d)) return false;
    int w = d->widths[d->mini];
    size_t bytes = 4 * (size_t)w; /* 32 values */
    size_t avail = (size_t)(d->end - d->p);
    if (avail < bytes) {
        /* Only the values still needed must be present. */
        int64_t need = d->total - d->done;
        if (need > 32) need = 32;
        if ((size_t)((need * w + 7) / 8) > avail) {
            d->bad = true;
            d->why = "truncated DELTA_BINARY_PACKED miniblock";
            return false;
        }
    }
    em__pq_unpack64(d->p, EM_MIN(avail, bytes), w, d->buf, 32);
    d->p += EM_MIN(avail, bytes);
    d->mini_left -= 32;
    d->buf_pos = 0;
    d->buf_n = 32;
    return true;
}

size_t em__pq_delta_i64(em__pq_delta *d, int64_t *out, size_t n)
{
    size_t got = 0;
    if (d->bad) return 0;
    if (n > 0 && d->first_pending && d->done < d->total) {
        out[got++] = d->last;
        d->first_pending = false;
        d->done++;
    }
    uint64_t last = (uint64_t)d->last;
    while (got < n && d->done < d->total) {
        if (d->buf_pos >= d->buf_n && !fill(d)) break;
        size_t k = EM_MIN((size_t)(d->buf_n - d->buf_pos), n - got);
        if ((int64_t)k > d->total - d->done) k = (size_t)(d->total - d->done);
        uint64_t md = (uint64_t)d->min_delta;
        for (size_t i = 0; i < k; i++) {
            last += md + d->buf[d->buf_pos + (int)i];
            out[got + i] = (int64_t)last;
        }
        d->buf_pos += (int)k;
        d->done += (int64_t)k;
        got += k;
    }
    d->last = (int64_t)last;
    return got;
}

const uint8_t *em__pq_delta_end(em__pq_delta *d)
{
    int64_t tmp[256];
    while (!d->bad && d->done < d->total)
        if (em__pq_delta_i64(d, tmp, EM_ARRAY_LEN(tmp)) == 0) break;
    if (d->bad) return NULL;
    /* The rest of the last miniblock is padding that is present in full. */
    if (d->widths != NULL && d->mini_left > 0) {
        size_t skip = (size_t)d->mini_left / 8 * d->widths[d->mini];
        size_t avail = (size_t)(d->end - d->p);
        d->p += EM_MIN(skip, avail);
        d->mini_left = 0;
    }
    return d->p;
}

void em__pq_delta_encode(const int64_t *v, size_t n, em_strbuf *out)
{
    const size_t block = 128, minis = 4, per = 32;
    em__thrift_w_varint(out, block);
    em__thrift_w_varint(out, minis);
    em__thrift_w_varint(out, n);
    em__thrift_w_zigzag(out, n > 0 ? v[0] : 0);
    size_t i = 1;
    while (i < n) {
        size_t k = EM_MIN(block, n - i);
        uint64_t deltas[128];
        int64_t min = INT64_MAX;
        for (size_t j = 0; j < k; j++) {
            deltas[j] = (uint64_t)v[i + j] - (uint64_t)v[i + j - 1];
            if ((int64_t)deltas[j] < min) min = (int64_t)deltas[j];
        }
        for (size_t j = 0; j < k; j++) deltas[j] -= (uint64_t)min;
        for (size_t j = k; j < block; j++) deltas[j] = 0;
        em__thrift_w_zigzag(out, min);
        uint8_t widths[4] = {0};
        size_t used = (k + per - 1) / per;
        for (size_t m = 0; m < used; m++) {
            uint64_t mx = 0;
            for (size_t j = 0; j < per; j++) mx |= deltas[m * per + j];
            widths[m] = (uint8_t)em__pq_bit_width(mx);
        }
        em_strbuf_append(out, (const char *)widths, minis);
        for (size_t m = 0; m < used; m++) {
            int w = widths[m];
            size_t bytes = per * (size_t)w / 8;
            em_strbuf_reserve(out, bytes + 16);
            uint8_t *dst = (uint8_t *)out->data + out->len;
            memset(dst, 0, bytes + 16);
            uint64_t bit = 0;
            for (size_t j = 0; j < per; j++, bit += (uint64_t)w) {
                uint64_t x = deltas[m * per + j];
                for (int b = 0; b < w; b++)
                    if (x >> b & 1)
                        dst[(bit + (uint64_t)b) >> 3] |= (uint8_t)(1u << ((bit + (uint64_t)b) & 7));
            }
            out->len += bytes;
            out->data[out->len] = '\0';
        }
        i += k;
    }
}
