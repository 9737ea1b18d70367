/*
 * parquet_codec.c — page compression: SNAPPY (raw snappy blocks), GZIP (zlib
 * streams with a gzip header), ZSTD (frames), LZ4_RAW (one raw LZ4 block) and
 * the deprecated LZ4 codec (Hadoop's framing of raw blocks, with a fallback to
 * a single raw block, as files in the wild contain both). LZO and BROTLI are
 * not available.
 *
 * Decompression must produce exactly the size the page header promises;
 * anything else is a corrupt page.
 */
#include "format/parquet/parquet.h"

#include "common/crc32.h"

#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

uint32_t em__pq_crc32(const uint8_t *p, size_t n)
{
    return em_crc32(0, p, n);
}

static int gunzip(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 32 + 15: accept both gzip and zlib headers. */
    if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK) return -1;
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.next_out = dst;
    size_t in_left = n, out_left = dst_len;
    int rc = Z_OK;
    while (rc == Z_OK) {
        uInt in_step = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
        uInt out_step = out_left > UINT32_MAX ? UINT32_MAX : (uInt)out_left;
        zs.avail_in = in_step;
        zs.avail_out = out_step;
        rc = inflate(&zs, Z_FINISH);
        in_left -= in_step - zs.avail_in;
        out_left -= out_step - zs.avail_out;
        if (rc == Z_STREAM_END && in_left > 0 && out_left > 0) {
            /* Concatenated gzip members. */
            if (inflateReset(&zs) != Z_OK) break;
            rc = Z_OK;
        } else if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
            break;
        } else if (rc == Z_BUF_ERROR && out_left == 0) {
            break;
        }
    }
    inflateEnd(&zs);
    return (rc == Z_STREAM_END || rc == Z_OK) && out_left == 0 ? 0 : -1;
}

/* Hadoop's LZ4 framing: blocks of [u32 BE decompressed][u32 BE compressed][data]. */
static int hadoop_lz4(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    size_t in = 0, out = 0;
    while (in < n) {
        if (n - in < 8) return -1;
        uint32_t raw = (uint32_t)src[in] << 24 | (uint32_t)src[in + 1] << 16 |
                       (uint32_t)src[in + 2] << 8 | src[in + 3];
        uint32_t comp = (uint32_t)src[in + 4] << 24 | (uint32_t)src[in + 5] << 16 |
                        (uint32_t)src[in + 6] << 8 | src[in + 7];
        in += 8;
        if (comp > n - in || raw > dst_len - out || comp > INT32_MAX || raw > INT32_MAX) return -1;
        int got =
            LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)comp, (int)raw);
        if (got < 0 || (uint32_t)got != raw) return -1;
        in += comp;
        out += raw;
    }
    return out == dst_len ? 0 : -1;
}

bool em__pq_decompress_plausible(int codec, const uint8_t *src, size_t n, size_t out_len)
{
    /* Pages are at most 2 GiB; the codecs' own limits bound the rest, so that a
     * corrupt header cannot make the reader allocate gigabytes for nothing. */
    if (out_len > INT32_MAX) return false;
    switch (codec) {
    case EM__PQ_SNAPPY: {
        size_t len;
        return snappy_uncompressed_length((const char *)src, n, &len) == SNAPPY_OK &&
               len == out_len;
    }
    case EM__PQ_ZSTD: {
        unsigned long long len = ZSTD_getFrameContentSize(src, n);
        if (len == ZSTD_CONTENTSIZE_ERROR) return false;
        if (len != ZSTD_CONTENTSIZE_UNKNOWN && (n == 0 || len > out_len)) return false;
        return true;
    }
    case EM__PQ_LZ4_RAW:
    case EM__PQ_LZ4:
        /* LZ4 expands at most about 255 times. */
        return out_len <= n * 256 + 64;
    case EM__PQ_GZIP:
        /* Deflate expands at most about 1032 times. */
        return out_len <= n * 1040 + 1024;
    default:
        return true;
    }
}

struct em__pq_dctx {
    ZSTD_DCtx *zstd;
};

void em__pq_dctx_free(em__pq_dctx *ctx)
{
    if (ctx == NULL) return;
    if (ctx->zstd) ZSTD_freeDCtx(ctx->zstd);
    em_free(ctx);
}

int em__pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    return em__pq_decompress_ctx(NULL, codec, src, n, dst, dst_len);
}

int em__pq_decompress_ctx(em__pq_dctx **ctx, int codec, const uint8_t *src, size_t n, uint8_t *dst,
                          size_t dst_len)
{
    switch (codec) {
    case EM__PQ_UNCOMPRESSED:
        if (n != dst_len) return -1;
        if (n > 0) memcpy(dst, src, n);
        return 0;
    case EM__PQ_SNAPPY: {
        size_t len;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK || len != dst_len)
            return -1;
        size_t out = dst_len;
        if (snappy_uncompress((const char *)src, n, (char *)dst, &out) != SNAPPY_OK ||
            out != dst_len)
            return -1;
        return 0;
    }
    case EM__PQ_GZIP:
        return gunzip(src, n, dst, dst_len);
    case EM__PQ_ZSTD: {
        /* ZSTD_decompress sets up (allocates and initializes) a context of
         * about 160 KB per call; a reader keeps one for all its pages. */
        ZSTD_DCtx *z = NULL;
        if (ctx != NULL) {
            if (*ctx == NULL) *ctx = em_calloc(1, sizeof **ctx);
            if ((*ctx)->zstd == NULL) (*ctx)->zstd = ZSTD_createDCtx();
            z = (*ctx)->zstd;
        }
        size_t got = z != NULL ? ZSTD_decompressDCtx(z, dst, dst_len, src, n)
                               : ZSTD_decompress(dst, dst_len, src, n);
        return ZSTD_isError(got) || got != dst_len ? -1 : 0;
    }
    case EM__PQ_LZ4_RAW: {
        if (n > INT32_MAX || dst_len > INT32_MAX) return -1;
        int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
        return got < 0 || (size_t)got != dst_len ? -1 : 0;
    }
    case EM__PQ_LZ4: {
        if (hadoop_lz4(src, n, dst, dst_len) == 0) return 0;
        if (n > INT32_MAX || dst_len > INT32_MAX) return -1;
        int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
        return got < 0 || (size_t)got != dst_len ? -1 : 0;
    }
    default:
        return -2;
    }
}

int em__pq_compress(int codec, int level, const uint8_t *src, size_t n, em_strbuf *out)
{
    switch (codec) {
    case EM__PQ_UNCOMPRESSED:
        em_strbuf_append(out, (const char *)src, n);
        return 0;
    case EM__PQ_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        em_strbuf_reserve(out, cap + 1);
        size_t got = cap;
        if (snappy_compress((const char *)src, n, out->data + out->len, &got) != SNAPPY_OK)
            return -1;
        out->len += got;
        out->data[out->len] = '\0';
        return 0;
    }
    case EM__PQ_GZIP: {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        /* 16 + 15: a gzip header, as Parquet's GZIP codec specifies. */
        if (deflateInit2(&zs, level > 0 ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS,
                         8, Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        if (n > UINT32_MAX / 2) {
            deflateEnd(&zs);
            return -1;
        }
        uLong cap = deflateBound(&zs, (uLong)n);
        em_strbuf_reserve(out, (size_t)cap + 1);
        zs.next_in = (Bytef *)(uintptr_t)src;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out->data + out->len;
        zs.avail_out = (uInt)cap;
        int rc = deflate(&zs, Z_FINISH);
        size_t got = (size_t)cap - zs.avail_out;
        deflateEnd(&zs);
        if (rc != Z_STREAM_END) return -1;
        out->len += got;
        out->data[out->len] = '\0';
        return 0;
    }
    case EM__PQ_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        em_strbuf_reserve(out, cap + 1);
        size_t got = ZSTD_compress(out->data + out->len, cap, src, n, level > 0 ? level : 3);
        if (ZSTD_isError(got)) return -1;
        out->len += got;
        out->data[out->len] = '\0';
        return 0;
    }
    case EM__PQ_LZ4_RAW: {
        if (n > (size_t)LZ4_MAX_INPUT_SIZE) return -1;
        int cap = LZ4_compressBound((int)n);
        em_strbuf_reserve(out, (size_t)cap + 1);
        int got = LZ4_compress_default((const char *)src, out->data + out->len, (int)n, cap);
        if (got <= 0 && n > 0) return -1;
        out->len += (size_t)got;
        out->data[out->len] = '\0';
        return 0;
    }
    default:
        return -1;
    }
}
