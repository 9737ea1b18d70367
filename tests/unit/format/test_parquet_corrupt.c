/*
 * test_parquet_corrupt.c — bad Parquet input never crashes the reader and
 * always says which file (and, past the footer, which row group and column)
 * is bad: every fixture truncated at many points, bytes flipped all over
 * files with page CRCs (ember's own), a wrong magic number, a footer length
 * pointing outside the file, and a column chunk offset past the end. ASan and
 * UBSan runs of this test are the real check.
 */
#include "format_test_util.h"

#include "format/parquet/parquet.h"
#include "format/writer.h"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = em_malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* A fresh file each time: rewriting one in place (O_TRUNC) makes ext4 flush it
 * to disk on close, which turns thousands of variants into minutes. */
static const char *put(const char *name, const char *data, size_t n)
{
    unlink(ft_path(name));
    return ft_write_n(name, data, n);
}

/* Bind and read every split; returns the code (0 when it all worked). */
static int try_read(const char *path, em_error *err)
{
    em_scan_desc *d;
    int rc = ft_bind(&d, "parquet", path, 0, NULL, err, NULL);
    if (rc < 0) return rc;
    char *rows = ft_read_all(d, err, &rc);
    em_free(rows);
    em_scan_desc_destroy(d);
    return rc;
}

/* The same from memory, without a file: most variants go this way (creating
 * thousands of files is slow). Every row group and column is read; the rows
 * are rendered into *out (when not NULL) to compare with the original. */
static int read_mem(const char *data, size_t n, char **out, em_error *err)
{
    em__pq_file f;
    int rc = em__pq_file_open_mem(&f, "mem.parquet", data, n, err);
    if (rc < 0) return rc;
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_append(&sb, "", 0);
    const em__pq_schema *s = &f.schema;
    for (int g = 0; g < f.meta.nrow_groups && rc == 0; g++) {
        int64_t rows = f.meta.row_groups[g].num_rows;
        if (rows > 100000) rows = 100000;
        em_vector **cols = em_calloc((size_t)s->nfields + 1, sizeof *cols);
        for (int fld = 0; fld < s->nfields && rc == 0; fld++) {
            em__pq_where w = {"mem.parquet", g, s->field_name[fld]};
            cols[fld] = em_vector_create(s->field_type[fld], rows > 0 ? rows : 1);
            const char *problem = em__pq_field_problem(s, fld);
            if (problem) {
                rc = em__pq_where_error(&w, err, EM_EUNSUPPORTED, "%s", problem);
            } else if (s->field_nested[fld]) {
                em__pq_nested *nr;
                rc = em__pq_nested_open(&f, g, fld, &w, &nr, err);
                if (rc == 0) rc = em__pq_nested_read(nr, cols[fld], rows, err);
                em__pq_nested_close(nr);
            } else {
                em__pq_colreader *c =
                    em__pq_col_open(&f, g, s->nodes[s->field_node[fld]].leaf, &w, err, &rc);
                if (c != NULL) {
                    rc = em__pq_col_read_flat(c, cols[fld], rows, err);
                    em__pq_col_close(c);
                }
            }
        }
        for (int64_t r = 0; r < rows && rc == 0 && out; r++) {
            for (int fld = 0; fld < s->nfields; fld++) {
                if (fld) em_strbuf_putc(&sb, '|');
                em_value v = em_vector_get(cols[fld], r);
                em_value_format(&v, &sb);
            }
            em_strbuf_putc(&sb, '\n');
        }
        for (int fld = 0; fld < s->nfields; fld++) em_vector_unref(cols[fld]);
        em_free(cols);
    }
    em__pq_file_close(&f);
    if (out && rc == 0)
        *out = em_strbuf_detach(&sb);
    else
        em_strbuf_release(&sb);
    return rc;
}

static void check_error(int rc, const em_error *err, const char *path, bool in_data)
{
    if (rc != EM_EFORMAT && rc != EM_EUNSUPPORTED && rc != EM_EOVERFLOW)
        fail_msg("unexpected code %d (%s) for %s", rc, err->message, path);
    if (strstr(err->message, path) == NULL) fail_msg("message without the file: %s", err->message);
    if (in_data &&
        (strstr(err->message, "row group") == NULL || strstr(err->message, "column") == NULL))
        fail_msg("message without row group and column: %s", err->message);
}

static const char *const fixtures[] = {
    "types_v1_snappy.parquet",
    "types_v1_zstd.parquet",
    "types_v2_gzip.parquet",
    "types_v2_lz4.parquet",
    "types_v1_uncompressed.parquet",
    "times.parquet",
    "nested.parquet",
    "rowgroups.parquet",
    "all_null.parquet",
    "empty.parquet",
};

static void test_truncated_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < EM_ARRAY_LEN(fixtures); i++) {
        char src[256];
        snprintf(src, sizeof src, "tests/data/parquet/%s", fixtures[i]);
        size_t n;
        char *data = slurp(src, &n);
        em_error err;
        assert_int_equal(try_read(src, &err), 0);
        size_t step = n / 300 + 1;
        int k = 0;
        for (size_t cut = 0; cut < n; cut += (n - cut <= 64 ? 1 : step), k++) {
            /* A copy of exactly `cut` bytes, so that ASan sees any overread. */
            char *part = em_malloc(cut + 1);
            memcpy(part, data, cut);
            int rc = read_mem(part, cut, NULL, &err);
            em_free(part);
            if (rc == 0)
                fail_msg("%s cut at %zu of %zu read without an error", fixtures[i], cut, n);
            check_error(rc, &err, "mem.parquet", false);
            if (k % 16 == 0) {
                /* Through a file and the scan, too. */
                const char *path = put("cut.parquet", data, cut);
                rc = try_read(path, &err);
                if (rc == 0) fail_msg("%s cut at %zu read without an error", fixtures[i], cut);
                check_error(rc, &err, path, false);
            }
        }
        em_free(data);
    }
}

static void test_flipped_bytes(void **state)
{
    (void)state;
    /* An ember-written file: every page has a CRC, so flips in column data are
     * always caught. */
    em_schema *s;
    em_error err;
    assert_int_equal(em_schema_parse_ddl("a BIGINT, b VARCHAR, c DOUBLE, d DATE", &s, &err), 0);
    /* Dictionary and PLAIN pages, several row groups. */
    const char *path = ft_path("crc.parquet");
    em_write_desc d = {.format = "parquet", .path = (char *)path, .schema = s};
    em_kv opt = {"row_group_size", "400"};
    d.options = &opt;
    d.noptions = 1;
    void *w;
    assert_int_equal(em__parquet_writer_vt.open(&d, s, path, &w, &err), 0);
    em_batch *b = em_batch_create_for(s, 800);
    for (int i = 0; i < 800; i++) {
        em_vector_append_i64(b->cols[0], (int64_t)i * 7919);
        char buf[32];
        int len = snprintf(buf, sizeof buf, "v%d", i % 37);
        if (i % 5 == 0)
            em_vector_append_null(b->cols[1]);
        else
            em_vector_append_str(b->cols[1], buf, len);
        em_vector_append_f64(b->cols[2], i / 7.0);
        em_vector_append_i32(b->cols[3], i);
    }
    b->nrows = 800;
    assert_int_equal(em__parquet_writer_vt.write(w, b, &err), 0);
    em_batch_destroy(b);
    assert_int_equal(em__parquet_writer_vt.close(w, true, &err), 0);
    size_t n;
    char *data = slurp(path, &n);
    uint32_t flen;
    memcpy(&flen, data + n - 8, 4);
    size_t footer = n - 8 - flen;
    em_scan_desc *sd;
    assert_int_equal(ft_bind(&sd, "parquet", path, 0, NULL, &err, NULL), 0);
    int rc0;
    char *want = ft_read_all(sd, &err, &rc0);
    em_scan_desc_destroy(sd);
    assert_int_equal(rc0, 0);
    em_free(want);
    char *mem_want;
    assert_int_equal(read_mem(data, n, &mem_want, &err), 0);
    int k = 0;
    for (size_t i = 4; i < n; i += (i < footer ? 2 : 1)) {
        for (int bit = 0; bit < 8; bit += 5, k++) {
            data[i] ^= (char)(1 << bit);
            char *got = NULL;
            int rc = read_mem(data, n, &got, &err);
            /* Page bodies are covered by CRCs: a flip there is always caught. A
             * flip that goes unnoticed (say an I32 field header turned I16,
             * which decodes the same) must not change the data. */
            if (rc == 0 && i < footer && strcmp(got, mem_want) != 0)
                fail_msg("flip at %zu bit %d changed the data silently", i, bit);
            em_free(got);
            if (rc < 0) check_error(rc, &err, "mem.parquet", i < footer);
            if (k % 64 == 0) {
                const char *p = put("flip.parquet", data, n);
                rc = try_read(p, &err);
                if (rc < 0) check_error(rc, &err, p, i < footer);
            }
            data[i] ^= (char)(1 << bit);
        }
    }
    em_free(mem_want);
    em_free(data);
    em_schema_destroy(s);

    /* DuckDB's files have no CRCs: flips may go unnoticed, but never crash. */
    for (size_t f = 0; f < EM_ARRAY_LEN(fixtures); f++) {
        char src[256];
        snprintf(src, sizeof src, "tests/data/parquet/%s", fixtures[f]);
        data = slurp(src, &n);
        size_t step = n / 600 + 1;
        for (size_t i = 0; i < n; i += step) {
            data[i] ^= 0x5a;
            int rc = read_mem(data, n, NULL, &err);
            if (rc < 0) check_error(rc, &err, "mem.parquet", false);
            data[i] ^= 0x5a;
        }
        em_free(data);
    }
}

static void test_specific_errors(void **state)
{
    (void)state;
    size_t n;
    char *data = slurp("tests/data/parquet/types_v1_snappy.parquet", &n);
    em_error err;
    char want[512];
    /* Wrong magic at the start. */
    memcpy(data, "PAR2", 4);
    const char *p = ft_write_n("magic.parquet", data, n);
    assert_int_equal(try_read(p, &err), EM_EFORMAT);
    snprintf(want, sizeof want,
             "%s: not a Parquet file (the magic number 'PAR1' is missing at the start)", p);
    assert_string_equal(err.message, want);
    memcpy(data, "PAR1", 4);
    /* A footer length larger than the file. */
    uint32_t flen, big = (uint32_t)n;
    memcpy(&flen, data + n - 8, 4);
    memcpy(data + n - 8, &big, 4);
    p = ft_write_n("flen.parquet", data, n);
    assert_int_equal(try_read(p, &err), EM_EFORMAT);
    assert_non_null(strstr(err.message, "truncated Parquet file (footer of"));
    memcpy(data + n - 8, &flen, 4);
    /* An encrypted footer. */
    memcpy(data + n - 4, "PARE", 4);
    p = ft_write_n("enc.parquet", data, n);
    assert_int_equal(try_read(p, &err), EM_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "encrypted footer"));
    memcpy(data + n - 4, "PAR1", 4);
    /* Not a Parquet file at all. */
    p = ft_write("text.parquet", "id,name\n1,x\n");
    assert_int_equal(try_read(p, &err), EM_EFORMAT);
    assert_non_null(strstr(err.message, "not a Parquet file"));
    /* A column chunk whose pages are garbage: the message names row group and column. */
    em__pq_file f;
    p = ft_write_n("garbage.parquet", data, n);
    assert_int_equal(em__pq_file_open(&f, p, &err), 0);
    int64_t start, len;
    assert_true(f.meta.nrow_groups >= 1 && f.meta.row_groups[0].ncolumns > 2);
    assert_true(em__pq_chunk_range(&f.meta.row_groups[0].columns[2], f.size, &start, &len));
    em__pq_file_close(&f);
    memset(data + start, 0xff, 8);
    p = ft_write_n("garbage.parquet", data, n);
    assert_int_equal(try_read(p, &err), EM_EFORMAT);
    snprintf(want, sizeof want, "%s: row group 0, column 'i64': corrupt page header", p);
    if (strncmp(err.message, want, strlen(want)) != 0) fail_msg("%s", err.message);
    em_free(data);
    /* An unsupported column is reported at bind, with file and column. */
    assert_int_equal(try_read("tests/data/parquet/wide_decimal.parquet", &err), EM_EUNSUPPORTED);
    assert_string_equal(err.message,
                        "tests/data/parquet/wide_decimal.parquet: column 'wide': DECIMAL with a "
                        "precision above 18 is not supported (ember's DECIMAL is 64-bit); cast it "
                        "to DOUBLE or a narrower DECIMAL when writing the file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_truncated_fixtures, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_flipped_bytes, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_specific_errors, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
