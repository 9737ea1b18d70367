/*
 * optimizer.c — rule-based rewrites of the logical plan:
 *   1. constant folding of every expression (an error while folding, such as
 *      1/0, is left for run time so that it is raised only if the row is reached);
 *   2. predicate pushdown: filters split into conjuncts and moved through
 *      projections (by substitution), sorts, unions and aggregations (conjuncts on
 *      group keys only) down into scans, plus what a join's conditions imply for
 *      each side (transitive filters, the per-side parts of an OR);
 *   3. join ordering by estimated cost (join_order.c, on the estimates of
 *      cardinality.c), which also annotates every join's inputs with their rows;
 *   4. projection pruning: every node keeps only the columns someone above
 *      needs, so that scans parse only the columns a query reads.
 * Rules build new nodes; the input plan is not modified.
 */
#include "sql/optimizer/optimizer.h"

#include <string.h>

#include "sql/optimizer/stats.h"

/* ---- constant folding ---------------------------------------------------- */

static em_expr *fold(em_arena *a, em_expr *e)
{
    if (!e || e->kind == EM_EXPR_CONST || e->kind == EM_EXPR_COLUMN) return e;
    em_expr *c = em_arena_alloc(a, sizeof(em_expr));
    *c = *e;
    if (e->nargs) {
        c->args = em_arena_alloc(a, sizeof(em_expr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) c->args[i] = fold(a, e->args[i]);
    }
    if (em_expr_is_foldable(c)) {
        em_error err = {0};
        em_value v;
        if (em_expr_eval_const(c, a, &v, &err) == 0) {
            em_expr *k = em_expr_const(a, v);
            k->type = c->type;
            return k;
        }
    }
    return c;
}

static void fold_plan(em_arena *a, em_lop *p)
{
    for (int i = 0; i < p->nchildren; i++) fold_plan(a, p->children[i]);
    switch (p->kind) {
    case EM_LOP_FILTER:
        p->u.filter.pred = fold(a, p->u.filter.pred);
        break;
    case EM_LOP_PROJECT:
        for (int i = 0; i < p->u.project.nexprs; i++)
            p->u.project.exprs[i] = fold(a, p->u.project.exprs[i]);
        break;
    case EM_LOP_JOIN:
        p->u.join.cond = fold(a, p->u.join.cond);
        break;
    case EM_LOP_UNNEST: {
        em_unnest_spec *sp = &p->u.unnest.spec;
        sp->str = fold(a, (em_expr *)sp->str);
        sp->sep = fold(a, (em_expr *)sp->sep);
        sp->extra = fold(a, (em_expr *)sp->extra);
        break;
    }
    case EM_LOP_AGGREGATE:
        for (int i = 0; i < p->u.agg.nkeys; i++) p->u.agg.keys[i] = fold(a, p->u.agg.keys[i]);
        for (int i = 0; i < p->u.agg.naggs; i++) {
            p->u.agg.aggs[i].arg = fold(a, p->u.agg.aggs[i].arg);
            p->u.agg.aggs[i].arg2 = fold(a, p->u.agg.aggs[i].arg2);
            p->u.agg.aggs[i].filter = fold(a, p->u.agg.aggs[i].filter);
        }
        break;
    default:
        break;
    }
}

/* ---- predicate pushdown ------------------------------------------------- */

typedef struct conj_list {
    int n, cap;
    em_expr **items;
} conj_list;

static void conj_push(em_arena *a, conj_list *l, em_expr *e)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 8;
        em_expr **n = em_arena_alloc(a, sizeof(em_expr *) * (size_t)ncap);
        if (l->n) memcpy(n, l->items, sizeof(em_expr *) * (size_t)l->n);
        l->items = n;
        l->cap = ncap;
    }
    l->items[l->n++] = e;
}

static void split_conjuncts(em_arena *a, em_expr *e, conj_list *out);
static em_expr *and_all(em_arena *a, em_expr **items, int n);

/* (A AND B) OR (A AND C) is A AND (B OR C): a join condition repeated in every
 * branch of an OR (TPC-H Q19) becomes a join key instead of a cross product. */
static em_expr *factor_or(em_arena *a, em_expr *e, conj_list *common)
{
    int n = e->nargs;
    conj_list *br = em_arena_calloc(a, sizeof(conj_list) * (size_t)n);
    for (int i = 0; i < n; i++) split_conjuncts(a, e->args[i], &br[i]);
    bool **used = em_arena_alloc(a, sizeof(bool *) * (size_t)n);
    for (int i = 0; i < n; i++) used[i] = em_arena_calloc(a, sizeof(bool) * (size_t)(br[i].n + 1));
    for (int k = 0; k < br[0].n; k++) {
        int *at = em_arena_alloc(a, sizeof(int) * (size_t)n);
        bool everywhere = true;
        for (int i = 1; i < n && everywhere; i++) {
            at[i] = -1;
            for (int j = 0; j < br[i].n && at[i] < 0; j++)
                if (!used[i][j] && em_expr_equal(br[0].items[k], br[i].items[j])) at[i] = j;
            everywhere = at[i] >= 0;
        }
        if (!everywhere) continue;
        used[0][k] = true;
        for (int i = 1; i < n; i++) used[i][at[i]] = true;
        conj_push(a, common, br[0].items[k]);
    }
    if (common->n == 0) return e;
    em_expr *o = em_expr_new(a, EM_EXPR_OR, e->type, n);
    for (int i = 0; i < n; i++) {
        conj_list rest = {0};
        for (int j = 0; j < br[i].n; j++)
            if (!used[i][j]) conj_push(a, &rest, br[i].items[j]);
        if (rest.n == 0) return NULL; /* a branch is only the common part: the OR is true */
        o->args[i] = and_all(a, rest.items, rest.n);
    }
    return o;
}

static void split_conjuncts(em_arena *a, em_expr *e, conj_list *out)
{
    if (e->kind == EM_EXPR_AND) {
        for (int i = 0; i < e->nargs; i++) split_conjuncts(a, e->args[i], out);
        return;
    }
    if (e->kind == EM_EXPR_OR && e->nargs > 1) {
        conj_list common = {0};
        em_expr *rest = factor_or(a, e, &common);
        if (common.n > 0) {
            for (int i = 0; i < common.n; i++) conj_push(a, out, common.items[i]);
            if (rest) conj_push(a, out, rest);
            return;
        }
    }
    /* A constant TRUE conjunct filters nothing. */
    if (e->kind == EM_EXPR_CONST && !e->value.is_null && e->type.id == EM_TYPE_BOOLEAN &&
        e->value.v.b)
        return;
    conj_push(a, out, e);
}

static em_expr *and_all(em_arena *a, em_expr **items, int n)
{
    if (n == 1) return items[0];
    em_expr *e = em_expr_new(a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), n);
    memcpy(e->args, items, sizeof(em_expr *) * (size_t)n);
    return e;
}

static em_lop *wrap_filter(em_arena *a, em_lop *child, conj_list *conj)
{
    if (conj->n == 0) return child;
    em_lop *f = em_lop_new(a, EM_LOP_FILTER, 1);
    f->children[0] = child;
    f->schema = child->schema;
    f->u.filter.pred = and_all(a, conj->items, conj->n);
    f->est_rows = child->est_rows >= 0 ? child->est_rows * 0.5 : -1;
    return f;
}

/* Replace column references by the expressions they name. */
static em_expr *substitute(em_arena *a, const em_expr *e, em_expr *const *by)
{
    if (e->kind == EM_EXPR_COLUMN) return em_expr_copy(a, by[e->column]);
    em_expr *c = em_arena_alloc(a, sizeof(em_expr));
    *c = *e;
    if (e->nargs) {
        c->args = em_arena_alloc(a, sizeof(em_expr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) c->args[i] = substitute(a, e->args[i], by);
    }
    return c;
}

typedef struct max_col {
    int max;
} max_col;
static void note_max(void *ctx, int c)
{
    max_col *m = ctx;
    if (c > m->max) m->max = c;
}
static int max_column(const em_expr *e)
{
    max_col m = {-1};
    em_expr_visit_columns(e, note_max, &m);
    return m.max;
}

static void note_min(void *ctx, int c)
{
    max_col *m = ctx;
    if (c < m->max) m->max = c;
}
/* Smallest column referenced, or INT32_MAX when none. */
static int min_column(const em_expr *e)
{
    max_col m = {INT32_MAX};
    em_expr_visit_columns(e, note_min, &m);
    return m.max;
}

/* A copy of e with every column c renumbered to c - shift. */
static em_expr *shifted(em_arena *a, const em_expr *e, int ncols, int shift)
{
    int *map = em_arena_alloc(a, sizeof(int) * (size_t)(ncols + 1));
    for (int i = 0; i < ncols; i++) map[i] = i - shift;
    em_expr *c = em_expr_copy(a, e);
    em_expr_remap_columns(c, map);
    return c;
}

static em_lop *copy_node(em_arena *a, const em_lop *p)
{
    em_lop *c = em_arena_alloc(a, sizeof(em_lop));
    *c = *p;
    c->children = em_arena_alloc(a, sizeof(em_lop *) * (size_t)(p->nchildren ? p->nchildren : 1));
    for (int i = 0; i < p->nchildren; i++) c->children[i] = p->children[i];
    return c;
}

static em_lop *push_down(em_arena *a, em_lop *p, conj_list *pending);

/* Transitive predicates: with l.x = r.y in the join condition, a filter on l.x
 * alone (l.x > 5, l.x IN (...)) also holds for r.y, and the other way round,
 * so each side can be filtered before the join. Only where it is sound: both
 * directions for INNER and SEMI, left to right for LEFT. */
static bool has_conj(conj_list *l, const em_expr *e)
{
    for (int i = 0; i < l->n; i++)
        if (em_expr_equal(l->items[i], e)) return true;
    return false;
}

static void copy_over(em_arena *a, conj_list *from, conj_list *to, int col_from, int col_to,
                      int ncols)
{
    int n = from->n;
    for (int i = 0; i < n; i++) {
        em_expr *e = from->items[i];
        if (min_column(e) != col_from || max_column(e) != col_from) continue;
        int *map = em_arena_alloc(a, sizeof(int) * (size_t)(ncols + 1));
        for (int c = 0; c < ncols; c++) map[c] = c == col_from ? col_to : c;
        em_expr *d = em_expr_copy(a, e);
        em_expr_remap_columns(d, map);
        if (!has_conj(to, d)) conj_push(a, to, d);
    }
}

static void derive_transitive(em_arena *a, em_join_kind k, int L, int R, conj_list *cond,
                              conj_list *left, conj_list *right)
{
    if (k != EM_JOIN_KIND_INNER && k != EM_JOIN_KIND_SEMI && k != EM_JOIN_KIND_LEFT) return;
    int n = cond->n;
    for (int i = 0; i < n; i++) {
        em_expr *e = cond->items[i];
        if (e->kind != EM_EXPR_CALL || strcmp(e->func->name, "=") != 0 || e->nargs != 2) continue;
        em_expr *x = e->args[0], *y = e->args[1];
        if (x->kind != EM_EXPR_COLUMN || y->kind != EM_EXPR_COLUMN) continue;
        if (!em_type_equal(x->type, y->type)) continue;
        int lc = x->column < L ? x->column : y->column, rc = x->column < L ? y->column : x->column;
        if (lc >= L || rc < L) continue;
        int nl = left->n, nr = right->n;
        /* left filters are over the left's columns; right filters over the right's */
        conj_list lsnap = {.n = nl, .cap = nl, .items = left->items};
        conj_list rsnap = {.n = nr, .cap = nr, .items = right->items};
        copy_over(a, &lsnap, right, lc, rc - L, L + R);
        if (k != EM_JOIN_KIND_LEFT) copy_over(a, &rsnap, left, rc - L, lc, L + R);
    }
}

/* What an OR across both sides implies for one side: (a1 AND b1) OR (a2 AND b2),
 * with a over the left and b over the right, implies (a1 OR a2) on the left and
 * (b1 OR b2) on the right (TPC-H Q07's nation pair, Q19's part and lineitem).
 * The OR stays in the join; the implied filters only cut each side before it.
 * NULL when some branch says nothing about the side [lo, hi]. */
static em_expr *or_implied(em_arena *a, const em_expr *e, int lo, int hi)
{
    em_expr *o = em_expr_new(a, EM_EXPR_OR, e->type, e->nargs);
    for (int i = 0; i < e->nargs; i++) {
        conj_list br = {0}, mine = {0};
        split_conjuncts(a, e->args[i], &br);
        for (int j = 0; j < br.n; j++) {
            int cmin = min_column(br.items[j]), cmax = max_column(br.items[j]);
            if (cmin != INT32_MAX && cmin >= lo && cmax <= hi) conj_push(a, &mine, br.items[j]);
        }
        if (mine.n == 0) return NULL;
        o->args[i] = and_all(a, mine.items, mine.n);
    }
    return o;
}

static void derive_from_ors(em_arena *a, em_join_kind k, int L, int R, conj_list *cond,
                            conj_list *left, conj_list *right)
{
    /* Sound on a side whose rows without a match are dropped. */
    bool to_left = k == EM_JOIN_KIND_INNER || k == EM_JOIN_KIND_RIGHT || k == EM_JOIN_KIND_SEMI;
    bool to_right = k == EM_JOIN_KIND_INNER || k == EM_JOIN_KIND_LEFT ||
                    k == EM_JOIN_KIND_SEMI || k == EM_JOIN_KIND_ANTI;
    for (int i = 0; i < cond->n; i++) {
        em_expr *e = cond->items[i];
        if (e->kind != EM_EXPR_OR) continue;
        em_expr *l = to_left ? or_implied(a, e, 0, L - 1) : NULL;
        em_expr *r = to_right ? or_implied(a, e, L, L + R - 1) : NULL;
        if (l && !has_conj(left, l)) conj_push(a, left, l);
        if (r) {
            r = shifted(a, r, L + R, L);
            if (!has_conj(right, r)) conj_push(a, right, r);
        }
    }
}

/* Optimize a subtree with no predicates arriving from above. */
static em_lop *push_fresh(em_arena *a, em_lop *p)
{
    conj_list none = {0};
    return push_down(a, p, &none);
}

/* Push the conjuncts in `pending` (over p's output) as deep as they go. */
static em_lop *push_down(em_arena *a, em_lop *p, conj_list *pending)
{
    switch (p->kind) {
    case EM_LOP_FILTER: {
        conj_list all = *pending;
        conj_list mine = {0};
        split_conjuncts(a, p->u.filter.pred, &mine);
        for (int i = 0; i < mine.n; i++) conj_push(a, &all, mine.items[i]);
        return push_down(a, p->children[0], &all);
    }
    case EM_LOP_PROJECT: {
        conj_list below = {0};
        for (int i = 0; i < pending->n; i++)
            conj_push(a, &below, substitute(a, pending->items[i], p->u.project.exprs));
        em_lop *c = copy_node(a, p);
        c->children[0] = push_down(a, p->children[0], &below);
        return c;
    }
    case EM_LOP_SORT: {
        em_lop *c = copy_node(a, p);
        c->children[0] = push_down(a, p->children[0], pending);
        return c;
    }
    case EM_LOP_UNION: {
        em_lop *c = copy_node(a, p);
        for (int i = 0; i < p->nchildren; i++) {
            conj_list copy = {0};
            for (int j = 0; j < pending->n; j++)
                conj_push(a, &copy, em_expr_copy(a, pending->items[j]));
            c->children[i] = push_down(a, p->children[i], &copy);
        }
        return c;
    }
    case EM_LOP_AGGREGATE: {
        conj_list below = {0}, above = {0};
        for (int i = 0; i < pending->n; i++) {
            em_expr *e = pending->items[i];
            if (p->u.agg.nkeys > 0 && max_column(e) < p->u.agg.nkeys)
                conj_push(a, &below, substitute(a, e, p->u.agg.keys));
            else
                conj_push(a, &above, e);
        }
        em_lop *c = copy_node(a, p);
        c->children[0] = push_down(a, p->children[0], &below);
        return wrap_filter(a, c, &above);
    }
    case EM_LOP_SCAN_FILE:
    case EM_LOP_SCAN_TABLE: {
        if (pending->n == 0) return p;
        em_lop *c = copy_node(a, p);
        int n = p->u.scan.nfilters + pending->n;
        c->u.scan.filters = em_arena_alloc(a, sizeof(em_expr *) * (size_t)n);
        for (int i = 0; i < p->u.scan.nfilters; i++) c->u.scan.filters[i] = p->u.scan.filters[i];
        for (int i = 0; i < pending->n; i++)
            c->u.scan.filters[p->u.scan.nfilters + i] = pending->items[i];
        c->u.scan.nfilters = n;
        c->est_rows = p->est_rows >= 0 ? p->est_rows * 0.5 : -1;
        return c;
    }
    case EM_LOP_LIMIT: {
        em_lop *c = copy_node(a, p);
        c->children[0] = push_fresh(a, p->children[0]);
        return wrap_filter(a, c, pending);
    }
    case EM_LOP_VALUES:
        return wrap_filter(a, p, pending);
    case EM_LOP_JOIN: {
        int L = p->children[0]->schema->nfields, R = p->children[1]->schema->nfields;
        em_join_kind k = p->u.join.kind;
        conj_list left = {0}, right = {0}, cond = {0}, above = {0};
        /* Predicates from above (over the join's output). */
        for (int i = 0; i < pending->n; i++) {
            em_expr *e = pending->items[i];
            int lo = min_column(e), hi = max_column(e);
            bool only_left = hi < L, only_right = lo >= L && lo != INT32_MAX;
            if (k == EM_JOIN_KIND_INNER) {
                if (only_left)
                    conj_push(a, &left, e);
                else if (only_right)
                    conj_push(a, &right, shifted(a, e, L + R, L));
                else
                    conj_push(a, &cond, e);
            } else if ((k == EM_JOIN_KIND_LEFT || k >= EM_JOIN_KIND_SEMI) && only_left) {
                conj_push(a, &left, e);
            } else if (k == EM_JOIN_KIND_RIGHT && only_right) {
                conj_push(a, &right, shifted(a, e, L + R, L));
            } else {
                conj_push(a, &above, e);
            }
        }
        /* The join's own condition. */
        if (p->u.join.cond) {
            conj_list own = {0};
            split_conjuncts(a, p->u.join.cond, &own);
            for (int i = 0; i < own.n; i++) {
                em_expr *e = own.items[i];
                int lo = min_column(e), hi = max_column(e);
                bool only_left = hi < L && lo != INT32_MAX, only_right = lo >= L && lo != INT32_MAX;
                bool push_left = only_left && (k == EM_JOIN_KIND_INNER || k == EM_JOIN_KIND_RIGHT ||
                                               k == EM_JOIN_KIND_SEMI);
                bool push_right = only_right && (k == EM_JOIN_KIND_INNER || k == EM_JOIN_KIND_LEFT ||
                                                 k == EM_JOIN_KIND_SEMI || k == EM_JOIN_KIND_ANTI);
                if (push_left)
                    conj_push(a, &left, e);
                else if (push_right)
                    conj_push(a, &right, shifted(a, e, L + R, L));
                else
                    conj_push(a, &cond, e);
            }
        }
        derive_transitive(a, k, L, R, &cond, &left, &right);
        derive_from_ors(a, k, L, R, &cond, &left, &right);
        em_lop *c = copy_node(a, p);
        c->children[0] = push_down(a, p->children[0], &left);
        c->children[1] = push_down(a, p->children[1], &right);
        c->u.join.cond = cond.n ? and_all(a, cond.items, cond.n) : NULL;
        return wrap_filter(a, c, &above);
    }
    case EM_LOP_WINDOW: {
        em_lop *c = copy_node(a, p);
        c->children[0] = push_fresh(a, p->children[0]);
        return wrap_filter(a, c, pending);
    }
    case EM_LOP_UNNEST: {
        /* A conjunct over passed-through columns holds for the input row that
         * every output row repeats: it goes below. One on the piece stays. */
        int np = p->u.unnest.npass;
        int *map = em_arena_alloc(a, sizeof(int) * (size_t)(np + 2));
        for (int i = 0; i < np; i++) map[i] = p->u.unnest.pass[i];
        map[np] = -1;
        conj_list below = {0}, above = {0};
        for (int i = 0; i < pending->n; i++) {
            em_expr *e = pending->items[i];
            if (max_column(e) < np) {
                em_expr *d = em_expr_copy(a, e);
                em_expr_remap_columns(d, map);
                conj_push(a, &below, d);
            } else {
                conj_push(a, &above, e);
            }
        }
        em_lop *c = copy_node(a, p);
        c->children[0] = push_down(a, p->children[0], &below);
        return wrap_filter(a, c, &above);
    }
    }
    return wrap_filter(a, p, pending);
}

/* ---- projection pruning -------------------------------------------------- */

typedef struct need_ctx {
    bool *need;
} need_ctx;
static void mark_need(void *ctx, int c)
{
    ((need_ctx *)ctx)->need[c] = true;
}
static void need_expr(bool *need, const em_expr *e)
{
    if (!e) return;
    need_ctx n = {need};
    em_expr_visit_columns(e, mark_need, &n);
}

static em_expr *remapped(em_arena *a, const em_expr *e, const int *map)
{
    if (!e) return NULL;
    em_expr *c = em_expr_copy(a, e);
    em_expr_remap_columns(c, map);
    return c;
}

static em_schema *sub_schema(em_arena *a, const em_schema *s, const bool *keep, int *map)
{
    int n = 0;
    for (int i = 0; i < s->nfields; i++) map[i] = keep[i] ? n++ : -1;
    em_schema *o = em_lop_schema(a, n);
    for (int i = 0; i < s->nfields; i++)
        if (keep[i]) o->fields[map[i]] = s->fields[i];
    return o;
}

/* Prune p to the columns in `need` (over p's output). *map_out receives, for
 * each old output column, its new index or -1. */
static em_lop *prune(em_arena *a, const em_lop *p, const bool *need, int **map_out)
{
    int nout = p->schema->nfields;
    int *map = em_arena_alloc(a, sizeof(int) * (size_t)(nout + 1));
    *map_out = map;
    em_lop *c = copy_node(a, p);
    switch (p->kind) {
    case EM_LOP_SCAN_FILE:
    case EM_LOP_SCAN_TABLE: {
        bool *keep = em_arena_calloc(a, sizeof(bool) * (size_t)(nout + 1));
        for (int i = 0; i < nout; i++) keep[i] = need[i];
        for (int i = 0; i < p->u.scan.nfilters; i++) need_expr(keep, p->u.scan.filters[i]);
        c->schema = sub_schema(a, p->schema, keep, map);
        c->u.scan.ncols = c->schema->nfields;
        c->u.scan.cols = em_arena_alloc(a, sizeof(int) * (size_t)(c->u.scan.ncols + 1));
        for (int i = 0; i < nout; i++)
            if (map[i] >= 0) c->u.scan.cols[map[i]] = p->u.scan.cols[i];
        c->u.scan.filters = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(p->u.scan.nfilters + 1));
        for (int i = 0; i < p->u.scan.nfilters; i++)
            c->u.scan.filters[i] = remapped(a, p->u.scan.filters[i], map);
        return c;
    }
    case EM_LOP_VALUES:
        for (int i = 0; i < nout; i++) map[i] = i;
        return c;
    case EM_LOP_FILTER: {
        const em_lop *ch = p->children[0];
        bool *cn = em_arena_calloc(a, sizeof(bool) * (size_t)(ch->schema->nfields + 1));
        for (int i = 0; i < nout; i++) cn[i] = need[i];
        need_expr(cn, p->u.filter.pred);
        int *cmap;
        c->children[0] = prune(a, ch, cn, &cmap);
        c->u.filter.pred = remapped(a, p->u.filter.pred, cmap);
        c->schema = c->children[0]->schema;
        memcpy(map, cmap, sizeof(int) * (size_t)nout);
        return c;
    }
    case EM_LOP_PROJECT: {
        const em_lop *ch = p->children[0];
        bool *cn = em_arena_calloc(a, sizeof(bool) * (size_t)(ch->schema->nfields + 1));
        bool *keep = em_arena_calloc(a, sizeof(bool) * (size_t)(nout + 1));
        for (int i = 0; i < nout; i++) {
            keep[i] = need[i];
            if (keep[i]) need_expr(cn, p->u.project.exprs[i]);
        }
        int *cmap;
        c->children[0] = prune(a, ch, cn, &cmap);
        c->schema = sub_schema(a, p->schema, keep, map);
        c->u.project.nexprs = c->schema->nfields;
        c->u.project.exprs = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nout + 1));
        for (int i = 0; i < nout; i++)
            if (map[i] >= 0) c->u.project.exprs[map[i]] = remapped(a, p->u.project.exprs[i], cmap);
        return c;
    }
    case EM_LOP_AGGREGATE: {
        const em_lop *ch = p->children[0];
        int nk = p->u.agg.nkeys;
        bool *cn = em_arena_calloc(a, sizeof(bool) * (size_t)(ch->schema->nfields + 1));
        bool *keep = em_arena_calloc(a, sizeof(bool) * (size_t)(nout + 1));
        for (int i = 0; i < nk; i++) {
            keep[i] = true; /* keys define the groups: never dropped */
            need_expr(cn, p->u.agg.keys[i]);
        }
        for (int i = 0; i < p->u.agg.naggs; i++) {
            keep[nk + i] = need[nk + i];
            if (!keep[nk + i]) continue;
            need_expr(cn, p->u.agg.aggs[i].arg);
            need_expr(cn, p->u.agg.aggs[i].arg2);
            need_expr(cn, p->u.agg.aggs[i].filter);
        }
        int *cmap;
        c->children[0] = prune(a, ch, cn, &cmap);
        c->schema = sub_schema(a, p->schema, keep, map);
        c->u.agg.keys = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nk + 1));
        for (int i = 0; i < nk; i++) c->u.agg.keys[i] = remapped(a, p->u.agg.keys[i], cmap);
        c->u.agg.aggs = em_arena_alloc(a, sizeof(em_agg_call) * (size_t)(p->u.agg.naggs + 1));
        c->u.agg.naggs = 0;
        for (int i = 0; i < p->u.agg.naggs; i++) {
            if (!keep[nk + i]) continue;
            em_agg_call call = p->u.agg.aggs[i];
            call.arg = remapped(a, call.arg, cmap);
            call.arg2 = remapped(a, call.arg2, cmap);
            call.filter = remapped(a, call.filter, cmap);
            c->u.agg.aggs[c->u.agg.naggs++] = call;
        }
        return c;
    }
    case EM_LOP_SORT: {
        const em_lop *ch = p->children[0];
        bool *cn = em_arena_calloc(a, sizeof(bool) * (size_t)(nout + 1));
        for (int i = 0; i < nout; i++) cn[i] = need[i];
        for (int i = 0; i < p->u.sort.nkeys; i++) cn[p->u.sort.keys[i].column] = true;
        int *cmap;
        c->children[0] = prune(a, ch, cn, &cmap);
        c->schema = c->children[0]->schema;
        c->u.sort.keys = em_arena_alloc(a, sizeof(em_sort_key) * (size_t)p->u.sort.nkeys);
        for (int i = 0; i < p->u.sort.nkeys; i++) {
            c->u.sort.keys[i] = p->u.sort.keys[i];
            c->u.sort.keys[i].column = cmap[p->u.sort.keys[i].column];
        }
        memcpy(map, cmap, sizeof(int) * (size_t)nout);
        return c;
    }
    case EM_LOP_LIMIT: {
        int *cmap;
        c->children[0] = prune(a, p->children[0], need, &cmap);
        c->schema = c->children[0]->schema;
        memcpy(map, cmap, sizeof(int) * (size_t)nout);
        return c;
    }
    case EM_LOP_UNION: {
        /* Children must stay aligned column by column: keep every column. */
        bool *all = em_arena_alloc(a, sizeof(bool) * (size_t)(nout + 1));
        for (int i = 0; i < nout; i++) all[i] = true;
        for (int k = 0; k < p->nchildren; k++) {
            int *cmap;
            c->children[k] = prune(a, p->children[k], all, &cmap);
        }
        for (int i = 0; i < nout; i++) map[i] = i;
        return c;
    }
    case EM_LOP_JOIN: {
        const em_lop *l = p->children[0], *r = p->children[1];
        int L = l->schema->nfields, R = r->schema->nfields;
        bool has_right = p->u.join.kind < EM_JOIN_KIND_SEMI;
        bool *both = em_arena_calloc(a, sizeof(bool) * (size_t)(L + R + 1));
        for (int i = 0; i < nout; i++) both[i] = need[i];
        need_expr(both, p->u.join.cond);
        int *lmap, *rmap;
        c->children[0] = prune(a, l, both, &lmap);
        c->children[1] = prune(a, r, both + L, &rmap);
        int nl = c->children[0]->schema->nfields, nr = c->children[1]->schema->nfields;
        int *cmap = em_arena_alloc(a, sizeof(int) * (size_t)(L + R + 1));
        for (int i = 0; i < L; i++) cmap[i] = lmap[i];
        for (int i = 0; i < R; i++) cmap[L + i] = rmap[i] >= 0 ? nl + rmap[i] : -1;
        c->u.join.cond = remapped(a, p->u.join.cond, cmap);
        c->schema = em_lop_schema(a, has_right ? nl + nr : nl);
        for (int i = 0; i < nl; i++) c->schema->fields[i] = c->children[0]->schema->fields[i];
        for (int i = 0; has_right && i < nr; i++)
            c->schema->fields[nl + i] = c->children[1]->schema->fields[i];
        memcpy(map, cmap, sizeof(int) * (size_t)nout);
        return c;
    }
    case EM_LOP_WINDOW: {
        const em_lop *ch = p->children[0];
        int nin = ch->schema->nfields;
        bool *cn = em_arena_calloc(a, sizeof(bool) * (size_t)(nin + 1));
        for (int i = 0; i < nin; i++) cn[i] = need[i];
        for (int i = 0; i < p->u.window.npartition; i++) need_expr(cn, p->u.window.partition[i]);
        for (int i = 0; i < p->u.window.norder; i++) need_expr(cn, p->u.window.order[i]);
        for (int i = 0; i < p->u.window.ncalls; i++) need_expr(cn, p->u.window.calls[i].arg);
        int *cmap;
        c->children[0] = prune(a, ch, cn, &cmap);
        int nn = c->children[0]->schema->nfields;
        c->u.window.partition = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(p->u.window.npartition + 1));
        for (int i = 0; i < p->u.window.npartition; i++)
            c->u.window.partition[i] = remapped(a, p->u.window.partition[i], cmap);
        c->u.window.order = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(p->u.window.norder + 1));
        for (int i = 0; i < p->u.window.norder; i++)
            c->u.window.order[i] = remapped(a, p->u.window.order[i], cmap);
        c->u.window.calls = em_arena_alloc(a, sizeof(em_window_call) * (size_t)(p->u.window.ncalls + 1));
        for (int i = 0; i < p->u.window.ncalls; i++) {
            c->u.window.calls[i] = p->u.window.calls[i];
            c->u.window.calls[i].arg = remapped(a, p->u.window.calls[i].arg, cmap);
        }
        c->schema = em_lop_schema(a, nn + p->u.window.ncalls);
        for (int i = 0; i < nn; i++) c->schema->fields[i] = c->children[0]->schema->fields[i];
        for (int i = 0; i < p->u.window.ncalls; i++)
            c->schema->fields[nn + i] = p->schema->fields[nin + i];
        for (int i = 0; i < nin; i++) map[i] = cmap[i];
        for (int i = 0; i < p->u.window.ncalls; i++) map[nin + i] = nn + i;
        return c;
    }
    case EM_LOP_UNNEST: {
        /* Only the passed-through columns someone needs stay; the piece always
         * does, since the number of rows depends on it. */
        const em_lop *ch = p->children[0];
        int np = p->u.unnest.npass;
        const em_unnest_spec *sp = &p->u.unnest.spec;
        bool *cn = em_arena_calloc(a, sizeof(bool) * (size_t)(ch->schema->nfields + 1));
        for (int i = 0; i < np; i++)
            if (need[i]) cn[p->u.unnest.pass[i]] = true;
        need_expr(cn, sp->str);
        need_expr(cn, sp->sep);
        need_expr(cn, sp->extra);
        int *cmap;
        c->children[0] = prune(a, ch, cn, &cmap);
        c->u.unnest.spec.str = remapped(a, sp->str, cmap);
        c->u.unnest.spec.sep = remapped(a, sp->sep, cmap);
        c->u.unnest.spec.extra = remapped(a, sp->extra, cmap);
        c->u.unnest.pass = em_arena_alloc(a, sizeof(int) * (size_t)(np + 1));
        int k = 0;
        for (int i = 0; i < np; i++) {
            map[i] = need[i] ? k : -1;
            if (need[i]) c->u.unnest.pass[k++] = cmap[p->u.unnest.pass[i]];
        }
        map[np] = k;
        c->u.unnest.npass = k;
        c->schema = em_lop_schema(a, k + 1);
        for (int i = 0; i < np; i++)
            if (need[i]) c->schema->fields[map[i]] = p->schema->fields[i];
        c->schema->fields[k] = p->schema->fields[np];
        return c;
    }
    }
    for (int i = 0; i < nout; i++) map[i] = i;
    return c;
}

int em_optimize(em_arena *a, em_lop *plan, em_lop **out, em_error *err)
{
    EM_UNUSED(err);
    fold_plan(a, plan);
    em_lop *p = push_fresh(a, plan);
    fold_plan(a, p);
    /* Estimates from samples of the scans order the joins and then tell the
     * physical planner which join inputs are small. */
    em__card *card = em__card_create(a);
    em__card_prepare(card, p);
    p = em_optimize_join_order(a, card, p);
    em__card_annotate(card, p);
    em__card_destroy(card);
    bool *need = em_arena_alloc(a, sizeof(bool) * (size_t)(p->schema->nfields + 1));
    for (int i = 0; i < p->schema->nfields; i++) need[i] = true;
    int *map;
    *out = prune(a, p, need, &map);
    return 0;
}
