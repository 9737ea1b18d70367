/*
 * block.c — batches as self-describing, compressed, checksummed blocks.
 *
 * Layout (little-endian):
 *   u32 magic "EMB1" | u32 ncols | i64 nrows | u64 raw_len | u64 comp_len | u64 xxh3(payload)
 *   ncols x (u8 type id, u8 precision, u8 scale, u8 has_validity)
 *   payload: lz4 of, per column: [validity bitmap] [values or int32 offsets from 0]
 *            [for VARCHAR: the bytes]
 * A decoder checks the magic, every size against the buffer and the checksum
 * before it trusts a byte of the payload.
 */
#include "memory/memory_int.h"

#include <lz4.h>
#include <string.h>

#define BLOCK_MAGIC 0x31424d45u /* "EMB1" */
#define HEADER_BYTES 40

static void put_u32(em_strbuf *o, uint32_t v)
{
    em_strbuf_append(o, (const char *)&v, 4);
}
static void put_u64(em_strbuf *o, uint64_t v)
{
    em_strbuf_append(o, (const char *)&v, 8);
}

void em_batch_encode(const em_batch *b, em_strbuf *out)
{
    int64_t n = b->nrows;
    em_strbuf raw;
    em_strbuf_init(&raw);
    for (int c = 0; c < b->ncols; c++) {
        const em_vector *v = b->cols[c];
        if (v->validity) em_strbuf_append(&raw, (const char *)v->validity, (size_t)((n + 7) / 8));
        if (v->type.id == EM_TYPE_VARCHAR) {
            const int32_t *off = EM_VEC_OFFSETS(v);
            int32_t base = off[0];
            for (int64_t i = 0; i <= n; i++) {
                int32_t o = off[i] - base;
                em_strbuf_append(&raw, (const char *)&o, 4);
            }
            em_strbuf_append(&raw, v->chars + base, (size_t)(off[n] - base));
        } else {
            em_strbuf_append(&raw, (const char *)v->data, (size_t)n * em_type_width(v->type));
        }
    }
    int bound = LZ4_compressBound((int)raw.len);
    size_t start = out->len;
    em_strbuf_reserve(out, HEADER_BYTES + (size_t)b->ncols * 4 + (size_t)bound);
    put_u32(out, BLOCK_MAGIC);
    put_u32(out, (uint32_t)b->ncols);
    put_u64(out, (uint64_t)n);
    put_u64(out, raw.len);
    size_t comp_at = out->len;
    put_u64(out, 0); /* compressed length, filled below */
    put_u64(out, 0); /* checksum */
    for (int c = 0; c < b->ncols; c++) {
        const em_vector *v = b->cols[c];
        uint8_t t[4] = {v->type.id, v->type.precision, v->type.scale, v->validity != NULL};
        em_strbuf_append(out, (const char *)t, 4);
    }
    em_strbuf_reserve(out, (size_t)bound);
    int comp = raw.len ? LZ4_compress_default(raw.data, out->data + out->len, (int)raw.len, bound)
                       : 0;
    uint64_t sum = em_hash_bytes(out->data + out->len, (size_t)comp, 0);
    out->len += (size_t)comp;
    out->data[out->len] = '\0';
    uint64_t clen = (uint64_t)comp;
    memcpy(out->data + comp_at, &clen, 8);
    memcpy(out->data + comp_at + 8, &sum, 8);
    em_strbuf_release(&raw);
    EM_UNUSED(start);
}

static int bad(em_error *err, const char *what)
{
    return em_error_set(err, EM_EFORMAT, "corrupt data block: %s", what);
}

int em_batch_decode(const uint8_t *buf, size_t len, em_batch **out, size_t *used, em_error *err)
{
    if (len < HEADER_BYTES) return bad(err, "truncated header");
    uint32_t magic, ncols;
    uint64_t nrows, raw_len, comp_len, sum;
    memcpy(&magic, buf, 4);
    memcpy(&ncols, buf + 4, 4);
    memcpy(&nrows, buf + 8, 8);
    memcpy(&raw_len, buf + 16, 8);
    memcpy(&comp_len, buf + 24, 8);
    memcpy(&sum, buf + 32, 8);
    if (magic != BLOCK_MAGIC) return bad(err, "bad magic number");
    if (ncols > 100000 || nrows > (1u << 30) || raw_len > ((uint64_t)1 << 34))
        return bad(err, "implausible sizes");
    size_t need = HEADER_BYTES + (size_t)ncols * 4;
    if (len < need || len - need < comp_len) return bad(err, "truncated payload");
    const uint8_t *types = buf + HEADER_BYTES, *payload = buf + need;
    if (em_hash_bytes(payload, (size_t)comp_len, 0) != sum) return bad(err, "checksum mismatch");
    char *raw = em_malloc((size_t)raw_len + 1);
    if (raw_len > 0 &&
        LZ4_decompress_safe((const char *)payload, raw, (int)comp_len, (int)raw_len) != (int)raw_len) {
        em_free(raw);
        return bad(err, "decompression failed");
    }
    em_batch *b = em_batch_create((int)ncols);
    size_t at = 0;
    int rc = 0;
    for (uint32_t c = 0; c < ncols && rc == 0; c++) {
        em_type t = {types[c * 4], types[c * 4 + 1], types[c * 4 + 2]};
        if (t.id >= EM_TYPE_COUNT_) {
            rc = bad(err, "unknown column type");
            break;
        }
        em_vector *v = em_vector_create(t, (int64_t)nrows);
        em_batch_set_col(b, (int)c, v);
        size_t vb = (nrows + 7) / 8;
        if (types[c * 4 + 3]) {
            if (raw_len - at < vb) {
                rc = bad(err, "short validity");
                break;
            }
            for (uint64_t i = 0; i < nrows; i++)
                if (!((raw[at + (i >> 3)] >> (i & 7)) & 1)) em_vector_set_null(v, (int64_t)i);
            at += vb;
        }
        if (t.id == EM_TYPE_VARCHAR) {
            size_t ob = (size_t)(nrows + 1) * 4;
            if (raw_len - at < ob) {
                rc = bad(err, "short offsets");
                break;
            }
            int32_t *off = EM_VEC_OFFSETS(v);
            memcpy(off, raw + at, ob);
            at += ob;
            int32_t total = off[nrows];
            bool ok = off[0] == 0 && total >= 0 && (uint64_t)total <= raw_len - at;
            for (uint64_t i = 0; ok && i < nrows; i++) ok = off[i] <= off[i + 1];
            if (!ok) {
                rc = bad(err, "bad string offsets");
                break;
            }
            em_vector_reserve_chars(v, total);
            if (total > 0) memcpy(v->chars, raw + at, (size_t)total);
            v->chars_len = total;
            at += (size_t)total;
        } else {
            size_t db = (size_t)nrows * em_type_width(t);
            if (raw_len - at < db) {
                rc = bad(err, "short values");
                break;
            }
            if (db) memcpy(v->data, raw + at, db);
            at += db;
        }
        v->length = (int64_t)nrows;
        v->null_count = -1;
    }
    em_free(raw);
    b->nrows = (int64_t)nrows;
    if (rc == 0 && at != raw_len) rc = bad(err, "trailing bytes");
    if (rc < 0) {
        em_batch_destroy(b);
        return rc;
    }
    *out = b;
    *used = need + (size_t)comp_len;
    return 0;
}
