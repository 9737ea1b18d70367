/*
 * test_join_spill.c — the hash join under a tiny memory pool. Every join kind
 * (inner, left, right, full, semi, anti, null-aware anti), with either side
 * built (NOT IN: the right side only), one or two keys of integer and string
 * type, with and without a residual, with NULL and duplicate keys, must give
 * the same rows as the same join in memory: through grace partitions (some
 * resident, some on disk), partitions split again level after level, and the
 * chunked fallback (a pool that grants nothing, keys that all hash alike,
 * cross joins, NOT IN with a residual). Small cases are also checked against
 * a nested-loop reference.
 * Each run must have spilled, and must leave no spill file and no reserved
 * byte behind, also when a LIMIT stops it early or it is cancelled.
 */
#include <dirent.h>
#include <unistd.h>

#include "exec_test_util.h"

static em_task_ctx g_ctx;
static em_arena *g_arena;
static char g_dir[] = "/tmp/ember_join_spill_XXXXXX";

static int setup(void **state)
{
    g_arena = em_arena_create(1 << 16);
    if (mkdtemp(g_dir) == NULL) return -1;
    return 0;
}

static int teardown(void **state)
{
    em_arena_destroy(g_arena);
    rmdir(g_dir);
    return 0;
}

static em_type T(em_type_id id)
{
    return em_type_make(id);
}

/* ---- data ----------------------------------------------------------------------- */

/* Rows of (k1 BIGINT, k2 VARCHAR, v BIGINT), kept as C values too. */
typedef struct tside {
    int n;
    int64_t *k1, *v;
    int *k2; /* the string "s<k2>", -1 = NULL */
    bool *k1null, *vnull;
    em_batch_list batches;
} tside;

static const em_type TYPES[3] = {
    {EM_TYPE_BIGINT, 0, 0}, {EM_TYPE_VARCHAR, 0, 0}, {EM_TYPE_BIGINT, 0, 0}};

/* n rows with k1 in [0, kdom) (or all 7 when skewed), about 1 in 12 NULL,
 * and k2 mostly following k1 (so that both keys together still match);
 * batches of 1 .. maxbatch rows (some larger than EM_BATCH_ROWS). */
static void side_make(tside *s, int n, uint64_t *seed, int kdom, bool skew, int maxbatch)
{
    int k2dom = kdom / 3 + 1;
    s->n = n;
    s->k1 = calloc((size_t)n + 1, sizeof(int64_t));
    s->v = calloc((size_t)n + 1, sizeof(int64_t));
    s->k2 = calloc((size_t)n + 1, sizeof(int));
    s->k1null = calloc((size_t)n + 1, sizeof(bool));
    s->vnull = calloc((size_t)n + 1, sizeof(bool));
    for (int i = 0; i < n; i++) {
        s->k1[i] = skew ? 7 : (int64_t)(trand(seed) % (uint64_t)kdom);
        s->k1null[i] = trand(seed) % 12 == 0;
        s->k2[i] =
            trand(seed) % 4 == 0 ? (int)(trand(seed) % (uint64_t)k2dom) : (int)(s->k1[i] % k2dom);
        if (trand(seed) % 15 == 0) s->k2[i] = -1;
        s->v[i] = (int64_t)(trand(seed) % 100);
        s->vnull[i] = trand(seed) % 20 == 0;
    }
    em_batch_list_init(&s->batches);
    int i = 0;
    while (i < n) {
        int cnt = 1 + (int)(trand(seed) % (uint64_t)maxbatch);
        if (cnt > n - i) cnt = n - i;
        em_vector *k1 = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        em_vector *k2 = em_vector_create(T(EM_TYPE_VARCHAR), cnt);
        em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        for (int j = i; j < i + cnt; j++) {
            if (s->k1null[j])
                em_vector_append_null(k1);
            else
                em_vector_append_i64(k1, s->k1[j]);
            char str[16];
            snprintf(str, sizeof(str), "s%d", s->k2[j]);
            if (s->k2[j] < 0)
                em_vector_append_null(k2);
            else
                em_vector_append_str(k2, str, (int32_t)strlen(str));
            if (s->vnull[j])
                em_vector_append_null(v);
            else
                em_vector_append_i64(v, s->v[j]);
        }
        em_batch_list_push(&s->batches, tb_make(3, k1, k2, v));
        i += cnt;
    }
}

static void side_free(tside *s)
{
    free(s->k1);
    free(s->v);
    free(s->k2);
    free(s->k1null);
    free(s->vnull);
    em_batch_list_release(&s->batches);
}

/* ---- running a join ---------------------------------------------------------------- */

typedef struct jcfg {
    int nkeys;
    int keys[2];   /* columns, the same on both sides */
    bool residual; /* L.v < R.v */
} jcfg;

static em_expr *residual_expr(void)
{
    em_type types[2] = {T(EM_TYPE_BIGINT), T(EM_TYPE_BIGINT)}, cast_to[2], ret;
    const em_func *f = NULL;
    em_error err = {0};
    if (em_func_resolve("<", 2, types, &f, cast_to, &ret, &err) != 0) fail_msg("%s", err.message);
    em_expr *e = em_expr_new(g_arena, EM_EXPR_CALL, ret, 2);
    e->func = f;
    e->args[0] = em_expr_column(g_arena, 2, T(EM_TYPE_BIGINT));
    e->args[1] = em_expr_column(g_arena, 5, T(EM_TYPE_BIGINT));
    return e;
}

static int count_files(void)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

/* The build side as a shuffle read from disk delivers it: batches whose
 * vectors the join alone holds (a list source shares them with the list,
 * which the join rightly does not count as its memory). */
typedef struct copy_source {
    em_source base;
    em_source *in;
} copy_source;

static int copy_next(em_source *s, em_batch **out, em_error *err)
{
    copy_source *c = (copy_source *)s;
    em_batch *b = NULL;
    int rc = c->in->next(c->in, &b, err);
    *out = NULL;
    if (rc < 0 || b == NULL) return rc;
    int32_t *sel = malloc(sizeof(int32_t) * (size_t)(b->nrows + 1));
    for (int64_t i = 0; i < b->nrows; i++) sel[i] = (int32_t)i;
    *out = em_batch_gather(b, sel, b->nrows);
    free(sel);
    em_batch_destroy(b);
    return 0;
}

static void copy_destroy(em_source *s)
{
    copy_source *c = (copy_source *)s;
    c->in->destroy(c->in);
    free(c);
}

static em_source *copy_source_create(const em_batch_list *l)
{
    copy_source *c = calloc(1, sizeof(copy_source));
    c->base.next = copy_next;
    c->base.destroy = copy_destroy;
    c->in = em_source_list_create(l, 0, l->count);
    return &c->base;
}

typedef struct jrun {
    em_batch_list out;
    int64_t spilled;
    int64_t peak;
    int rc;
    em_error err;
} jrun;

/* Run the join (under a pool of `limit` bytes, 0 = no pool), at most
 * `limit_rows` output rows (-1: all), cancelled after `cancel_after` output
 * batches (-1: never). */
static void run_join(jrun *r, em_join_kind kind, bool build_right, const jcfg *c, const tside *l,
                     const tside *rt, int64_t limit, int64_t limit_rows, int cancel_after)
{
    memset(r, 0, sizeof(*r));
    em_batch_list_init(&r->out);
    em_memory_pool *pool = limit > 0 ? em_memory_pool_create(limit, g_dir) : NULL;
    if (pool) em_memory_task_begin(pool);
    volatile int cancel = 0;
    g_ctx.memory = pool;
    g_ctx.cancel = &cancel;
    em_join_spec spec = {
        kind, build_right, c->nkeys, c->keys, c->keys, c->residual ? residual_expr() : NULL,
        3,    TYPES,       3,        TYPES};
    const tside *build = build_right ? rt : l, *probe = build_right ? l : rt;
    em_source *bsrc = copy_source_create(&build->batches);
    em_op *op = em_op_hash_join_create(&g_ctx, &spec, bsrc);
    em_op *sink = em_op_collect_create(&g_ctx, &r->out);
    op->next = limit_rows >= 0 ? em_op_limit_create(&g_ctx, limit_rows, 0) : sink;
    if (limit_rows >= 0) op->next->next = sink;
    em_source *src = em_source_list_create(&probe->batches, 0, probe->batches.count);
    if (cancel_after < 0) {
        r->rc = em_pipeline_run(&g_ctx, src, op, &r->err);
    } else {
        /* Push by hand and raise the cancel flag part way. */
        em_batch *b;
        int pushed = 0;
        r->rc = 0;
        while (r->rc == 0 && src->next(src, &b, &r->err) == 0 && b != NULL) {
            if (++pushed > cancel_after) cancel = 1;
            r->rc = op->vt->push(op, b, &r->err);
        }
        if (r->rc == 0) r->rc = op->vt->finish(op, &r->err);
    }
    r->spilled = op->stats.spilled;
    r->peak = op->stats.mem_peak;
    src->destroy(src);
    em_op_chain_destroy(op);
    g_ctx.memory = NULL;
    g_ctx.cancel = NULL;
    if (pool) {
        assert_int_equal(em_memory_pool_used(pool), 0);
        em_memory_task_end(pool);
        em_memory_pool_destroy(pool);
    }
    /* Every spill file was closed by the join itself, not by the pool. */
    assert_int_equal(count_files(), 0);
}

static trows sorted(const em_batch_list *l, int ncols)
{
    for (int64_t b = 0; b < l->count; b++) {
        assert_true(l->items[b]->nrows <= EM_BATCH_ROWS);
        assert_int_equal(l->items[b]->ncols, ncols);
    }
    trows t = tr_collect(l);
    if (t.n > 0) tr_sort(&t);
    return t;
}

static void compare(const trows *got, const trows *want, const char *what)
{
    for (int64_t i = 0; i < got->n && i < want->n; i++)
        if (strcmp(got->rows[i], want->rows[i]) != 0)
            fail_msg("%s: sorted row %lld: got \"%s\", expected \"%s\"", what, (long long)i,
                     got->rows[i], want->rows[i]);
    if (got->n != want->n)
        fail_msg("%s: got %lld rows, expected %lld", what, (long long)got->n, (long long)want->n);
}

static const em_join_kind KINDS[] = {
    EM_JOIN_KIND_INNER, EM_JOIN_KIND_LEFT, EM_JOIN_KIND_RIGHT,           EM_JOIN_KIND_FULL,
    EM_JOIN_KIND_SEMI,  EM_JOIN_KIND_ANTI, EM_JOIN_KIND_ANTI_NULL_AWARE,
};

static bool semi_kind(em_join_kind k)
{
    return k >= EM_JOIN_KIND_SEMI;
}

/* Sides a join of this kind may build: NOT IN builds the right side only. */
static int nsides(em_join_kind k)
{
    return k == EM_JOIN_KIND_ANTI_NULL_AWARE ? 1 : 2;
}

/* Every kind and build side of one configuration: in memory, then under each
 * pool limit; every answer must agree with the in-memory join that builds the
 * right side, and the pooled runs must spill. */
static int check_all(const jcfg *c, const tside *l, const tside *r, const int64_t *limits,
                     int nlimits, const char *name)
{
    int runs = 0;
    for (size_t ki = 0; ki < EM_ARRAY_LEN(KINDS); ki++) {
        em_join_kind kind = KINDS[ki];
        if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && c->nkeys != 1) continue;
        int ncols = semi_kind(kind) ? 3 : 6;
        trows want = {NULL, 0};
        for (int side = 0; side < nsides(kind); side++) {
            jrun mem;
            run_join(&mem, kind, side == 0, c, l, r, 0, -1, -1);
            if (mem.rc != 0) fail_msg("%s: in memory: %s", name, mem.err.message);
            assert_int_equal(mem.spilled, 0);
            if (side == 0) {
                want = sorted(&mem.out, ncols);
            } else {
                trows got = sorted(&mem.out, ncols);
                char what[160];
                snprintf(what, sizeof(what), "%s kind %d build left in memory", name, (int)kind);
                compare(&got, &want, what);
                tr_free(&got);
            }
            em_batch_list_release(&mem.out);
            for (int li = 0; li < nlimits; li++) {
                jrun sp;
                run_join(&sp, kind, side == 0, c, l, r, limits[li], -1, -1);
                char what[160];
                snprintf(what, sizeof(what), "%s kind %d build %s limit %lld", name, (int)kind,
                         side == 0 ? "right" : "left", (long long)limits[li]);
                if (sp.rc != 0) fail_msg("%s: %s", what, sp.err.message);
                if (sp.spilled <= 0) fail_msg("%s: nothing spilled", what);
                trows got = sorted(&sp.out, ncols);
                compare(&got, &want, what);
                tr_free(&got);
                em_batch_list_release(&sp.out);
                runs++;
            }
        }
        tr_free(&want);
    }
    return runs;
}

/* ---- tests ------------------------------------------------------------------------- */

/* Keyed joins, a couple of thousand rows a side with duplicate and NULL keys: with
 * 48 KiB some partitions stay resident and the others fit one level down;
 * with 8 KiB partitions split again. */
static void test_grace(void **state)
{
    static const jcfg cfgs[] = {
        {1, {0, 0}, false}, {1, {0, 0}, true},  {1, {1, 0}, false},
        {1, {1, 0}, true},  {2, {0, 1}, false}, {2, {1, 0}, true},
    };
    uint64_t seed = 42;
    tside l, r;
    side_make(&l, 2000, &seed, 1000, false, 2500);
    side_make(&r, 1600, &seed, 1000, false, 700);
    const int64_t limits[] = {48 * 1024, 8 * 1024};
    int runs = 0;
    for (size_t ci = 0; ci < EM_ARRAY_LEN(cfgs); ci++) {
        char name[32];
        snprintf(name, sizeof(name), "cfg %zu", ci);
        runs += check_all(&cfgs[ci], &l, &r, limits, 2, name);
    }
    print_message("grace: %d spilled joins checked\n", runs);
    side_free(&l);
    side_free(&r);
}

/* A pool that grants nothing: partitions are split down to the deepest
 * level and joined there in chunks of one batch. */
static void test_nothing_fits(void **state)
{
    static const jcfg cfgs[] = {{1, {0, 0}, false}, {1, {0, 0}, true}, {2, {0, 1}, true}};
    uint64_t seed = 7;
    tside l, r;
    side_make(&l, 400, &seed, 60, false, 90);
    side_make(&r, 300, &seed, 60, false, 40);
    const int64_t limits[] = {1};
    int runs = 0;
    for (size_t ci = 0; ci < EM_ARRAY_LEN(cfgs); ci++)
        runs += check_all(&cfgs[ci], &l, &r, limits, 1, "nothing fits");
    print_message("nothing fits: %d spilled joins checked\n", runs);
    side_free(&l);
    side_free(&r);
}

/* Every key the same: partitioning cannot split it, so the join goes by
 * chunks at once (a block nested loop that replays the probe side). */
static void test_skew(void **state)
{
    static const jcfg cfgs[] = {{1, {0, 0}, false}, {1, {0, 0}, true}};
    uint64_t seed = 99;
    tside l, r;
    side_make(&l, 150, &seed, 1, true, 40);
    side_make(&r, 200, &seed, 1, true, 30);
    const int64_t limits[] = {4 * 1024};
    int runs = 0;
    for (size_t ci = 0; ci < EM_ARRAY_LEN(cfgs); ci++)
        runs += check_all(&cfgs[ci], &l, &r, limits, 1, "skew");
    print_message("skew: %d spilled joins checked\n", runs);
    side_free(&l);
    side_free(&r);
}

/* Without keys (a cross join with a residual) there is nothing to partition by. */
static void test_cross(void **state)
{
    static const jcfg cfgs[] = {{0, {0, 0}, true}, {0, {0, 0}, false}};
    uint64_t seed = 5;
    tside l, r;
    side_make(&l, 120, &seed, 10, false, 30);
    side_make(&r, 150, &seed, 10, false, 20);
    const int64_t limits[] = {1, 4 * 1024};
    int runs = 0;
    for (size_t ci = 0; ci < EM_ARRAY_LEN(cfgs); ci++)
        runs += check_all(&cfgs[ci], &l, &r, limits, 2, "cross");
    print_message("cross: %d spilled joins checked\n", runs);
    side_free(&l);
    side_free(&r);
}

/* ---- a nested-loop reference ---------------------------------------------------------- */

static bool ref_keys(const jcfg *c, const tside *l, int i, const tside *r, int j)
{
    for (int k = 0; k < c->nkeys; k++) {
        if (c->keys[k] == 0) {
            if (l->k1null[i] || r->k1null[j] || l->k1[i] != r->k1[j]) return false;
        } else {
            if (l->k2[i] < 0 || r->k2[j] < 0 || l->k2[i] != r->k2[j]) return false;
        }
    }
    return true;
}

static bool ref_resid(const jcfg *c, const tside *l, int i, const tside *r, int j)
{
    return !c->residual || (!l->vnull[i] && !r->vnull[j] && l->v[i] < r->v[j]);
}

static bool key_null(const jcfg *c, const tside *x, int i)
{
    return c->keys[0] == 0 ? x->k1null[i] : x->k2[i] < 0;
}

static void fmt_row(const tside *s, int i, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    if (i < 0) {
        snprintf(buf + len, cap - len, "NULL|NULL|NULL");
        return;
    }
    char k1[32], v[32], k2[16];
    snprintf(k1, sizeof(k1), s->k1null[i] ? "NULL" : "%lld", (long long)s->k1[i]);
    snprintf(v, sizeof(v), s->vnull[i] ? "NULL" : "%lld", (long long)s->v[i]);
    if (s->k2[i] < 0)
        snprintf(k2, sizeof(k2), "NULL");
    else
        snprintf(k2, sizeof(k2), "'s%d'", s->k2[i]);
    snprintf(buf + len, cap - len, "%s|%s|%s", k1, k2, v);
}

static void push_row(trows *t, const char *s)
{
    if ((t->n & (t->n - 1)) == 0)
        t->rows = realloc(t->rows, sizeof(char *) * (size_t)(t->n > 0 ? 2 * t->n : 1));
    t->rows[t->n++] = strdup(s);
}

static trows reference(em_join_kind kind, const jcfg *c, const tside *l, const tside *r)
{
    trows t = {NULL, 0};
    bool *rmatched = calloc((size_t)r->n + 1, sizeof(bool));
    bool outer = kind == EM_JOIN_KIND_INNER || kind == EM_JOIN_KIND_LEFT ||
                 kind == EM_JOIN_KIND_RIGHT || kind == EM_JOIN_KIND_FULL;
    for (int i = 0; i < l->n; i++) {
        bool any = false, naaj_out = false;
        for (int j = 0; j < r->n; j++) {
            bool res = ref_resid(c, l, i, r, j);
            if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && res &&
                (key_null(c, l, i) || key_null(c, r, j) || ref_keys(c, l, i, r, j)))
                naaj_out = true;
            if (!(res && ref_keys(c, l, i, r, j))) continue;
            any = true;
            rmatched[j] = true;
            if (outer) {
                char buf[256] = "";
                fmt_row(l, i, buf, sizeof(buf));
                strcat(buf, "|");
                fmt_row(r, j, buf, sizeof(buf));
                push_row(&t, buf);
            }
        }
        char buf[256] = "";
        fmt_row(l, i, buf, sizeof(buf));
        if ((kind == EM_JOIN_KIND_SEMI && any) || (kind == EM_JOIN_KIND_ANTI && !any) ||
            (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && !naaj_out))
            push_row(&t, buf);
        if (!any && (kind == EM_JOIN_KIND_LEFT || kind == EM_JOIN_KIND_FULL)) {
            strcat(buf, "|");
            fmt_row(r, -1, buf, sizeof(buf));
            push_row(&t, buf);
        }
    }
    if (kind == EM_JOIN_KIND_RIGHT || kind == EM_JOIN_KIND_FULL) {
        for (int j = 0; j < r->n; j++) {
            if (rmatched[j]) continue;
            char buf[256] = "";
            fmt_row(l, -1, buf, sizeof(buf));
            strcat(buf, "|");
            fmt_row(r, j, buf, sizeof(buf));
            push_row(&t, buf);
        }
    }
    free(rmatched);
    if (t.n > 0) tr_sort(&t);
    return t;
}

/* Small random sides, every kind, against the nested loop, under pools that
 * grant nothing and a little. */
static void test_reference(void **state)
{
    static const jcfg cfgs[] = {
        {1, {0, 0}, false}, {1, {0, 0}, true}, {1, {1, 0}, true},
        {2, {0, 1}, false}, {0, {0, 0}, true},
    };
    uint64_t seed = 2024;
    const int64_t limits[] = {1, 3 * 1024};
    int runs = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t ci = 0; ci < EM_ARRAY_LEN(cfgs); ci++) {
            const jcfg *c = &cfgs[ci];
            tside l, r;
            int kdom = 1 + (int)(trand(&seed) % 30);
            side_make(&l, 50 + (int)(trand(&seed) % 150), &seed, kdom, round == 2, 40);
            side_make(&r, 50 + (int)(trand(&seed) % 150), &seed, kdom, round == 2, 25);
            for (size_t ki = 0; ki < EM_ARRAY_LEN(KINDS); ki++) {
                em_join_kind kind = KINDS[ki];
                if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && c->nkeys != 1) continue;
                trows want = reference(kind, c, &l, &r);
                for (int side = 0; side < nsides(kind); side++)
                    for (int li = 0; li < 2; li++) {
                        jrun sp;
                        run_join(&sp, kind, side == 0, c, &l, &r, limits[li], -1, -1);
                        char what[160];
                        snprintf(what, sizeof(what), "round %d cfg %zu kind %d build %s limit %lld",
                                 round, ci, (int)kind, side == 0 ? "right" : "left",
                                 (long long)limits[li]);
                        if (sp.rc != 0) fail_msg("%s: %s", what, sp.err.message);
                        trows got = sorted(&sp.out, semi_kind(kind) ? 3 : 6);
                        compare(&got, &want, what);
                        tr_free(&got);
                        em_batch_list_release(&sp.out);
                        runs++;
                    }
                tr_free(&want);
            }
            side_free(&l);
            side_free(&r);
        }
    }
    print_message("reference: %d spilled joins checked\n", runs);
}

/* A LIMIT that is satisfied while spilled partitions wait, and a job
 * cancelled part way: no file and no reserved byte may stay behind. */
static void test_stop_early(void **state)
{
    uint64_t seed = 31;
    tside l, r;
    side_make(&l, 2000, &seed, 500, false, 300);
    side_make(&r, 2000, &seed, 500, false, 300);
    jcfg c = {1, {0, 0}, false};
    for (int side = 0; side < 2; side++) {
        jrun a;
        run_join(&a, EM_JOIN_KIND_FULL, side == 0, &c, &l, &r, 8 * 1024, 25, -1);
        if (a.rc != 0) fail_msg("limit: %s", a.err.message);
        assert_int_equal(a.out.rows, 25);
        em_batch_list_release(&a.out);
        jrun b;
        run_join(&b, EM_JOIN_KIND_FULL, side == 0, &c, &l, &r, 8 * 1024, -1, 2);
        assert_int_equal(b.rc, EM_ECANCELED);
        em_batch_list_release(&b.out);
    }
    side_free(&l);
    side_free(&r);
}

/* A preserved build side whose keys are all NULL: nothing can match, the
 * probe side may stop early, and still every build row comes out (in memory
 * and spilled). */
static void test_null_keys_preserved(void **state)
{
    uint64_t seed = 77;
    tside l, r;
    side_make(&l, 600, &seed, 50, false, 100);
    side_make(&r, 400, &seed, 50, false, 100);
    for (int i = 0; i < l.n; i++) l.k1null[i] = true;
    em_batch_list_release(&l.batches);
    em_batch_list_init(&l.batches);
    em_vector *k1 = em_vector_create(T(EM_TYPE_BIGINT), l.n);
    em_vector *k2 = em_vector_create(T(EM_TYPE_VARCHAR), l.n);
    em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), l.n);
    for (int i = 0; i < l.n; i++) {
        em_vector_append_null(k1);
        em_vector_append_str(k2, "x", 1);
        em_vector_append_i64(v, i);
    }
    em_batch_list_push(&l.batches, tb_make(3, k1, k2, v));
    jcfg c = {1, {0, 0}, false};
    const int64_t limits[] = {0, 4 * 1024};
    for (int li = 0; li < 2; li++) {
        jrun a;
        run_join(&a, EM_JOIN_KIND_LEFT, false, &c, &l, &r, limits[li], -1, -1);
        if (a.rc != 0) fail_msg("%s", a.err.message);
        assert_int_equal(a.out.rows, l.n);
        em_batch_list_release(&a.out);
    }
    side_free(&l);
    side_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grace),
        cmocka_unit_test(test_nothing_fits),
        cmocka_unit_test(test_skew),
        cmocka_unit_test(test_cross),
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_stop_early),
        cmocka_unit_test(test_null_keys_preserved),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
