/*
 * test_parquet_encoding.c — every value and level decoder of the Parquet
 * reader on hand-made inputs: bit unpacking at every width against a
 * bit-by-bit reference, the RLE/bit-packed hybrid (both run kinds, a width of
 * 0, a final run without its padding), DELTA_BINARY_PACKED (the
 * specification's example, wrap-around, 64-bit widths), and, through small
 * in-memory files, PLAIN of every physical type, RLE_DICTIONARY and
 * PLAIN_DICTIONARY, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT, RLE booleans, deprecated BIT_PACKED levels, data page v2,
 * logical type conversions and the page CRC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format/parquet/parquet.h"

/* ---- bit packing ------------------------------------------------------------------------ */

static uint64_t ref_get(const uint8_t *in, uint64_t bit, int width)
{
    uint64_t v = 0;
    for (int b = 0; b < width; b++, bit++) v |= (uint64_t)((in[bit >> 3] >> (bit & 7)) & 1) << b;
    return v;
}

static void test_unpack(void **state)
{
    (void)state;
    uint8_t in[64 * 9];
    srand(7);
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)rand();
    for (int w = 0; w <= 64; w++) {
        size_t n = 67; /* not a multiple of 8: the tail path too */
        size_t len = (n * (size_t)w + 7) / 8;
        uint64_t out64[67];
        em__pq_unpack64(in, len, w, out64, n);
        for (size_t i = 0; i < n; i++) assert_true(out64[i] == ref_get(in, i * (uint64_t)w, w));
        if (w > 32) continue;
        uint32_t out[67];
        em__pq_unpack32(in, len, w, out, n);
        for (size_t i = 0; i < n; i++) assert_int_equal(out[i], ref_get(in, i * (uint64_t)w, w));
    }
}

static void test_rle_round_trip(void **state)
{
    (void)state;
    uint32_t v[5000], back[5000];
    for (int w = 0; w <= 32; w++) {
        uint64_t max = w == 32 ? UINT32_MAX : ((uint64_t)1 << w) - 1;
        for (size_t i = 0; i < EM_ARRAY_LEN(v); i++) {
            /* Runs, literals and runs that do not start on a group boundary. */
            size_t seg = i / 37 % 4;
            v[i] = (uint32_t)(seg == 0   ? max
                              : seg == 1 ? (uint64_t)rand() % (max + 1)
                              : seg == 2 ? 1 % (max + 1)
                                         : (uint64_t)i % (max + 1));
        }
        em_strbuf sb;
        em_strbuf_init(&sb);
        em__pq_rle_encode(v, EM_ARRAY_LEN(v), w, &sb);
        em__pq_rle r;
        em__pq_rle_init(&r, (const uint8_t *)sb.data, sb.len, w);
        /* Decode in uneven pieces. */
        size_t got = 0;
        for (size_t step = 1; got < EM_ARRAY_LEN(v); step = step * 3 % 1000 + 1)
            got += em__pq_rle_u32(&r, back + got, EM_MIN(step, EM_ARRAY_LEN(v) - got));
        assert_int_equal(got, EM_ARRAY_LEN(v));
        assert_memory_equal(v, back, sizeof v);
        em_strbuf_release(&sb);
    }
}

static void test_rle_hand_made(void **state)
{
    (void)state;
    /* RLE run of 5 x 3 (width 2), bit-packed run of 1 group: 0..7 mod 4, RLE run of 2 x 1. */
    const uint8_t data[] = {5 << 1, 3, (1 << 1) | 1, 0xe4, 0xe4, 2 << 1, 1};
    em__pq_rle r;
    em__pq_rle_init(&r, data, sizeof data, 2);
    uint8_t out[20];
    assert_int_equal(em__pq_rle_u8(&r, out, 20), 15);
    const uint8_t want[] = {3, 3, 3, 3, 3, 0, 1, 2, 3, 0, 1, 2, 3, 1, 1};
    assert_memory_equal(out, want, 15);
    assert_false(r.bad);
    /* A final bit-packed run whose padding bytes were dropped (width 3, 1 group
     * declared, only 2 of its 3 bytes present): the values that are there decode. */
    const uint8_t short_run[] = {(1 << 1) | 1, 0x88, 0xc6};
    em__pq_rle_init(&r, short_run, sizeof short_run, 3);
    uint32_t o32[8];
    assert_int_equal(em__pq_rle_u32(&r, o32, 5), 5);
    for (uint32_t i = 0; i < 5; i++) assert_int_equal(o32[i], i);
    /* Width 0 with no runs at all means all zeros. */
    em__pq_rle_init(&r, NULL, 0, 0);
    assert_int_equal(em__pq_rle_u32(&r, o32, 8), 8);
    for (int i = 0; i < 8; i++) assert_int_equal(o32[i], 0);
    /* A truncated varint header. */
    const uint8_t bad[] = {0x80};
    em__pq_rle_init(&r, bad, 1, 4);
    assert_int_equal(em__pq_rle_u32(&r, o32, 8), 0);
    assert_true(r.bad);
    /* Skipping. */
    em__pq_rle_init(&r, data, sizeof data, 2);
    assert_int_equal(em__pq_rle_skip(&r, 6), 6);
    assert_int_equal(em__pq_rle_u8(&r, out, 3), 3);
    assert_int_equal(out[0], 1);
    /* Deprecated BIT_PACKED: MSB first. 0..7 at width 3 is 00000101 00111001 01110111. */
    const uint8_t msb[] = {0x05, 0x39, 0x77};
    em__pq_unpack_msb(msb, sizeof msb, 3, out, 0, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(out[i], i);
    em__pq_unpack_msb(msb, sizeof msb, 3, out, 5, 3);
    assert_int_equal(out[0], 5);
    assert_int_equal(out[2], 7);
}

static void test_delta(void **state)
{
    (void)state;
    /* The specification's example 2 with a valid block size: 7 5 3 1 2 3 4 5. */
    const uint8_t ex[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 2, 0, 0,  0,
                          0xc0, 0x3f, 0,    0,    0,    0,    0, 0, 'x'};
    em__pq_delta d;
    em__pq_delta_init(&d, ex, sizeof ex);
    assert_false(d.bad);
    int64_t out[16];
    assert_int_equal(em__pq_delta_i64(&d, out, 16), 8);
    const int64_t want[] = {7, 5, 3, 1, 2, 3, 4, 5};
    assert_memory_equal(out, want, sizeof want);
    em__pq_delta_init(&d, ex, sizeof ex);
    const uint8_t *end = em__pq_delta_end(&d);
    assert_non_null(end);
    assert_int_equal(*end, 'x'); /* what follows the stream */

    /* Round trips: wrap-around deltas, 64-bit widths, counts around block sizes. */
    int64_t v[700], back[700];
    for (size_t n = 0; n <= 700; n += 233) {
        for (size_t i = 0; i < n; i++)
            v[i] = i % 3 == 0   ? INT64_MIN + (int64_t)i
                   : i % 3 == 1 ? INT64_MAX - (int64_t)i * 7
                                : (int64_t)(i * i) - 1000;
        em_strbuf sb;
        em_strbuf_init(&sb);
        em__pq_delta_encode(v, n, &sb);
        em_strbuf_putc(&sb, 'z');
        em__pq_delta_init(&d, (const uint8_t *)sb.data, sb.len);
        size_t got = 0;
        while (got < n) {
            size_t k = em__pq_delta_i64(&d, back + got, EM_MIN((size_t)61, n - got));
            assert_true(k > 0);
            got += k;
        }
        assert_memory_equal(v, back, n * sizeof *v);
        em__pq_delta_init(&d, (const uint8_t *)sb.data, sb.len);
        end = em__pq_delta_end(&d);
        assert_non_null(end);
        assert_int_equal(*end, 'z');
        /* Truncations fail or come up short, never crash. */
        for (size_t cut = 0; cut + 1 < sb.len; cut += 3) {
            em__pq_delta_init(&d, (const uint8_t *)sb.data, cut);
            while (em__pq_delta_i64(&d, back, 64) > 0) {
            }
        }
        em_strbuf_release(&sb);
    }
    /* Invalid headers. */
    const uint8_t bad_block[] = {0x40, 0x04, 0x08, 0x00};
    em__pq_delta_init(&d, bad_block, sizeof bad_block);
    assert_true(d.bad);
    const uint8_t bad_width[] = {0x80, 0x01, 0x01, 0x03, 0x00, 0x00, 65};
    em__pq_delta_init(&d, bad_width, sizeof bad_width);
    assert_int_equal(em__pq_delta_i64(&d, out, 3), 1);
    assert_true(d.bad);
}

/* ---- one-column files built by hand ------------------------------------------------------ */

typedef struct pg {
    int type;     /* EM__PQ_DATA_PAGE, _V2 or _DICTIONARY_PAGE */
    int encoding; /* of the values */
    int def_encoding;
    int32_t num_values, num_nulls;
    em_strbuf levels; /* v1: the whole level section (with length prefix); v2: def levels */
    em_strbuf values;
    bool bad_crc;
} pg;

static void pg_init(pg *p, int type, int encoding, int32_t n)
{
    memset(p, 0, sizeof *p);
    p->type = type;
    p->encoding = encoding;
    p->def_encoding = EM__PQ_RLE;
    p->num_values = n;
    em_strbuf_init(&p->levels);
    em_strbuf_init(&p->values);
}

/* Definition levels (1 = value, 0 = NULL) in the page's form. */
static void pg_defs(pg *p, const char *pattern)
{
    size_t n = strlen(pattern);
    uint8_t lv[256];
    for (size_t i = 0; i < n; i++) lv[i] = pattern[i] == '1';
    p->num_nulls = 0;
    for (size_t i = 0; i < n; i++) p->num_nulls += !lv[i];
    if (p->type == EM__PQ_DATA_PAGE_V2) {
        em__pq_rle_encode_u8(lv, n, 1, &p->levels);
        return;
    }
    em_strbuf body;
    em_strbuf_init(&body);
    em__pq_rle_encode_u8(lv, n, 1, &body);
    uint32_t len = (uint32_t)body.len;
    em_strbuf_append(&p->levels, (const char *)&len, 4);
    em_strbuf_append(&p->levels, body.data, body.len);
    em_strbuf_release(&body);
}

static void put32(em_strbuf *sb, uint32_t x)
{
    em_strbuf_append(sb, (const char *)&x, 4);
}

static void put64(em_strbuf *sb, uint64_t x)
{
    em_strbuf_append(sb, (const char *)&x, 8);
}

static void put_ba(em_strbuf *sb, const char *s)
{
    put32(sb, (uint32_t)strlen(s));
    em_strbuf_puts(sb, s);
}

/* A file with one column `c` of the given element, one row group, the pages. */
static void build(em_strbuf *file, em__pq_schema_elem leaf, int codec, pg *pages, int npages,
                  int64_t rows)
{
    em_strbuf_init(file);
    em_strbuf_append(file, "PAR1", 4);
    int64_t start = (int64_t)file->len;
    int64_t dict_off = -1, data_off = -1;
    for (int i = 0; i < npages; i++) {
        pg *p = &pages[i];
        em_strbuf raw, comp;
        em_strbuf_init(&raw);
        em_strbuf_init(&comp);
        bool v2 = p->type == EM__PQ_DATA_PAGE_V2;
        if (!v2) em_strbuf_append(&raw, p->levels.data ? p->levels.data : "", p->levels.len);
        em_strbuf_append(&raw, p->values.data ? p->values.data : "", p->values.len);
        if (v2) em_strbuf_append(&comp, p->levels.data ? p->levels.data : "", p->levels.len);
        assert_int_equal(
            em__pq_compress(codec, 0, (const uint8_t *)(raw.data ? raw.data : ""), raw.len, &comp),
            0);
        em__pq_page_header h = {0};
        h.type = p->type;
        h.uncompressed_size = (int32_t)(raw.len + (v2 ? p->levels.len : 0));
        h.compressed_size = (int32_t)comp.len;
        h.has_crc = true;
        h.crc = em__pq_crc32((const uint8_t *)(comp.data ? comp.data : ""), comp.len) ^
                (p->bad_crc ? 1u : 0u);
        h.num_values = p->num_values;
        h.encoding = p->encoding;
        if (p->type == EM__PQ_DICTIONARY_PAGE) {
            h.has_dict = true;
            dict_off = (int64_t)file->len;
        } else if (v2) {
            h.has_v2 = true;
            h.num_nulls = p->num_nulls;
            h.num_rows = p->num_values;
            h.def_length = (int32_t)p->levels.len;
            h.is_compressed = codec != EM__PQ_UNCOMPRESSED;
            if (data_off < 0) data_off = (int64_t)file->len;
        } else {
            h.has_data = true;
            h.def_encoding = p->def_encoding;
            h.rep_encoding = EM__PQ_RLE;
            if (data_off < 0) data_off = (int64_t)file->len;
        }
        em__pq_page_header_encode(&h, file);
        em_strbuf_append(file, comp.data ? comp.data : "", comp.len);
        em_strbuf_release(&raw);
        em_strbuf_release(&comp);
        em_strbuf_release(&p->levels);
        em_strbuf_release(&p->values);
    }
    em__pq_file_meta m;
    memset(&m, 0, sizeof m);
    em__pq_schema_elem el[2];
    el[0] = (em__pq_schema_elem){.type = -1,
                                 .repetition = -1,
                                 .name = "root",
                                 .num_children = 1,
                                 .converted = EM__PQ_CT_NONE};
    el[1] = leaf;
    el[1].name = "c";
    m.version = 1;
    m.nschema = 2;
    m.schema = el;
    m.num_rows = rows;
    em__pq_column_chunk cc = {0};
    char *path[] = {"c"};
    int32_t enc[] = {EM__PQ_PLAIN};
    cc.has_meta = true;
    cc.file_offset = start;
    cc.meta.type = leaf.type;
    cc.meta.nencodings = 1;
    cc.meta.encodings = enc;
    cc.meta.npath = 1;
    cc.meta.path = path;
    cc.meta.codec = codec;
    cc.meta.num_values = rows;
    cc.meta.total_compressed_size = (int64_t)file->len - start;
    cc.meta.total_uncompressed_size = cc.meta.total_compressed_size;
    cc.meta.data_page_offset = data_off;
    cc.meta.dictionary_page_offset = dict_off;
    cc.meta.index_page_offset = -1;
    em__pq_row_group rg = {0};
    rg.ncolumns = 1;
    rg.columns = &cc;
    rg.num_rows = rows;
    rg.file_offset = -1;
    m.nrow_groups = 1;
    m.row_groups = &rg;
    size_t before = file->len;
    em__pq_meta_encode(&m, file);
    put32(file, (uint32_t)(file->len - before));
    em_strbuf_append(file, "PAR1", 4);
}

/* Read the whole column; returns the rows as "v1|v2|..." or "ERROR: message". */
static char *read_col(const em_strbuf *file, int64_t rows)
{
    em__pq_file f;
    em_error err;
    em_strbuf out;
    em_strbuf_init(&out);
    em_strbuf_append(&out, "", 0);
    if (em__pq_file_open_mem(&f, "mem.parquet", file->data, file->len, &err) < 0) {
        em_strbuf_printf(&out, "ERROR: %s", err.message);
        return em_strbuf_detach(&out);
    }
    em__pq_where w = {"mem.parquet", 0, "c"};
    int rc;
    em__pq_colreader *c = em__pq_col_open(&f, 0, 0, &w, &err, &rc);
    if (c == NULL) {
        em_strbuf_printf(&out, "ERROR: %s", err.message);
        em__pq_file_close(&f);
        return em_strbuf_detach(&out);
    }
    em_vector *v = em_vector_create(f.schema.nodes[1].type, 4);
    /* In two reads, so that page state carries over. */
    int64_t half = rows / 2;
    rc = em__pq_col_read_flat(c, v, half, &err);
    if (rc == 0) rc = em__pq_col_read_flat(c, v, rows - half, &err);
    if (rc < 0) {
        em_strbuf_printf(&out, "ERROR: %s", err.message);
    } else {
        for (int64_t i = 0; i < v->length; i++) {
            if (i) em_strbuf_putc(&out, '|');
            em_value val = em_vector_get(v, i);
            em_value_format(&val, &out);
        }
    }
    em_vector_unref(v);
    em__pq_col_close(c);
    em__pq_file_close(&f);
    return em_strbuf_detach(&out);
}

#define EXPECT_COL(file, rows, text)                                                               \
    do {                                                                                           \
        char *got_ = read_col(&(file), rows);                                                      \
        assert_string_equal(got_, text);                                                           \
        em_free(got_);                                                                             \
        em_strbuf_release(&(file));                                                                \
    } while (0)

static em__pq_schema_elem leaf(int type, int rep)
{
    em__pq_schema_elem e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.repetition = rep;
    e.converted = EM__PQ_CT_NONE;
    return e;
}

static void test_plain(void **state)
{
    (void)state;
    em_strbuf f;
    pg p;
    /* Required INT32: no levels. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 3);
    put32(&p.values, 1);
    put32(&p.values, (uint32_t)-2);
    put32(&p.values, 2147483647);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 3);
    EXPECT_COL(f, 3, "1|-2|2147483647");
    /* Optional INT64 with NULLs. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 5);
    pg_defs(&p, "10101");
    put64(&p.values, (uint64_t)INT64_MIN);
    put64(&p.values, 5);
    put64(&p.values, (uint64_t)INT64_MAX);
    build(&f, leaf(EM__PQ_INT64, EM__PQ_OPTIONAL), EM__PQ_SNAPPY, &p, 1, 5);
    EXPECT_COL(f, 5, "-9223372036854775808|NULL|5|NULL|9223372036854775807");
    /* Booleans, bit-packed, across two pages. */
    pg ps[2];
    pg_init(&ps[0], EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 10);
    pg_defs(&ps[0], "1111111110");
    em_strbuf_append(&ps[0].values, "\x55\x01", 2); /* 1,0,1,0,1,0,1,0,1 */
    pg_init(&ps[1], EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    pg_defs(&ps[1], "11");
    em_strbuf_append(&ps[1].values, "\x02", 1);
    build(&f, leaf(EM__PQ_BOOLEAN, EM__PQ_OPTIONAL), EM__PQ_GZIP, ps, 2, 12);
    EXPECT_COL(f, 12, "true|false|true|false|true|false|true|false|true|NULL|false|true");
    /* FLOAT, DOUBLE. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    float fl[2] = {1.5f, -0.25f};
    em_strbuf_append(&p.values, (const char *)fl, 8);
    build(&f, leaf(EM__PQ_FLOAT, EM__PQ_REQUIRED), EM__PQ_ZSTD, &p, 1, 2);
    EXPECT_COL(f, 2, "1.5|-0.25");
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    double db[2] = {1e300, -3.0};
    em_strbuf_append(&p.values, (const char *)db, 16);
    build(&f, leaf(EM__PQ_DOUBLE, EM__PQ_REQUIRED), EM__PQ_LZ4_RAW, &p, 1, 2);
    EXPECT_COL(f, 2, "1e+300|-3.0");
    /* BYTE_ARRAY with NULLs and an empty string. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 4);
    pg_defs(&p, "1101");
    put_ba(&p.values, "héllo");
    put_ba(&p.values, "");
    put_ba(&p.values, "end");
    build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_OPTIONAL), EM__PQ_UNCOMPRESSED, &p, 1, 4);
    EXPECT_COL(f, 4, "héllo||NULL|end");
    /* FIXED_LEN_BYTE_ARRAY without annotation: the bytes. */
    em__pq_schema_elem e = leaf(EM__PQ_FLBA, EM__PQ_REQUIRED);
    e.type_length = 3;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    em_strbuf_append(&p.values, "abcxyz", 6);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "abc|xyz");
    /* INT96 timestamps: nanoseconds of the day, then the Julian day. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    put64(&p.values, 3723000001000ULL); /* 01:02:03.000001 */
    put32(&p.values, 2440588);          /* 1970-01-01 */
    put64(&p.values, 0);
    put32(&p.values, 2451545); /* 2000-01-01 */
    build(&f, leaf(EM__PQ_INT96, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "1970-01-01 01:02:03.000001|2000-01-01 00:00:00");
    /* Too few values for the levels: an error naming the column. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 3);
    put32(&p.values, 1);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 3);
    EXPECT_COL(f, 3,
               "ERROR: mem.parquet: row group 0, column 'c': page has fewer values than its "
               "levels say (PLAIN)");
}

static void test_dictionary(void **state)
{
    (void)state;
    for (int old = 0; old < 2; old++) {
        em_strbuf f;
        pg p[3];
        pg_init(&p[0], EM__PQ_DICTIONARY_PAGE, old ? EM__PQ_PLAIN_DICTIONARY : EM__PQ_PLAIN, 3);
        put_ba(&p[0].values, "zero");
        put_ba(&p[0].values, "one");
        put_ba(&p[0].values, "two");
        pg_init(&p[1], EM__PQ_DATA_PAGE, old ? EM__PQ_PLAIN_DICTIONARY : EM__PQ_RLE_DICTIONARY, 12);
        pg_defs(&p[1], "111111111101");
        uint32_t idx[11] = {2, 2, 2, 2, 2, 2, 2, 2, 0, 1, 0};
        em_strbuf_putc(&p[1].values, 2);
        em__pq_rle_encode(idx, 11, 2, &p[1].values);
        /* A page falling back to PLAIN after the dictionary ones. */
        pg_init(&p[2], EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
        pg_defs(&p[2], "1");
        put_ba(&p[2].values, "plain");
        build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_OPTIONAL), EM__PQ_SNAPPY, p, 3, 13);
        EXPECT_COL(f, 13, "two|two|two|two|two|two|two|two|zero|one|NULL|zero|plain");
    }
    /* An index past the dictionary. */
    em_strbuf f;
    pg p[2];
    pg_init(&p[0], EM__PQ_DICTIONARY_PAGE, EM__PQ_PLAIN, 2);
    put32(&p[0].values, 10);
    put32(&p[0].values, 20);
    pg_init(&p[1], EM__PQ_DATA_PAGE, EM__PQ_RLE_DICTIONARY, 2);
    uint32_t idx[2] = {1, 3};
    em_strbuf_putc(&p[1].values, 2);
    em__pq_rle_encode(idx, 2, 2, &p[1].values);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, p, 2, 2);
    EXPECT_COL(f, 2,
               "ERROR: mem.parquet: row group 0, column 'c': dictionary index 3 out of range (2 "
               "entries)");
    /* A dictionary-encoded page without a dictionary. */
    pg_init(&p[0], EM__PQ_DATA_PAGE, EM__PQ_RLE_DICTIONARY, 1);
    em_strbuf_append(&p[0].values, "\x01\x02\x00", 3);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, p, 1, 1);
    EXPECT_COL(f, 1,
               "ERROR: mem.parquet: row group 0, column 'c': dictionary-encoded page without a "
               "dictionary page");
}

static void test_delta_pages(void **state)
{
    (void)state;
    em_strbuf f;
    pg p;
    /* DELTA_BINARY_PACKED, INT32 and INT64, v2 pages with NULLs. */
    int64_t v[5] = {100, -50, 2147483647, -2147483648LL, 0};
    pg_init(&p, EM__PQ_DATA_PAGE_V2, EM__PQ_DELTA_BINARY_PACKED, 6);
    pg_defs(&p, "111011");
    em__pq_delta_encode(v, 5, &p.values);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_OPTIONAL), EM__PQ_ZSTD, &p, 1, 6);
    EXPECT_COL(f, 6, "100|-50|2147483647|NULL|-2147483648|0");
    int64_t w[3] = {INT64_MAX, INT64_MIN, 1};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_DELTA_BINARY_PACKED, 3);
    em__pq_delta_encode(w, 3, &p.values);
    build(&f, leaf(EM__PQ_INT64, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 3);
    EXPECT_COL(f, 3, "9223372036854775807|-9223372036854775808|1");
    /* DELTA_LENGTH_BYTE_ARRAY. */
    const char *strs[] = {"Hello", "", "World", "foobar"};
    int64_t lens[4];
    for (int i = 0; i < 4; i++) lens[i] = (int64_t)strlen(strs[i]);
    pg_init(&p, EM__PQ_DATA_PAGE_V2, EM__PQ_DELTA_LENGTH_BYTE_ARRAY, 5);
    pg_defs(&p, "11011");
    em__pq_delta_encode(lens, 4, &p.values);
    for (int i = 0; i < 4; i++) em_strbuf_puts(&p.values, strs[i]);
    build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_OPTIONAL), EM__PQ_SNAPPY, &p, 1, 5);
    EXPECT_COL(f, 5, "Hello||NULL|World|foobar");
    /* DELTA_BYTE_ARRAY: prefixes shared with the previous value. */
    int64_t pre[5] = {0, 5, 4, 0, 6};
    const char *suf[] = {"apple", "sauce", "y", "banana", "s"};
    int64_t sl[5];
    for (int i = 0; i < 5; i++) sl[i] = (int64_t)strlen(suf[i]);
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_DELTA_BYTE_ARRAY, 5);
    em__pq_delta_encode(pre, 5, &p.values);
    em__pq_delta_encode(sl, 5, &p.values);
    for (int i = 0; i < 5; i++) em_strbuf_puts(&p.values, suf[i]);
    build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 5);
    EXPECT_COL(f, 5, "apple|applesauce|apply|banana|bananas");
}

static void test_byte_stream_split(void **state)
{
    (void)state;
    em_strbuf f;
    pg p;
    float fl[3] = {1.0f, -2.5f, 1e10f};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_BYTE_STREAM_SPLIT, 4);
    pg_defs(&p, "1101");
    for (int b = 0; b < 4; b++)
        for (int i = 0; i < 3; i++) em_strbuf_putc(&p.values, (char)((uint8_t *)&fl[i])[b]);
    build(&f, leaf(EM__PQ_FLOAT, EM__PQ_OPTIONAL), EM__PQ_UNCOMPRESSED, &p, 1, 4);
    EXPECT_COL(f, 4, "1.0|-2.5|NULL|10000000000.0");
    double db[2] = {0.1, -1e-300};
    pg_init(&p, EM__PQ_DATA_PAGE_V2, EM__PQ_BYTE_STREAM_SPLIT, 2);
    for (int b = 0; b < 8; b++)
        for (int i = 0; i < 2; i++) em_strbuf_putc(&p.values, (char)((uint8_t *)&db[i])[b]);
    build(&f, leaf(EM__PQ_DOUBLE, EM__PQ_REQUIRED), EM__PQ_GZIP, &p, 1, 2);
    EXPECT_COL(f, 2, "0.1|-1e-300");
    int32_t in[2] = {-7, 70000};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_BYTE_STREAM_SPLIT, 2);
    for (int b = 0; b < 4; b++)
        for (int i = 0; i < 2; i++) em_strbuf_putc(&p.values, (char)((uint8_t *)&in[i])[b]);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "-7|70000");
    /* A length that is not a multiple of the value size. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_BYTE_STREAM_SPLIT, 1);
    em_strbuf_append(&p.values, "abcde", 5);
    build(&f, leaf(EM__PQ_FLOAT, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1,
               "ERROR: mem.parquet: row group 0, column 'c': BYTE_STREAM_SPLIT data is not a "
               "multiple of 4");
}

static void test_levels_and_booleans(void **state)
{
    (void)state;
    em_strbuf f;
    pg p;
    /* RLE booleans (a 4-byte length, then width-1 runs) in a v2 page. */
    pg_init(&p, EM__PQ_DATA_PAGE_V2, EM__PQ_RLE, 4);
    pg_defs(&p, "1011");
    em_strbuf rle;
    em_strbuf_init(&rle);
    uint32_t bits[3] = {1, 1, 0};
    em__pq_rle_encode(bits, 3, 1, &rle);
    put32(&p.values, (uint32_t)rle.len);
    em_strbuf_append(&p.values, rle.data, rle.len);
    em_strbuf_release(&rle);
    build(&f, leaf(EM__PQ_BOOLEAN, EM__PQ_OPTIONAL), EM__PQ_UNCOMPRESSED, &p, 1, 4);
    EXPECT_COL(f, 4, "true|NULL|true|false");
    /* Deprecated BIT_PACKED definition levels (MSB first, no length). */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 4);
    p.def_encoding = EM__PQ_BIT_PACKED;
    em_strbuf_putc(&p.levels, (char)0xb0); /* 1 0 1 1 */
    put32(&p.values, 1);
    put32(&p.values, 3);
    put32(&p.values, 4);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_OPTIONAL), EM__PQ_UNCOMPRESSED, &p, 1, 4);
    EXPECT_COL(f, 4, "1|NULL|3|4");
    /* A page CRC that does not match. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    put32(&p.values, 1);
    p.bad_crc = true;
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1,
               "ERROR: mem.parquet: row group 0, column 'c': page CRC mismatch (the file is "
               "corrupt)");
    /* Fewer pages than rows. */
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    put32(&p.values, 1);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 4);
    EXPECT_COL(f, 4,
               "ERROR: mem.parquet: row group 0, column 'c': column chunk ends before the row "
               "group's rows (1 missing)");
    /* An encoding the reader does not know. */
    pg_init(&p, EM__PQ_DATA_PAGE, 10, 1);
    put32(&p.values, 1);
    build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1, "ERROR: mem.parquet: row group 0, column 'c': encoding ALP is not supported");
}

static void test_logical_types(void **state)
{
    (void)state;
    em_strbuf f;
    pg p;
    /* DECIMAL as INT32, INT64, FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY. */
    em__pq_schema_elem e = leaf(EM__PQ_INT32, EM__PQ_REQUIRED);
    e.logical = (em__pq_logical){.kind = EM__PQ_LT_DECIMAL, .precision = 9, .scale = 2};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    put32(&p.values, 12345);
    put32(&p.values, (uint32_t)-5);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "123.45|-0.05");
    e = leaf(EM__PQ_FLBA, EM__PQ_REQUIRED);
    e.type_length = 11;
    e.converted = EM__PQ_CT_DECIMAL;
    e.precision = 18;
    e.scale = 3;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    em_strbuf_append(&p.values, "\x00\x00\x00\x00\x00\x00\x00\x00\x01\xe2\x40", 11); /* 123456 */
    em_strbuf_append(&p.values, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe", 11); /* -2 */
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "123.456|-0.002");
    e = leaf(EM__PQ_BYTE_ARRAY, EM__PQ_REQUIRED);
    e.logical = (em__pq_logical){.kind = EM__PQ_LT_DECIMAL, .precision = 10, .scale = 1};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    put32(&p.values, 2);
    em_strbuf_append(&p.values, "\x80\x00", 2); /* -32768 */
    put32(&p.values, 1);
    em_strbuf_append(&p.values, "\x07", 1);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "-3276.8|0.7");
    /* Timestamps in milliseconds and nanoseconds, times, unsigned integers. */
    e = leaf(EM__PQ_INT64, EM__PQ_REQUIRED);
    e.logical = (em__pq_logical){.kind = EM__PQ_LT_TIMESTAMP, .unit = EM__PQ_MILLIS};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    put64(&p.values, 1000);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1, "1970-01-01 00:00:01");
    e.logical.unit = EM__PQ_NANOS;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    put64(&p.values, 1500);
    put64(&p.values, (uint64_t)-1500);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "1970-01-01 00:00:00.000001|1969-12-31 23:59:59.999998");
    e = leaf(EM__PQ_INT32, EM__PQ_REQUIRED);
    e.converted = EM__PQ_CT_TIME_MILLIS;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    put32(&p.values, 3723004);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1, "01:02:03.004");
    e = leaf(EM__PQ_INT32, EM__PQ_REQUIRED);
    e.logical = (em__pq_logical){.kind = EM__PQ_LT_INTEGER, .bit_width = 32, .is_signed = false};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    put32(&p.values, 4000000000u);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1, "4000000000");
    e = leaf(EM__PQ_INT64, EM__PQ_REQUIRED);
    e.converted = EM__PQ_CT_UINT_64;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    put64(&p.values, UINT64_MAX);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1,
               "ERROR: mem.parquet: row group 0, column 'c': UINT64 value 18446744073709551615 "
               "does not fit in a BIGINT");
    /* UUID, FLOAT16, INTERVAL. */
    e = leaf(EM__PQ_FLBA, EM__PQ_REQUIRED);
    e.type_length = 16;
    e.logical.kind = EM__PQ_LT_UUID;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    em_strbuf_append(&p.values, "\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x23\x45\x67\x89\xab\xcd\xef",
                     16);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1, "12345678-9abc-def0-0123-456789abcdef");
    e = leaf(EM__PQ_FLBA, EM__PQ_REQUIRED);
    e.type_length = 2;
    e.logical.kind = EM__PQ_LT_FLOAT16;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 2);
    em_strbuf_append(&p.values, "\x00\x3c\x00\xc1", 4); /* 1.0, -2.5 */
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 2);
    EXPECT_COL(f, 2, "1.0|-2.5");
    e = leaf(EM__PQ_FLBA, EM__PQ_REQUIRED);
    e.type_length = 12;
    e.converted = EM__PQ_CT_INTERVAL;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1);
    put32(&p.values, 14);
    put32(&p.values, 3);
    put32(&p.values, 3600500);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 1);
    EXPECT_COL(f, 1, "1 year 2 months 3 days 01:00:00.5");
    /* An unsupported type is an error when the column is read. */
    e = leaf(EM__PQ_FLBA, EM__PQ_REQUIRED);
    e.type_length = 16;
    e.logical = (em__pq_logical){.kind = EM__PQ_LT_DECIMAL, .precision = 38, .scale = 3};
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 0);
    build(&f, e, EM__PQ_UNCOMPRESSED, &p, 1, 0);
    char *got = read_col(&f, 0);
    assert_non_null(strstr(got, "ERROR: mem.parquet: row group 0, column 'c': DECIMAL with a "
                                "precision above 18 is not supported"));
    em_free(got);
    em_strbuf_release(&f);
}

/* ---- the reader's fast paths ------------------------------------------------------------- */

/* Definition levels of any length (lv[i] 1 = value, 0 = NULL) for a v1 page. */
static void pg_levels(pg *p, const uint8_t *lv, size_t n)
{
    em_strbuf body;
    em_strbuf_init(&body);
    em__pq_rle_encode_u8(lv, n, 1, &body);
    uint32_t len = (uint32_t)body.len;
    em_strbuf_append(&p->levels, (const char *)&len, 4);
    em_strbuf_append(&p->levels, body.data, body.len);
    em_strbuf_release(&body);
}

/* A string of length len made of c (the test's values). */
static const char *text_of(char *buf, size_t len, char c)
{
    memset(buf, c, len);
    buf[len] = '\0';
    return buf;
}

static void test_string_fast_paths(void **state)
{
    (void)state;
    char buf[2048];
    static const int codecs[] = {EM__PQ_UNCOMPRESSED, EM__PQ_ZSTD};
    /* PLAIN strings of every length 0..40, the last ones at the very end of an
     * uncompressed page (read in place from the file: no bytes past the page
     * may be read) and of a decompressed one. */
    for (size_t k = 0; k < EM_ARRAY_LEN(codecs); k++) {
        for (int last = 0; last <= 40; last += 8) {
            em_strbuf f, want;
            em_strbuf_init(&want);
            pg p;
            pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 42);
            for (int i = 0; i <= 40; i++) {
                const char *t = text_of(buf, (size_t)i, (char)('a' + i % 26));
                put_ba(&p.values, t);
                em_strbuf_printf(&want, "%s|", t);
            }
            const char *t = text_of(buf, (size_t)last, 'z');
            put_ba(&p.values, t);
            em_strbuf_puts(&want, t);
            build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_REQUIRED), codecs[k], &p, 1, 42);
            EXPECT_COL(f, 42, want.data);
            em_strbuf_release(&want);
        }
    }
    /* Dictionaries whose longest entry is at most 16 bytes, at most 32, longer,
     * and long enough that a batch's worst case is not reserved (1000 bytes
     * times 1100 rows): every copy path of the gather. */
    static const int longest[] = {16, 32, 33, 1000};
    for (size_t k = 0; k < EM_ARRAY_LEN(longest); k++) {
        int nd = 5, rows = 1100;
        em_strbuf f, want;
        em_strbuf_init(&want);
        pg p[2];
        pg_init(&p[0], EM__PQ_DICTIONARY_PAGE, EM__PQ_PLAIN, nd);
        static const int lens[] = {0, 1, 7, 15};
        for (int d = 0; d < nd; d++)
            put_ba(&p[0].values,
                   text_of(buf, (size_t)(d < 4 ? lens[d] : longest[k]), (char)('a' + d)));
        pg_init(&p[1], EM__PQ_DATA_PAGE, EM__PQ_RLE_DICTIONARY, rows);
        uint32_t *idx = em_malloc(sizeof *idx * (size_t)rows);
        for (int i = 0; i < rows; i++) {
            idx[i] = (uint32_t)((i * 7 + i / 3) % nd);
            int d = (int)idx[i];
            if (i) em_strbuf_putc(&want, '|');
            em_strbuf_puts(&want,
                           text_of(buf, (size_t)(d < 4 ? lens[d] : longest[k]), (char)('a' + d)));
        }
        em_strbuf_putc(&p[1].values, 3);
        em__pq_rle_encode(idx, (size_t)rows, 3, &p[1].values);
        em_free(idx);
        build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_REQUIRED), EM__PQ_ZSTD, p, 2, rows);
        EXPECT_COL(f, rows, want.data);
        em_strbuf_release(&want);
    }
    /* Indices past a string dictionary: within the entry table's padding (3
     * entries padded to 4, width 2) and past it (width 3), in a bit-packed
     * run and in an RLE run, at the start, middle and end of a long page. */
    static const uint32_t bad[] = {3, 5, 7};
    for (size_t b = 0; b < EM_ARRAY_LEN(bad); b++) {
        for (int where = 0; where < 3; where++) {
            int rows = 3000;
            em_strbuf f;
            pg p[2];
            pg_init(&p[0], EM__PQ_DICTIONARY_PAGE, EM__PQ_PLAIN, 3);
            put_ba(&p[0].values, "zero");
            put_ba(&p[0].values, "one");
            put_ba(&p[0].values, "two");
            pg_init(&p[1], EM__PQ_DATA_PAGE, EM__PQ_RLE_DICTIONARY, rows);
            uint32_t *idx = em_malloc(sizeof *idx * (size_t)rows);
            for (int i = 0; i < rows; i++) idx[i] = (uint32_t)(i % 3);
            int at = where == 0 ? 0 : where == 1 ? 2100 : rows - 1;
            idx[at] = bad[b];
            int w = bad[b] < 4 ? 2 : 3;
            em_strbuf_putc(&p[1].values, (char)w);
            em__pq_rle_encode(idx, (size_t)rows, w, &p[1].values);
            em_free(idx);
            build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_REQUIRED), EM__PQ_SNAPPY, p, 2, rows);
            char want[160];
            snprintf(want, sizeof want,
                     "ERROR: mem.parquet: row group 0, column 'c': dictionary index %u out of "
                     "range (3 entries)",
                     bad[b]);
            EXPECT_COL(f, rows, want);
        }
    }
    /* An RLE run of a bad index. */
    em_strbuf f;
    pg p[2];
    pg_init(&p[0], EM__PQ_DICTIONARY_PAGE, EM__PQ_PLAIN, 3);
    put_ba(&p[0].values, "zero");
    put_ba(&p[0].values, "one");
    put_ba(&p[0].values, "two");
    pg_init(&p[1], EM__PQ_DATA_PAGE, EM__PQ_RLE_DICTIONARY, 100);
    em_strbuf_append(&p[1].values, "\x02\xc8\x01\x03", 4); /* width 2; 100 times 3 */
    build(&f, leaf(EM__PQ_BYTE_ARRAY, EM__PQ_REQUIRED), EM__PQ_UNCOMPRESSED, p, 2, 100);
    EXPECT_COL(f, 100,
               "ERROR: mem.parquet: row group 0, column 'c': dictionary index 3 out of range (3 "
               "entries)");
}

static void test_dictionary_padding(void **state)
{
    (void)state;
    /* Five INT64 entries (padded to eight) read with width 3: indices 3 and 4
     * are fine, 5..7 (in the padding) are errors; also for INT32 and width 4
     * (past the padding). */
    static const int types[] = {EM__PQ_INT64, EM__PQ_INT32};
    for (size_t t = 0; t < EM_ARRAY_LEN(types); t++) {
        for (int w = 3; w <= 4; w++) {
            for (uint32_t bad = 4; bad <= 7; bad++) {
                int rows = 2500;
                em_strbuf f, want;
                em_strbuf_init(&want);
                pg p[2];
                pg_init(&p[0], EM__PQ_DICTIONARY_PAGE, EM__PQ_PLAIN, 5);
                for (int d = 0; d < 5; d++) {
                    if (types[t] == EM__PQ_INT64)
                        put64(&p[0].values, (uint64_t)(d * 100 + 1));
                    else
                        put32(&p[0].values, (uint32_t)(d * 100 + 1));
                }
                pg_init(&p[1], EM__PQ_DATA_PAGE, EM__PQ_RLE_DICTIONARY, rows);
                uint32_t *idx = em_malloc(sizeof *idx * (size_t)rows);
                for (int i = 0; i < rows; i++) {
                    idx[i] = i % 2 ? 3 : 4;
                    if (i == 2200) idx[i] = bad;
                    em_strbuf_printf(&want, "%s%d", i ? "|" : "", (int)idx[i] * 100 + 1);
                }
                em_strbuf_putc(&p[1].values, (char)w);
                em__pq_rle_encode(idx, (size_t)rows, w, &p[1].values);
                em_free(idx);
                build(&f, leaf(types[t], EM__PQ_REQUIRED), EM__PQ_ZSTD, p, 2, rows);
                char msg[160];
                snprintf(msg, sizeof msg,
                         "ERROR: mem.parquet: row group 0, column 'c': dictionary index %u out "
                         "of range (5 entries)",
                         bad);
                EXPECT_COL(f, rows, bad == 4 ? want.data : msg);
                em_strbuf_release(&want);
            }
        }
    }
}

static void test_level_runs(void **state)
{
    (void)state;
    /* Optional columns whose definition levels are long all-valid runs (taken
     * whole), runs of NULLs, and mixed bit-packed stretches, in steps that start
     * and end inside runs. */
    enum { ROWS = 5000 };
    uint8_t *lv = em_malloc(ROWS);
    for (int i = 0; i < ROWS; i++)
        lv[i] = !((i >= 2500 && i < 2600 && i % 3 == 0) || (i >= 3000 && i < 3700));
    em_strbuf f, want;
    em_strbuf_init(&want);
    pg p;
    pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, ROWS);
    pg_levels(&p, lv, ROWS);
    for (int i = 0; i < ROWS; i++) {
        if (i) em_strbuf_putc(&want, '|');
        if (lv[i]) {
            put64(&p.values, (uint64_t)i * 3);
            em_strbuf_printf(&want, "%d", i * 3);
        } else {
            em_strbuf_puts(&want, "NULL");
        }
    }
    build(&f, leaf(EM__PQ_INT64, EM__PQ_OPTIONAL), EM__PQ_ZSTD, &p, 1, ROWS);
    EXPECT_COL(f, ROWS, want.data);
    em_strbuf_release(&want);
    em_free(lv);
}

static void test_crc_large_page(void **state)
{
    (void)state;
    /* Pages long enough for the folding CRC (the short ones above take the
     * table path): correct CRCs read, a wrong one is an error. */
    for (int bad = 0; bad < 2; bad++) {
        em_strbuf f, want;
        em_strbuf_init(&want);
        pg p;
        pg_init(&p, EM__PQ_DATA_PAGE, EM__PQ_PLAIN, 1000);
        for (int i = 0; i < 1000; i++) {
            put32(&p.values, (uint32_t)(i * 2654435761u));
            em_strbuf_printf(&want, "%s%d", i ? "|" : "", (int32_t)(i * 2654435761u));
        }
        p.bad_crc = bad;
        build(&f, leaf(EM__PQ_INT32, EM__PQ_REQUIRED), EM__PQ_ZSTD, &p, 1, 1000);
        EXPECT_COL(f, 1000,
                   bad ? "ERROR: mem.parquet: row group 0, column 'c': page CRC mismatch (the "
                         "file is corrupt)"
                       : want.data);
        em_strbuf_release(&want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unpack),
        cmocka_unit_test(test_rle_round_trip),
        cmocka_unit_test(test_rle_hand_made),
        cmocka_unit_test(test_delta),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_dictionary),
        cmocka_unit_test(test_delta_pages),
        cmocka_unit_test(test_byte_stream_split),
        cmocka_unit_test(test_levels_and_booleans),
        cmocka_unit_test(test_logical_types),
        cmocka_unit_test(test_string_fast_paths),
        cmocka_unit_test(test_dictionary_padding),
        cmocka_unit_test(test_level_runs),
        cmocka_unit_test(test_crc_large_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
