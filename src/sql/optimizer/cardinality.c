/*
 * cardinality.c — estimated rows and distinct counts of a logical plan.
 *
 * Scans are estimated from a sample (sample.c): the row count from the bytes
 * per sampled row, the selectivity of the pushed-down filters by running them
 * over the sampled rows, and each column's distinct count with an
 * incidence-based estimator over the sample's chunks (Chao's "Chao2": the
 * values seen in exactly one chunk, Q1, and in exactly two, Q2, tell how many
 * were never seen: d + (K-1)/K * Q1^2 / (2 Q2); with singletons but no Q2
 * at all the column looks unique). Chunks are runs of adjacent
 * rows, so a value repeated inside a chunk (the lines of one order) counts
 * once; the estimate is capped by the rows divided by that local repetition,
 * which keeps a clustered key (l_orderkey) near its true count instead of
 * looking unique. A filter keeps d * (1 - (1 - sel)^(n/d)) of a column's d
 * values (each value has about n/d rows, any of which may survive).
 *
 * Above the scans the usual textbook rules apply: a filter multiplies by its
 * selectivity (col = const: 1/ndv, ranges 1/3, AND a product, OR inclusion-
 * exclusion), an equi-join divides the product of its inputs by the larger
 * distinct count of the keys, a grouping yields at most the product of its
 * keys' distinct counts, a semi join keeps the share of left keys found on the
 * right. Without a sample a column is taken to be unique, so a join on it
 * yields about its larger input, as before estimates existed.
 */
#include "sql/optimizer/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "os/os.h"
#include "sql/catalog/catalog.h"

/* ---- memo: (node, column) -> value --------------------------------------- */

typedef struct memo_entry {
    const void *node; /* NULL: empty slot */
    int64_t key;
    double value;
} memo_entry;

typedef struct memo {
    memo_entry *slots;
    size_t cap, n;
} memo;

static size_t memo_hash(const void *node, int64_t key)
{
    return (size_t)em_hash_combine(em_hash_u64((uint64_t)(uintptr_t)node, 0x5bd1e995),
                                   em_hash_u64((uint64_t)key, 0x27d4eb2f));
}

static memo_entry *memo_find(memo *m, const void *node, int64_t key)
{
    if (m->cap == 0) return NULL;
    for (size_t i = memo_hash(node, key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        memo_entry *e = &m->slots[i];
        if (e->node == NULL) return NULL;
        if (e->node == node && e->key == key) return e;
    }
}

static void memo_put(memo *m, const void *node, int64_t key, double value)
{
    if (2 * (m->n + 1) > m->cap) {
        memo old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->slots = em_calloc(m->cap, sizeof(memo_entry));
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].node)
                memo_put(m, old.slots[i].node, old.slots[i].key, old.slots[i].value);
        em_free(old.slots);
    }
    for (size_t i = memo_hash(node, key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        memo_entry *e = &m->slots[i];
        if (e->node == NULL) {
            *e = (memo_entry){node, key, value};
            m->n++;
            return;
        }
        if (e->node == node && e->key == key) {
            e->value = value;
            return;
        }
    }
}

/* ---- context ------------------------------------------------------------- */

/* What is known of one scan: the columns wanted from its sample, the sample. */
typedef struct scan_info {
    const em_lop *scan;
    int nwant;
    int *want; /* output columns, sorted */
    em__sample *sample;
    bool sampled;     /* sample reflects every wanted column (or sampling failed) */
    double base_rows; /* before the filters */
    double sel;       /* of the filters */
    bool have_sel;
    uint8_t **pass; /* per sample batch, rows that pass the filters (NULL: all) */
} scan_info;

struct em__card {
    em_arena *a;
    memo rows; /* key -1 */
    memo ndv;  /* key: a column, or a hash of several */
    int nscans, capscans;
    scan_info **scans;
};

static void drop_pass(scan_info *s)
{
    for (int b = 0; s->pass && s->sample && b < s->sample->nbatches; b++) em_free(s->pass[b]);
    em_free(s->pass);
    s->pass = NULL;
}

em__card *em__card_create(em_arena *a)
{
    em__card *c = em_calloc(1, sizeof *c);
    c->a = a;
    return c;
}

void em__card_destroy(em__card *c)
{
    if (!c) return;
    for (int i = 0; i < c->nscans; i++) {
        drop_pass(c->scans[i]);
        em__sample_destroy(c->scans[i]->sample);
        em_free(c->scans[i]->want);
        em_free(c->scans[i]);
    }
    em_free(c->scans);
    em_free(c->rows.slots);
    em_free(c->ndv.slots);
    em_free(c);
}

void em__card_set_rows(em__card *c, const em_lop *p, double rows)
{
    memo_put(&c->rows, p, -1, EM_MAX(rows, 1.0));
}

static scan_info *scan_of(em__card *c, const em_lop *scan)
{
    for (int i = 0; i < c->nscans; i++)
        if (c->scans[i]->scan == scan) return c->scans[i];
    if (c->nscans == c->capscans) {
        c->capscans = c->capscans ? c->capscans * 2 : 8;
        c->scans = em_realloc(c->scans, sizeof(scan_info *) * (size_t)c->capscans);
    }
    scan_info *s = em_calloc(1, sizeof *s);
    s->scan = scan;
    c->scans[c->nscans++] = s;
    return s;
}

static bool wants(const scan_info *s, int col)
{
    for (int i = 0; i < s->nwant; i++)
        if (s->want[i] == col) return true;
    return false;
}

static void want_col(scan_info *s, int col)
{
    if (wants(s, col)) return;
    s->want = em_realloc(s->want, sizeof(int) * (size_t)(s->nwant + 1));
    int i = s->nwant++;
    while (i > 0 && s->want[i - 1] > col) {
        s->want[i] = s->want[i - 1];
        i--;
    }
    s->want[i] = col;
    s->sampled = false; /* (re)sample with this column too */
}

static void note_want(void *ctx, int col)
{
    want_col(ctx, col);
}

static double total_file_bytes(const em_scan_desc *d)
{
    double total = 0;
    for (int i = 0; d && i < d->nfiles; i++) {
        int64_t n = 0;
        em_error err = {0};
        if (em_os_file_size(d->files[i], &n, &err) == 0)
            total += (double)n;
        else
            em_error_clear(&err);
    }
    return total;
}

/* Sample the scan (again) so that every wanted column and every filter column is in it. */
static void ensure_sample(scan_info *s)
{
    if (s->sampled) return;
    const em_lop *scan = s->scan;
    for (int i = 0; i < scan->u.scan.nfilters; i++)
        em_expr_visit_columns(scan->u.scan.filters[i], note_want, s);
    drop_pass(s);
    em__sample_destroy(s->sample);
    s->sample = em__sample_scan(scan, s->want, s->nwant);
    s->sampled = true;
    s->have_sel = false;
    if (s->sample && s->sample->rows_known)
        s->base_rows = s->sample->rows;
    else if (scan->kind == EM_LOP_SCAN_TABLE)
        s->base_rows = (double)scan->u.scan.table->data.rows;
    else
        s->base_rows = total_file_bytes(scan->u.scan.desc) / 64.0; /* the binder's guess */
}

/* Index of scan output column col in the sample, or -1. */
static int sample_col(const em__sample *s, int col)
{
    for (int i = 0; s && i < s->ncols; i++)
        if (s->cols[i] == col) return i;
    return -1;
}

/* ---- distinct counts from a sample --------------------------------------- */

static uint64_t hash_value(const em_vector *v, int64_t i)
{
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_BOOLEAN:
        return em_hash_u64(EM_VEC_BOOL(v)[i], 1);
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        return em_hash_u64((uint64_t)(int64_t)EM_VEC_I32(v)[i], 1);
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        return em_hash_u64((uint64_t)EM_VEC_I64(v)[i], 1);
    case EM_TYPE_DOUBLE: {
        double d = EM_VEC_F64(v)[i];
        if (d == 0) d = 0; /* -0.0 and 0.0 are one value */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return em_hash_u64(bits, 1);
    }
    case EM_TYPE_VARCHAR: {
        int32_t len;
        const char *p = em_vector_str(v, i, &len);
        return em_hash_bytes(p, (size_t)len, 1);
    }
    case EM_TYPE_INTERVAL:
        return em_interval_hash(EM_VEC_IV(v)[i], 1);
    default:
        return 0;
    }
}

static void insertion_sort_u64(uint64_t *a, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        uint64_t x = a[i];
        int64_t j = i;
        for (; j > 0 && a[j - 1] > x; j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

/* A least-significant-digit radix sort, a byte per pass, skipping the bytes that every
 * value shares; tmp has room for n. */
static void radix_sort_u64(uint64_t *a, uint64_t *tmp, int64_t n)
{
    int64_t(*cnt)[256] = em_calloc(8, sizeof *cnt);
    for (int64_t i = 0; i < n; i++)
        for (int d = 0; d < 8; d++) cnt[d][(a[i] >> (8 * d)) & 255]++;
    uint64_t *src = a, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        if (cnt[d][(src[0] >> (8 * d)) & 255] == n) continue;
        int64_t at = 0;
        for (int k = 0; k < 256; k++) {
            int64_t c = cnt[d][k];
            cnt[d][k] = at;
            at += c;
        }
        for (int64_t i = 0; i < n; i++) dst[cnt[d][(src[i] >> (8 * d)) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, sizeof *a * (size_t)n);
    em_free(cnt);
}

/* Sort n hashes ascending; tmp has room for n. With qsort's comparison calls these sorts
 * were a visible share of planning a many-join query. Hashes are spread evenly, so one
 * pass over their top bits leaves buckets of a few values each, finished by insertion;
 * a bucket that is large all the same (many copies of one value) is radix sorted. */
static void sort_u64(uint64_t *a, uint64_t *tmp, int64_t n)
{
    if (n < 64) {
        insertion_sort_u64(a, n);
        return;
    }
    int bits = 1;
    while (bits < 16 && ((int64_t)8 << bits) < n) bits++;
    int shift = 64 - bits;
    int64_t nb = (int64_t)1 << bits;
    int64_t *end = em_calloc((size_t)nb + 1, sizeof *end);
    for (int64_t i = 0; i < n; i++) end[(a[i] >> shift) + 1]++;
    for (int64_t k = 0; k < nb; k++) end[k + 1] += end[k];
    for (int64_t i = 0; i < n; i++) tmp[end[a[i] >> shift]++] = a[i];
    /* end[k] is now where bucket k ends (and k + 1 starts); a is free as scratch. */
    int64_t lo = 0;
    for (int64_t k = 0; k < nb; k++) {
        int64_t hi = end[k];
        if (hi - lo > 64)
            radix_sort_u64(tmp + lo, a + lo, hi - lo);
        else
            insertion_sort_u64(tmp + lo, hi - lo);
        lo = hi;
    }
    memcpy(a, tmp, sizeof *a * (size_t)n);
    em_free(end);
}

/* Distinct non-NULL combinations of sample columns ks[0..n) over the whole scan
 * (before its filters); *nonnull_frac receives the share of rows without NULLs. */
static double sample_ndv(const em__sample *s, uint8_t *const *pass, double base_rows, const int *ks,
                         int n, double *nonnull_frac)
{
    int64_t total = 0;
    for (int b = 0; b < s->nbatches; b++)
        for (int64_t r = 0; r < s->batches[b]->nrows; r++) total += !pass || pass[b][r];
    *nonnull_frac = 1;
    if (total == 0) return 1;
    /* Per chunk: sorted distinct hashes; then all chunks' distinct hashes. */
    uint64_t *h = em_malloc(sizeof(uint64_t) * (size_t)total);
    uint64_t *all = em_malloc(sizeof(uint64_t) * (size_t)total);
    uint64_t *tmp = em_malloc(sizeof(uint64_t) * (size_t)total);
    int64_t nall = 0, nonnull = 0, chunks_seen = 0;
    for (int b = 0; b < s->nbatches;) {
        int chunk = s->chunk[b];
        int64_t nh = 0;
        for (; b < s->nbatches && s->chunk[b] == chunk; b++) {
            const em_batch *batch = s->batches[b];
            for (int64_t r = 0; r < batch->nrows; r++) {
                if (pass && !pass[b][r]) continue;
                uint64_t x = 0;
                bool null = false;
                for (int k = 0; k < n && !null; k++) {
                    const em_vector *v = batch->cols[ks[k]];
                    null = !em_vector_is_valid(v, r);
                    x = em_hash_combine(x, hash_value(v, r));
                }
                if (!null) h[nh++] = x;
            }
        }
        nonnull += nh;
        if (nh == 0) continue;
        chunks_seen++;
        sort_u64(h, tmp, nh);
        for (int64_t i = 0; i < nh; i++)
            if (i == 0 || h[i] != h[i - 1]) all[nall++] = h[i];
    }
    em_free(h);
    *nonnull_frac = (double)nonnull / (double)total;
    if (nonnull == 0) {
        em_free(tmp);
        em_free(all);
        return 1;
    }
    sort_u64(all, tmp, nall);
    em_free(tmp);
    double d = 0, q1 = 0, q2 = 0;
    for (int64_t i = 0; i < nall;) {
        int64_t j = i;
        while (j < nall && all[j] == all[i]) j++;
        d++;
        if (j - i == 1) q1++;
        if (j - i == 2) q2++;
        i = j;
    }
    double rho = (double)nonnull / (double)nall; /* repetition inside a chunk */
    em_free(all);
    if (s->complete) return d;
    /* No value seen in two chunks: as distinct as the repetition inside chunks allows. */
    double rows = base_rows * *nonnull_frac;
    double k = (double)chunks_seen;
    double est = q1 == 0 ? d : q2 > 0 ? d + (k - 1) / k * q1 * q1 / (2 * q2) : rows;
    est = EM_MIN(est, rows / rho);
    return EM_MAX(est, d);
}

/* Selectivity of the scan's filters over its sample. */
static double sample_selectivity(em__card *c, scan_info *s, bool *ok)
{
    const em_lop *scan = s->scan;
    const em__sample *sm = s->sample;
    *ok = false;
    if (scan->u.scan.nfilters == 0) {
        *ok = true;
        return 1;
    }
    if (!sm || sm->nbatches == 0) {
        *ok = sm && sm->complete;
        return *ok ? 0 : 1; /* a complete sample with no rows: nothing passes */
    }
    int nout = scan->schema->nfields;
    int *map = em_arena_alloc(c->a, sizeof(int) * (size_t)(nout + 1));
    for (int i = 0; i < nout; i++) map[i] = sample_col(sm, i);
    em_expr *pred =
        em_expr_new(c->a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), scan->u.scan.nfilters);
    /* Every filter column was sampled: ensure_sample wants them. */
    for (int i = 0; i < scan->u.scan.nfilters; i++) {
        pred->args[i] = em_expr_copy(c->a, scan->u.scan.filters[i]);
        em_expr_remap_columns(pred->args[i], map);
    }
    int64_t pass = 0, total = 0;
    s->pass = em_calloc((size_t)sm->nbatches, sizeof(uint8_t *));
    for (int b = 0; b < sm->nbatches; b++) {
        const em_batch *batch = sm->batches[b];
        int32_t *sel = em_malloc(sizeof(int32_t) * (size_t)(batch->nrows + 1));
        int64_t nsel = 0;
        em_error err = {0};
        int rc = em_expr_select(pred, batch, sel, &nsel, &err);
        s->pass[b] = em_calloc((size_t)(batch->nrows + 1), 1);
        for (int64_t i = 0; rc == 0 && i < nsel; i++) s->pass[b][sel[i]] = 1;
        em_free(sel);
        if (rc < 0) {
            em_error_clear(&err);
            drop_pass(s);
            return 1;
        }
        pass += nsel;
        total += batch->nrows;
    }
    *ok = true;
    if (sm->complete) return (double)pass / (double)total;
    /* Nothing passed in the sample: fewer than one row in `total`. */
    return (double)EM_MAX((double)pass, 0.5) / (double)total;
}

/* ---- selectivity of predicates ------------------------------------------- */

/* The single column an expression is a (cast of a) column of, or -1. */
static int column_of(const em_expr *e)
{
    while (e->kind == EM_EXPR_CAST) e = e->args[0];
    return e->kind == EM_EXPR_COLUMN ? e->column : -1;
}

typedef struct col_count {
    int n, last;
} col_count;

static void count_col(void *ctx, int col)
{
    col_count *cc = ctx;
    cc->n++;
    cc->last = col;
}

/* Distinct values an expression can take: that of its only column, else unknown (0). */
static double expr_ndv(const em_expr *e, em__ndv_fn ndv, void *ctx)
{
    int col = column_of(e);
    if (col >= 0) return ndv(ctx, col);
    if (e->kind == EM_EXPR_CONST) return 1;
    col_count cc = {0, -1};
    em_expr_visit_columns(e, count_col, &cc);
    return cc.n == 1 ? ndv(ctx, cc.last) : 0;
}

static bool has_columns(const em_expr *e)
{
    col_count cc = {0, -1};
    em_expr_visit_columns(e, count_col, &cc);
    return cc.n > 0;
}

static double clamp01(double s)
{
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

static double eq_selectivity(const em_expr *x, const em_expr *y, em__ndv_fn ndv, void *ctx)
{
    bool cx = has_columns(x), cy = has_columns(y);
    double dx = cx ? expr_ndv(x, ndv, ctx) : 1, dy = cy ? expr_ndv(y, ndv, ctx) : 1;
    if (cx && cy) {
        double d = EM_MAX(dx, dy);
        return d > 0 ? 1 / d : 0.1;
    }
    double d = cx ? dx : dy;
    return d > 0 ? 1 / d : 0.1;
}

double em__card_selectivity(const em_expr *e, em__ndv_fn ndv, void *ctx)
{
    switch (e->kind) {
    case EM_EXPR_AND: {
        double s = 1;
        for (int i = 0; i < e->nargs; i++) s *= em__card_selectivity(e->args[i], ndv, ctx);
        return s;
    }
    case EM_EXPR_OR: {
        double none = 1;
        for (int i = 0; i < e->nargs; i++) none *= 1 - em__card_selectivity(e->args[i], ndv, ctx);
        return clamp01(1 - none);
    }
    case EM_EXPR_NOT:
        return clamp01(1 - em__card_selectivity(e->args[0], ndv, ctx));
    case EM_EXPR_CONST:
        return !e->value.is_null && e->type.id == EM_TYPE_BOOLEAN && e->value.v.b ? 1 : 0;
    case EM_EXPR_IS_NULL:
        return e->negated ? 0.95 : 0.05;
    case EM_EXPR_IN_LIST: {
        double d = expr_ndv(e->args[0], ndv, ctx);
        double s = d > 0 ? EM_MIN(1.0, (e->nargs - 1) / d) : 0.25;
        return e->negated ? 1 - s : s;
    }
    case EM_EXPR_LIKE:
        return e->negated ? 0.9 : 0.1;
    case EM_EXPR_CALL: {
        const char *f = e->func ? e->func->name : "";
        if (e->nargs == 2 && strcmp(f, "=") == 0)
            return eq_selectivity(e->args[0], e->args[1], ndv, ctx);
        if (e->nargs == 2 && (strcmp(f, "<>") == 0 || strcmp(f, "!=") == 0))
            return 1 - eq_selectivity(e->args[0], e->args[1], ndv, ctx);
        if (e->nargs == 2 && (strcmp(f, "<") == 0 || strcmp(f, "<=") == 0 || strcmp(f, ">") == 0 ||
                              strcmp(f, ">=") == 0))
            return 1.0 / 3;
        return 0.25;
    }
    default:
        return 0.5;
    }
}

/* ---- rows and distinct counts of plan nodes ------------------------------ */

typedef struct child_ndv {
    em__card *c;
    const em_lop *p;
} child_ndv;

static double ndv_cb(void *ctx, int col)
{
    child_ndv *cn = ctx;
    return em__card_ndv(cn->c, cn->p, col);
}

/* ndv of a join's input column (over [left..., right...]). */
typedef struct join_ndv {
    em__card *c;
    const em_lop *l, *r;
    int L;
} join_ndv;

static double join_ndv_cb(void *ctx, int col)
{
    join_ndv *j = ctx;
    return col < j->L ? em__card_ndv(j->c, j->l, col) : em__card_ndv(j->c, j->r, col - j->L);
}

typedef struct uses_ctx {
    int col;
    bool found;
} uses_ctx;

static void note_use(void *ctx, int col)
{
    uses_ctx *u = ctx;
    u->found = u->found || col == u->col;
}

static bool uses(const em_expr *e, int col)
{
    uses_ctx u = {col, false};
    em_expr_visit_columns(e, note_use, &u);
    return u.found;
}

/* Distinct values of d left after a filter that keeps `sel` of n rows. */
static double filtered_ndv(double d, double n, double sel)
{
    if (sel >= 1 || d <= 0) return d;
    double per = n > d ? n / d : 1;
    return d * (1 - pow(1 - sel, per));
}

static double unknown_ndv(void *ctx, int col)
{
    EM_UNUSED(ctx);
    EM_UNUSED(col);
    return 0;
}

static scan_info *sampled_scan(em__card *c, const em_lop *scan)
{
    scan_info *s = scan_of(c, scan);
    ensure_sample(s);
    if (!s->have_sel) {
        bool ok;
        s->sel = sample_selectivity(c, s, &ok);
        if (!ok) {
            /* No sample to run them on: the textbook rules' defaults. */
            s->sel = 1;
            for (int i = 0; i < scan->u.scan.nfilters; i++)
                s->sel *= em__card_selectivity(scan->u.scan.filters[i], unknown_ndv, NULL);
        }
        s->have_sel = true;
    }
    return s;
}

/* Share of the left rows of a semi join that find a match. */
static double match_fraction(em__card *c, const em_lop *p)
{
    const em_lop *l = p->children[0], *r = p->children[1];
    int L = l->schema->nfields;
    const em_expr *cond = p->u.join.cond;
    if (!cond) return 1;
    const em_expr *const *conj = (const em_expr *const *)&cond;
    int n = 1;
    if (cond->kind == EM_EXPR_AND) {
        conj = (const em_expr *const *)cond->args;
        n = cond->nargs;
    }
    double frac = 1;
    bool keyed = false;
    for (int i = 0; i < n; i++) {
        const em_expr *e = conj[i];
        if (e->kind != EM_EXPR_CALL || e->nargs != 2 || strcmp(e->func->name, "=") != 0) continue;
        int x = column_of(e->args[0]), y = column_of(e->args[1]);
        if (x < 0 || y < 0 || (x < L) == (y < L)) continue;
        int lc = x < L ? x : y, rc = (x < L ? y : x) - L;
        double dl = em__card_ndv(c, l, lc), dr = em__card_ndv(c, r, rc);
        frac = EM_MIN(frac, EM_MIN(1.0, dr / dl));
        keyed = true;
    }
    return keyed ? frac : 0.5;
}

static double rows_of(em__card *c, const em_lop *p)
{
    switch (p->kind) {
    case EM_LOP_SCAN_FILE:
    case EM_LOP_SCAN_TABLE: {
        scan_info *s = sampled_scan(c, p);
        return s->base_rows * s->sel;
    }
    case EM_LOP_VALUES:
        return p->u.values.nrows;
    case EM_LOP_FILTER: {
        child_ndv cn = {c, p->children[0]};
        return em__card_rows(c, p->children[0]) *
               em__card_selectivity(p->u.filter.pred, ndv_cb, &cn);
    }
    case EM_LOP_PROJECT:
    case EM_LOP_SORT:
    case EM_LOP_WINDOW:
        return em__card_rows(c, p->children[0]);
    case EM_LOP_LIMIT: {
        double r = em__card_rows(c, p->children[0]);
        return p->u.limit.limit >= 0 ? EM_MIN(r, (double)p->u.limit.limit) : r;
    }
    case EM_LOP_UNION: {
        double r = 0;
        for (int i = 0; i < p->nchildren; i++) r += em__card_rows(c, p->children[i]);
        return r;
    }
    case EM_LOP_AGGREGATE: {
        if (p->u.agg.nkeys == 0) return 1;
        const em_lop *ch = p->children[0];
        double in = em__card_rows(c, ch), groups = 1;
        child_ndv cn = {c, ch};
        for (int i = 0; i < p->u.agg.nkeys; i++) {
            double d = expr_ndv(p->u.agg.keys[i], ndv_cb, &cn);
            groups *= d > 0 ? d : in / 10;
            if (groups >= in) break;
        }
        return EM_MIN(groups, in);
    }
    case EM_LOP_JOIN: {
        const em_lop *l = p->children[0], *r = p->children[1];
        double lr = em__card_rows(c, l), rr = em__card_rows(c, r);
        em_join_kind k = p->u.join.kind;
        if (k == EM_JOIN_KIND_SEMI) return lr * match_fraction(c, p);
        if (k == EM_JOIN_KIND_ANTI || k == EM_JOIN_KIND_ANTI_NULL_AWARE)
            return lr * EM_MAX(1 - match_fraction(c, p), 0.1);
        join_ndv jn = {c, l, r, l->schema->nfields};
        double inner = p->u.join.cond
                           ? lr * rr * em__card_selectivity(p->u.join.cond, join_ndv_cb, &jn)
                           : lr * rr;
        if (k == EM_JOIN_KIND_LEFT) return EM_MAX(inner, lr);
        if (k == EM_JOIN_KIND_RIGHT) return EM_MAX(inner, rr);
        if (k == EM_JOIN_KIND_FULL) return EM_MAX(inner, EM_MAX(lr, rr));
        return inner;
    }
    default:
        break;
    }
    /* A node these rules do not know: its input's rows, or the binder's guess. */
    if (p->nchildren == 1) return em__card_rows(c, p->children[0]);
    return p->est_rows >= 0 ? p->est_rows : 1e6;
}

double em__card_rows(em__card *c, const em_lop *p)
{
    memo_entry *e = memo_find(&c->rows, p, -1);
    if (e) return e->value;
    double r = rows_of(c, p);
    if (!(r >= 1)) r = 1; /* also NaN */
    memo_put(&c->rows, p, -1, r);
    return r;
}

/* Distinct combinations of output columns cols[0..n) of p, before capping. */
static double ndv_of(em__card *c, const em_lop *p, const int *cols, int n)
{
    switch (p->kind) {
    case EM_LOP_SCAN_FILE:
    case EM_LOP_SCAN_TABLE: {
        scan_info *s = scan_of(c, p);
        for (int i = 0; i < n; i++) want_col(s, cols[i]); /* resampled if new */
        s = sampled_scan(c, p);
        int *ks = em_arena_alloc(c->a, sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++) {
            ks[i] = sample_col(s->sample, cols[i]);
            if (ks[i] < 0) return s->base_rows * s->sel; /* no sample: unique */
        }
        double nonnull;
        /* A column the filters use is counted among the rows that pass them (a
         * filter on it removes values, not just rows); any other is taken to be
         * independent of the filters. */
        bool filtered = false;
        for (int i = 0; i < p->u.scan.nfilters && !filtered; i++)
            for (int k = 0; k < n && !filtered; k++) filtered = uses(p->u.scan.filters[i], cols[k]);
        if (filtered && s->pass)
            return sample_ndv(s->sample, s->pass, s->base_rows * s->sel, ks, n, &nonnull);
        double d = sample_ndv(s->sample, NULL, s->base_rows, ks, n, &nonnull);
        return filtered_ndv(d, s->base_rows * nonnull, s->sel);
    }
    case EM_LOP_PROJECT: {
        int *m = em_arena_alloc(c->a, sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++) {
            const em_expr *e = p->u.project.exprs[cols[i]];
            if (e->kind == EM_EXPR_CONST) return n == 1 ? 1 : 0;
            m[i] = column_of(e);
            if (m[i] < 0) {
                if (n > 1) return 0;
                child_ndv cn = {c, p->children[0]};
                return expr_ndv(e, ndv_cb, &cn);
            }
        }
        return em__card_ndv_multi(c, p->children[0], m, n);
    }
    case EM_LOP_FILTER: {
        const em_lop *ch = p->children[0];
        double d = em__card_ndv_multi(c, ch, cols, n), in = em__card_rows(c, ch);
        return filtered_ndv(d, in, em__card_rows(c, p) / in);
    }
    case EM_LOP_SORT:
    case EM_LOP_LIMIT:
        return em__card_ndv_multi(c, p->children[0], cols, n);
    case EM_LOP_WINDOW: {
        int nin = p->children[0]->schema->nfields;
        for (int i = 0; i < n; i++)
            if (cols[i] >= nin) return 0;
        return em__card_ndv_multi(c, p->children[0], cols, n);
    }
    case EM_LOP_AGGREGATE: {
        int nk = p->u.agg.nkeys;
        int *m = em_arena_alloc(c->a, sizeof(int) * (size_t)n);
        int covered = 0;
        for (int i = 0; i < n; i++) {
            if (cols[i] >= nk) return 0;
            covered++;
            m[i] = column_of(p->u.agg.keys[cols[i]]);
        }
        if (covered == nk) return em__card_rows(c, p); /* every key: the groups are distinct */
        for (int i = 0; i < n; i++)
            if (m[i] < 0) return 0;
        return em__card_ndv_multi(c, p->children[0], m, n);
    }
    case EM_LOP_JOIN: {
        int L = p->children[0]->schema->nfields;
        bool left = true, right = true;
        for (int i = 0; i < n; i++) {
            left = left && cols[i] < L;
            right = right && cols[i] >= L;
        }
        if (left) return em__card_ndv_multi(c, p->children[0], cols, n);
        if (right) {
            int *m = em_arena_alloc(c->a, sizeof(int) * (size_t)n);
            for (int i = 0; i < n; i++) m[i] = cols[i] - L;
            return em__card_ndv_multi(c, p->children[1], m, n);
        }
        return 0;
    }
    case EM_LOP_UNION: {
        double d = 0;
        for (int i = 0; i < p->nchildren; i++) d += em__card_ndv_multi(c, p->children[i], cols, n);
        return d;
    }
    default:
        return 0;
    }
}

double em__card_ndv_multi(em__card *c, const em_lop *p, const int *cols, int n)
{
    /* Key: the column, or a hash of the sorted columns (never -1, the rows' key). */
    int *s = em_arena_alloc(c->a, sizeof(int) * (size_t)(n + 1));
    memcpy(s, cols, sizeof(int) * (size_t)n);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
            int t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    int64_t key = s[0];
    if (n > 1) {
        uint64_t h = 0;
        for (int i = 0; i < n; i++) h = em_hash_combine(h, em_hash_u64((uint64_t)s[i], 7));
        key = -2 - (int64_t)(h >> 2);
    }
    memo_entry *e = memo_find(&c->ndv, p, key);
    if (e) return e->value;
    double rows = em__card_rows(c, p);
    double d = ndv_of(c, p, s, n);
    if (!(d > 0)) {
        /* Unknown: each column's own count, multiplied; a single column is taken as unique. */
        d = 1;
        if (n > 1)
            for (int i = 0; i < n && d < rows; i++) d *= em__card_ndv(c, p, s[i]);
        else
            d = rows;
    }
    d = EM_MAX(1.0, EM_MIN(d, rows));
    memo_put(&c->ndv, p, key, d);
    return d;
}

double em__card_ndv(em__card *c, const em_lop *p, int col)
{
    return em__card_ndv_multi(c, p, &col, 1);
}

/* ---- wanted columns and annotation ---------------------------------------- */

static void want(em__card *c, const em_lop *p, int col);

typedef struct want_ctx {
    em__card *c;
    const em_lop *p;
} want_ctx;

static void want_cb(void *ctx, int col)
{
    want_ctx *w = ctx;
    want(w->c, w->p, col);
}

static void want_expr(em__card *c, const em_lop *p, const em_expr *e)
{
    want_ctx w = {c, p};
    if (e) em_expr_visit_columns(e, want_cb, &w);
}

/* Note that the distinct count of p's column col will be asked for, so that
 * the scan it comes from samples it with the others in one pass. */
static void want(em__card *c, const em_lop *p, int col)
{
    switch (p->kind) {
    case EM_LOP_SCAN_FILE:
    case EM_LOP_SCAN_TABLE:
        want_col(scan_of(c, p), col);
        return;
    case EM_LOP_PROJECT:
        want_expr(c, p->children[0], p->u.project.exprs[col]);
        return;
    case EM_LOP_FILTER:
    case EM_LOP_SORT:
    case EM_LOP_LIMIT:
        want(c, p->children[0], col);
        return;
    case EM_LOP_WINDOW:
        if (col < p->children[0]->schema->nfields) want(c, p->children[0], col);
        return;
    case EM_LOP_AGGREGATE:
        if (col < p->u.agg.nkeys) want_expr(c, p->children[0], p->u.agg.keys[col]);
        return;
    case EM_LOP_JOIN: {
        int L = p->children[0]->schema->nfields;
        if (col < L)
            want(c, p->children[0], col);
        else
            want(c, p->children[1], col - L);
        return;
    }
    case EM_LOP_UNION:
        for (int i = 0; i < p->nchildren; i++) want(c, p->children[i], col);
        return;
    default:
        return;
    }
}

void em__card_prepare(em__card *c, const em_lop *p)
{
    for (int i = 0; i < p->nchildren; i++) em__card_prepare(c, p->children[i]);
    if (p->kind == EM_LOP_JOIN) {
        want_expr(c, p, p->u.join.cond);
    } else if (p->kind == EM_LOP_AGGREGATE) {
        for (int i = 0; i < p->u.agg.nkeys; i++) want_expr(c, p->children[0], p->u.agg.keys[i]);
    }
}

void em__card_annotate(em__card *c, em_lop *p)
{
    for (int i = 0; i < p->nchildren; i++) em__card_annotate(c, p->children[i]);
    if (p->kind != EM_LOP_JOIN) return;
    for (int i = 0; i < 2; i++) p->children[i]->est_rows = em__card_rows(c, p->children[i]);
    p->est_rows = em__card_rows(c, p);
}
