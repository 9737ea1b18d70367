/*
 * test_parquet_thrift.c — the Thrift compact protocol and Parquet's metadata:
 * varints and zigzag at their limits, field-id deltas (short and long
 * headers), lists (short and long headers, booleans as elements), skipping
 * unknown fields of every type including nested structs and maps, the
 * malformed inputs that must fail cleanly, and FileMetaData / PageHeader
 * round trips through the encoder and the decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "format/parquet/parquet.h"

static void test_varints(void **state)
{
    (void)state;
    const int64_t values[] = {0,    1,         -1,        63,        -64,       64,   300,
                              -300, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 50399};
    em_strbuf sb;
    em_strbuf_init(&sb);
    for (size_t i = 0; i < EM_ARRAY_LEN(values); i++) em__thrift_w_zigzag(&sb, values[i]);
    em__thrift_w_varint(&sb, 50399);
    em__thrift_w_varint(&sb, UINT64_MAX);
    em__thrift_reader r;
    em__thrift_reader_init(&r, sb.data, sb.len);
    for (size_t i = 0; i < EM_ARRAY_LEN(values); i++)
        assert_true(em__thrift_zigzag(&r) == values[i]);
    const uint8_t *before = r.p;
    assert_int_equal(em__thrift_varint(&r), 50399);
    /* The specification's example: 50399 is 0xDF 0x89 0x03. */
    assert_int_equal(before[0], 0xDF);
    assert_int_equal(before[1], 0x89);
    assert_int_equal(before[2], 0x03);
    assert_true(em__thrift_varint(&r) == UINT64_MAX);
    assert_false(r.bad);
    assert_true(r.p == r.end);
    /* Reading past the end fails and stays failed. */
    assert_int_equal(em__thrift_varint(&r), 0);
    assert_true(r.bad);
    em_strbuf_release(&sb);

    /* An 11-byte varint is malformed. */
    uint8_t long_varint[11];
    memset(long_varint, 0x80, sizeof long_varint);
    em__thrift_reader_init(&r, long_varint, sizeof long_varint);
    (void)em__thrift_varint(&r);
    assert_true(r.bad);
}

/* A struct with fields of every type, ids chosen to need both header forms. */
static void write_sample(em_strbuf *sb, bool with_unknown)
{
    int16_t last = 0;
    em__thrift_w_i32(sb, &last, 1, -42);
    if (with_unknown) {
        em__thrift_w_bool(sb, &last, 2, true);
        em__thrift_w_field(sb, &last, EM__T_I8, 3);
        em_strbuf_putc(sb, (char)-5);
        em__thrift_w_field(sb, &last, EM__T_DOUBLE, 4);
        double d = 2.5;
        em_strbuf_append(sb, (const char *)&d, 8);
        em__thrift_w_string(sb, &last, 5, "unknown");
        /* list<list<i64>> */
        em__thrift_w_list(sb, &last, 6, EM__T_LIST, 2);
        em__thrift_w_list_header(sb, EM__T_I64, 1);
        em__thrift_w_zigzag(sb, 7);
        em__thrift_w_list_header(sb, EM__T_I64, 0);
        /* map<string, bool> with 2 entries */
        em__thrift_w_field(sb, &last, EM__T_MAP, 7);
        em__thrift_w_varint(sb, 2);
        em_strbuf_putc(sb, (char)(EM__T_BINARY << 4 | EM__T_TRUE));
        em__thrift_w_varint(sb, 1);
        em_strbuf_putc(sb, 'k');
        em_strbuf_putc(sb, 1);
        em__thrift_w_varint(sb, 1);
        em_strbuf_putc(sb, 'l');
        em_strbuf_putc(sb, 0);
        /* an empty map */
        em__thrift_w_field(sb, &last, EM__T_MAP, 8);
        em__thrift_w_varint(sb, 0);
        /* a nested struct with a list of bools and a uuid */
        em__thrift_w_struct(sb, &last, 9);
        int16_t l2 = 0;
        em__thrift_w_list(sb, &l2, 1, EM__T_FALSE, 3);
        em_strbuf_append(sb, "\x01\x00\x01", 3);
        em__thrift_w_field(sb, &l2, EM__T_UUID, 2);
        em_strbuf_append(sb, "0123456789abcdef", 16);
        em__thrift_w_stop(sb);
        em__thrift_w_field(sb, &last, EM__T_I16, 10);
        em__thrift_w_zigzag(sb, -3);
    }
    /* A jump of more than 15 ids needs the long header. */
    em__thrift_w_i64(sb, &last, 100, INT64_MIN);
    /* A list of more than 14 elements needs the long list header. */
    em__thrift_w_list(sb, &last, 101, EM__T_I32, 20);
    for (int i = 0; i < 20; i++) em__thrift_w_zigzag(sb, i * 1000 - 9000);
    em__thrift_w_string(sb, &last, 102, "hello");
    em__thrift_w_stop(sb);
}

static void read_sample(const em_strbuf *sb)
{
    em__thrift_reader r;
    em__thrift_reader_init(&r, sb->data, sb->len);
    int16_t last = 0, id;
    int t;
    int seen = 0;
    while (em__thrift_field(&r, &last, &t, &id)) {
        switch (id) {
        case 1:
            assert_int_equal(em__thrift_i32(&r, t), -42);
            seen++;
            break;
        case 100:
            assert_true(em__thrift_int(&r, t) == INT64_MIN);
            seen++;
            break;
        case 101: {
            int et;
            int32_t n;
            em__thrift_list(&r, &et, &n);
            assert_int_equal(et, EM__T_I32);
            assert_int_equal(n, 20);
            for (int i = 0; i < n; i++) assert_int_equal(em__thrift_i32(&r, et), i * 1000 - 9000);
            seen++;
            break;
        }
        case 102: {
            int32_t n;
            const uint8_t *p = em__thrift_binary(&r, &n);
            assert_int_equal(n, 5);
            assert_memory_equal(p, "hello", 5);
            seen++;
            break;
        }
        default:
            em__thrift_skip(&r, t);
        }
    }
    assert_false(r.bad);
    assert_int_equal(seen, 4);
    assert_true(r.p == r.end);
}

static void test_structs_and_skipping(void **state)
{
    (void)state;
    em_strbuf a, b;
    em_strbuf_init(&a);
    em_strbuf_init(&b);
    write_sample(&a, false);
    write_sample(&b, true);
    read_sample(&a);
    read_sample(&b); /* the same fields, with every kind of unknown field skipped */
    /* A reader that skips everything consumes exactly the struct. */
    em__thrift_reader r;
    em__thrift_reader_init(&r, b.data, b.len);
    em__thrift_skip(&r, EM__T_STRUCT);
    assert_false(r.bad);
    assert_true(r.p == r.end);
    /* Every truncation fails cleanly. */
    for (size_t cut = 0; cut < b.len; cut++) {
        em__thrift_reader_init(&r, b.data, cut);
        em__thrift_skip(&r, EM__T_STRUCT);
        assert_true(r.bad);
    }
    em_strbuf_release(&a);
    em_strbuf_release(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    em__thrift_reader r;
    /* A list claiming more elements than bytes left. */
    const uint8_t big_list[] = {0xf5, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00};
    em__thrift_reader_init(&r, big_list, sizeof big_list);
    int et;
    int32_t n;
    em__thrift_list(&r, &et, &n);
    assert_true(r.bad);
    assert_int_equal(n, 0);
    /* A binary longer than the input. */
    const uint8_t big_bin[] = {0x7f, 'a', 'b'};
    em__thrift_reader_init(&r, big_bin, sizeof big_bin);
    (void)em__thrift_binary(&r, &n);
    assert_true(r.bad);
    /* A field of type 14 (no such type). */
    const uint8_t bad_type[] = {0x1e, 0x00};
    em__thrift_reader_init(&r, bad_type, sizeof bad_type);
    em__thrift_skip(&r, EM__T_STRUCT);
    assert_true(r.bad);
    /* Structs nested beyond the depth limit. */
    uint8_t deep[200];
    for (size_t i = 0; i < sizeof deep; i++) deep[i] = 0x1c; /* field 1, struct */
    em__thrift_reader_init(&r, deep, sizeof deep);
    em__thrift_skip(&r, EM__T_STRUCT);
    assert_true(r.bad);
    /* Lists of lists nested beyond the limit. */
    uint8_t deep_list[200];
    for (size_t i = 0; i < sizeof deep_list; i++) deep_list[i] = 0x19; /* one element, a list */
    em__thrift_reader_init(&r, deep_list, sizeof deep_list);
    em__thrift_skip(&r, EM__T_LIST);
    assert_true(r.bad);
}

static void test_file_meta_round_trip(void **state)
{
    (void)state;
    em__pq_file_meta m;
    memset(&m, 0, sizeof m);
    m.arena = em_arena_create(4096);
    m.version = 2;
    m.nschema = 3;
    em__pq_schema_elem el[3];
    memset(el, 0, sizeof el);
    el[0] = (em__pq_schema_elem){.type = -1,
                                 .repetition = -1,
                                 .name = "schema",
                                 .num_children = 2,
                                 .converted = EM__PQ_CT_NONE};
    el[1] = (em__pq_schema_elem){.type = EM__PQ_INT64,
                                 .repetition = EM__PQ_OPTIONAL,
                                 .name = "ts",
                                 .converted = EM__PQ_CT_NONE};
    el[1].logical =
        (em__pq_logical){.kind = EM__PQ_LT_TIMESTAMP, .utc = true, .unit = EM__PQ_NANOS};
    el[2] = (em__pq_schema_elem){.type = EM__PQ_FLBA,
                                 .type_length = 9,
                                 .repetition = EM__PQ_REQUIRED,
                                 .name = "price",
                                 .converted = EM__PQ_CT_DECIMAL,
                                 .scale = 2,
                                 .precision = 18};
    el[2].logical = (em__pq_logical){.kind = EM__PQ_LT_DECIMAL, .scale = 2, .precision = 18};
    m.schema = el;
    m.num_rows = 1234567890123LL;
    em__pq_row_group rg;
    memset(&rg, 0, sizeof rg);
    em__pq_column_chunk cc[2];
    memset(cc, 0, sizeof cc);
    char *path0[] = {"ts"}, *path1[] = {"price"};
    int32_t enc[] = {EM__PQ_PLAIN, EM__PQ_RLE_DICTIONARY, EM__PQ_RLE};
    for (int c = 0; c < 2; c++) {
        cc[c].has_meta = true;
        cc[c].file_offset = 4 + c * 100;
        em__pq_column_meta *cm = &cc[c].meta;
        cm->type = c == 0 ? EM__PQ_INT64 : EM__PQ_FLBA;
        cm->nencodings = 3;
        cm->encodings = enc;
        cm->npath = 1;
        cm->path = c == 0 ? path0 : path1;
        cm->codec = c == 0 ? EM__PQ_ZSTD : EM__PQ_SNAPPY;
        cm->num_values = 1000 + c;
        cm->total_uncompressed_size = 5000;
        cm->total_compressed_size = 100;
        cm->data_page_offset = 4 + c * 100 + 50;
        cm->index_page_offset = -1;
        cm->dictionary_page_offset = c == 0 ? 4 : -1;
        cm->has_stats = true;
        cm->stats.null_count = 7;
        cm->stats.distinct_count = -1;
        cm->stats.min_value = (em__pq_bytes){(const uint8_t *)"\x01\x02", 2, true};
        cm->stats.max_value = (em__pq_bytes){(const uint8_t *)"\xff", 1, true};
    }
    rg.ncolumns = 2;
    rg.columns = cc;
    rg.num_rows = 1000;
    rg.total_byte_size = 10000;
    rg.total_compressed_size = 200;
    rg.file_offset = 4;
    m.nrow_groups = 1;
    m.row_groups = &rg;
    em__pq_kv kv[2] = {{"key", "value"}, {"novalue", NULL}};
    m.nkv = 2;
    m.kv = kv;
    m.created_by = "test";
    m.ncolumn_orders = 2;

    em_strbuf sb;
    em_strbuf_init(&sb);
    em__pq_meta_encode(&m, &sb);
    em__pq_file_meta d;
    const char *why = NULL;
    assert_int_equal(em__pq_meta_decode((const uint8_t *)sb.data, sb.len, &d, &why), 0);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.nschema, 3);
    assert_string_equal(d.schema[1].name, "ts");
    assert_int_equal(d.schema[1].logical.kind, EM__PQ_LT_TIMESTAMP);
    assert_true(d.schema[1].logical.utc);
    assert_int_equal(d.schema[1].logical.unit, EM__PQ_NANOS);
    assert_int_equal(d.schema[2].type_length, 9);
    assert_int_equal(d.schema[2].converted, EM__PQ_CT_DECIMAL);
    assert_int_equal(d.schema[2].logical.precision, 18);
    assert_int_equal(d.schema[2].logical.scale, 2);
    assert_true(d.num_rows == 1234567890123LL);
    assert_int_equal(d.nrow_groups, 1);
    assert_int_equal(d.row_groups[0].ncolumns, 2);
    const em__pq_column_meta *cm = &d.row_groups[0].columns[0].meta;
    assert_int_equal(cm->codec, EM__PQ_ZSTD);
    assert_int_equal(cm->nencodings, 3);
    assert_int_equal(cm->encodings[1], EM__PQ_RLE_DICTIONARY);
    assert_string_equal(cm->path[0], "ts");
    assert_int_equal(cm->dictionary_page_offset, 4);
    assert_int_equal(d.row_groups[0].columns[1].meta.dictionary_page_offset, -1);
    assert_true(cm->has_stats);
    assert_int_equal(cm->stats.null_count, 7);
    assert_int_equal(cm->stats.min_value.n, 2);
    assert_memory_equal(cm->stats.max_value.p, "\xff", 1);
    assert_false(cm->stats.min.set);
    assert_int_equal(d.nkv, 2);
    assert_string_equal(d.kv[0].value, "value");
    assert_null(d.kv[1].value);
    assert_string_equal(d.created_by, "test");
    assert_int_equal(d.ncolumn_orders, 2);
    assert_int_equal(em__pq_rg_start(&d.row_groups[0]), 4);

    /* Every truncation is an error, never a crash. */
    for (size_t cut = 0; cut < sb.len; cut++) {
        em__pq_file_meta x;
        int rc = em__pq_meta_decode((const uint8_t *)sb.data, cut, &x, &why);
        assert_int_equal(rc, -1);
        assert_non_null(why);
    }
    /* Flipped bytes: errors or different metadata, never a crash (ASan checks). */
    for (size_t i = 0; i < sb.len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            sb.data[i] ^= (char)(1 << bit);
            em__pq_file_meta x;
            if (em__pq_meta_decode((const uint8_t *)sb.data, sb.len, &x, &why) == 0) {
                em__pq_schema s;
                if (em__pq_schema_build(&x, &s, &why) == 0) em__pq_schema_release(&s);
                em__pq_meta_release(&x);
            }
            sb.data[i] ^= (char)(1 << bit);
        }
    }
    em__pq_meta_release(&d);
    em_strbuf_release(&sb);
    em_arena_destroy(m.arena);
}

static void test_page_header_round_trip(void **state)
{
    (void)state;
    em__pq_page_header h = {0}, d;
    h.type = EM__PQ_DATA_PAGE_V2;
    h.uncompressed_size = 123456;
    h.compressed_size = 789;
    h.has_crc = true;
    h.crc = 0xdeadbeef;
    h.num_values = 1000;
    h.num_nulls = 10;
    h.num_rows = 990;
    h.encoding = EM__PQ_DELTA_BINARY_PACKED;
    h.def_length = 17;
    h.rep_length = 3;
    h.is_compressed = false;
    h.has_v2 = true;
    em_strbuf sb;
    em_strbuf_init(&sb);
    em__pq_page_header_encode(&h, &sb);
    size_t hdr_len = sb.len;
    em_strbuf_append(&sb, "payload", 7);
    size_t used;
    const char *why;
    assert_int_equal(em__pq_page_header_decode((const uint8_t *)sb.data, sb.len, &d, &used, &why),
                     0);
    assert_int_equal(used, hdr_len);
    assert_int_equal(d.type, EM__PQ_DATA_PAGE_V2);
    assert_int_equal(d.uncompressed_size, 123456);
    assert_int_equal(d.compressed_size, 789);
    assert_true(d.has_crc);
    assert_int_equal(d.crc, 0xdeadbeef);
    assert_true(d.has_v2);
    assert_int_equal(d.num_values, 1000);
    assert_int_equal(d.num_nulls, 10);
    assert_int_equal(d.num_rows, 990);
    assert_int_equal(d.def_length, 17);
    assert_int_equal(d.rep_length, 3);
    assert_false(d.is_compressed);
    for (size_t cut = 0; cut < hdr_len; cut++)
        assert_int_equal(em__pq_page_header_decode((const uint8_t *)sb.data, cut, &d, &used, &why),
                         -1);

    /* A dictionary page header, and a v1 page with statistics (skipped). */
    em_strbuf_clear(&sb);
    h = (em__pq_page_header){0};
    h.type = EM__PQ_DICTIONARY_PAGE;
    h.uncompressed_size = h.compressed_size = 10;
    h.num_values = 3;
    h.encoding = EM__PQ_PLAIN;
    h.dict_sorted = true;
    h.has_dict = true;
    em__pq_page_header_encode(&h, &sb);
    assert_int_equal(em__pq_page_header_decode((const uint8_t *)sb.data, sb.len, &d, &used, &why),
                     0);
    assert_true(d.has_dict);
    assert_true(d.dict_sorted);
    assert_int_equal(d.num_values, 3);
    em_strbuf_clear(&sb);
    h = (em__pq_page_header){0};
    h.type = EM__PQ_DATA_PAGE;
    h.uncompressed_size = h.compressed_size = 10;
    h.num_values = 5;
    h.encoding = EM__PQ_PLAIN;
    h.def_encoding = EM__PQ_RLE;
    h.rep_encoding = EM__PQ_BIT_PACKED;
    h.has_data = true;
    h.has_stats = true;
    h.stats.null_count = 1;
    h.stats.distinct_count = -1;
    h.stats.max_value = (em__pq_bytes){(const uint8_t *)"zz", 2, true};
    em__pq_page_header_encode(&h, &sb);
    assert_int_equal(em__pq_page_header_decode((const uint8_t *)sb.data, sb.len, &d, &used, &why),
                     0);
    assert_int_equal(used, sb.len);
    assert_true(d.has_data);
    assert_int_equal(d.rep_encoding, EM__PQ_BIT_PACKED);
    assert_int_equal(d.num_values, 5);
    /* Missing required fields. */
    const uint8_t only_type[] = {0x15, 0x00, 0x00};
    assert_int_equal(em__pq_page_header_decode(only_type, sizeof only_type, &d, &used, &why), -1);
    em_strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varints),
        cmocka_unit_test(test_structs_and_skipping),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_file_meta_round_trip),
        cmocka_unit_test(test_page_header_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
