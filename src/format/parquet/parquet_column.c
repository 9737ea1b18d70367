/*
 * parquet_column.c — reading one column chunk, page by page, into ember
 * vectors.
 *
 * A chunk is a run of pages: an optional dictionary page, then data pages (v1:
 * levels and values compressed together; v2: levels uncompressed in front of
 * the optionally compressed values). For each page the reader checks the
 * optional CRC, decompresses (uncompressed v1 pages are read in place from
 * the mapped file), sets up the level decoders and the value decoder of the
 * page's encoding, and then hands out values as callers ask for rows.
 *
 * Values are decoded densely (one per non-null entry) straight into the
 * destination vector and, when the page had NULLs, spread out to their rows in
 * one backwards pass. Physical values convert to ember's types on the way:
 * identical layouts (INT32 -> INTEGER, INT64 -> BIGINT, DOUBLE, DATE,
 * TIMESTAMP micros, DECIMAL as INT64) are one memcpy; dictionary pages are
 * converted once and data pages become a gather by index (from a dictionary
 * padded so that indices need no check before the gather, see dict_values).
 * All-valid stretches of an optional column skip their definition levels in
 * one step. Buffers and codec state live as long as the reader and pass on to
 * the next row group's (em__pq_col_reopen): pages cost no allocation.
 */
#include "format/parquet/parquet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Values converted per step; bounds every scratch array. */
#define STEP EM_BATCH_ROWS

typedef struct cursor {
    const uint8_t *p, *end;
    uint64_t bit;            /* PLAIN booleans: bit offset from p */
    const uint8_t *safe_end; /* readable up to here (>= end; past it in a padded buffer) */
} cursor;

/* Bytes readable past the data in buffers the reader allocates (page and
 * DELTA_BYTE_ARRAY buffers), and the slack left in a string vector's bytes:
 * short strings are then copied as one fixed-size move, not a memcpy call. */
#define SLACK 32

/* A padding entry of a VARCHAR dictionary's table (see dict_strings). */
#define BAD_ENTRY ((uint64_t)1 << 63)

typedef struct levels {
    bool bitpacked; /* deprecated BIT_PACKED */
    em__pq_rle rle;
    const uint8_t *raw;
    size_t raw_len;
    size_t index;
    int width;
} levels;

struct em__pq_colreader {
    const em__pq_file *f;
    em__pq_where where;
    const em__pq_node *node;
    int ptype;
    int type_len;
    em__pq_conv conv;
    em_type type;
    int max_def, max_rep;
    int codec;
    const uint8_t *pos, *end; /* what is left of the chunk */
    em_vector *dict;          /* converted dictionary, or NULL */
    /* Dictionaries are padded to dict_pad entries, a power of two (see
     * dict_values); VARCHAR ones get a table of entry i as offset | length << 32,
     * padded with BAD_ENTRY (see dict_strings). */
    uint64_t dict_pad;
    uint64_t *dent;
    int32_t dmax; /* the longest entry */
    /* the current page */
    int64_t page_left; /* level entries not yet read */
    int encoding;
    levels rep, def;
    cursor vals;
    em__pq_rle idx;      /* dictionary indices, RLE booleans */
    em__pq_delta delta;  /* DELTA_BINARY_PACKED */
    em__pq_delta lens;   /* DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY: lengths */
    em__pq_delta prefix; /* DELTA_BYTE_ARRAY: prefix lengths */
    int64_t *pbuf;       /* STEP prefix lengths */
    int64_t page_values; /* level entries of the current page */
    uint8_t *prev;       /* DELTA_BYTE_ARRAY: the previous value */
    size_t prev_len, prev_cap;
    int64_t bss_n, bss_pos; /* BYTE_STREAM_SPLIT: values in the page, next one */
    /* scratch (kept from row group to row group by em__pq_col_reopen) */
    em__pq_dctx *dctx;
    uint8_t *page_buf;
    size_t page_cap;
    uint8_t *lvl;   /* STEP definition levels */
    uint32_t *ibuf; /* STEP indices */
    int64_t *i64;   /* STEP integers */
    uint8_t *raw;   /* STEP fixed-size values (BYTE_STREAM_SPLIT) */
    size_t raw_cap;
    const uint8_t **bp; /* STEP byte-array values */
    int32_t *bl;
    uint8_t *dba; /* DELTA_BYTE_ARRAY values of one step */
    size_t dba_cap;
};

int em__pq_where_error(const em__pq_where *w, em_error *err, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->row_group >= 0 && w->column)
        return em_error_set(err, code, "%s: row group %d, column '%s': %s", w->path, w->row_group,
                            w->column, msg);
    if (w->row_group >= 0)
        return em_error_set(err, code, "%s: row group %d: %s", w->path, w->row_group, msg);
    return em_error_set(err, code, "%s: %s", w->path, msg);
}

#define CERR(c, code, ...) em__pq_where_error(&(c)->where, err, code, __VA_ARGS__)
#define CORRUPT(c, ...) CERR(c, EM_EFORMAT, __VA_ARGS__)

int64_t em__pq_col_values_left(const em__pq_colreader *c)
{
    return c->page_left;
}

static size_t fixed_size(const em__pq_colreader *c)
{
    switch (c->ptype) {
    case EM__PQ_INT32:
    case EM__PQ_FLOAT:
        return 4;
    case EM__PQ_INT64:
    case EM__PQ_DOUBLE:
        return 8;
    case EM__PQ_INT96:
        return 12;
    case EM__PQ_FLBA:
        return (size_t)c->type_len;
    default:
        return 0;
    }
}

void em__pq_col_close(em__pq_colreader *c)
{
    if (c == NULL) return;
    em_vector_unref(c->dict);
    em_free(c->dent);
    em__pq_dctx_free(c->dctx);
    em_free(c->page_buf);
    em_free(c->lvl);
    em_free(c->ibuf);
    em_free(c->i64);
    em_free(c->raw);
    em_free(c->bp);
    em_free(c->bl);
    em_free(c->dba);
    em_free(c->pbuf);
    em_free(c->prev);
    em_free(c);
}

em__pq_colreader *em__pq_col_open(const em__pq_file *f, int row_group, int leaf,
                                  const em__pq_where *where, em_error *err, int *rc)
{
    return em__pq_col_reopen(NULL, f, row_group, leaf, where, err, rc);
}

/* Move the scratch buffers (not the page state) of `from` into `to`. */
static void take_scratch(em__pq_colreader *to, em__pq_colreader *from)
{
#define TAKE(field)                                                                                \
    do {                                                                                           \
        to->field = from->field;                                                                   \
        from->field = NULL;                                                                        \
    } while (0)
    TAKE(dctx);
    TAKE(page_buf);
    to->page_cap = from->page_cap;
    from->page_cap = 0;
    TAKE(lvl);
    TAKE(ibuf);
    TAKE(i64);
    TAKE(bp);
    TAKE(bl);
    TAKE(raw);
    to->raw_cap = from->raw_cap;
    from->raw_cap = 0;
#undef TAKE
}

em__pq_colreader *em__pq_col_reopen(em__pq_colreader *old, const em__pq_file *f, int row_group,
                                    int leaf, const em__pq_where *where, em_error *err, int *rc)
{
    const em__pq_row_group *rg = &f->meta.row_groups[row_group];
    const em__pq_node *node = &f->schema.nodes[f->schema.leaf_node[leaf]];
    em__pq_colreader *c = em_calloc(1, sizeof *c);
    if (old != NULL) {
        take_scratch(c, old);
        em__pq_col_close(old);
    }
    c->f = f;
    c->where = *where;
    c->node = node;
    c->ptype = node->el->type;
    c->type_len = node->el->type_length;
    c->conv = node->conv;
    c->type = node->type;
    c->max_def = node->def;
    c->max_rep = node->rep;
    *rc = 0;
    if (node->problem != NULL) {
        *rc = CERR(c, EM_EUNSUPPORTED, "%s", node->problem);
        em__pq_col_close(c);
        return NULL;
    }
    if (leaf >= rg->ncolumns) {
        *rc = CORRUPT(c, "row group has %d column chunks, the schema %d", rg->ncolumns,
                      f->schema.nleaves);
        em__pq_col_close(c);
        return NULL;
    }
    const em__pq_column_chunk *cc = &rg->columns[leaf];
    if (cc->encrypted) {
        *rc = CERR(c, EM_EUNSUPPORTED, "encrypted columns are not supported");
        em__pq_col_close(c);
        return NULL;
    }
    if (cc->file_path != NULL && cc->file_path[0] != '\0') {
        *rc = CERR(c, EM_EUNSUPPORTED, "column chunks in other files ('%s') are not supported",
                   cc->file_path);
        em__pq_col_close(c);
        return NULL;
    }
    int64_t start, len;
    if (!em__pq_chunk_range(cc, f->size, &start, &len)) {
        *rc = CORRUPT(c, "column chunk metadata is missing or points outside the file");
        em__pq_col_close(c);
        return NULL;
    }
    if (cc->meta.type != c->ptype) {
        *rc = CORRUPT(c, "column chunk type %s differs from the schema's %s",
                      em__pq_type_name(cc->meta.type), em__pq_type_name(c->ptype));
        em__pq_col_close(c);
        return NULL;
    }
    c->codec = cc->meta.codec;
    c->pos = f->data + start;
    c->end = c->pos + len;
    if (c->ptype == EM__PQ_FLBA && c->type_len <= 0) {
        *rc = CORRUPT(c, "FIXED_LEN_BYTE_ARRAY without a length");
        em__pq_col_close(c);
        return NULL;
    }
    if (c->lvl == NULL) {
        c->lvl = em_malloc(STEP);
        c->ibuf = em_malloc(sizeof *c->ibuf * STEP);
        c->i64 = em_malloc(sizeof *c->i64 * STEP);
        c->bp = em_malloc(sizeof *c->bp * STEP);
        c->bl = em_malloc(sizeof *c->bl * STEP);
    }
    return c;
}

/* ---- conversions ---------------------------------------------------------------- */

static inline void str_put(em_vector *v, int64_t row, const void *p, int32_t n)
{
    if (EM_UNLIKELY(v->chars_len + n > v->chars_cap)) em_vector_reserve_chars(v, n);
    if (n > 0) memcpy(v->chars + v->chars_len, p, (size_t)n);
    v->chars_len += n;
    EM_VEC_OFFSETS(v)[row + 1] = (int32_t)v->chars_len;
}

static int chars_check(em__pq_colreader *c, const em_vector *v, int64_t more, em_error *err)
{
    if (v->chars_len + more > INT32_MAX)
        return CERR(c, EM_EUNSUPPORTED, "more than 2 GiB of text in one batch");
    return 0;
}

static void put_time(em_vector *v, int64_t row, int64_t micros)
{
    char buf[32];
    int64_t day = 86400LL * 1000000;
    micros %= day;
    if (micros < 0) micros += day;
    int64_t s = micros / 1000000, frac = micros % 1000000;
    int n = snprintf(buf, sizeof buf, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60),
                     (int)(s % 60));
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06d", (int)frac);
        int fl = 6;
        while (fl > 0 && f[fl - 1] == '0') fl--;
        n += snprintf(buf + n, sizeof buf - (size_t)n, ".%.*s", fl, f);
    }
    str_put(v, row, buf, n);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Integers (from INT32/INT64 physical values) into rows [pos, pos + n). */
static int put_ints(em__pq_colreader *c, const int64_t *x, int64_t n, em_vector *v, int64_t pos,
                    em_error *err)
{
    switch (c->conv) {
    case EM__PQ_CV_I32:
    case EM__PQ_CV_DATE: {
        int32_t *d = EM_VEC_I32(v) + pos;
        for (int64_t i = 0; i < n; i++) d[i] = (int32_t)x[i];
        return 0;
    }
    case EM__PQ_CV_U32: {
        int64_t *d = EM_VEC_I64(v) + pos;
        for (int64_t i = 0; i < n; i++) d[i] = (int64_t)(uint32_t)x[i];
        return 0;
    }
    case EM__PQ_CV_DEC32: {
        int64_t *d = EM_VEC_I64(v) + pos;
        for (int64_t i = 0; i < n; i++) d[i] = (int32_t)x[i];
        return 0;
    }
    case EM__PQ_CV_I64:
    case EM__PQ_CV_DEC64:
    case EM__PQ_CV_TS_MICROS:
        memcpy(EM_VEC_I64(v) + pos, x, (size_t)n * sizeof *x);
        return 0;
    case EM__PQ_CV_U64: {
        int64_t *d = EM_VEC_I64(v) + pos;
        for (int64_t i = 0; i < n; i++) {
            if (x[i] < 0)
                return CERR(c, EM_EOVERFLOW, "UINT64 value %llu does not fit in a BIGINT",
                            (unsigned long long)x[i]);
            d[i] = x[i];
        }
        return 0;
    }
    case EM__PQ_CV_TS_MILLIS: {
        int64_t *d = EM_VEC_I64(v) + pos;
        for (int64_t i = 0; i < n; i++)
            if (__builtin_mul_overflow(x[i], (int64_t)1000, &d[i]))
                return CERR(c, EM_EOVERFLOW, "timestamp %lld ms is out of range", (long long)x[i]);
        return 0;
    }
    case EM__PQ_CV_TS_NANOS: {
        int64_t *d = EM_VEC_I64(v) + pos;
        for (int64_t i = 0; i < n; i++) d[i] = floor_div(x[i], 1000);
        return 0;
    }
    case EM__PQ_CV_TIME_MILLIS:
    case EM__PQ_CV_TIME_MICROS:
    case EM__PQ_CV_TIME_NANOS: {
        EM_TRY(chars_check(c, v, n * 16, err));
        for (int64_t i = 0; i < n; i++) {
            int64_t us = c->conv == EM__PQ_CV_TIME_MILLIS   ? x[i] * 1000
                         : c->conv == EM__PQ_CV_TIME_MICROS ? x[i]
                                                            : floor_div(x[i], 1000);
            put_time(v, pos + i, us);
        }
        return 0;
    }
    default:
        return CERR(c, EM_EINTERNAL, "integer values for a non-integer column");
    }
}

static int64_t be_int(const uint8_t *p, int32_t n, bool *ok)
{
    *ok = true;
    if (n == 0) return 0;
    uint64_t v = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
    if (n > 8) {
        /* Leading bytes must only extend the sign. */
        uint8_t ext = (p[0] & 0x80) ? 0xff : 0x00;
        for (int32_t i = 0; i < n - 8; i++)
            if (p[i] != ext) *ok = false;
        if (((p[n - 8] & 0x80) != 0) != (ext == 0xff)) *ok = false;
        p += n - 8;
        n = 8;
    }
    for (int32_t i = 0; i < n; i++) v = v << 8 | p[i];
    return (int64_t)v;
}

static double half_to_double(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp((double)mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexp((double)(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

static void put_uuid(em_vector *v, int64_t row, const uint8_t *p)
{
    static const char hex[] = "0123456789abcdef";
    char buf[36];
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) buf[k++] = '-';
        buf[k++] = hex[p[i] >> 4];
        buf[k++] = hex[p[i] & 15];
    }
    str_put(v, row, buf, 36);
}

/* One value of a byte-array-like column (BYTE_ARRAY, FLBA, INT96) into row. */
static int put_one_bytes(em__pq_colreader *c, const uint8_t *p, int32_t n, em_vector *v,
                         int64_t row, em_error *err)
{
    switch (c->conv) {
    case EM__PQ_CV_STRING:
        str_put(v, row, p, n);
        return 0;
    case EM__PQ_CV_DECBYTES: {
        bool ok;
        int64_t x = be_int(p, n, &ok);
        if (!ok) return CORRUPT(c, "DECIMAL value does not fit its precision");
        EM_VEC_I64(v)[row] = x;
        return 0;
    }
    case EM__PQ_CV_UUID:
        if (n != 16) return CORRUPT(c, "UUID value of %d bytes", (int)n);
        put_uuid(v, row, p);
        return 0;
    case EM__PQ_CV_FLOAT16:
        if (n != 2) return CORRUPT(c, "FLOAT16 value of %d bytes", (int)n);
        EM_VEC_F64(v)[row] = half_to_double((uint16_t)(p[0] | p[1] << 8));
        return 0;
    case EM__PQ_CV_INTERVAL: {
        if (n != 12) return CORRUPT(c, "INTERVAL value of %d bytes", (int)n);
        int32_t parts[3];
        memcpy(parts, p, 12);
        em_interval iv = {parts[0], parts[1], (int64_t)parts[2] * 1000};
        ((em_interval *)v->data)[row] = iv;
        return 0;
    }
    case EM__PQ_CV_INT96: {
        if (n != 12) return CORRUPT(c, "INT96 value of %d bytes", (int)n);
        int64_t nanos;
        uint32_t jd;
        memcpy(&nanos, p, 8);
        memcpy(&jd, p + 8, 4);
        /* Julian day 2440588 is 1970-01-01. */
        EM_VEC_I64(v)
        [row] = ((int64_t)jd - 2440588LL) * 86400LL * 1000000LL + floor_div(nanos, 1000);
        return 0;
    }
    default:
        return CERR(c, EM_EINTERNAL, "byte values for a numeric column");
    }
}

/* n byte-array values (p[i], len[i]) into rows [pos, pos + n); bytes up to
 * safe_end may be read past a value. */
static int put_bytes(em__pq_colreader *c, const uint8_t *const *p, const int32_t *len, int64_t n,
                     em_vector *v, int64_t pos, const uint8_t *safe_end, em_error *err)
{
    if (c->conv == EM__PQ_CV_STRING) {
        int64_t total = 0;
        for (int64_t i = 0; i < n; i++) total += len[i];
        EM_TRY(chars_check(c, v, total, err));
        /* The slack also makes the buffer exist even for empty strings. */
        em_vector_reserve_chars(v, total + SLACK);
        char *dst = v->chars + v->chars_len;
        int32_t *off = EM_VEC_OFFSETS(v) + pos + 1;
        int64_t at = v->chars_len;
        for (int64_t i = 0; i < n; i++) {
            int32_t l = len[i];
            if (l <= SLACK && (size_t)(safe_end - p[i]) >= SLACK)
                memcpy(dst, p[i], SLACK);
            else if (l > 0)
                memcpy(dst, p[i], (size_t)l);
            dst += l;
            at += l;
            off[i] = (int32_t)at;
        }
        v->chars_len = at;
        return 0;
    }
    if (v->type.id == EM_TYPE_VARCHAR) EM_TRY(chars_check(c, v, n * 40, err));
    for (int64_t i = 0; i < n; i++) EM_TRY(put_one_bytes(c, p[i], len[i], v, pos + i, err));
    return 0;
}

/* n fixed-size little-endian values (PLAIN or reassembled BYTE_STREAM_SPLIT). */
static int put_fixed(em__pq_colreader *c, const uint8_t *raw, int64_t n, em_vector *v, int64_t pos,
                     em_error *err)
{
    switch (c->ptype) {
    case EM__PQ_INT32:
        if (c->conv == EM__PQ_CV_I32 || c->conv == EM__PQ_CV_DATE) {
            memcpy(EM_VEC_I32(v) + pos, raw, (size_t)n * 4);
            return 0;
        }
        for (int64_t i = 0; i < n; i++) {
            int32_t x;
            memcpy(&x, raw + 4 * i, 4);
            c->i64[i] = x;
        }
        return put_ints(c, c->i64, n, v, pos, err);
    case EM__PQ_INT64:
        if (c->conv == EM__PQ_CV_I64 || c->conv == EM__PQ_CV_DEC64 ||
            c->conv == EM__PQ_CV_TS_MICROS) {
            memcpy(EM_VEC_I64(v) + pos, raw, (size_t)n * 8);
            return 0;
        }
        memcpy(c->i64, raw, (size_t)n * 8);
        return put_ints(c, c->i64, n, v, pos, err);
    case EM__PQ_FLOAT: {
        double *d = EM_VEC_F64(v) + pos;
        for (int64_t i = 0; i < n; i++) {
            float x;
            memcpy(&x, raw + 4 * i, 4);
            d[i] = x;
        }
        return 0;
    }
    case EM__PQ_DOUBLE:
        memcpy(EM_VEC_F64(v) + pos, raw, (size_t)n * 8);
        return 0;
    case EM__PQ_INT96:
    case EM__PQ_FLBA: {
        int32_t sz = (int32_t)fixed_size(c);
        if (v->type.id == EM_TYPE_VARCHAR) EM_TRY(chars_check(c, v, n * (sz + 40), err));
        for (int64_t i = 0; i < n; i++)
            EM_TRY(put_one_bytes(c, raw + (size_t)sz * (size_t)i, sz, v, pos + i, err));
        return 0;
    }
    default:
        return CERR(c, EM_EINTERNAL, "fixed-size values for type %s", em__pq_type_name(c->ptype));
    }
}

/* ---- value decoders ----------------------------------------------------------------- */

static int short_page(em__pq_colreader *c, em_error *err)
{
    return CORRUPT(c, "page has fewer values than its levels say (%s)",
                   em__pq_encoding_name(c->encoding));
}

/* PLAIN: n values from cursor k into rows [pos, pos + n) of v. */
static int plain_values(em__pq_colreader *c, cursor *k, em_vector *v, int64_t pos, int64_t n,
                        em_error *err)
{
    if (c->ptype == EM__PQ_BOOLEAN) {
        uint64_t avail = (uint64_t)(k->end - k->p) * 8;
        if (k->bit + (uint64_t)n > avail) return short_page(c, err);
        uint8_t *d = EM_VEC_BOOL(v) + pos;
        for (int64_t i = 0; i < n; i++, k->bit++) d[i] = (k->p[k->bit >> 3] >> (k->bit & 7)) & 1;
        return 0;
    }
    if (c->ptype == EM__PQ_BYTE_ARRAY) {
        for (int64_t done = 0; done < n;) {
            int64_t m = EM_MIN(n - done, (int64_t)STEP);
            for (int64_t i = 0; i < m; i++) {
                if (k->end - k->p < 4) return short_page(c, err);
                uint32_t len;
                memcpy(&len, k->p, 4);
                k->p += 4;
                if (len > (uint64_t)(k->end - k->p) || len > INT32_MAX)
                    return CORRUPT(c, "byte array length %u runs past the page", len);
                c->bp[i] = k->p;
                c->bl[i] = (int32_t)len;
                k->p += len;
            }
            EM_TRY(put_bytes(c, c->bp, c->bl, m, v, pos + done, k->safe_end, err));
            done += m;
        }
        return 0;
    }
    size_t sz = fixed_size(c);
    if ((uint64_t)(k->end - k->p) / sz < (uint64_t)n) return short_page(c, err);
    for (int64_t done = 0; done < n;) {
        int64_t m = EM_MIN(n - done, (int64_t)STEP);
        EM_TRY(put_fixed(c, k->p, m, v, pos + done, err));
        k->p += sz * (size_t)m;
        done += m;
    }
    return 0;
}

/* The error for the first index of ix[0..m) not below nd, or 0 when there is
 * none. */
static int bad_index(em__pq_colreader *c, const uint32_t *ix, int64_t m, uint32_t nd, em_error *err)
{
    for (int64_t i = 0; i < m; i++)
        if (ix[i] >= nd)
            return CORRUPT(c, "dictionary index %u out of range (%u entries)", ix[i], nd);
    return 0;
}

/* m strings of the dictionary by index into rows [at, at + m). */
static int dict_strings(em__pq_colreader *c, const uint32_t *ix, int64_t m, em_vector *v,
                        int64_t at, bool checked, em_error *err)
{
    const em_vector *d = c->dict;
    const uint64_t *de = c->dent;
    uint32_t nd = (uint32_t)d->length;
    /* Room for m of the longest entry when that is modest, else the exact sum
     * (which needs the indices checked first). */
    int64_t room = (int64_t)c->dmax * m;
    if (room > ((int64_t)1 << 20)) {
        if (!checked) {
            uint32_t bad = 0;
            for (int64_t i = 0; i < m; i++) bad |= ix[i] >= nd;
            if (bad) EM_TRY(bad_index(c, ix, m, nd, err));
            checked = true;
        }
        room = 0;
        for (int64_t i = 0; i < m; i++) room += (int64_t)(de[ix[i]] >> 32 & INT32_MAX);
    }
    EM_TRY(chars_check(c, v, room, err));
    /* SLACK bytes past the end on both sides (the dictionary got its slack
     * when it was loaded): strings up to SLACK bytes, the common case of
     * dictionary columns, copy as one fixed-size move. */
    em_vector_reserve_chars(v, room + SLACK);
    int32_t *oo = EM_VEC_OFFSETS(v) + at + 1;
    char *dst = v->chars;
    const char *src = d->chars;
    int64_t len = v->chars_len;
    /* Indices of a page's bit width reach at most the padded table's end,
     * whose padding entries (BAD_ENTRY) are empty strings that flag the
     * batch: one OR per value instead of a compare pass. */
    uint64_t flags = 0;
    if (c->dmax <= 16) {
        for (int64_t i = 0; i < m; i++) {
            uint64_t e = de[ix[i]];
            flags |= e;
            memcpy(dst + len, src + (uint32_t)e, 16);
            len += (int64_t)(e >> 32 & INT32_MAX);
            oo[i] = (int32_t)len;
        }
    } else if (c->dmax <= SLACK) {
        for (int64_t i = 0; i < m; i++) {
            uint64_t e = de[ix[i]];
            flags |= e;
            memcpy(dst + len, src + (uint32_t)e, SLACK);
            len += (int64_t)(e >> 32 & INT32_MAX);
            oo[i] = (int32_t)len;
        }
    } else {
        for (int64_t i = 0; i < m; i++) {
            uint64_t e = de[ix[i]];
            flags |= e;
            uint32_t b = (uint32_t)e, l = (uint32_t)(e >> 32 & INT32_MAX);
            if (l <= SLACK)
                memcpy(dst + len, src + b, SLACK);
            else
                memcpy(dst + len, src + b, l);
            len += l;
            oo[i] = (int32_t)len;
        }
    }
    if (EM_UNLIKELY(flags & BAD_ENTRY)) EM_TRY(bad_index(c, ix, m, nd, err));
    v->chars_len = len;
    return 0;
}

/* Dictionary indices -> values. */
static int dict_values(em__pq_colreader *c, em_vector *v, int64_t pos, int64_t n, em_error *err)
{
    const em_vector *d = c->dict;
    uint32_t nd = (uint32_t)d->length;
    int w = c->idx.width;
    /* Indices of width w are below 2^w. When that is within the dictionary
     * there is nothing to check. When it is within the padding (a writer's
     * minimal width always is), the gather reads the zeros of the padding and
     * the indices are checked after it by their maximum (strings: padding
     * entries flag themselves). Otherwise they are checked before. */
    bool checked = w < 32 && ((uint64_t)1 << w) <= nd;
    bool padded = w < 32 && ((uint64_t)1 << w) <= c->dict_pad;
    for (int64_t done = 0; done < n;) {
        int64_t m = EM_MIN(n - done, (int64_t)STEP);
        if ((int64_t)em__pq_rle_u32(&c->idx, c->ibuf, (size_t)m) != m) return short_page(c, err);
        const uint32_t *ix = c->ibuf;
        if (!checked && !padded) {
            uint32_t bad = 0;
            for (int64_t i = 0; i < m; i++) bad |= ix[i] >= nd;
            if (bad) EM_TRY(bad_index(c, ix, m, nd, err));
        }
        int64_t at = pos + done;
        uint32_t top = 0; /* the largest index */
        switch (v->type.id) {
        case EM_TYPE_BOOLEAN: {
            const uint8_t *s = EM_VEC_BOOL(d);
            uint8_t *o = EM_VEC_BOOL(v) + at;
            for (int64_t i = 0; i < m; i++) {
                top = ix[i] > top ? ix[i] : top;
                o[i] = s[ix[i]];
            }
            break;
        }
        case EM_TYPE_INTEGER:
        case EM_TYPE_DATE: {
            const int32_t *s = EM_VEC_I32(d);
            int32_t *o = EM_VEC_I32(v) + at;
            for (int64_t i = 0; i < m; i++) {
                top = ix[i] > top ? ix[i] : top;
                o[i] = s[ix[i]];
            }
            break;
        }
        case EM_TYPE_BIGINT:
        case EM_TYPE_DECIMAL:
        case EM_TYPE_TIMESTAMP:
        case EM_TYPE_DOUBLE: {
            const int64_t *s = EM_VEC_I64(d);
            int64_t *o = EM_VEC_I64(v) + at;
            for (int64_t i = 0; i < m; i++) {
                top = ix[i] > top ? ix[i] : top;
                o[i] = s[ix[i]];
            }
            break;
        }
        case EM_TYPE_VARCHAR:
            EM_TRY(dict_strings(c, ix, m, v, at, checked || !padded, err));
            break;
        default: {
            size_t wd = em_type_width(v->type);
            const uint8_t *s = d->data;
            uint8_t *o = (uint8_t *)v->data + (size_t)at * wd;
            for (int64_t i = 0; i < m; i++) {
                top = ix[i] > top ? ix[i] : top;
                memcpy(o + (size_t)i * wd, s + (size_t)ix[i] * wd, wd);
            }
            break;
        }
        }
        if (!checked && top >= nd) EM_TRY(bad_index(c, ix, m, nd, err));
        done += m;
    }
    return 0;
}

static int delta_values(em__pq_colreader *c, em_vector *v, int64_t pos, int64_t n, em_error *err)
{
    for (int64_t done = 0; done < n;) {
        int64_t m = EM_MIN(n - done, (int64_t)STEP);
        if ((int64_t)em__pq_delta_i64(&c->delta, c->i64, (size_t)m) != m) {
            if (c->delta.bad) return CORRUPT(c, "%s", c->delta.why);
            return short_page(c, err);
        }
        EM_TRY(put_ints(c, c->i64, m, v, pos + done, err));
        done += m;
    }
    return 0;
}

/* m lengths from a DELTA_BINARY_PACKED length stream into c->i64, checked. */
static int next_lengths(em__pq_colreader *c, em__pq_delta *d, int64_t *out, int64_t m,
                        em_error *err)
{
    if ((int64_t)em__pq_delta_i64(d, out, (size_t)m) != m) {
        if (d->bad) return CORRUPT(c, "%s", d->why);
        return short_page(c, err);
    }
    for (int64_t i = 0; i < m; i++)
        if (out[i] < 0 || out[i] > INT32_MAX)
            return CORRUPT(c, "negative or huge byte array length");
    return 0;
}

static int dlba_values(em__pq_colreader *c, em_vector *v, int64_t pos, int64_t n, em_error *err)
{
    for (int64_t done = 0; done < n;) {
        int64_t m = EM_MIN(n - done, (int64_t)STEP);
        EM_TRY(next_lengths(c, &c->lens, c->i64, m, err));
        for (int64_t i = 0; i < m; i++) {
            int64_t len = c->i64[i];
            if (len > c->vals.end - c->vals.p)
                return CORRUPT(c, "byte array length %lld runs past the page", (long long)len);
            c->bp[i] = c->vals.p;
            c->bl[i] = (int32_t)len;
            c->vals.p += len;
        }
        EM_TRY(put_bytes(c, c->bp, c->bl, m, v, pos + done, c->vals.safe_end, err));
        done += m;
    }
    return 0;
}

static int dba_values(em__pq_colreader *c, em_vector *v, int64_t pos, int64_t n, em_error *err)
{
    if (c->pbuf == NULL) c->pbuf = em_malloc(sizeof *c->pbuf * STEP);
    if (c->dba == NULL) {
        c->dba_cap = 4096;
        c->dba = em_malloc(c->dba_cap);
    }
    if (c->prev == NULL) {
        c->prev_cap = 64;
        c->prev = em_malloc(c->prev_cap);
    }
    for (int64_t done = 0; done < n;) {
        int64_t m = EM_MIN(n - done, (int64_t)STEP);
        EM_TRY(next_lengths(c, &c->prefix, c->pbuf, m, err));
        EM_TRY(next_lengths(c, &c->lens, c->i64, m, err));
        /* Values of this step are rebuilt into c->dba; pointers are fixed after. */
        size_t used = 0;
        for (int64_t i = 0; i < m; i++) {
            int64_t pre = c->pbuf[i], suf = c->i64[i];
            if ((size_t)pre > c->prev_len || suf > c->vals.end - c->vals.p)
                return CORRUPT(c, "invalid DELTA_BYTE_ARRAY prefix or suffix length");
            size_t len = (size_t)pre + (size_t)suf;
            if (len > INT32_MAX) return CORRUPT(c, "DELTA_BYTE_ARRAY value above 2 GiB");
            if (used + len > c->dba_cap) {
                size_t cap = c->dba_cap ? c->dba_cap : 4096;
                while (cap < used + len) cap *= 2;
                c->dba = em_realloc(c->dba, cap);
                c->dba_cap = cap;
            }
            if (pre > 0) memcpy(c->dba + used, c->prev, (size_t)pre);
            if (suf > 0) memcpy(c->dba + used + pre, c->vals.p, (size_t)suf);
            c->vals.p += suf;
            if (len > c->prev_cap) {
                c->prev_cap = len * 2;
                c->prev = em_realloc(c->prev, c->prev_cap);
            }
            if (len > 0) memcpy(c->prev, c->dba + used, len);
            c->prev_len = len;
            c->bl[i] = (int32_t)len;
            c->bp[i] = (const uint8_t *)(uintptr_t)used;
            used += len;
        }
        for (int64_t i = 0; i < m; i++) c->bp[i] = c->dba + (uintptr_t)c->bp[i];
        EM_TRY(put_bytes(c, c->bp, c->bl, m, v, pos + done, c->dba + c->dba_cap, err));
        done += m;
    }
    return 0;
}

static int bss_values(em__pq_colreader *c, em_vector *v, int64_t pos, int64_t n, em_error *err)
{
    size_t k = fixed_size(c);
    if (c->bss_pos + n > c->bss_n) return short_page(c, err);
    if (c->raw_cap < k * STEP) {
        c->raw_cap = k * STEP;
        c->raw = em_realloc(c->raw, c->raw_cap);
    }
    const uint8_t *base = c->vals.p;
    size_t stride = (size_t)c->bss_n;
    for (int64_t done = 0; done < n;) {
        int64_t m = EM_MIN(n - done, (int64_t)STEP);
        size_t first = (size_t)c->bss_pos;
        for (size_t b = 0; b < k; b++) {
            const uint8_t *s = base + b * stride + first;
            uint8_t *o = c->raw + b;
            for (int64_t i = 0; i < m; i++) o[(size_t)i * k] = s[i];
        }
        c->bss_pos += m;
        EM_TRY(put_fixed(c, c->raw, m, v, pos + done, err));
        done += m;
    }
    return 0;
}

static int rle_bool_values(em__pq_colreader *c, em_vector *v, int64_t pos, int64_t n, em_error *err)
{
    for (int64_t done = 0; done < n;) {
        int64_t m = EM_MIN(n - done, (int64_t)STEP);
        if ((int64_t)em__pq_rle_u32(&c->idx, c->ibuf, (size_t)m) != m) return short_page(c, err);
        uint8_t *d = EM_VEC_BOOL(v) + pos + done;
        for (int64_t i = 0; i < m; i++) d[i] = c->ibuf[i] != 0;
        done += m;
    }
    return 0;
}

/* n non-null values of the current page into rows [pos, pos + n) of v. */
static int decode_values(em__pq_colreader *c, em_vector *v, int64_t pos, int64_t n, em_error *err)
{
    if (n == 0) return 0;
    switch (c->encoding) {
    case EM__PQ_PLAIN:
        return plain_values(c, &c->vals, v, pos, n, err);
    case EM__PQ_PLAIN_DICTIONARY:
    case EM__PQ_RLE_DICTIONARY:
        return dict_values(c, v, pos, n, err);
    case EM__PQ_DELTA_BINARY_PACKED:
        return delta_values(c, v, pos, n, err);
    case EM__PQ_DELTA_LENGTH_BYTE_ARRAY:
        return dlba_values(c, v, pos, n, err);
    case EM__PQ_DELTA_BYTE_ARRAY:
        return dba_values(c, v, pos, n, err);
    case EM__PQ_BYTE_STREAM_SPLIT:
        return bss_values(c, v, pos, n, err);
    case EM__PQ_RLE:
        return rle_bool_values(c, v, pos, n, err);
    default:
        return CERR(c, EM_EINTERNAL, "no decoder for %s", em__pq_encoding_name(c->encoding));
    }
}

/* ---- pages ------------------------------------------------------------------------- */

static uint8_t *page_buffer(em__pq_colreader *c, size_t n)
{
    if (n + SLACK > c->page_cap) {
        size_t cap = c->page_cap ? c->page_cap : 65536;
        while (cap < n + SLACK) cap *= 2;
        em_free(c->page_buf);
        c->page_buf = em_malloc(cap);
        c->page_cap = cap;
    }
    return c->page_buf;
}

/* How far past `end` (the end of a page's data) bytes may be read: to the end
 * of the page buffer when the data was decompressed into it, else nowhere (the
 * mapped file). */
static const uint8_t *readable_end(const em__pq_colreader *c, const uint8_t *end)
{
    uintptr_t e = (uintptr_t)end, b = (uintptr_t)c->page_buf;
    if (c->page_buf != NULL && e >= b && e <= b + c->page_cap) return c->page_buf + c->page_cap;
    return end;
}

static int decompress(em__pq_colreader *c, const uint8_t *src, size_t n, size_t out_len,
                      const uint8_t **out, em_error *err)
{
    if (c->codec == EM__PQ_UNCOMPRESSED) {
        if (n != out_len)
            return CORRUPT(c, "uncompressed page of %zu bytes claims %zu", n, out_len);
        *out = src;
        return 0;
    }
    if (!em__pq_decompress_plausible(c->codec, src, n, out_len))
        return CORRUPT(c, "corrupt %s page (%zu bytes cannot hold the %zu it claims)",
                       em__pq_codec_name(c->codec), n, out_len);
    uint8_t *dst = page_buffer(c, out_len);
    int rc = em__pq_decompress_ctx(&c->dctx, c->codec, src, n, dst, out_len);
    if (rc == -2)
        return CERR(c, EM_EUNSUPPORTED, "compression codec %s is not supported",
                    em__pq_codec_name(c->codec));
    if (rc < 0)
        return CORRUPT(c, "corrupt %s page (does not decompress to its %zu bytes)",
                       em__pq_codec_name(c->codec), out_len);
    *out = dst;
    return 0;
}

/* Set up a level decoder over [*p, end); v1 RLE levels have a length prefix. */
static int setup_levels(em__pq_colreader *c, levels *l, int encoding, int max, int64_t count,
                        const uint8_t **p, const uint8_t *end, bool v1, size_t v2_len,
                        em_error *err)
{
    memset(l, 0, sizeof *l);
    l->width = em__pq_bit_width((uint64_t)max);
    if (max == 0) return 0;
    if (!v1) {
        if (v2_len > (size_t)(end - *p)) return CORRUPT(c, "levels run past the page");
        em__pq_rle_init(&l->rle, *p, v2_len, l->width);
        *p += v2_len;
        return 0;
    }
    if (encoding == EM__PQ_RLE) {
        if (end - *p < 4) return CORRUPT(c, "truncated levels");
        uint32_t len;
        memcpy(&len, *p, 4);
        *p += 4;
        if (len > (uint64_t)(end - *p)) return CORRUPT(c, "levels run past the page");
        em__pq_rle_init(&l->rle, *p, len, l->width);
        *p += len;
        return 0;
    }
    if (encoding == EM__PQ_BIT_PACKED) {
        uint64_t len = ((uint64_t)count * (uint64_t)l->width + 7) / 8;
        if (len > (uint64_t)(end - *p)) return CORRUPT(c, "levels run past the page");
        l->bitpacked = true;
        l->raw = *p;
        l->raw_len = (size_t)len;
        *p += len;
        return 0;
    }
    return CERR(c, EM_EUNSUPPORTED, "level encoding %s is not supported",
                em__pq_encoding_name(encoding));
}

static size_t read_levels(levels *l, uint8_t *out, size_t n)
{
    if (l->bitpacked) {
        em__pq_unpack_msb(l->raw, l->raw_len, l->width, out, l->index, n);
        l->index += n;
        return n;
    }
    return em__pq_rle_u8(&l->rle, out, n);
}

/* Start a length stream at p and find where it ends (by decoding a copy to the
 * end, keeping nothing): the bytes or the next stream follow it. Lengths are
 * then decoded as values are asked for, so memory never depends on a count a
 * corrupt header could inflate. */
static int length_stream(em__pq_colreader *c, em__pq_delta *d, const uint8_t *p,
                         const uint8_t **end, em_error *err)
{
    em__pq_delta_init(d, p, (size_t)(c->vals.end - p));
    if (d->bad) return CORRUPT(c, "%s", d->why);
    em__pq_delta copy = *d;
    *end = em__pq_delta_end(&copy);
    if (*end == NULL) return CORRUPT(c, "%s", copy.why ? copy.why : "corrupt delta lengths");
    return 0;
}

static int setup_values(em__pq_colreader *c, em_error *err)
{
    int e = c->encoding;
    switch (e) {
    case EM__PQ_PLAIN:
        c->vals.bit = 0;
        return 0;
    case EM__PQ_PLAIN_DICTIONARY:
    case EM__PQ_RLE_DICTIONARY: {
        if (c->dict == NULL) return CORRUPT(c, "dictionary-encoded page without a dictionary page");
        if (c->vals.p >= c->vals.end) {
            /* A page of nothing but NULLs may carry no index data at all. */
            em__pq_rle_init(&c->idx, c->vals.p, 0, 1);
            return 0;
        }
        int w = *c->vals.p;
        if (w > 32) return CORRUPT(c, "dictionary index bit width %d", w);
        em__pq_rle_init(&c->idx, c->vals.p + 1, (size_t)(c->vals.end - c->vals.p - 1), w);
        return 0;
    }
    case EM__PQ_RLE: {
        if (c->ptype != EM__PQ_BOOLEAN) break;
        if (c->vals.end - c->vals.p < 4) return CORRUPT(c, "truncated RLE boolean data");
        uint32_t len;
        memcpy(&len, c->vals.p, 4);
        if (len > (uint64_t)(c->vals.end - c->vals.p - 4))
            return CORRUPT(c, "RLE boolean data runs past the page");
        em__pq_rle_init(&c->idx, c->vals.p + 4, len, 1);
        return 0;
    }
    case EM__PQ_DELTA_BINARY_PACKED:
        if (c->ptype != EM__PQ_INT32 && c->ptype != EM__PQ_INT64) break;
        em__pq_delta_init(&c->delta, c->vals.p, (size_t)(c->vals.end - c->vals.p));
        if (c->delta.bad) return CORRUPT(c, "%s", c->delta.why);
        return 0;
    case EM__PQ_DELTA_LENGTH_BYTE_ARRAY: {
        if (c->ptype != EM__PQ_BYTE_ARRAY) break;
        const uint8_t *data;
        EM_TRY(length_stream(c, &c->lens, c->vals.p, &data, err));
        c->vals.p = data;
        return 0;
    }
    case EM__PQ_DELTA_BYTE_ARRAY: {
        if (c->ptype != EM__PQ_BYTE_ARRAY && c->ptype != EM__PQ_FLBA) break;
        const uint8_t *suffixes, *data;
        EM_TRY(length_stream(c, &c->prefix, c->vals.p, &suffixes, err));
        EM_TRY(length_stream(c, &c->lens, suffixes, &data, err));
        if (c->prefix.total != c->lens.total)
            return CORRUPT(c, "DELTA_BYTE_ARRAY prefix and suffix counts differ");
        c->prev_len = 0;
        c->vals.p = data;
        return 0;
    }
    case EM__PQ_BYTE_STREAM_SPLIT: {
        size_t k = fixed_size(c);
        if (k == 0 || c->ptype == EM__PQ_INT96) break;
        size_t len = (size_t)(c->vals.end - c->vals.p);
        if (len % k != 0) return CORRUPT(c, "BYTE_STREAM_SPLIT data is not a multiple of %zu", k);
        c->bss_n = (int64_t)(len / k);
        c->bss_pos = 0;
        return 0;
    }
    default:
        return CERR(c, EM_EUNSUPPORTED, "encoding %s is not supported", em__pq_encoding_name(e));
    }
    return CORRUPT(c, "encoding %s is not valid for %s columns", em__pq_encoding_name(e),
                   em__pq_type_name(c->ptype));
}

static int load_dictionary(em__pq_colreader *c, const em__pq_page_header *h, const uint8_t *body,
                           em_error *err)
{
    if (!h->has_dict || h->num_values < 0) return CORRUPT(c, "dictionary page without its header");
    if (h->encoding != EM__PQ_PLAIN && h->encoding != EM__PQ_PLAIN_DICTIONARY)
        return CERR(c, EM_EUNSUPPORTED, "dictionary page encoding %s is not supported",
                    em__pq_encoding_name(h->encoding));
    const uint8_t *data;
    EM_TRY(
        decompress(c, body, (size_t)h->compressed_size, (size_t)h->uncompressed_size, &data, err));
    /* Every entry takes at least one byte (booleans: a bit). */
    if (c->ptype != EM__PQ_BOOLEAN && (int64_t)h->num_values > h->uncompressed_size)
        return CORRUPT(c, "dictionary of %d values in %d bytes", h->num_values,
                       h->uncompressed_size);
    em_vector_unref(c->dict);
    /* Padded to a power of two (see dict_values), unless huge: a corrupt
     * page header must not double what a dictionary costs. */
    uint64_t nd = (uint64_t)h->num_values, n2 = 1;
    while (n2 < nd) n2 *= 2;
    if (nd > ((uint64_t)1 << 20)) n2 = nd;
    c->dict_pad = n2;
    c->dict = em_vector_create(c->type, (int64_t)n2);
    size_t wd = em_type_width(c->type);
    if (c->type.id != EM_TYPE_VARCHAR && wd > 0)
        memset((uint8_t *)c->dict->data + nd * wd, 0, (n2 - nd) * wd);
    cursor k = {data, data + h->uncompressed_size, 0, readable_end(c, data + h->uncompressed_size)};
    int rc = plain_values(c, &k, c->dict, 0, h->num_values, err);
    if (rc < 0) {
        em_vector_unref(c->dict);
        c->dict = NULL;
        return rc;
    }
    c->dict->length = h->num_values;
    if (c->type.id == EM_TYPE_VARCHAR) {
        /* Slack for the gather's fixed-size copies (see dict_strings). */
        em_vector_reserve_chars(c->dict, SLACK);
        memset(c->dict->chars + c->dict->chars_len, 0, SLACK);
        em_free(c->dent);
        c->dent = em_malloc(sizeof *c->dent * n2);
        c->dmax = 0;
        const int32_t *o = EM_VEC_OFFSETS(c->dict);
        for (uint64_t i = 0; i < nd; i++) {
            int32_t l = o[i + 1] - o[i];
            c->dent[i] = (uint32_t)o[i] | (uint64_t)(uint32_t)l << 32;
            if (l > c->dmax) c->dmax = l;
        }
        for (uint64_t i = nd; i < n2; i++) c->dent[i] = BAD_ENTRY;
    }
    return 0;
}

/* Move to the next data page (reading any dictionary page on the way). Returns
 * 1 when a page is ready, 0 at the end of the chunk. */
static int next_page(em__pq_colreader *c, em_error *err)
{
    for (;;) {
        if (c->pos >= c->end) return 0;
        em__pq_page_header h;
        size_t used;
        const char *why = NULL;
        if (em__pq_page_header_decode(c->pos, (size_t)(c->end - c->pos), &h, &used, &why) < 0)
            return CORRUPT(c, "corrupt page header (%s)", why);
        const uint8_t *body = c->pos + used;
        if ((int64_t)h.compressed_size > c->end - body)
            return CORRUPT(c, "page of %d bytes runs past the end of its column chunk",
                           h.compressed_size);
        c->pos = body + h.compressed_size;
        if (h.has_crc && em__pq_crc32(body, (size_t)h.compressed_size) != h.crc)
            return CORRUPT(c, "page CRC mismatch (the file is corrupt)");
        if (h.type == EM__PQ_DICTIONARY_PAGE) {
            EM_TRY(load_dictionary(c, &h, body, err));
            continue;
        }
        if (h.type != EM__PQ_DATA_PAGE && h.type != EM__PQ_DATA_PAGE_V2) continue;
        bool v1 = h.type == EM__PQ_DATA_PAGE;
        if ((v1 && !h.has_data) || (!v1 && !h.has_v2))
            return CORRUPT(c, "data page without its header");
        if (h.num_values < 0) return CORRUPT(c, "negative value count in a page header");
        const uint8_t *p, *end;
        if (v1) {
            EM_TRY(decompress(c, body, (size_t)h.compressed_size, (size_t)h.uncompressed_size, &p,
                              err));
            end = p + h.uncompressed_size;
            EM_TRY(setup_levels(c, &c->rep, h.rep_encoding, c->max_rep, h.num_values, &p, end, true,
                                0, err));
            EM_TRY(setup_levels(c, &c->def, h.def_encoding, c->max_def, h.num_values, &p, end, true,
                                0, err));
        } else {
            if (h.rep_length < 0 || h.def_length < 0 ||
                (int64_t)h.rep_length + h.def_length > h.compressed_size ||
                (int64_t)h.rep_length + h.def_length > h.uncompressed_size)
                return CORRUPT(c, "level lengths exceed the page");
            const uint8_t *lp = body, *lend = body + h.rep_length + h.def_length;
            EM_TRY(setup_levels(c, &c->rep, EM__PQ_RLE, c->max_rep, h.num_values, &lp, lend, false,
                                (size_t)h.rep_length, err));
            EM_TRY(setup_levels(c, &c->def, EM__PQ_RLE, c->max_def, h.num_values, &lp, lend, false,
                                (size_t)h.def_length, err));
            size_t skip = (size_t)h.rep_length + (size_t)h.def_length;
            size_t vlen = (size_t)h.uncompressed_size - skip;
            if (h.is_compressed && c->codec != EM__PQ_UNCOMPRESSED) {
                EM_TRY(decompress(c, body + skip, (size_t)h.compressed_size - skip, vlen, &p, err));
            } else {
                if ((size_t)h.compressed_size - skip != vlen)
                    return CORRUPT(c, "uncompressed page of %d bytes claims %d", h.compressed_size,
                                   h.uncompressed_size);
                p = body + skip;
            }
            end = p + vlen;
        }
        c->vals.p = p;
        c->vals.end = end;
        c->vals.bit = 0;
        c->vals.safe_end = readable_end(c, end);
        c->encoding = h.encoding;
        c->page_values = h.num_values;
        EM_TRY(setup_values(c, err));
        c->page_left = h.num_values;
        if (c->page_left == 0) continue;
        return 1;
    }
}

/* ---- reading ------------------------------------------------------------------------ */

static void ensure_validity(em_vector *v)
{
    if (v->validity != NULL) return;
    size_t n = (size_t)((v->capacity > 0 ? v->capacity : 1) + 7) / 8;
    v->validity = em_malloc(n);
    memset(v->validity, 0xff, n);
}

/* Spread nn dense values at [pos, pos + nn) over k rows [pos, pos + k) following
 * the levels (valid where lvl[i] == max). */
static void spread(em_vector *v, int64_t pos, int64_t k, int64_t nn, const uint8_t *lvl, int max)
{
    ensure_validity(v);
    uint8_t *val = v->validity;
    int64_t j = nn;
    switch (v->type.id) {
    case EM_TYPE_BOOLEAN: {
        uint8_t *d = EM_VEC_BOOL(v) + pos;
        for (int64_t i = k - 1; i >= 0; i--) d[i] = lvl[i] == max ? d[--j] : 0;
        break;
    }
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE: {
        int32_t *d = EM_VEC_I32(v) + pos;
        for (int64_t i = k - 1; i >= 0; i--) d[i] = lvl[i] == max ? d[--j] : 0;
        break;
    }
    case EM_TYPE_VARCHAR: {
        int32_t *o = EM_VEC_OFFSETS(v) + pos;
        for (int64_t i = k - 1; i >= 0; i--) {
            o[i + 1] = o[j];
            if (lvl[i] == max) j--;
        }
        break;
    }
    case EM_TYPE_INTERVAL: {
        em_interval *d = (em_interval *)v->data + pos;
        em_interval zero = {0, 0, 0};
        for (int64_t i = k - 1; i >= 0; i--) d[i] = lvl[i] == max ? d[--j] : zero;
        break;
    }
    default: {
        int64_t *d = EM_VEC_I64(v) + pos;
        for (int64_t i = k - 1; i >= 0; i--) d[i] = lvl[i] == max ? d[--j] : 0;
        break;
    }
    }
    for (int64_t i = 0; i < k; i++)
        if (lvl[i] != max) val[(pos + i) >> 3] &= (uint8_t) ~(1u << ((pos + i) & 7));
}

/* Text vectors always get a character buffer, so that no one ever computes an
 * offset from a NULL pointer (all-empty strings would otherwise leave it NULL). */
static void text_buffer(em_vector *v)
{
    if (v->type.id == EM_TYPE_VARCHAR && v->chars == NULL) em_vector_reserve_chars(v, 1);
}

int em__pq_col_read_flat(em__pq_colreader *c, em_vector *v, int64_t n, em_error *err)
{
    text_buffer(v);
    em_vector_reserve(v, v->length + n);
    int64_t pos = v->length;
    int64_t stop = pos + n;
    while (pos < stop) {
        if (c->page_left == 0) {
            int rc = next_page(c, err);
            if (rc < 0) return rc;
            if (rc == 0)
                return CORRUPT(c, "column chunk ends before the row group's rows (%lld missing)",
                               (long long)(stop - pos));
        }
        int64_t k = EM_MIN(EM_MIN(stop - pos, c->page_left), (int64_t)STEP);
        int64_t nn = k;
        if (c->max_def > 0 &&
            (c->def.bitpacked ||
             !em__pq_rle_take_run(&c->def.rle, (uint32_t)c->max_def, (size_t)k))) {
            if ((int64_t)read_levels(&c->def, c->lvl, (size_t)k) != k)
                return CORRUPT(c, "definition levels end early");
            nn = 0;
            uint8_t mx = (uint8_t)c->max_def;
            for (int64_t i = 0; i < k; i++) nn += c->lvl[i] == mx;
        }
        EM_TRY(decode_values(c, v, pos, nn, err));
        if (nn < k) spread(v, pos, k, nn, c->lvl, c->max_def);
        pos += k;
        c->page_left -= k;
        v->length = pos;
    }
    v->null_count = -1;
    return 0;
}

int em__pq_col_read_levels(em__pq_colreader *c, int64_t n, uint8_t *rep, uint8_t *def, em_vector *v,
                           int64_t *got, em_error *err)
{
    int64_t done = 0;
    *got = 0;
    text_buffer(v);
    while (done < n) {
        if (c->page_left == 0) {
            int rc = next_page(c, err);
            if (rc < 0) return rc;
            if (rc == 0) break;
        }
        int64_t k = EM_MIN(EM_MIN(n - done, c->page_left), (int64_t)STEP);
        if (c->max_rep > 0) {
            if ((int64_t)read_levels(&c->rep, rep + done, (size_t)k) != k)
                return CORRUPT(c, "repetition levels end early");
            for (int64_t i = 0; i < k; i++)
                if (rep[done + i] > c->max_rep) return CORRUPT(c, "repetition level out of range");
        } else if (rep) {
            memset(rep + done, 0, (size_t)k);
        }
        int64_t nn = k;
        if (c->max_def > 0) {
            if ((int64_t)read_levels(&c->def, def + done, (size_t)k) != k)
                return CORRUPT(c, "definition levels end early");
            nn = 0;
            for (int64_t i = 0; i < k; i++) {
                if (def[done + i] > c->max_def) return CORRUPT(c, "definition level out of range");
                nn += def[done + i] == c->max_def;
            }
        } else if (def) {
            memset(def + done, 0, (size_t)k);
        }
        em_vector_reserve(v, v->length + nn);
        EM_TRY(decode_values(c, v, v->length, nn, err));
        v->length += nn;
        done += k;
        c->page_left -= k;
    }
    *got = done;
    return 0;
}
