/*
 * parquet_writer.c — writing batches as a Parquet file.
 *
 * Rows are buffered (by reference) until a row group is full: ROW_GROUP_SIZE
 * rows (default 122880) or ROW_GROUP_SIZE_BYTES of values (default 64 MiB).
 * Each column chunk is then encoded on its own: definition levels as the
 * RLE/bit-packed hybrid (every column is OPTIONAL), values either dictionary
 * encoded (a PLAIN dictionary page, then RLE_DICTIONARY indices) when that is
 * smaller than PLAIN by a margin and the dictionary stays under 1 MiB, or
 * PLAIN. Pages hold about 1 MiB of values, are compressed with the chosen
 * codec and carry a CRC. Every chunk has statistics: min_value / max_value in
 * the column's sort order (signed numbers, unsigned bytes for strings, -0.0
 * and +0.0 widened as the specification asks, NaN left out) and null_count.
 *
 * Types: BOOLEAN, INTEGER (INT32), BIGINT (INT64), DOUBLE, DECIMAL (INT32 up
 * to precision 9, else INT64), VARCHAR (BYTE_ARRAY, STRING), DATE (INT32,
 * DATE), TIMESTAMP (INT64, TIMESTAMP(MICROS, not adjusted to UTC)), INTERVAL
 * (FIXED_LEN_BYTE_ARRAY(12), months/days/milliseconds).
 *
 * Options: COMPRESSION / CODEC (snappy default; zstd, gzip, lz4 (= lz4_raw),
 * uncompressed), COMPRESSION_LEVEL, ROW_GROUP_SIZE, ROW_GROUP_SIZE_BYTES,
 * PARQUET_VERSION (v1 data pages, the default, or v2).
 */
#include "format/parquet/parquet.h"
#include "format/writer.h"

#include <math.h>
#include <string.h>

#define PAGE_BYTES (1 << 20)
#define DICT_MAX_BYTES (1 << 20)

static const char *const known[] = {
    "compression",     "codec", "compression_level", "row_group_size", "row_group_size_bytes",
    "parquet_version", NULL};

typedef struct pq_opts {
    int codec;
    int level;
    int64_t rg_rows, rg_bytes;
    bool v2;
} pq_opts;

static int parse_opts(const em_write_desc *d, pq_opts *o, em_error *err)
{
    EM_TRY(em__write_check_options(d, "Parquet", known, err));
    o->codec = EM__PQ_SNAPPY;
    o->level = 0;
    o->rg_rows = 122880;
    o->rg_bytes = (int64_t)64 << 20;
    o->v2 = false;
    static const char *const codec_names[] = {"compression", "codec", NULL};
    const char *v = em__write_option_any(d, codec_names);
    if (v != NULL) {
        if (em_str_ieq(v, "snappy"))
            o->codec = EM__PQ_SNAPPY;
        else if (em_str_ieq(v, "zstd"))
            o->codec = EM__PQ_ZSTD;
        else if (em_str_ieq(v, "gzip"))
            o->codec = EM__PQ_GZIP;
        else if (em_str_ieq(v, "lz4") || em_str_ieq(v, "lz4_raw"))
            o->codec = EM__PQ_LZ4_RAW;
        else if (em_str_ieq(v, "uncompressed") || em_str_ieq(v, "none"))
            o->codec = EM__PQ_UNCOMPRESSED;
        else
            return em_error_set(err, EM_EUNSUPPORTED,
                                "Parquet compression '%s' is not supported (snappy, zstd, gzip, "
                                "lz4, uncompressed)",
                                v);
    }
    int64_t x;
    if ((v = em__write_option(d, "compression_level")) != NULL) {
        if (!em__parse_i64_fast(v, strlen(v), &x) || x < 0 || x > 22)
            return em_error_set(err, EM_EINVAL,
                                "option 'compression_level' must be an integer from 0 to 22, not "
                                "'%s'",
                                v);
        o->level = (int)x;
    }
    if ((v = em__write_option(d, "row_group_size")) != NULL) {
        if (!em__parse_i64_fast(v, strlen(v), &x) || x <= 0)
            return em_error_set(err, EM_EINVAL,
                                "option 'row_group_size' must be a positive number of rows, not "
                                "'%s'",
                                v);
        o->rg_rows = x;
    }
    if ((v = em__write_option(d, "row_group_size_bytes")) != NULL) {
        x = em_parse_size(v);
        if (x <= 0)
            return em_error_set(err, EM_EINVAL,
                                "option 'row_group_size_bytes' must be a size such as 64m, not "
                                "'%s'",
                                v);
        o->rg_bytes = x;
    }
    if ((v = em__write_option(d, "parquet_version")) != NULL) {
        if (em_str_ieq(v, "v1") || em_str_ieq(v, "1"))
            o->v2 = false;
        else if (em_str_ieq(v, "v2") || em_str_ieq(v, "2"))
            o->v2 = true;
        else
            return em_error_set(err, EM_EINVAL,
                                "option 'parquet_version' must be v1 or v2, not '%s'", v);
    }
    return 0;
}

int em__parquet_write_check(const em_write_desc *d, em_error *err)
{
    pq_opts o;
    EM_TRY(parse_opts(d, &o, err));
    for (int c = 0; c < d->schema->nfields; c++) {
        int t = d->schema->fields[c].type.id;
        if (t == EM_TYPE_COUNT_)
            return em_error_set(err, EM_EUNSUPPORTED, "column '%s' cannot be written to Parquet",
                                d->schema->fields[c].name);
    }
    return 0;
}

/* ---- the writer --------------------------------------------------------------------- */

typedef struct pq_writer {
    em__wfile f;
    pq_opts o;
    em_schema *schema;
    em_batch_list pending;
    int64_t pending_rows, pending_bytes;
    em__pq_file_meta meta; /* row groups so far; schema at close */
    int rg_cap;
    em_strbuf page, comp, hdr;
    uint8_t *defs;
    size_t defs_cap;
} pq_writer;

static int physical(em_type t, int32_t *len)
{
    *len = 0;
    switch (t.id) {
    case EM_TYPE_BOOLEAN:
        return EM__PQ_BOOLEAN;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        return EM__PQ_INT32;
    case EM_TYPE_DECIMAL:
        return t.precision <= 9 ? EM__PQ_INT32 : EM__PQ_INT64;
    case EM_TYPE_BIGINT:
    case EM_TYPE_TIMESTAMP:
        return EM__PQ_INT64;
    case EM_TYPE_DOUBLE:
        return EM__PQ_DOUBLE;
    case EM_TYPE_INTERVAL:
        *len = 12;
        return EM__PQ_FLBA;
    default:
        return EM__PQ_BYTE_ARRAY;
    }
}

static int pq_open(const em_write_desc *d, const em_schema *schema, const char *path, void **out,
                   em_error *err)
{
    pq_writer *w = em_calloc(1, sizeof *w);
    int rc = parse_opts(d, &w->o, err);
    if (rc == 0) rc = em__wfile_open(&w->f, path, err);
    if (rc == 0) rc = em__wfile_write(&w->f, "PAR1", 4, err);
    if (rc < 0) {
        em__wfile_close(&w->f, false, err);
        em_free(w);
        return rc;
    }
    w->schema = em_schema_copy(schema);
    em_batch_list_init(&w->pending);
    w->meta.arena = em_arena_create(16384);
    em_strbuf_init(&w->page);
    em_strbuf_init(&w->comp);
    em_strbuf_init(&w->hdr);
    *out = w;
    return 0;
}

/* ---- values of one column chunk --------------------------------------------------------- */

typedef struct wvals {
    int ptype;
    int width;        /* fixed: bytes per value (booleans: 1 byte each here) */
    int64_t n;        /* non-null values */
    uint8_t *fixed;   /* n * width bytes, the physical little-endian form */
    const char **ptr; /* BYTE_ARRAY values (pointing into the batches) */
    int32_t *len;
    int64_t plain_bytes;
} wvals;

static void wvals_release(wvals *v)
{
    em_free(v->fixed);
    em_free(v->ptr);
    em_free(v->len);
}

/* Definition levels and dense physical values of column c over the pending rows. */
static void gather(pq_writer *w, int c, int64_t nrows, wvals *v)
{
    em_type t = w->schema->fields[c].type;
    int32_t flen;
    memset(v, 0, sizeof *v);
    v->ptype = physical(t, &flen);
    if ((size_t)nrows > w->defs_cap) {
        w->defs_cap = (size_t)nrows;
        em_free(w->defs);
        w->defs = em_malloc(w->defs_cap);
    }
    switch (v->ptype) {
    case EM__PQ_BOOLEAN:
        v->width = 1;
        break;
    case EM__PQ_INT32:
        v->width = 4;
        break;
    case EM__PQ_INT64:
    case EM__PQ_DOUBLE:
        v->width = 8;
        break;
    case EM__PQ_FLBA:
        v->width = flen;
        break;
    default:
        v->width = 0;
    }
    size_t cap = (size_t)(nrows > 0 ? nrows : 1);
    if (v->width > 0)
        v->fixed = em_malloc(cap * (size_t)v->width);
    else {
        v->ptr = em_malloc(cap * sizeof *v->ptr);
        v->len = em_malloc(cap * sizeof *v->len);
    }
    int64_t row = 0, n = 0;
    for (int64_t b = 0; b < w->pending.count; b++) {
        const em_vector *vec = w->pending.items[b]->cols[c];
        int64_t m = w->pending.items[b]->nrows;
        for (int64_t i = 0; i < m; i++, row++) {
            bool ok = t.id != EM_TYPE_NULL && em_vector_is_valid(vec, i);
            w->defs[row] = ok;
            if (!ok) continue;
            uint8_t *dst = v->fixed ? v->fixed + (size_t)n * (size_t)v->width : NULL;
            switch (t.id) {
            case EM_TYPE_BOOLEAN:
                dst[0] = EM_VEC_BOOL(vec)[i] != 0;
                break;
            case EM_TYPE_INTEGER:
            case EM_TYPE_DATE:
                memcpy(dst, &EM_VEC_I32(vec)[i], 4);
                break;
            case EM_TYPE_DECIMAL:
                if (v->width == 4) {
                    int32_t x = (int32_t)EM_VEC_I64(vec)[i];
                    memcpy(dst, &x, 4);
                } else {
                    memcpy(dst, &EM_VEC_I64(vec)[i], 8);
                }
                break;
            case EM_TYPE_BIGINT:
            case EM_TYPE_TIMESTAMP:
            case EM_TYPE_DOUBLE:
                memcpy(dst, &EM_VEC_I64(vec)[i], 8);
                break;
            case EM_TYPE_INTERVAL: {
                const em_interval *iv = &((const em_interval *)vec->data)[i];
                int32_t parts[3] = {iv->months, iv->days, (int32_t)(iv->micros / 1000)};
                memcpy(dst, parts, 12);
                break;
            }
            default: {
                int32_t len;
                const char *p = em_vector_str(vec, i, &len);
                v->ptr[n] = p;
                v->len[n] = len;
                v->plain_bytes += 4 + len;
                break;
            }
            }
            n++;
        }
    }
    v->n = n;
    if (v->width > 0) v->plain_bytes = v->ptype == EM__PQ_BOOLEAN ? (n + 7) / 8 : n * v->width;
}

/* ---- statistics -------------------------------------------------------------------------- */

static int cmp_fixed(int ptype, const uint8_t *a, const uint8_t *b)
{
    switch (ptype) {
    case EM__PQ_BOOLEAN:
        return (int)a[0] - (int)b[0];
    case EM__PQ_INT32: {
        int32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return x < y ? -1 : x > y;
    }
    case EM__PQ_INT64: {
        int64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x < y ? -1 : x > y;
    }
    case EM__PQ_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x < y ? -1 : x > y;
    }
    default:
        return 0;
    }
}

static int cmp_bytes(const char *a, int32_t an, const char *b, int32_t bn)
{
    int c = memcmp(a, b, (size_t)EM_MIN(an, bn));
    return c != 0 ? c : (an < bn ? -1 : an > bn);
}

static em__pq_bytes arena_bytes(em_arena *a, const void *p, int32_t n)
{
    em__pq_bytes b;
    uint8_t *c = em_arena_alloc(a, (size_t)n + 1);
    if (n > 0) memcpy(c, p, (size_t)n);
    b.p = c;
    b.n = n;
    b.set = true;
    return b;
}

/* Long strings keep a prefix: the min's prefix is still a lower bound; the
 * max's prefix with its last byte incremented is an upper bound. */
#define STAT_PREFIX 64

static void stats(pq_writer *w, const wvals *v, int64_t nulls, em__pq_stats *s)
{
    em_arena *a = w->meta.arena;
    memset(s, 0, sizeof *s);
    s->null_count = nulls;
    s->distinct_count = -1;
    if (v->n == 0 || v->ptype == EM__PQ_FLBA) return;
    if (v->width == 0) {
        int64_t lo = 0, hi = 0;
        for (int64_t i = 1; i < v->n; i++) {
            if (cmp_bytes(v->ptr[i], v->len[i], v->ptr[lo], v->len[lo]) < 0) lo = i;
            if (cmp_bytes(v->ptr[i], v->len[i], v->ptr[hi], v->len[hi]) > 0) hi = i;
        }
        s->min_value = arena_bytes(a, v->ptr[lo], EM_MIN(v->len[lo], STAT_PREFIX));
        if (v->len[hi] <= STAT_PREFIX) {
            s->max_value = arena_bytes(a, v->ptr[hi], v->len[hi]);
        } else {
            uint8_t buf[STAT_PREFIX];
            memcpy(buf, v->ptr[hi], STAT_PREFIX);
            int k = STAT_PREFIX - 1;
            while (k >= 0 && buf[k] == 0xff) k--;
            if (k >= 0) {
                buf[k]++;
                s->max_value = arena_bytes(a, buf, k + 1);
            } else {
                s->min_value.set = false; /* no usable bound: write neither */
            }
        }
        return;
    }
    int64_t lo = -1, hi = -1;
    size_t wd = (size_t)v->width;
    for (int64_t i = 0; i < v->n; i++) {
        const uint8_t *x = v->fixed + (size_t)i * wd;
        if (v->ptype == EM__PQ_DOUBLE) {
            double d;
            memcpy(&d, x, 8);
            if (isnan(d)) continue;
        }
        if (lo < 0 || cmp_fixed(v->ptype, x, v->fixed + (size_t)lo * wd) < 0) lo = i;
        if (hi < 0 || cmp_fixed(v->ptype, x, v->fixed + (size_t)hi * wd) > 0) hi = i;
    }
    if (lo < 0) return; /* only NaNs */
    uint8_t mn[8], mx[8];
    memcpy(mn, v->fixed + (size_t)lo * wd, wd);
    memcpy(mx, v->fixed + (size_t)hi * wd, wd);
    if (v->ptype == EM__PQ_DOUBLE) {
        double a0, b0;
        memcpy(&a0, mn, 8);
        memcpy(&b0, mx, 8);
        if (a0 == 0) a0 = -0.0;
        if (b0 == 0) b0 = 0.0;
        memcpy(mn, &a0, 8);
        memcpy(mx, &b0, 8);
    }
    s->min_value = arena_bytes(a, mn, (int32_t)wd);
    s->max_value = arena_bytes(a, mx, (int32_t)wd);
    /* Signed numbers: the legacy fields mean the same and old readers use them. */
    s->min = s->min_value;
    s->max = s->max_value;
}

/* ---- dictionary ------------------------------------------------------------------------- */

typedef struct dict {
    int32_t *slots; /* value index of the entry + 1; 0 empty */
    size_t mask;
    int64_t *entries; /* value index of each entry's first occurrence */
    int64_t n;
    int64_t bytes; /* plain size of the dictionary page */
    uint32_t *idx; /* entry of every value */
} dict;

static bool same(const wvals *v, int64_t a, int64_t b)
{
    if (v->width > 0)
        return memcmp(v->fixed + (size_t)a * (size_t)v->width,
                      v->fixed + (size_t)b * (size_t)v->width, (size_t)v->width) == 0;
    return v->len[a] == v->len[b] && memcmp(v->ptr[a], v->ptr[b], (size_t)v->len[a]) == 0;
}

static uint64_t hash_of(const wvals *v, int64_t i)
{
    if (v->width > 0)
        return em_hash_bytes(v->fixed + (size_t)i * (size_t)v->width, (size_t)v->width, 0);
    return em_hash_bytes(v->ptr[i], (size_t)v->len[i], 0);
}

/* Build the dictionary; false when it is not worth it (too big or no gain). */
static bool build_dict(const wvals *v, dict *d)
{
    memset(d, 0, sizeof *d);
    if (v->ptype == EM__PQ_BOOLEAN || v->n == 0) return false;
    size_t cap = 1024;
    d->slots = em_calloc(cap, sizeof *d->slots);
    d->mask = cap - 1;
    d->entries = em_malloc(sizeof *d->entries * 1024);
    int64_t ecap = 1024;
    d->idx = em_malloc(sizeof *d->idx * (size_t)v->n);
    for (int64_t i = 0; i < v->n; i++) {
        uint64_t h = hash_of(v, i);
        size_t at = (size_t)h & d->mask;
        int32_t e = -1;
        while (d->slots[at]) {
            int32_t cand = d->slots[at] - 1;
            if (same(v, d->entries[cand], i)) {
                e = cand;
                break;
            }
            at = (at + 1) & d->mask;
        }
        if (e < 0) {
            if (d->n == ecap) {
                ecap *= 2;
                d->entries = em_realloc(d->entries, sizeof *d->entries * (size_t)ecap);
            }
            e = (int32_t)d->n;
            d->entries[d->n++] = i;
            d->slots[at] = e + 1;
            d->bytes += v->width > 0 ? v->width : 4 + v->len[i];
            if (d->bytes > DICT_MAX_BYTES) return false;
            if ((size_t)d->n * 2 > cap) {
                /* Grow and rehash. */
                size_t ncap = cap * 2;
                int32_t *ns = em_calloc(ncap, sizeof *ns);
                for (int64_t k = 0; k < d->n; k++) {
                    size_t p = (size_t)hash_of(v, d->entries[k]) & (ncap - 1);
                    while (ns[p]) p = (p + 1) & (ncap - 1);
                    ns[p] = (int32_t)k + 1;
                }
                em_free(d->slots);
                d->slots = ns;
                cap = ncap;
                d->mask = cap - 1;
            }
        }
        d->idx[i] = (uint32_t)e;
    }
    int bw = em__pq_bit_width((uint64_t)(d->n - 1));
    int64_t dict_size = d->bytes + (v->n * bw + 7) / 8 + 16;
    return dict_size * 4 < v->plain_bytes * 3;
}

static void dict_release(dict *d)
{
    em_free(d->slots);
    em_free(d->entries);
    em_free(d->idx);
}

/* ---- pages ----------------------------------------------------------------------------------- */

/* PLAIN encoding of values [from, to) (by value index; dictionary entries use
 * `map` to find them). */
static void plain(const wvals *v, int64_t from, int64_t to, const int64_t *map, em_strbuf *out)
{
    if (v->ptype == EM__PQ_BOOLEAN) {
        size_t nb = (size_t)(to - from + 7) / 8;
        em_strbuf_reserve(out, nb);
        uint8_t *dst = (uint8_t *)out->data + out->len;
        memset(dst, 0, nb);
        for (int64_t i = from; i < to; i++) {
            int64_t k = map ? map[i] : i;
            if (v->fixed[k]) dst[(i - from) >> 3] |= (uint8_t)(1u << ((i - from) & 7));
        }
        out->len += nb;
        out->data[out->len] = '\0';
        return;
    }
    if (v->width > 0) {
        if (map == NULL) {
            em_strbuf_append(out, (const char *)v->fixed + (size_t)from * (size_t)v->width,
                             (size_t)(to - from) * (size_t)v->width);
            return;
        }
        for (int64_t i = from; i < to; i++)
            em_strbuf_append(out, (const char *)v->fixed + (size_t)map[i] * (size_t)v->width,
                             (size_t)v->width);
        return;
    }
    for (int64_t i = from; i < to; i++) {
        int64_t k = map ? map[i] : i;
        uint32_t len = (uint32_t)v->len[k];
        em_strbuf_append(out, (const char *)&len, 4);
        em_strbuf_append(out, v->ptr[k], (size_t)len);
    }
}

/* Compress w->page and write header + body; returns bytes written. */
static int emit_page(pq_writer *w, em__pq_page_header *h, size_t raw_prefix, int64_t *written,
                     int64_t *uncompressed, em_error *err)
{
    /* v2: the first raw_prefix bytes (levels) stay uncompressed. */
    em_strbuf_clear(&w->comp);
    em_strbuf_append(&w->comp, w->page.data ? w->page.data : "", raw_prefix);
    if (em__pq_compress(w->o.codec, w->o.level, (const uint8_t *)w->page.data + raw_prefix,
                        w->page.len - raw_prefix, &w->comp) < 0)
        return em_error_set(err, EM_EIO, "%s: %s compression failed", w->f.path,
                            em__pq_codec_name(w->o.codec));
    if (w->page.len > INT32_MAX || w->comp.len > INT32_MAX)
        return em_error_set(err, EM_EUNSUPPORTED, "%s: a Parquet page above 2 GiB", w->f.path);
    h->uncompressed_size = (int32_t)w->page.len;
    h->compressed_size = (int32_t)w->comp.len;
    h->has_crc = true;
    h->crc = em__pq_crc32((const uint8_t *)w->comp.data, w->comp.len);
    em_strbuf_clear(&w->hdr);
    em__pq_page_header_encode(h, &w->hdr);
    EM_TRY(em__wfile_write(&w->f, w->hdr.data, w->hdr.len, err));
    EM_TRY(em__wfile_write(&w->f, w->comp.data, w->comp.len, err));
    *written += (int64_t)(w->hdr.len + w->comp.len);
    *uncompressed += (int64_t)(w->hdr.len + w->page.len);
    return 0;
}

static void put_u32(em_strbuf *out, uint32_t x)
{
    em_strbuf_append(out, (const char *)&x, 4);
}

static int write_chunk(pq_writer *w, int c, int64_t nrows, em__pq_column_chunk *cc, em_error *err)
{
    wvals v;
    gather(w, c, nrows, &v);
    dict d;
    bool use_dict = build_dict(&v, &d);
    em__pq_column_meta *m = &cc->meta;
    memset(cc, 0, sizeof *cc);
    cc->has_meta = true;
    m->type = v.ptype;
    m->codec = w->o.codec;
    m->num_values = nrows;
    m->index_page_offset = -1;
    m->dictionary_page_offset = -1;
    m->has_stats = true;
    stats(w, &v, nrows - v.n, &m->stats);
    em_arena *a = w->meta.arena;
    m->npath = 1;
    m->path = em_arena_alloc(a, sizeof(char *));
    m->path[0] = em_arena_strdup(a, w->schema->fields[c].name);
    m->encodings = em_arena_alloc(a, sizeof(int32_t) * 3);
    m->nencodings = 0;
    m->encodings[m->nencodings++] = EM__PQ_PLAIN;
    m->encodings[m->nencodings++] = EM__PQ_RLE;
    if (use_dict) m->encodings[m->nencodings++] = EM__PQ_RLE_DICTIONARY;
    int64_t start = w->f.written;
    int64_t written = 0, uncompressed = 0;
    int rc = 0;
    if (use_dict) {
        m->dictionary_page_offset = start;
        em_strbuf_clear(&w->page);
        plain(&v, 0, d.n, d.entries, &w->page);
        em__pq_page_header h = {0};
        h.type = EM__PQ_DICTIONARY_PAGE;
        h.num_values = (int32_t)d.n;
        h.encoding = EM__PQ_PLAIN;
        h.has_dict = true;
        rc = emit_page(w, &h, 0, &written, &uncompressed, err);
    }
    m->data_page_offset = w->f.written;
    int bw = use_dict ? em__pq_bit_width((uint64_t)(d.n - 1)) : 0;
    /* Pages of about PAGE_BYTES of values. */
    int64_t row = 0, val = 0;
    while (rc == 0 && row < nrows) {
        int64_t r1 = row, v1 = val, bytes = 0;
        while (r1 < nrows && (bytes < PAGE_BYTES || r1 == row)) {
            if (w->defs[r1]) {
                bytes += use_dict ? 1 : (v.width > 0 ? v.width : 4 + v.len[v1]);
                v1++;
            }
            r1++;
        }
        em_strbuf_clear(&w->page);
        size_t levels_len = 0;
        if (!w->o.v2) {
            size_t at = w->page.len;
            put_u32(&w->page, 0);
            em__pq_rle_encode_u8(w->defs + row, (size_t)(r1 - row), 1, &w->page);
            uint32_t len = (uint32_t)(w->page.len - at - 4);
            memcpy(w->page.data + at, &len, 4);
        } else {
            em__pq_rle_encode_u8(w->defs + row, (size_t)(r1 - row), 1, &w->page);
            levels_len = w->page.len;
        }
        if (use_dict) {
            em_strbuf_putc(&w->page, (char)bw);
            em__pq_rle_encode(d.idx + val, (size_t)(v1 - val), bw, &w->page);
        } else {
            plain(&v, val, v1, NULL, &w->page);
        }
        em__pq_page_header h = {0};
        h.num_values = (int32_t)(r1 - row);
        h.encoding = use_dict ? EM__PQ_RLE_DICTIONARY : EM__PQ_PLAIN;
        if (!w->o.v2) {
            h.type = EM__PQ_DATA_PAGE;
            h.def_encoding = EM__PQ_RLE;
            h.rep_encoding = EM__PQ_RLE;
            h.has_data = true;
        } else {
            h.type = EM__PQ_DATA_PAGE_V2;
            h.num_nulls = (int32_t)((r1 - row) - (v1 - val));
            h.num_rows = (int32_t)(r1 - row);
            h.def_length = (int32_t)levels_len;
            h.rep_length = 0;
            h.is_compressed = w->o.codec != EM__PQ_UNCOMPRESSED;
            h.has_v2 = true;
        }
        rc = emit_page(w, &h, levels_len, &written, &uncompressed, err);
        row = r1;
        val = v1;
    }
    m->total_compressed_size = written;
    m->total_uncompressed_size = uncompressed;
    cc->file_offset = start;
    if (use_dict || d.slots) dict_release(&d);
    wvals_release(&v);
    return rc;
}

static int flush_row_group(pq_writer *w, em_error *err)
{
    int64_t nrows = w->pending_rows;
    if (nrows == 0) return 0;
    em__pq_file_meta *m = &w->meta;
    if (m->nrow_groups == w->rg_cap) {
        w->rg_cap = w->rg_cap ? w->rg_cap * 2 : 8;
        m->row_groups = em_realloc(m->row_groups, sizeof *m->row_groups * (size_t)w->rg_cap);
    }
    em__pq_row_group *rg = &m->row_groups[m->nrow_groups];
    memset(rg, 0, sizeof *rg);
    int nc = w->schema->nfields;
    rg->columns = em_arena_calloc(m->arena, sizeof *rg->columns * (size_t)(nc > 0 ? nc : 1));
    rg->ncolumns = nc;
    rg->num_rows = nrows;
    rg->file_offset = w->f.written;
    int rc = 0;
    for (int c = 0; c < nc && rc == 0; c++) {
        rc = write_chunk(w, c, nrows, &rg->columns[c], err);
        rg->total_byte_size += rg->columns[c].meta.total_uncompressed_size;
        rg->total_compressed_size += rg->columns[c].meta.total_compressed_size;
    }
    m->nrow_groups++;
    m->num_rows += nrows;
    em_batch_list_release(&w->pending);
    em_batch_list_init(&w->pending);
    w->pending_rows = 0;
    w->pending_bytes = 0;
    return rc;
}

static int pq_write(void *wp, const em_batch *b, em_error *err)
{
    pq_writer *w = wp;
    if (b->ncols != w->schema->nfields)
        return em_error_set(err, EM_EINTERNAL, "Parquet writer: %d columns for a schema of %d",
                            b->ncols, w->schema->nfields);
    int64_t off = 0;
    while (off < b->nrows) {
        int64_t room = w->o.rg_rows - w->pending_rows;
        int64_t n = EM_MIN(room, b->nrows - off);
        em_batch *part =
            off == 0 && n == b->nrows ? em_batch_ref_copy(b) : em_batch_slice(b, off, n);
        int64_t bytes = em_batch_bytes(part);
        em_batch_list_push(&w->pending, part);
        w->pending_rows += n;
        w->pending_bytes += bytes;
        off += n;
        if (w->pending_rows >= w->o.rg_rows || w->pending_bytes >= w->o.rg_bytes)
            EM_TRY(flush_row_group(w, err));
    }
    return 0;
}

static int64_t pq_bytes(void *wp)
{
    pq_writer *w = wp;
    return w->f.written + w->pending_bytes / 2;
}

static void schema_elems(pq_writer *w)
{
    em__pq_file_meta *m = &w->meta;
    em_arena *a = m->arena;
    int nc = w->schema->nfields;
    m->nschema = nc + 1;
    m->schema = em_arena_calloc(a, sizeof *m->schema * (size_t)(nc + 1));
    em__pq_schema_elem *root = &m->schema[0];
    root->type = -1;
    root->repetition = -1;
    root->name = em_arena_strdup(a, "schema");
    root->num_children = nc;
    root->converted = EM__PQ_CT_NONE;
    for (int c = 0; c < nc; c++) {
        em__pq_schema_elem *e = &m->schema[c + 1];
        em_type t = w->schema->fields[c].type;
        e->type = physical(t, &e->type_length);
        e->repetition = EM__PQ_OPTIONAL;
        e->name = em_arena_strdup(a, w->schema->fields[c].name);
        e->converted = EM__PQ_CT_NONE;
        switch (t.id) {
        case EM_TYPE_DECIMAL:
            e->converted = EM__PQ_CT_DECIMAL;
            e->scale = t.scale;
            e->precision = t.precision;
            e->logical.kind = EM__PQ_LT_DECIMAL;
            e->logical.scale = t.scale;
            e->logical.precision = t.precision;
            break;
        case EM_TYPE_DATE:
            e->converted = EM__PQ_CT_DATE;
            e->logical.kind = EM__PQ_LT_DATE;
            break;
        case EM_TYPE_TIMESTAMP:
            e->logical.kind = EM__PQ_LT_TIMESTAMP;
            e->logical.utc = false;
            e->logical.unit = EM__PQ_MICROS;
            break;
        case EM_TYPE_INTERVAL:
            e->converted = EM__PQ_CT_INTERVAL;
            break;
        case EM_TYPE_BOOLEAN:
        case EM_TYPE_INTEGER:
        case EM_TYPE_BIGINT:
        case EM_TYPE_DOUBLE:
            break;
        default:
            e->converted = EM__PQ_CT_UTF8;
            e->logical.kind = EM__PQ_LT_STRING;
            break;
        }
    }
}

static int pq_close(void *wp, bool commit, em_error *err)
{
    pq_writer *w = wp;
    int rc = 0;
    if (commit) {
        rc = flush_row_group(w, err);
        if (rc == 0) {
            schema_elems(w);
            w->meta.version = 1;
            w->meta.created_by = em_arena_strdup(w->meta.arena, "ember version " EMBER_VERSION);
            w->meta.ncolumn_orders = w->schema->nfields;
            em_strbuf footer;
            em_strbuf_init(&footer);
            em__pq_meta_encode(&w->meta, &footer);
            uint32_t len = (uint32_t)footer.len;
            rc = em__wfile_write(&w->f, footer.data, footer.len, err);
            if (rc == 0) rc = em__wfile_write(&w->f, &len, 4, err);
            if (rc == 0) rc = em__wfile_write(&w->f, "PAR1", 4, err);
            em_strbuf_release(&footer);
        }
    }
    int rc2 = em__wfile_close(&w->f, commit && rc == 0, err);
    if (rc == 0) rc = rc2;
    em_batch_list_release(&w->pending);
    em_free(w->meta.row_groups);
    w->meta.row_groups = NULL;
    em_arena_destroy(w->meta.arena);
    em_strbuf_release(&w->page);
    em_strbuf_release(&w->comp);
    em_strbuf_release(&w->hdr);
    em_free(w->defs);
    em_schema_destroy(w->schema);
    em_free(w);
    return rc;
}

const em_format_writer_vt em__parquet_writer_vt = {
    .open = pq_open,
    .write = pq_write,
    .bytes = pq_bytes,
    .close = pq_close,
};
