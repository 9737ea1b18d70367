/*
 * test_cardinality.c — unit tests for the optimizer's estimates
 * (src/sql/optimizer/cardinality.c, sample.c): row counts, filter
 * selectivities and distinct counts of an in-memory table and of a CSV file
 * large enough to be sampled rather than read whole, on columns whose true
 * counts are known (unique, few values, clustered runs, random keys, strings,
 * a pair of columns), the textbook selectivity rules, and that remembered samples
 * of a file are dropped when the file changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "format/format.h"
#include "sql/catalog/catalog.h"
#include "sql/optimizer/stats.h"

#define NROWS 100000

/* A deterministic scramble of i into [0, m). */
static int64_t scramble(int64_t i, int64_t m)
{
    return (int64_t)(((uint64_t)i * 2654435761u) % 4294967291u % (uint64_t)m);
}

/* True distinct count of scramble(i, m) for i < n. */
static double distinct_scrambled(int64_t n, int64_t m)
{
    uint8_t *seen = calloc((size_t)m, 1);
    double d = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t v = scramble(i, m);
        if (!seen[v]) seen[v] = 1, d++;
    }
    free(seen);
    return d;
}

static void assert_near(double got, double want, double factor)
{
    if (got < want / factor || got > want * factor) {
        fprintf(stderr, "estimate %.1f, true %.1f (allowed factor %.2f)\n", got, want, factor);
        fail();
    }
}

/* Columns: a unique, b = i % 25, c = i / 4 (runs of 4), d random in [0, 20000),
 * e = 'k' || (i % 1000). */
static em_schema *test_schema(void)
{
    em_schema *s = em_schema_create(5);
    const char *names[] = {"a", "b", "c", "d", "e"};
    em_type_id types[] = {EM_TYPE_BIGINT, EM_TYPE_INTEGER, EM_TYPE_BIGINT, EM_TYPE_BIGINT,
                          EM_TYPE_VARCHAR};
    for (int i = 0; i < 5; i++) {
        s->fields[i].name = em_strdup(names[i]);
        s->fields[i].type = em_type_make(types[i]);
        s->fields[i].nullable = true;
    }
    return s;
}

static em_lop *scan_lop(em_arena *a, em_lop_kind kind, const em_schema *s)
{
    em_lop *p = em_lop_new(a, kind, 0);
    p->schema = em_lop_schema(a, s->nfields);
    p->u.scan.ncols = s->nfields;
    p->u.scan.cols = em_arena_alloc(a, sizeof(int) * (size_t)s->nfields);
    for (int i = 0; i < s->nfields; i++) {
        p->schema->fields[i] = s->fields[i];
        p->u.scan.cols[i] = i;
    }
    return p;
}

/* The filter `column < k` over a scan's output column. */
static em_expr *less_than(em_arena *a, int column, em_type type, int64_t k)
{
    em_type args[2] = {type, type}, cast_to[2], ret;
    const em_func *f = NULL;
    em_error err = {0};
    assert_int_equal(em_func_resolve("<", 2, args, &f, cast_to, &ret, &err), 0);
    em_expr *e = em_expr_new(a, EM_EXPR_CALL, ret, 2);
    e->func = f;
    e->args[0] = em_expr_column(a, column, type);
    em_value v = type.id == EM_TYPE_INTEGER ? em_value_int((int32_t)k) : em_value_bigint(k);
    e->args[1] = em_expr_const(a, v);
    return e;
}

static void check_columns(em__card *c, const em_lop *scan, double rows)
{
    assert_near(em__card_ndv(c, scan, 0), rows, 1.5);     /* unique */
    assert_true(em__card_ndv(c, scan, 1) == 25);          /* every value seen */
    assert_near(em__card_ndv(c, scan, 2), rows / 4, 2.0); /* runs of 4 */
    assert_near(em__card_ndv(c, scan, 3), distinct_scrambled((int64_t)rows, 20000), 1.5);
    assert_near(em__card_ndv(c, scan, 4), 1000, 1.5);
    int be[2] = {1, 4}; /* i % 25 is determined by i % 1000: 1000 pairs */
    assert_near(em__card_ndv_multi(c, scan, be, 2), 1000, 1.5);
    int ab[2] = {0, 1};
    assert_near(em__card_ndv_multi(c, scan, ab, 2), rows, 1.5);
}

static void test_table(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(4096);
    em_table t = {.name = "t", .schema = test_schema(), .refcount = 1};
    em_batch_list_init(&t.data);
    for (int64_t base = 0; base < NROWS; base += EM_BATCH_ROWS) {
        int64_t n = EM_MIN((int64_t)EM_BATCH_ROWS, NROWS - base);
        em_batch *b = em_batch_create_for(t.schema, n);
        for (int64_t i = base; i < base + n; i++) {
            char s[16];
            int len = snprintf(s, sizeof s, "k%d", (int)(i % 1000));
            em_vector_append_i64(b->cols[0], i);
            em_vector_append_i32(b->cols[1], (int32_t)(i % 25));
            em_vector_append_i64(b->cols[2], i / 4);
            em_vector_append_i64(b->cols[3], scramble(i, 20000));
            em_vector_append_str(b->cols[4], s, len);
        }
        b->nrows = n;
        em_batch_list_push(&t.data, b);
    }
    em_lop *scan = scan_lop(a, EM_LOP_SCAN_TABLE, t.schema);
    scan->u.scan.table = &t;
    em__card *c = em__card_create(a);
    assert_true(em__card_rows(c, scan) == NROWS); /* a table knows its rows */
    check_columns(c, scan, NROWS);
    em__card_destroy(c);

    /* A filter: its selectivity comes from running it over the sample. */
    em_lop *f = scan_lop(a, EM_LOP_SCAN_TABLE, t.schema);
    f->u.scan.table = &t;
    f->u.scan.nfilters = 1;
    f->u.scan.filters = em_arena_alloc(a, sizeof(em_expr *));
    f->u.scan.filters[0] = less_than(a, 1, em_type_make(EM_TYPE_INTEGER), 5);
    c = em__card_create(a);
    assert_near(em__card_rows(c, f), NROWS / 5.0, 1.2);
    assert_true(em__card_ndv(c, f, 1) <= 6);
    assert_near(em__card_ndv(c, f, 0), NROWS / 5.0, 1.5); /* a key keeps its share */
    em__card_destroy(c);

    em_batch_list_release(&t.data);
    em_schema_destroy(t.schema);
    em_arena_destroy(a);
}

static void test_csv(void **state)
{
    (void)state;
    char dir[] = "/tmp/ember-card-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const int64_t rows = 200000; /* about 5 MB: sampled, not read whole */
    fputs("a,b,c,d,e\n", f);
    for (int64_t i = 0; i < rows; i++)
        fprintf(f, "%lld,%d,%lld,%lld,k%d\n", (long long)i, (int)(i % 25), (long long)(i / 4),
                (long long)scramble(i, 20000), (int)(i % 1000));
    fclose(f);

    em_error err = {0};
    em_scan_desc *d = em_scan_desc_create("csv");
    em_scan_desc_set_option(d, "header", "true");
    assert_int_equal(em_scan_desc_add_files(d, path, &err), 0);
    assert_int_equal(em_scan_desc_bind(d, 1 << 20, NULL, &err), 0);
    assert_true(d->nsplits > 1);
    em_arena *a = em_arena_create(4096);
    em_lop *scan = scan_lop(a, EM_LOP_SCAN_FILE, d->schema);
    scan->u.scan.desc = d;
    em__card *c = em__card_create(a);
    /* Rows from the bytes per sampled row. */
    assert_near(em__card_rows(c, scan), (double)rows, 1.05);
    check_columns(c, scan, (double)rows);
    em__card_destroy(c);

    /* Filters on a file scan: b < 5 keeps a fifth; a < 10 almost nothing. */
    em_lop *fs = scan_lop(a, EM_LOP_SCAN_FILE, d->schema);
    fs->u.scan.desc = d;
    fs->u.scan.nfilters = 1;
    fs->u.scan.filters = em_arena_alloc(a, sizeof(em_expr *));
    fs->u.scan.filters[0] = less_than(a, 1, d->schema->fields[1].type, 5);
    c = em__card_create(a);
    assert_near(em__card_rows(c, fs), rows / 5.0, 1.25);
    em__card_destroy(c);
    fs->u.scan.filters[0] = less_than(a, 0, d->schema->fields[0].type, 10);
    c = em__card_create(a);
    assert_true(em__card_rows(c, fs) < rows / 1000.0);
    em__card_destroy(c);

    /* A file that cannot be sampled: the binder's guess and default selectivities. */
    unlink(path);
    c = em__card_create(a);
    double r = em__card_rows(c, fs);
    assert_true(r >= 1 && r < 1e12);
    assert_true(em__card_ndv(c, fs, 1) >= 1);
    em__card_destroy(c);

    em_arena_destroy(a);
    em_scan_desc_destroy(d);
    rmdir(dir);
}

/* A CSV file of n rows: a = i, b = i % m. */
static void write_ab(const char *path, int64_t n, int m)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("a,b\n", f);
    for (int64_t i = 0; i < n; i++) fprintf(f, "%lld,%d\n", (long long)i, (int)(i % m));
    fclose(f);
}

static double sampled_ndv(em_arena *a, const char *path, int col)
{
    em_error err = {0};
    em_scan_desc *d = em_scan_desc_create("csv");
    em_scan_desc_set_option(d, "header", "true");
    assert_int_equal(em_scan_desc_add_files(d, path, &err), 0);
    assert_int_equal(em_scan_desc_bind(d, 1 << 20, NULL, &err), 0);
    em_lop *scan = scan_lop(a, EM_LOP_SCAN_FILE, d->schema);
    scan->u.scan.desc = d;
    em__card *c = em__card_create(a);
    double ndv = em__card_ndv(c, scan, col);
    em__card_destroy(c);
    em_scan_desc_destroy(d);
    return ndv;
}

/* Samples of files are remembered; a file rewritten (other size, or the same size and
 * another modification time) is sampled again. */
static void test_sample_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/ember-card-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    em_arena *a = em_arena_create(4096);
    em__sample_cache_clear();
    write_ab(path, 1000, 10); /* small: read whole, counts exact */
    assert_true(sampled_ndv(a, path, 1) == 10);
    assert_true(sampled_ndv(a, path, 1) == 10); /* from the cache */
    assert_true(sampled_ndv(a, path, 0) == 1000);
    write_ab(path, 1000, 20); /* same rows, other values, other size */
    assert_true(sampled_ndv(a, path, 1) == 20);
    /* Same size: b = i % 30 and i % 40 print as many digits. */
    write_ab(path, 1000, 30);
    struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
    assert_true(sampled_ndv(a, path, 1) == 30);
    write_ab(path, 1000, 40);
    struct timespec later[2] = {{.tv_sec = 1000000001}, {.tv_sec = 1000000001}};
    assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
    assert_true(sampled_ndv(a, path, 1) == 40);
    em__sample_cache_clear();
    assert_true(sampled_ndv(a, path, 1) == 40);
    unlink(path);
    rmdir(dir);
    em_arena_destroy(a);
}

static double ndv_of_column(void *ctx, int column)
{
    const double *ndv = ctx;
    return ndv[column];
}

static em_expr *eq_const(em_arena *a, int column, const char *s)
{
    em_type t = em_type_make(EM_TYPE_VARCHAR), args[2] = {t, t}, cast_to[2], ret;
    const em_func *f = NULL;
    em_error err = {0};
    assert_int_equal(em_func_resolve("=", 2, args, &f, cast_to, &ret, &err), 0);
    em_expr *e = em_expr_new(a, EM_EXPR_CALL, ret, 2);
    e->func = f;
    e->args[0] = em_expr_column(a, column, t);
    e->args[1] = em_expr_const(a, em_value_varchar(s, (int32_t)strlen(s)));
    return e;
}

static em_expr *junction(em_arena *a, em_expr_kind kind, em_expr *x, em_expr *y)
{
    em_expr *e = em_expr_new(a, kind, em_type_make(EM_TYPE_BOOLEAN), 2);
    e->args[0] = x;
    e->args[1] = y;
    return e;
}

static void test_selectivity(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(4096);
    double ndv[2] = {25, 25};
    em_expr *fr1 = eq_const(a, 0, "FRANCE"), *de2 = eq_const(a, 1, "GERMANY");
    em_expr *de1 = eq_const(a, 0, "GERMANY"), *fr2 = eq_const(a, 1, "FRANCE");
    assert_near(em__card_selectivity(fr1, ndv_of_column, ndv), 1.0 / 25, 1.0001);
    /* TPC-H Q07's pair of nations: two of 625 combinations. */
    em_expr *pair = junction(a, EM_EXPR_OR, junction(a, EM_EXPR_AND, fr1, de2),
                             junction(a, EM_EXPR_AND, de1, fr2));
    assert_near(em__card_selectivity(pair, ndv_of_column, ndv), 2.0 / 625, 1.01);
    em_expr *neg = em_expr_new(a, EM_EXPR_NOT, em_type_make(EM_TYPE_BOOLEAN), 1);
    neg->args[0] = fr1;
    assert_near(em__card_selectivity(neg, ndv_of_column, ndv), 24.0 / 25, 1.0001);
    em_expr *in = em_expr_new(a, EM_EXPR_IN_LIST, em_type_make(EM_TYPE_BOOLEAN), 3);
    in->args[0] = em_expr_column(a, 0, em_type_make(EM_TYPE_VARCHAR));
    in->args[1] = fr1->args[1];
    in->args[2] = de1->args[1];
    assert_near(em__card_selectivity(in, ndv_of_column, ndv), 2.0 / 25, 1.0001);
    em_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_selectivity),
        cmocka_unit_test(test_sample_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
