/*
 * test_parquet_rw.c — the writers and the reader together: every ember type
 * with NULLs and edge values through every codec and both data page versions
 * and back, several row groups and splits, dictionary and PLAIN choices,
 * column statistics, the writer operator (file names, temporary files,
 * PARTITION_BY directories with Hive escaping, rolling over at
 * max_file_bytes, task commit, abort), the CSV and JSON writers read back by
 * ember's own readers, option errors, and statistics-based pruning.
 */
#include "format_test_util.h"

#include <dirent.h>
#include <math.h>
#include <sys/stat.h>

#include "exec/exec.h"
#include "format/parquet/parquet.h"
#include "format/writer.h"

/* ---- a batch of every type ------------------------------------------------------------- */

static const char *schema_ddl =
    "b BOOLEAN, i INTEGER, l BIGINT, d DOUBLE, dec DECIMAL(9,2), big DECIMAL(18,4), "
    "s VARCHAR, low VARCHAR, dt DATE, ts TIMESTAMP";

static em_schema *make_schema(void)
{
    em_schema *s;
    em_error err;
    assert_int_equal(em_schema_parse_ddl(schema_ddl, &s, &err), 0);
    return s;
}

/* Row r of the test data; NULLs in every column at different rows. */
static em_batch *make_batch(const em_schema *s, int64_t first, int64_t n)
{
    em_batch *b = em_batch_create_for(s, n);
    for (int64_t k = 0; k < n; k++) {
        int64_t r = first + k;
        em_vector **c = b->cols;
        if (r % 7 == 3)
            em_vector_append_null(c[0]);
        else
            em_vector_append_bool(c[0], r % 3 == 0);
        if (r % 11 == 5)
            em_vector_append_null(c[1]);
        else
            em_vector_append_i32(c[1], r == 1   ? INT32_MIN
                                       : r == 2 ? INT32_MAX
                                                : (int32_t)(r * 37 - 500));
        if (r % 13 == 4)
            em_vector_append_null(c[2]);
        else
            em_vector_append_i64(c[2], r == 1 ? INT64_MIN : r == 2 ? INT64_MAX : r * 1000003);
        if (r % 17 == 6)
            em_vector_append_null(c[3]);
        else
            em_vector_append_f64(c[3], r == 1 ? NAN : r == 2 ? -0.0 : r == 8 ? INFINITY : r / 3.0);
        if (r % 5 == 2)
            em_vector_append_null(c[4]);
        else
            em_vector_append_i64(c[4], r % 2 ? -r * 101 : r * 99999);
        if (r % 19 == 7)
            em_vector_append_null(c[5]);
        else
            em_vector_append_i64(c[5], r * 123456789012LL - 999999999999999LL);
        if (r % 23 == 9) {
            em_vector_append_null(c[6]);
        } else {
            char buf[128];
            int len = r % 29 == 1
                          ? 0
                          : snprintf(buf, sizeof buf, "str %lld %.*s", (long long)r, (int)(r % 40),
                                     "0123456789abcdefghijklmnopqrstuvwxyz\"',\n");
            em_vector_append_str(c[6], buf, len);
        }
        if (r % 6 == 1) {
            em_vector_append_null(c[7]);
        } else {
            static const char *const lows[] = {"alpha", "beta", "gamma", ""};
            em_vector_append_str(c[7], lows[r % 4], (int32_t)strlen(lows[r % 4]));
        }
        if (r % 31 == 10)
            em_vector_append_null(c[8]);
        else
            em_vector_append_i32(c[8], (int32_t)(r * 97 - 20000));
        if (r % 37 == 11)
            em_vector_append_null(c[9]);
        else
            em_vector_append_i64(c[9], r * 3600000123LL - 86400000000LL * 365 * 40);
    }
    b->nrows = n;
    return b;
}

static char *render(const em_batch *b)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_append(&sb, "", 0);
    for (int64_t i = 0; i < b->nrows; i++) {
        for (int c = 0; c < b->ncols; c++) {
            if (c) em_strbuf_putc(&sb, '|');
            em_value v = em_vector_get(b->cols[c], i);
            em_value_format(&v, &sb);
        }
        em_strbuf_putc(&sb, '\n');
    }
    return em_strbuf_detach(&sb);
}

/* ---- write descriptions ------------------------------------------------------------------- */

static em_write_desc *wdesc(const char *format, const char *path, const em_schema *s, ...)
{
    em_write_desc *d = em_calloc(1, sizeof *d);
    d->format = em_strdup(format);
    d->path = em_strdup(path);
    d->schema = em_schema_copy(s);
    d->job_id = em_strdup("job42");
    d->options = em_calloc(16, sizeof(em_kv));
    va_list ap;
    va_start(ap, s);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL) break;
        d->options[d->noptions].key = em_strdup(k);
        d->options[d->noptions].value = em_strdup(va_arg(ap, const char *));
        d->noptions++;
    }
    va_end(ap);
    return d;
}

static void wdesc_free(em_write_desc *d)
{
    for (int i = 0; i < d->noptions; i++) {
        em_free(d->options[i].key);
        em_free(d->options[i].value);
    }
    em_free(d->options);
    em_free(d->format);
    em_free(d->path);
    em_free(d->job_id);
    em_free(d->partition_cols);
    em_schema_destroy(d->schema);
    em_free(d);
}

/* Write batches [0, total) in pieces through a format writer, directly. */
static void write_file(const em_write_desc *d, const char *path, int64_t total, int64_t piece)
{
    const em_format_writer_vt *vt = em_format_writer(d->format);
    assert_non_null(vt);
    void *w;
    em_error err;
    if (vt->open(d, d->schema, path, &w, &err) < 0) fail_msg("open: %s", err.message);
    for (int64_t at = 0; at < total; at += piece) {
        em_batch *b = make_batch(d->schema, at, EM_MIN(piece, total - at));
        if (vt->write(w, b, &err) < 0) fail_msg("write: %s", err.message);
        em_batch_destroy(b);
    }
    assert_true(vt->bytes(w) > 0);
    if (vt->close(w, true, &err) < 0) fail_msg("close: %s", err.message);
}

static char *read_back(const char *format, const char *path, int64_t split_bytes, ...)
{
    em_scan_desc *d = em_scan_desc_create(format);
    va_list ap;
    va_start(ap, split_bytes);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL) break;
        em_scan_desc_set_option(d, k, va_arg(ap, const char *));
    }
    va_end(ap);
    em_error err;
    if (em_scan_desc_add_files(d, path, &err) < 0 ||
        em_scan_desc_bind(d, split_bytes, NULL, &err) < 0)
        fail_msg("bind %s: %s", path, err.message);
    int rc;
    char *rows = ft_read_all(d, &err, &rc);
    if (rc < 0) fail_msg("read %s: %s", path, err.message);
    em_scan_desc_destroy(d);
    return rows;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    em_schema *s = make_schema();
    em_batch *all = make_batch(s, 0, 5000);
    char *want = render(all);
    em_batch_destroy(all);
    static const char *const codecs[] = {"uncompressed", "snappy", "gzip", "zstd", "lz4"};
    for (size_t c = 0; c < EM_ARRAY_LEN(codecs); c++) {
        for (int v2 = 0; v2 < 2; v2++) {
            const char *path = ft_path("rt.parquet");
            em_write_desc *d = wdesc("parquet", path, s, "compression", codecs[c], "row_group_size",
                                     "1500", "parquet_version", v2 ? "v2" : "v1", NULL);
            d->single_file = true;
            em_error err;
            if (em_write_desc_check(d, &err) < 0) fail_msg("check: %s", err.message);
            write_file(d, path, 5000, 777);
            /* One split, and splits of about one row group each. */
            char *got = read_back("parquet", path, 0, NULL);
            assert_string_equal(got, want);
            em_free(got);
            got = read_back("parquet", path, 1024, NULL);
            assert_string_equal(got, want);
            em_free(got);
            em__pq_file f;
            assert_int_equal(em__pq_file_open(&f, path, &err), 0);
            assert_int_equal(f.meta.nrow_groups, 4);
            assert_int_equal(f.meta.num_rows, 5000);
            em__pq_file_close(&f);
            wdesc_free(d);
        }
    }
    em_free(want);
    em_schema_destroy(s);
}

static bool has_encoding(const em__pq_column_meta *m, int e)
{
    for (int i = 0; i < m->nencodings; i++)
        if (m->encodings[i] == e) return true;
    return false;
}

static void test_statistics_and_dictionary(void **state)
{
    (void)state;
    em_schema *s = make_schema();
    const char *path = ft_path("stats.parquet");
    em_write_desc *d = wdesc("parquet", path, s, "row_group_size", "100", NULL);
    write_file(d, path, 300, 300);
    em__pq_file f;
    em_error err;
    assert_int_equal(em__pq_file_open(&f, path, &err), 0);
    assert_int_equal(f.meta.nrow_groups, 3);
    em_arena *a = em_arena_create(1024);
    em_batch *rows = make_batch(s, 0, 300);
    for (int g = 0; g < 3; g++) {
        for (int c = 0; c < s->nfields; c++) {
            const em__pq_column_meta *m = &f.meta.row_groups[g].columns[c].meta;
            /* null_count, min and max against the data itself. */
            int64_t nulls = 0;
            em_value lo = em_value_null(s->fields[c].type), hi = lo;
            for (int64_t r = g * 100; r < g * 100 + 100; r++) {
                em_value v = em_vector_get(rows->cols[c], r);
                if (v.is_null) {
                    nulls++;
                    continue;
                }
                if (v.type.id == EM_TYPE_DOUBLE && isnan(v.v.f64)) continue;
                if (lo.is_null || em_value_compare(&v, &lo) < 0) lo = v;
                if (hi.is_null || em_value_compare(&v, &hi) > 0) hi = v;
            }
            assert_true(m->has_stats);
            assert_int_equal(m->stats.null_count, nulls);
            em_value mn, mx;
            assert_true(em__pq_stats_minmax(&f, g, c, a, &mn, &mx));
            em_strbuf x, y;
            em_strbuf_init(&x);
            em_strbuf_init(&y);
            em_value_format(&mn, &x);
            em_strbuf_putc(&x, ' ');
            em_value_format(&mx, &x);
            em_value_format(&lo, &y);
            em_strbuf_putc(&y, ' ');
            em_value_format(&hi, &y);
            /* -0.0 is the min of a column holding zeros: it prints as -0.0. */
            if (c != 3) assert_string_equal(x.data, y.data);
            em_strbuf_release(&x);
            em_strbuf_release(&y);
        }
        /* The low-cardinality column is dictionary encoded, the unique one is not. */
        assert_true(has_encoding(&f.meta.row_groups[g].columns[7].meta, EM__PQ_RLE_DICTIONARY));
        assert_false(has_encoding(&f.meta.row_groups[g].columns[6].meta, EM__PQ_RLE_DICTIONARY));
    }
    em_batch_destroy(rows);
    em_arena_destroy(a);
    em__pq_file_close(&f);
    wdesc_free(d);
    em_schema_destroy(s);
}

static void test_empty_and_all_null(void **state)
{
    (void)state;
    em_schema *s = make_schema();
    const char *path = ft_path("empty.parquet");
    em_write_desc *d = wdesc("parquet", path, s, NULL);
    write_file(d, path, 0, 1);
    char *got = read_back("parquet", path, 0, NULL);
    assert_string_equal(got, "");
    em_free(got);
    wdesc_free(d);
    em_schema_destroy(s);

    em_schema *n;
    em_error err;
    assert_int_equal(em_schema_parse_ddl("a VARCHAR, b BIGINT", &n, &err), 0);
    path = ft_path("nulls.parquet");
    d = wdesc("parquet", path, n, NULL);
    const em_format_writer_vt *vt = em_format_writer("parquet");
    void *w;
    assert_int_equal(vt->open(d, n, path, &w, &err), 0);
    em_batch *b = em_batch_create_for(n, 3);
    for (int i = 0; i < 3; i++) {
        em_vector_append_null(b->cols[0]);
        em_vector_append_null(b->cols[1]);
    }
    b->nrows = 3;
    assert_int_equal(vt->write(w, b, &err), 0);
    em_batch_destroy(b);
    assert_int_equal(vt->close(w, true, &err), 0);
    got = read_back("parquet", path, 0, NULL);
    assert_string_equal(got, "NULL|NULL\nNULL|NULL\nNULL|NULL\n");
    em_free(got);
    wdesc_free(d);
    em_schema_destroy(n);
}

/* Files under dir (relative names, sorted), one per line. */
static void list_tree(const char *dir, const char *rel, em_strbuf *out)
{
    char **names;
    int n;
    em_error err;
    if (em_os_list_dir(dir, &names, &n, &err) < 0) return;
    for (int i = 0; i < n; i++) {
        char *p = em_os_path_join(dir, names[i]);
        char r[512];
        snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
        if (em_os_path_kind(p) == EM_OS_DIR)
            list_tree(p, r, out);
        else
            em_strbuf_printf(out, "%s\n", r);
        em_free(p);
    }
    em_os_free_list(names, n);
}

static int run_task(const em_write_desc *d, int partition, int attempt, int64_t first, int64_t n,
                    bool finish, em_batch_list *out)
{
    em_task_ctx ctx = {.stage = 0, .partition = partition, .attempt = attempt};
    em_op *op = em_file_writer_create(&ctx, d, out);
    em_error err;
    int rc = 0;
    for (int64_t at = first; at < first + n && rc == 0; at += 500) {
        em_batch *b = make_batch(d->schema, at, EM_MIN(500, first + n - at));
        rc = op->vt->push(op, b, &err);
    }
    if (rc == 0 && finish) rc = op->vt->finish(op, &err);
    if (rc < 0) fail_msg("task: %s", err.message);
    op->vt->destroy(op);
    return rc;
}

static void test_writer_op(void **state)
{
    (void)state;
    em_schema *s = make_schema();
    const char *out = ft_path("out");
    em_write_desc *d = wdesc("parquet", out, s, "compression", "zstd", NULL);
    em_error err;
    assert_int_equal(em_write_desc_check(d, &err), 0);
    em_batch_list res;
    em_batch_list_init(&res);
    /* A failed attempt of task 1 leaves nothing; its retry and task 0 commit. */
    run_task(d, 1, 0, 1000, 1000, false, &res);
    run_task(d, 0, 0, 0, 1000, true, &res);
    run_task(d, 1, 1, 1000, 1000, true, &res);
    assert_int_equal(em_write_job_commit(d, &err), 0);
    assert_int_equal(res.count, 2);
    assert_int_equal(EM_VEC_I64(res.items[0]->cols[0])[0], 1000);
    assert_int_equal(EM_VEC_I64(res.items[0]->cols[1])[0], 1);
    em_strbuf tree;
    em_strbuf_init(&tree);
    em_strbuf_append(&tree, "", 0);
    list_tree(out, "", &tree);
    assert_string_equal(tree.data, "part-00000-job42-0.parquet\npart-00001-job42-0.parquet\n");
    char *got = read_back("parquet", out, 0, NULL);
    em_batch *all = make_batch(s, 0, 2000);
    char *want = render(all);
    assert_string_equal(got, want);
    em_free(got);
    /* The directory is not empty any more: a second write needs OVERWRITE. */
    assert_int_equal(em_write_desc_check(d, &err), EM_EEXISTS);
    assert_non_null(strstr(err.message, "is not empty"));
    em_write_desc *o = wdesc("parquet", out, s, "overwrite", "true", NULL);
    assert_int_equal(em_write_desc_check(o, &err), 0);
    em_strbuf_clear(&tree);
    em_strbuf_append(&tree, "", 0);
    list_tree(out, "", &tree);
    assert_string_equal(tree.data, "");
    wdesc_free(o);

    /* Rolling over: small files of one task. */
    em_write_desc *r = wdesc("csv", out, s, NULL);
    r->max_file_bytes = 20000;
    run_task(r, 3, 0, 0, 2000, true, &res);
    assert_int_equal(em_write_job_commit(r, &err), 0);
    int64_t files = EM_VEC_I64(res.items[2]->cols[1])[0];
    assert_true(files > 3);
    got = read_back("csv", out, 0, "schema", schema_ddl, "header", "true", NULL);
    assert_string_equal(got, want);
    em_free(got);
    /* A job abort removes what the job committed. */
    em_write_job_abort(r);
    em_strbuf_clear(&tree);
    em_strbuf_append(&tree, "", 0);
    list_tree(out, "", &tree);
    assert_string_equal(tree.data, "");
    wdesc_free(r);
    em_free(want);
    em_batch_destroy(all);
    em_strbuf_release(&tree);
    em_batch_list_release(&res);
    wdesc_free(d);
    em_schema_destroy(s);
}

static void test_partition_by(void **state)
{
    (void)state;
    em_schema *s;
    em_error err;
    assert_int_equal(em_schema_parse_ddl("k VARCHAR, y BIGINT, v INTEGER", &s, &err), 0);
    const char *out = ft_path("parts");
    em_write_desc *d = wdesc("parquet", out, s, NULL);
    d->npartition_cols = 2;
    d->partition_cols = em_malloc(2 * sizeof(int));
    d->partition_cols[0] = 0;
    d->partition_cols[1] = 1;
    assert_int_equal(em_write_desc_check(d, &err), 0);
    em_task_ctx ctx = {.partition = 0};
    em_batch_list res;
    em_batch_list_init(&res);
    em_op *op = em_file_writer_create(&ctx, d, &res);
    em_batch *b = em_batch_create_for(s, 8);
    const char *keys[] = {"a/b", "x=y", NULL, "", "plain", "a/b", "50%", "plain"};
    for (int i = 0; i < 8; i++) {
        if (keys[i])
            em_vector_append_str(b->cols[0], keys[i], (int32_t)strlen(keys[i]));
        else
            em_vector_append_null(b->cols[0]);
        if (i == 4)
            em_vector_append_null(b->cols[1]);
        else
            em_vector_append_i64(b->cols[1], i % 2 ? -7 : 2024);
        em_vector_append_i32(b->cols[2], i);
    }
    b->nrows = 8;
    assert_int_equal(op->vt->push(op, b, &err), 0);
    assert_int_equal(op->vt->finish(op, &err), 0);
    op->vt->destroy(op);
    assert_int_equal(em_write_job_commit(d, &err), 0);
    em_strbuf tree;
    em_strbuf_init(&tree);
    em_strbuf_append(&tree, "", 0);
    list_tree(out, "", &tree);
    assert_string_equal(tree.data,
                        "k=50%25/y=2024/part-00000-job42-6.parquet\n"
                        "k=__HIVE_DEFAULT_PARTITION__/y=-7/part-00000-job42-3.parquet\n"
                        "k=__HIVE_DEFAULT_PARTITION__/y=2024/part-00000-job42-2.parquet\n"
                        "k=a%2Fb/y=-7/part-00000-job42-5.parquet\n"
                        "k=a%2Fb/y=2024/part-00000-job42-0.parquet\n"
                        "k=plain/y=-7/part-00000-job42-7.parquet\n"
                        "k=plain/y=__HIVE_DEFAULT_PARTITION__/part-00000-job42-4.parquet\n"
                        "k=x%3Dy/y=-7/part-00000-job42-1.parquet\n");
    /* Read back: the directory values are columns again (NULL for the default). */
    char *got = read_back("parquet", out, 0, NULL);
    assert_string_equal(got, "6|50%|2024\n"
                             "3|NULL|-7\n"
                             "2|NULL|2024\n"
                             "5|a/b|-7\n"
                             "0|a/b|2024\n"
                             "7|plain|-7\n"
                             "4|plain|NULL\n"
                             "1|x=y|-7\n");
    em_free(got);
    em_strbuf_release(&tree);
    em_batch_list_release(&res);
    wdesc_free(d);
    em_schema_destroy(s);
}

static void test_csv_json_writers(void **state)
{
    (void)state;
    em_schema *s = make_schema();
    em_batch *all = make_batch(s, 0, 600);
    char *want = render(all);
    em_batch_destroy(all);
    const char *path = ft_path("w.csv");
    em_write_desc *d = wdesc("csv", path, s, NULL);
    write_file(d, path, 600, 250);
    char *got = read_back("csv", path, 0, "schema", schema_ddl, "header", "true", NULL);
    assert_string_equal(got, want);
    em_free(got);
    wdesc_free(d);
    /* Other delimiter and quote, no header, a NULL text. */
    d = wdesc("csv", path, s, "delimiter", "|", "quote", "'", "header", "false", "nullstr", "\\N",
              NULL);
    write_file(d, path, 600, 600);
    got = read_back("csv", path, 0, "schema", schema_ddl, "delim", "|", "quote", "'", "header",
                    "false", "nullstr", "\\N", NULL);
    assert_string_equal(got, want);
    em_free(got);
    wdesc_free(d);
    /* JSON lines; DOUBLE NaN and infinity become null. */
    path = ft_path("w.json");
    d = wdesc("json", path, s, NULL);
    write_file(d, path, 600, 100);
    got = read_back("json", path, 0, "schema", schema_ddl, NULL);
    em_free(want);
    all = make_batch(s, 0, 600);
    for (int64_t i = 0; i < 600; i++)
        if (em_vector_is_valid(all->cols[3], i) && !isfinite(EM_VEC_F64(all->cols[3])[i]))
            em_vector_set_null(all->cols[3], i);
    want = render(all);
    em_batch_destroy(all);
    assert_string_equal(got, want);
    em_free(got);
    wdesc_free(d);
    d = wdesc("json", path, s, "array", "true", NULL);
    write_file(d, path, 600, 100);
    got = read_back("json", path, 0, "schema", schema_ddl, NULL);
    assert_string_equal(got, want);
    em_free(got);
    wdesc_free(d);
    em_free(want);
    em_schema_destroy(s);
}

static void test_option_errors(void **state)
{
    (void)state;
    em_schema *s = make_schema();
    em_error err;
    struct {
        const char *format, *key, *value, *msg;
        int code;
    } cases[] = {
        {"parquet", "compresion", "zstd",
         "unknown Parquet COPY option 'compresion' (did you mean 'compression'?)", EM_EINVAL},
        {"parquet", "compression", "brotli", "Parquet compression 'brotli' is not supported",
         EM_EUNSUPPORTED},
        {"parquet", "row_group_size", "-1",
         "option 'row_group_size' must be a positive number of rows, not '-1'", EM_EINVAL},
        {"csv", "delimiter", "ab", "option 'delimiter' must be a single character, not 'ab'",
         EM_EINVAL},
        {"csv", "whatever", "1", "unknown CSV COPY option 'whatever'", EM_EINVAL},
        {"json", "array", "maybe", "option 'array' must be true or false, not 'maybe'", EM_EINVAL},
        {"json", "overwrite", "sometimes", "option 'overwrite' must be true or false", EM_EINVAL},
    };
    for (size_t i = 0; i < EM_ARRAY_LEN(cases); i++) {
        em_write_desc *d =
            wdesc(cases[i].format, ft_path("x"), s, cases[i].key, cases[i].value, NULL);
        assert_int_equal(em_write_desc_check(d, &err), cases[i].code);
        if (!strstr(err.message, cases[i].msg)) fail_msg("%s vs %s", err.message, cases[i].msg);
        wdesc_free(d);
    }
    em_write_desc *d = wdesc("xml", ft_path("x"), s, NULL);
    assert_int_equal(em_write_desc_check(d, &err), EM_EUNSUPPORTED);
    wdesc_free(d);
    /* A directory write onto an existing file. */
    const char *f = ft_write("afile", "x");
    d = wdesc("csv", f, s, NULL);
    assert_int_equal(em_write_desc_check(d, &err), EM_EEXISTS);
    wdesc_free(d);
    em_schema_destroy(s);
}

/* ---- pruning ------------------------------------------------------------------------------- */

static em_expr *col(em_arena *a, int c, em_type t)
{
    return em_expr_column(a, c, t);
}

static em_expr *cmp(em_arena *a, const char *op, em_expr *l, em_expr *r)
{
    const em_func *f;
    em_type args[2] = {l->type, r->type}, cast[2], ret;
    em_error err;
    assert_int_equal(em_func_resolve(op, 2, args, &f, cast, &ret, &err), 0);
    em_expr *e = em_expr_new(a, EM_EXPR_CALL, ret, 2);
    e->func = f;
    e->args[0] = em_expr_cast(a, l, cast[0]);
    e->args[1] = em_expr_cast(a, r, cast[1]);
    return e;
}

static int64_t splits_rows(const em_scan_desc *d)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    int64_t rows = 0;
    em_error err;
    if (ft_read_splits(d, 0, d->nsplits, NULL, 0, &sb, &rows, &err) < 0)
        fail_msg("%s", err.message);
    em_strbuf_release(&sb);
    return rows;
}

static void test_prune(void **state)
{
    (void)state;
    em_schema *s;
    em_error err;
    assert_int_equal(em_schema_parse_ddl("id BIGINT, name VARCHAR", &s, &err), 0);
    const char *path = ft_path("p.parquet");
    em_write_desc *d = wdesc("parquet", path, s, "row_group_size", "100", NULL);
    const em_format_writer_vt *vt = em_format_writer("parquet");
    void *w;
    assert_int_equal(vt->open(d, s, path, &w, &err), 0);
    em_batch *b = em_batch_create_for(s, 1000);
    for (int i = 0; i < 1000; i++) {
        em_vector_append_i64(b->cols[0], i);
        char buf[16];
        int n = snprintf(buf, sizeof buf, "n%04d", i / 10);
        if (i >= 900)
            em_vector_append_null(b->cols[1]);
        else
            em_vector_append_str(b->cols[1], buf, n);
    }
    b->nrows = 1000;
    assert_int_equal(vt->write(w, b, &err), 0);
    em_batch_destroy(b);
    assert_int_equal(vt->close(w, true, &err), 0);
    em_scan_desc *sd;
    assert_int_equal(ft_bind(&sd, "parquet", path, 0, NULL, &err, NULL), 0);
    assert_int_equal(sd->nsplits, 1);
    em_arena *a = em_arena_create(4096);
    em_type big = em_type_make(EM_TYPE_BIGINT), vc = em_type_make(EM_TYPE_VARCHAR);
    int cols[2] = {0, 1};
    struct {
        em_expr *filter;
        int64_t rows; /* rows left in the kept row groups */
    } cases[] = {
        {cmp(a, "=", col(a, 0, big), em_expr_const(a, em_value_bigint(250))), 100},
        {cmp(a, ">=", col(a, 0, big), em_expr_const(a, em_value_bigint(750))), 300},
        {cmp(a, "<", em_expr_const(a, em_value_bigint(120)), col(a, 0, big)), 900},
        {cmp(a, "<", col(a, 0, big), em_expr_const(a, em_value_bigint(0))), 0},
        {cmp(a, "<>", col(a, 0, big), em_expr_const(a, em_value_bigint(5))), 1000},
        {cmp(a, "=", col(a, 1, vc), em_expr_const(a, em_value_varchar("n0042", 5))), 100},
        {cmp(a, "=", col(a, 0, em_type_make(EM_TYPE_BIGINT)),
             em_expr_const(a, em_value_double(3.5))),
         100},
    };
    for (size_t i = 0; i < EM_ARRAY_LEN(cases); i++) {
        em_scan_desc *pd;
        em_expr *f = cases[i].filter;
        assert_int_equal(em_scan_desc_prune(sd, cols, 2, 1, &f, &pd, &err), 0);
        int64_t rows = pd ? splits_rows(pd) : splits_rows(sd);
        if (rows != cases[i].rows) fail_msg("case %zu: %lld rows", i, (long long)rows);
        em_scan_desc_destroy(pd);
    }
    /* IS NULL keeps only the row group with NULLs; IS NOT NULL on an all-NULL
     * group drops it. */
    em_expr *isnull = em_expr_new(a, EM_EXPR_IS_NULL, em_type_make(EM_TYPE_BOOLEAN), 1);
    isnull->args[0] = col(a, 1, vc);
    em_scan_desc *pd;
    assert_int_equal(em_scan_desc_prune(sd, cols, 2, 1, &isnull, &pd, &err), 0);
    assert_int_equal(splits_rows(pd), 100);
    em_scan_desc_destroy(pd);
    em_expr *notnull = em_expr_new(a, EM_EXPR_IS_NULL, em_type_make(EM_TYPE_BOOLEAN), 1);
    notnull->args[0] = col(a, 1, vc);
    notnull->negated = true;
    assert_int_equal(em_scan_desc_prune(sd, cols, 2, 1, &notnull, &pd, &err), 0);
    assert_int_equal(splits_rows(pd), 900);
    em_scan_desc_destroy(pd);
    /* Two conjuncts in an AND, one of them on a projected column order. */
    em_expr *and = em_expr_new(a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), 2);
    int rev[2] = {1, 0};
    and->args[0] = cmp(a, ">", col(a, 1, big), em_expr_const(a, em_value_bigint(150)));
    and->args[1] = cmp(a, "<=", col(a, 1, big), em_expr_const(a, em_value_bigint(450)));
    assert_int_equal(em_scan_desc_prune(sd, rev, 2, 1, &and, &pd, &err), 0);
    assert_int_equal(splits_rows(pd), 400);
    em_scan_desc_destroy(pd);
    em_arena_destroy(a);
    em_scan_desc_destroy(sd);
    wdesc_free(d);
    em_schema_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_statistics_and_dictionary, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_all_null, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_writer_op, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_partition_by, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_csv_json_writers, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_option_errors, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_prune, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
