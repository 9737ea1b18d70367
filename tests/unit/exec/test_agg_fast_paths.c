/*
 * test_agg_fast_paths.c — the hash aggregation's fast paths against the
 * general ones and against answers computed here row by row:
 *   - keys packed into one word (strings, BOOLEANs, INTEGERs, NULLs, empty
 *     strings, bytes 0 inside strings), a batch whose keys stop fitting,
 *     tuples that differ only in where one key ends, spilling while packed;
 *   - SUM, AVG and COUNT folded group by group when the groups are few
 *     (one group, a few, just past the threshold, many), with NULLs, double
 *     sums bit for bit, and DECIMAL and BIGINT overflow at the boundary;
 *   - subexpressions shared by several aggregates' arguments.
 */
#include <math.h>

#include "exec_test_util.h"
#include "memory/memory.h"

static em_task_ctx g_ctx;
static em_arena *g_arena;

static int setup(void **state)
{
    (void)state;
    g_arena = em_arena_create(1 << 16);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    em_arena_destroy(g_arena);
    return 0;
}

static em_expr *col(int c, em_type t)
{
    return em_expr_column(g_arena, c, t);
}

static em_type T(em_type_id id)
{
    return em_type_make(id);
}

static em_agg_call call(const char *name, em_expr *arg, em_expr *filter)
{
    em_agg_call c;
    memset(&c, 0, sizeof(c));
    em_error err = {0};
    em_type ret;
    int rc = em_agg_resolve(name, arg == NULL, arg != NULL ? arg->type : T(EM_TYPE_NULL), &c.kind,
                            &ret, &err);
    if (rc != 0) fail_msg("em_agg_resolve(%s): %s", name, err.message);
    c.arg = arg;
    c.filter = filter;
    c.type = ret;
    return c;
}

/* A binary function call as the binder would build it (no casts needed). */
static em_expr *fn2(const char *name, em_expr *x, em_expr *y)
{
    em_type types[2] = {x->type, y->type}, cast_to[2], ret;
    const em_func *f;
    em_error err = {0};
    if (em_func_resolve(name, 2, types, &f, cast_to, &ret, &err) != 0)
        fail_msg("em_func_resolve(%s): %s", name, err.message);
    em_expr *e = em_expr_new(g_arena, EM_EXPR_CALL, ret, 2);
    e->func = f;
    e->args[0] = x;
    e->args[1] = y;
    return e;
}

static int agg_run_ctx(em_task_ctx *ctx, const em_batch_list *in, em_agg_mode mode, int nkeys,
                       em_expr *const *keys, int naggs, const em_agg_call *aggs, em_batch_list *out,
                       em_error *err)
{
    em_batch_list_init(out);
    em_op *op = em_op_hash_agg_create(ctx, mode, nkeys, keys, naggs, aggs);
    op->next = em_op_collect_create(ctx, out);
    return tp_run(in, op, err);
}

static int agg_run(const em_batch_list *in, int nkeys, em_expr *const *keys, int naggs,
                   const em_agg_call *aggs, em_batch_list *out, em_error *err)
{
    return agg_run_ctx(&g_ctx, in, EM_AGG_MODE_COMPLETE, nkeys, keys, naggs, aggs, out, err);
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Row i of every column but `skip` as "v1|v2|...", strings with their bytes
 * escaped so that 'a' and 'a\0' differ. */
static void render_row(const em_batch *b, int64_t i, int skip, char *buf, size_t cap)
{
    buf[0] = 0;
    for (int c = 0; c < b->ncols; c++) {
        if (c == skip) continue;
        if (buf[0]) strcat(buf, "|");
        const em_vector *v = b->cols[c];
        if (v->type.id == EM_TYPE_VARCHAR && em_vector_is_valid(v, i)) {
            int32_t n;
            const char *s = em_vector_str(v, i, &n);
            size_t at = strlen(buf);
            at += (size_t)snprintf(buf + at, cap - at, "'");
            for (int32_t j = 0; j < n; j++)
                at += (size_t)snprintf(buf + at, cap - at, s[j] ? "%c" : "\\0", s[j]);
            snprintf(buf + at, cap - at, "'");
        } else {
            tf_value(v, i, buf, cap);
        }
    }
}

/* The rows of a result, in order, without column `skip` (-1: none). */
static trows rows_without(const em_batch_list *l, int skip)
{
    trows r = {NULL, 0};
    int64_t total = 0;
    for (int64_t b = 0; b < l->count; b++) total += l->items[b]->nrows;
    r.rows = calloc((size_t)(total ? total : 1), sizeof(char *));
    for (int64_t b = 0; b < l->count; b++)
        for (int64_t i = 0; i < l->items[b]->nrows; i++) {
            char buf[1024];
            render_row(l->items[b], i, skip, buf, sizeof(buf));
            r.rows[r.n++] = strdup(buf);
        }
    return r;
}

static void assert_rows_equal(trows *a, trows *b)
{
    assert_int_equal(a->n, b->n);
    for (int64_t i = 0; i < a->n; i++) assert_string_equal(a->rows[i], b->rows[i]);
}

/* ---- packed keys ------------------------------------------------------------ */

#define LONG_KEY "a key far too long to share a word with anything"

/* String pools: short ones always pack together; the seven-byte one fills a
 * word alone. A NULL entry is a NULL row. Lengths are given to allow bytes 0. */
static const char *const short_pool[] = {"", "a", "b", "ab", "ba", "abc", "a\0", "\0", NULL};
static const int short_len[] = {0, 1, 1, 2, 2, 3, 2, 1, 0};
static const char *const tiny_pool[] = {"x", "y", "", NULL};

static em_vector *pool_strings(int n, const char *const *pool, const int *lens, int npool,
                               const char *extra, int extra_every)
{
    em_vector *v = em_vector_create(T(EM_TYPE_VARCHAR), n);
    for (int i = 0; i < n; i++) {
        if (extra != NULL && i % extra_every == extra_every - 1) {
            em_vector_append_str(v, extra, (int32_t)strlen(extra));
            continue;
        }
        int k = (int)(rnd() % (uint64_t)npool);
        if (pool[k] == NULL)
            em_vector_append_null(v);
        else
            em_vector_append_str(v, pool[k], lens ? lens[k] : (int32_t)strlen(pool[k]));
    }
    return v;
}

/* Columns: 0 s1, 1 s2 (short strings), 2 INTEGER, 3 BOOLEAN, 4 BIGINT value,
 * 5 a constant long string. From batch `wide_from` on, every 97th s1 is
 * seven bytes long, which no longer fits next to another key. */
static void packed_input(em_batch_list *in, int nbatches, int rows, int wide_from)
{
    em_batch_list_init(in);
    for (int b = 0; b < nbatches; b++) {
        int64_t *iv = malloc(sizeof(int64_t) * (size_t)rows);
        int64_t *vv = malloc(sizeof(int64_t) * (size_t)rows);
        int *bv = malloc(sizeof(int) * (size_t)rows);
        const char **lv = malloc(sizeof(char *) * (size_t)rows);
        for (int i = 0; i < rows; i++) {
            uint64_t r = rnd();
            iv[i] = r % 11 == 0 ? TNULL : (int64_t)(r % 7) - 3 + (r % 5 == 0 ? -2000000000 : 0);
            bv[i] = (int)(r >> 20) % 3 - 1;
            vv[i] = (int64_t)(r >> 40) % 1000 - 300;
            lv[i] = LONG_KEY;
        }
        bool wide = wide_from >= 0 && b >= wide_from;
        em_vector *s1 = pool_strings(rows, short_pool, short_len, (int)EM_ARRAY_LEN(short_pool),
                                     wide ? "abcdefg" : NULL, 97);
        em_vector *s2 = pool_strings(rows, tiny_pool, NULL, (int)EM_ARRAY_LEN(tiny_pool), NULL, 1);
        em_batch_list_push(in, tb_make(6, s1, s2, tv_i32(rows, iv), tv_bool(rows, bv),
                                       tv_i64(rows, vv), tv_str(rows, lv)));
        free(iv);
        free(vv);
        free(bv);
        free(lv);
    }
}

/* Group `in` by the keys (columns of packed_input) with and without the long
 * key, which forces the general path; the answers must agree row for row. */
static void check_keys_like_general(const em_batch_list *in, const int *kcols, int nk)
{
    const em_type types[] = {T(EM_TYPE_VARCHAR), T(EM_TYPE_VARCHAR), T(EM_TYPE_INTEGER),
                             T(EM_TYPE_BOOLEAN), T(EM_TYPE_BIGINT),  T(EM_TYPE_VARCHAR)};
    em_expr *keys[8], *keys_long[9];
    for (int k = 0; k < nk; k++) keys[k] = keys_long[k] = col(kcols[k], types[kcols[k]]);
    keys_long[nk] = col(5, types[5]);
    em_expr *v = col(4, types[4]);
    em_agg_call aggs[] = {call("count", NULL, NULL), call("sum", v, NULL), call("avg", v, NULL),
                          call("min", col(0, types[0]), NULL)};
    em_batch_list got, want;
    em_error err = {0};
    assert_int_equal(agg_run(in, nk, keys, 4, aggs, &got, &err), 0);
    assert_int_equal(agg_run(in, nk + 1, keys_long, 4, aggs, &want, &err), 0);
    trows g = rows_without(&got, -1), w = rows_without(&want, nk);
    assert_true(g.n > 1);
    assert_rows_equal(&g, &w);
    tr_free(&g);
    tr_free(&w);
    em_batch_list_release(&got);
    em_batch_list_release(&want);
}

static void test_packed_keys_match_general(void **state)
{
    (void)state;
    static const int sets[][4] = {{0, 1}, {0}, {1, 0}, {0, 3}, {2, 1}, {3, 2}, {0, 1, 3}, {2, 0}};
    static const int sizes[] = {2, 1, 2, 2, 2, 2, 3, 2};
    for (int wide = 0; wide < 2; wide++) {
        em_batch_list in;
        /* wide: the third batch brings keys that do not fit a word. */
        packed_input(&in, 5, 1000, wide ? 2 : -1);
        for (size_t s = 0; s < EM_ARRAY_LEN(sets); s++)
            check_keys_like_general(&in, sets[s], sizes[s]);
        em_batch_list_release(&in);
    }
}

/* Tuples whose bytes run together the same way are still different groups. */
static void test_packed_keys_distinct_tuples(void **state)
{
    (void)state;
    static const char *const a[] = {"a", NULL, "", "a", "", NULL, "a\0", "a", "ab", "a", "\0"};
    static const int alen[] = {1, 0, 0, 1, 0, 0, 2, 1, 2, 1, 1};
    static const char *const b[] = {NULL, "a", "a", "", "", NULL, "", "\0", "c", "bc", ""};
    static const int blen[] = {0, 1, 1, 0, 0, 0, 0, 1, 1, 2, 0};
    enum { N = 11 };
    em_batch_list in;
    em_batch_list_init(&in);
    for (int rep = 0; rep < 2; rep++) {
        em_vector *x = em_vector_create(T(EM_TYPE_VARCHAR), N);
        em_vector *y = em_vector_create(T(EM_TYPE_VARCHAR), N);
        for (int i = 0; i < N; i++) {
            if (a[i] == NULL)
                em_vector_append_null(x);
            else
                em_vector_append_str(x, a[i], alen[i]);
            if (b[i] == NULL)
                em_vector_append_null(y);
            else
                em_vector_append_str(y, b[i], blen[i]);
        }
        em_batch_list_push(&in, tb_make(2, x, y));
    }
    em_expr *keys[] = {col(0, T(EM_TYPE_VARCHAR)), col(1, T(EM_TYPE_VARCHAR))};
    em_agg_call aggs[] = {call("count", NULL, NULL)};
    em_batch_list out;
    em_error err = {0};
    assert_int_equal(agg_run(&in, 2, keys, 1, aggs, &out, &err), 0);
    trows r = rows_without(&out, -1);
    static const char *const want[N] = {"'a'|NULL|2", "NULL|'a'|2",  "''|'a'|2",    "'a'|''|2",
                                        "''|''|2",    "NULL|NULL|2", "'a\\0'|''|2", "'a'|'\\0'|2",
                                        "'ab'|'c'|2", "'a'|'bc'|2",  "'\\0'|''|2"};
    assert_int_equal(r.n, N);
    for (int i = 0; i < N; i++) assert_string_equal(r.rows[i], want[i]);
    tr_free(&r);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* Thousands of groups of packed keys with too little memory: the groups spill,
 * partitioned alike whichever path hashed them, and merge back correctly. */
static void test_packed_keys_spill(void **state)
{
    (void)state;
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    em_batch_list in;
    em_batch_list_init(&in);
    for (int b = 0; b < 8; b++) {
        em_vector *x = em_vector_create(T(EM_TYPE_VARCHAR), 2048);
        em_vector *y = em_vector_create(T(EM_TYPE_VARCHAR), 2048);
        int64_t v[2048];
        for (int i = 0; i < 2048; i++) {
            uint64_t r = rnd() % 20000;
            char s[3] = {letters[r % 36], letters[(r / 36) % 36], 0};
            em_vector_append_str(x, s, 2);
            if (r % 50 == 0)
                em_vector_append_null(y);
            else
                em_vector_append_str(y, &letters[r / 1296], 1);
            v[i] = (int64_t)r;
        }
        em_batch_list_push(&in, tb_make(3, x, y, tv_i64(2048, v)));
    }
    em_expr *keys[] = {col(0, T(EM_TYPE_VARCHAR)), col(1, T(EM_TYPE_VARCHAR))};
    em_expr *v = col(2, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("count", NULL, NULL), call("sum", v, NULL), call("max", v, NULL)};
    em_batch_list want, got;
    em_error err = {0};
    assert_int_equal(agg_run(&in, 2, keys, 3, aggs, &want, &err), 0);
    em_memory_pool *pool = em_memory_pool_create(64 * 1024, "/tmp");
    em_task_ctx ctx = {.memory = pool};
    assert_int_equal(agg_run_ctx(&ctx, &in, EM_AGG_MODE_COMPLETE, 2, keys, 3, aggs, &got, &err), 0);
    em_memory_pool_destroy(pool);
    trows w = rows_without(&want, -1), g = rows_without(&got, -1);
    assert_true(w.n > 5000);
    tr_sort(&w);
    tr_sort(&g);
    assert_rows_equal(&g, &w);
    tr_free(&w);
    tr_free(&g);
    em_batch_list_release(&want);
    em_batch_list_release(&got);
    em_batch_list_release(&in);
}

/* ---- few groups: folding by runs ---------------------------------------------- */

typedef struct ref_group {
    int64_t cnt_star, cnt, sum_i, sum_dec;
    double sum_d;
    int64_t cnt_d;
} ref_group;

/* Rows in batches of 2048 with an INTEGER key in [0, ngroups) (nkeys 1) or
 * none (nkeys 0), a BIGINT and a DOUBLE with NULLs and a DECIMAL(15,2); the
 * sums, counts and averages must be what folding row by row gives, the
 * double sums to the bit. */
static void check_sums(int ngroups, int nkeys)
{
    enum { BATCHES = 6, ROWS = 2048 };
    ref_group *ref = calloc((size_t)ngroups, sizeof(ref_group));
    em_batch_list in;
    em_batch_list_init(&in);
    for (int b = 0; b < BATCHES; b++) {
        int64_t k[ROWS], x[ROWS], dec[ROWS];
        double d[ROWS];
        bool dn[ROWS];
        for (int i = 0; i < ROWS; i++) {
            uint64_t r = rnd();
            k[i] = nkeys ? (int64_t)(r % (uint64_t)ngroups) : 0;
            x[i] = r % 13 == 0 ? TNULL : (int64_t)(r >> 16) % 2000001 - 1000000;
            dn[i] = r % 17 == 0;
            d[i] = ((double)(int64_t)(r >> 8) / 3.0) * pow(10, (double)(r % 9) - 4);
            dec[i] = (int64_t)(r >> 24) % 100000000000LL;
            ref_group *g = &ref[k[i]];
            g->cnt_star++;
            if (x[i] != TNULL) {
                g->cnt++;
                g->sum_i += x[i];
            }
            if (!dn[i]) {
                g->sum_d += d[i];
                g->cnt_d++;
            }
            g->sum_dec += dec[i];
        }
        em_vector *dv = em_vector_create(em_type_decimal(15, 2), ROWS);
        for (int i = 0; i < ROWS; i++) em_vector_append_i64(dv, dec[i]);
        em_batch_list_push(&in,
                           tb_make(4, tv_i32(ROWS, k), tv_i64(ROWS, x), tv_f64(ROWS, d, dn), dv));
    }
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    em_expr *x = col(1, T(EM_TYPE_BIGINT)), *d = col(2, T(EM_TYPE_DOUBLE)),
            *dec = col(3, em_type_decimal(15, 2));
    em_agg_call aggs[] = {call("count", NULL, NULL), call("count", x, NULL), call("sum", x, NULL),
                          call("sum", d, NULL),      call("avg", d, NULL),   call("sum", dec, NULL),
                          call("avg", x, NULL)};
    em_batch_list out;
    em_error err = {0};
    assert_int_equal(agg_run(&in, nkeys, keys, (int)EM_ARRAY_LEN(aggs), aggs, &out, &err), 0);
    int64_t seen = 0;
    for (int64_t b = 0; b < out.count; b++) {
        const em_batch *o = out.items[b];
        for (int64_t i = 0; i < o->nrows; i++) {
            int c = nkeys;
            int g = nkeys ? EM_VEC_I32(o->cols[0])[i] : 0;
            const ref_group *r = &ref[g];
            assert_int_equal(EM_VEC_I64(o->cols[c])[i], r->cnt_star);
            assert_int_equal(EM_VEC_I64(o->cols[c + 1])[i], r->cnt);
            assert_int_equal(EM_VEC_I64(o->cols[c + 2])[i], r->sum_i);
            double sd = EM_VEC_F64(o->cols[c + 3])[i], ad = EM_VEC_F64(o->cols[c + 4])[i];
            assert_memory_equal(&sd, &r->sum_d, sizeof(double));
            if (r->cnt_d == 0) {
                assert_false(em_vector_is_valid(o->cols[c + 4], i));
            } else {
                double want_avg = r->sum_d / (double)r->cnt_d;
                assert_memory_equal(&ad, &want_avg, sizeof(double));
            }
            assert_int_equal(EM_VEC_I64(o->cols[c + 5])[i], r->sum_dec);
            if (r->cnt == 0)
                assert_false(em_vector_is_valid(o->cols[c + 6], i));
            else
                assert_true(
                    fabs(EM_VEC_F64(o->cols[c + 6])[i] - (double)r->sum_i / (double)r->cnt) < 1e-9);
            seen++;
        }
    }
    int64_t present = 0;
    for (int g = 0; g < ngroups; g++) present += ref[g].cnt_star > 0;
    assert_int_equal(seen, present);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    free(ref);
}

static void test_sums_by_group_count(void **state)
{
    (void)state;
    check_sums(1, 0);   /* a global aggregate: every row in place */
    check_sums(1, 1);   /* one group by key */
    check_sums(4, 1);   /* TPC-H Q1's four */
    check_sums(128, 1); /* the last count folded by runs (16 rows per group) */
    check_sums(129, 1); /* row by row */
    check_sums(3000, 1);
}

/* Values that overflow an int64 partway fail, with few groups as with many;
 * a DECIMAL sum at exactly 18 nines passes and one more fails. */
static void check_overflow(int ngroups)
{
    enum { ROWS = 2048 };
    const int64_t nines = 999999999999999999LL, ninth = 111111111111111111LL;
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    em_expr *dec = col(1, em_type_decimal(18, 0));
    em_agg_call sum[] = {call("sum", dec, NULL)};
    em_agg_call avg[] = {call("avg", dec, NULL)};
    for (int variant = 0; variant < 4; variant++) {
        /* 0: 9 x ninth in group 1 (fits); 1: and one more unit (precision);
         * 2: ten values of 0.99e18 then their negations (an int64 overflow on
         * the way, so an error although the total is 0); 3: the same
         * negated. */
        int64_t k[ROWS], x[ROWS];
        for (int i = 0; i < ROWS; i++) {
            k[i] = i % ngroups;
            x[i] = 0;
        }
        /* Group 1 gets rows 1..20 (every group still has rows further on). */
        for (int i = 1; i <= 20; i++) k[i] = 1;
        if (variant <= 1) {
            for (int j = 0; j < 9; j++) x[1 + j] = ninth;
            if (variant == 1) x[10] = 1;
        } else {
            int64_t big = variant == 2 ? 990000000000000000LL : -990000000000000000LL;
            for (int j = 0; j < 10; j++) x[1 + j] = big;
            for (int j = 0; j < 10; j++) x[11 + j] = -big;
        }
        em_vector *dv = em_vector_create(em_type_decimal(18, 0), ROWS);
        for (int i = 0; i < ROWS; i++) em_vector_append_i64(dv, x[i]);
        em_batch_list in;
        em_batch_list_init(&in);
        em_batch_list_push(&in, tb_make(2, tv_i32(ROWS, k), dv));
        em_batch_list out;
        em_error err = {0};
        int rc = agg_run(&in, 1, keys, 1, sum, &out, &err);
        if (variant == 0) {
            assert_int_equal(rc, 0);
            bool found = false;
            for (int64_t b = 0; b < out.count; b++)
                for (int64_t i = 0; i < out.items[b]->nrows; i++)
                    if (EM_VEC_I32(out.items[b]->cols[0])[i] == 1) {
                        assert_int_equal(EM_VEC_I64(out.items[b]->cols[1])[i], nines);
                        found = true;
                    }
            assert_true(found);
        } else {
            assert_int_equal(rc, EM_EOVERFLOW);
            assert_non_null(strstr(err.message, "numeric field overflow in sum"));
        }
        em_batch_list_release(&out);
        /* avg's exact sum overflows the same way (variants 2 and 3). */
        err = (em_error){0};
        rc = agg_run(&in, 1, keys, 1, avg, &out, &err);
        assert_int_equal(rc, variant >= 2 ? EM_EOVERFLOW : 0);
        em_batch_list_release(&out);
        em_batch_list_release(&in);
    }
}

static void test_sum_overflow_by_group_count(void **state)
{
    (void)state;
    check_overflow(2);    /* by runs */
    check_overflow(1000); /* row by row */
}

/* A BIGINT sum that passes INT64_MAX fails with one group as row by row. */
static void test_bigint_overflow_one_group(void **state)
{
    (void)state;
    int64_t x[64];
    for (int i = 0; i < 64; i++) x[i] = i == 40 ? INT64_MAX : (i == 50 ? 1 : 0);
    x[60] = -5; /* the total would fit again; the running sum did not */
    em_batch_list in;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(1, tv_i64(64, x)));
    em_agg_call aggs[] = {call("sum", col(0, T(EM_TYPE_BIGINT)), NULL)};
    em_batch_list out;
    em_error err = {0};
    assert_int_equal(agg_run(&in, 0, NULL, 1, aggs, &out, &err), EM_EOVERFLOW);
    assert_non_null(strstr(err.message, "integer out of range"));
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* ---- shared subexpressions ------------------------------------------------------- */

/* sum(a * b), sum(a * b * c), avg(a * b), count(a * b), sum(a * b) FILTER
 * (WHERE c > 0) and sum(a * c) over NULLs, by a key: each as computed here. */
static void test_shared_subexpressions(void **state)
{
    (void)state;
    enum { ROWS = 3000, G = 5 };
    int64_t k[ROWS], a[ROWS], b[ROWS], c[ROWS];
    int64_t s_ab[G] = {0}, s_abc[G] = {0}, n_ab[G] = {0}, s_f[G] = {0}, s_ac[G] = {0};
    for (int i = 0; i < ROWS; i++) {
        uint64_t r = rnd();
        k[i] = (int64_t)(r % G);
        a[i] = r % 19 == 0 ? TNULL : (int64_t)(r >> 8) % 1000 - 500;
        b[i] = r % 23 == 0 ? TNULL : (int64_t)(r >> 20) % 1000 - 400;
        c[i] = (int64_t)(r >> 32) % 7 - 3;
        if (a[i] != TNULL && b[i] != TNULL) {
            s_ab[k[i]] += a[i] * b[i];
            s_abc[k[i]] += a[i] * b[i] * c[i];
            n_ab[k[i]]++;
            if (c[i] > 0) s_f[k[i]] += a[i] * b[i];
        }
        if (a[i] != TNULL) s_ac[k[i]] += a[i] * c[i];
    }
    em_batch_list in;
    em_batch_list_init(&in);
    for (int from = 0; from < ROWS; from += 1000)
        em_batch_list_push(&in, tb_make(4, tv_i32(1000, k + from), tv_i64(1000, a + from),
                                        tv_i64(1000, b + from), tv_i64(1000, c + from)));
    em_expr *ca = col(1, T(EM_TYPE_BIGINT)), *cb = col(2, T(EM_TYPE_BIGINT)),
            *cc = col(3, T(EM_TYPE_BIGINT));
    em_expr *zero = em_expr_const(g_arena, em_value_bigint(0));
    /* Separately built trees: shared by equality, not by pointer. */
    em_agg_call aggs[] = {call("sum", fn2("*", ca, cb), NULL),
                          call("sum", fn2("*", fn2("*", ca, cb), cc), NULL),
                          call("avg", fn2("*", ca, cb), NULL),
                          call("count", fn2("*", ca, cb), NULL),
                          call("sum", fn2("*", ca, cb), fn2(">", cc, zero)),
                          call("sum", fn2("*", ca, cc), NULL)};
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    for (int mode = 0; mode < 2; mode++) {
        em_batch_list out;
        em_error err = {0};
        if (mode == 0) {
            assert_int_equal(agg_run(&in, 1, keys, 6, aggs, &out, &err), 0);
        } else {
            /* PARTIAL then FINAL reads the same states. */
            em_batch_list part;
            assert_int_equal(
                agg_run_ctx(&g_ctx, &in, EM_AGG_MODE_PARTIAL, 1, keys, 6, aggs, &part, &err), 0);
            em_expr *refs[] = {col(0, T(EM_TYPE_INTEGER))};
            assert_int_equal(
                agg_run_ctx(&g_ctx, &part, EM_AGG_MODE_FINAL, 1, refs, 6, aggs, &out, &err), 0);
            em_batch_list_release(&part);
        }
        int64_t seen = 0;
        for (int64_t bi = 0; bi < out.count; bi++) {
            const em_batch *o = out.items[bi];
            for (int64_t i = 0; i < o->nrows; i++) {
                int g = EM_VEC_I32(o->cols[0])[i];
                assert_int_equal(EM_VEC_I64(o->cols[1])[i], s_ab[g]);
                assert_int_equal(EM_VEC_I64(o->cols[2])[i], s_abc[g]);
                assert_true(fabs(EM_VEC_F64(o->cols[3])[i] - (double)s_ab[g] / (double)n_ab[g]) <
                            1e-9);
                assert_int_equal(EM_VEC_I64(o->cols[4])[i], n_ab[g]);
                assert_int_equal(EM_VEC_I64(o->cols[5])[i], s_f[g]);
                assert_int_equal(EM_VEC_I64(o->cols[6])[i], s_ac[g]);
                seen++;
            }
        }
        assert_int_equal(seen, G);
        em_batch_list_release(&out);
    }
    em_batch_list_release(&in);
}

/* An error in a shared subexpression is still an error. */
static void test_shared_subexpression_error(void **state)
{
    (void)state;
    int64_t a[] = {1, 2, INT64_MAX / 2 + 1}, b[] = {3, 4, 2};
    em_batch_list in;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(2, tv_i64(3, a), tv_i64(3, b)));
    em_expr *ca = col(0, T(EM_TYPE_BIGINT)), *cb = col(1, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("sum", fn2("*", ca, cb), NULL), call("max", fn2("*", ca, cb), NULL)};
    em_batch_list out;
    em_error err = {0};
    assert_int_equal(agg_run(&in, 0, NULL, 2, aggs, &out, &err), EM_EOVERFLOW);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packed_keys_match_general),
        cmocka_unit_test(test_packed_keys_distinct_tuples),
        cmocka_unit_test(test_packed_keys_spill),
        cmocka_unit_test(test_sums_by_group_count),
        cmocka_unit_test(test_sum_overflow_by_group_count),
        cmocka_unit_test(test_bigint_overflow_one_group),
        cmocka_unit_test(test_shared_subexpressions),
        cmocka_unit_test(test_shared_subexpression_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
