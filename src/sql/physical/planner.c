/*
 * planner.c — logical plan to physical plan.
 *
 * The decisions, following Spark's:
 *   - Aggregate: partial aggregation in the map stage, a hash exchange on the
 *     group keys (a single partition without keys), final aggregation after
 *     it. With DISTINCT aggregates there is no partial phase: the input rows
 *     are shuffled on the keys and aggregated completely.
 *   - Sort: each partition sorts locally, a single-partition exchange carries
 *     the sorted runs and its reader merges them.
 *   - Limit: a local limit per partition, then a single-partition exchange and
 *     the global limit. Sort + Limit becomes a top-N per partition.
 *   - An input that already has one partition needs no exchange at all.
 */
#include "sql/physical/physical.h"

#include "sql/catalog/catalog.h"

#include <string.h>

em_pop *em_pop_new(em_arena *a, em_pop_kind kind, int nchildren)
{
    em_pop *p = em_arena_calloc(a, sizeof(em_pop));
    p->kind = kind;
    p->nchildren = nchildren;
    p->children = em_arena_calloc(a, sizeof(em_pop *) * (size_t)(nchildren ? nchildren : 1));
    return p;
}

const char *em_pop_kind_name(em_pop_kind k)
{
    static const char *names[] = {"FileScan", "TableScan", "Values",  "ShuffleRead",
                                  "Filter",   "Project",   "HashAggregate", "Sort",
                                  "Limit",    "Union",     "Exchange", "HashJoin",
                                  "Window",   "Unnest"};
    return k <= EM_POP_UNNEST ? names[k] : "?";
}

typedef struct planner {
    em_arena *a;
    const em_plan_conf *conf;
} planner;

static em_pop *unary(planner *pl, em_pop_kind kind, em_pop *child, em_schema *schema)
{
    em_pop *p = em_pop_new(pl->a, kind, 1);
    p->children[0] = child;
    p->schema = schema ? schema : child->schema;
    p->nparts = child->nparts;
    return p;
}

static em_pop *exchange(planner *pl, em_pop *child, int nkeys, int *keys, int nparts)
{
    em_pop *x = unary(pl, EM_POP_EXCHANGE, child, NULL);
    x->u.exchange.kind = nkeys > 0 ? EM_EXCHANGE_HASH : EM_EXCHANGE_SINGLE;
    x->u.exchange.nkeys = nkeys;
    x->u.exchange.keys = keys;
    x->nparts = nkeys > 0 ? nparts : 1;
    return x;
}

static em_schema *agg_schema(planner *pl, const em_lop *lp, bool partial)
{
    int nk = lp->u.agg.nkeys, n = nk;
    if (!partial) return lp->schema;
    for (int i = 0; i < lp->u.agg.naggs; i++) {
        em_type st[EM_AGG_MAX_STATES];
        n += em_agg_state_types(&lp->u.agg.aggs[i], st);
    }
    em_schema *s = em_lop_schema(pl->a, n);
    for (int i = 0; i < nk; i++) s->fields[i] = lp->schema->fields[i];
    int c = nk;
    for (int i = 0; i < lp->u.agg.naggs; i++) {
        em_type st[EM_AGG_MAX_STATES];
        int k = em_agg_state_types(&lp->u.agg.aggs[i], st);
        for (int j = 0; j < k; j++) {
            s->fields[c].name = em_arena_printf(pl->a, "__state%d_%d", i, j);
            s->fields[c].type = st[j];
            s->fields[c].nullable = true;
            c++;
        }
    }
    return s;
}

static em_pop *make_agg(planner *pl, em_pop *child, em_agg_mode mode, int nkeys, em_expr **keys,
                        int naggs, em_agg_call *aggs, em_schema *schema)
{
    em_pop *p = unary(pl, EM_POP_HASH_AGG, child, schema);
    p->u.agg.mode = mode;
    p->u.agg.nkeys = nkeys;
    p->u.agg.keys = keys;
    p->u.agg.naggs = naggs;
    p->u.agg.aggs = aggs;
    return p;
}

static int plan(planner *pl, const em_lop *lp, em_pop **out, em_error *err);

static int plan_aggregate(planner *pl, const em_lop *lp, em_pop *child, em_pop **out,
                          em_error *err)
{
    em_arena *a = pl->a;
    int nk = lp->u.agg.nkeys, na = lp->u.agg.naggs;
    bool distinct = false;
    for (int i = 0; i < na; i++)
        distinct |= lp->u.agg.aggs[i].distinct || em_agg_is_holistic(lp->u.agg.aggs[i].kind);
    int nparts = nk > 0 ? pl->conf->shuffle_partitions : 1;

    if (child->nparts == 1) {
        /* One input partition: no shuffle. (Zero partitions still go through a
         * single-partition exchange so that a global aggregate yields its row.) */
        *out = make_agg(pl, child, EM_AGG_MODE_COMPLETE, nk, lp->u.agg.keys, na, lp->u.agg.aggs,
                        lp->schema);
        return 0;
    }
    int *xkeys = em_arena_alloc(a, sizeof(int) * (size_t)(nk + 1));
    for (int i = 0; i < nk; i++) xkeys[i] = i;
    em_expr **refs = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nk + 1));
    for (int i = 0; i < nk; i++) refs[i] = em_expr_column(a, i, lp->u.agg.keys[i]->type);

    if (distinct) {
        /* Project keys and every aggregate input, shuffle on the keys, aggregate. */
        int ncols = nk;
        for (int i = 0; i < na; i++)
            ncols += (lp->u.agg.aggs[i].arg != NULL) + (lp->u.agg.aggs[i].arg2 != NULL) +
                     (lp->u.agg.aggs[i].filter != NULL);
        em_pop *proj = unary(pl, EM_POP_PROJECT, child, em_lop_schema(a, ncols));
        proj->u.project.nexprs = ncols;
        proj->u.project.exprs = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(ncols + 1));
        em_agg_call *aggs = em_arena_alloc(a, sizeof(em_agg_call) * (size_t)(na + 1));
        int c = 0;
        for (int i = 0; i < nk; i++, c++) {
            proj->u.project.exprs[c] = lp->u.agg.keys[i];
            proj->schema->fields[c].name = em_arena_printf(a, "__k%d", i);
            proj->schema->fields[c].type = lp->u.agg.keys[i]->type;
        }
        for (int i = 0; i < na; i++) {
            aggs[i] = lp->u.agg.aggs[i];
            if (aggs[i].arg) {
                proj->u.project.exprs[c] = aggs[i].arg;
                proj->schema->fields[c].name = em_arena_printf(a, "__a%d", i);
                proj->schema->fields[c].type = aggs[i].arg->type;
                aggs[i].arg = em_expr_column(a, c++, aggs[i].arg->type);
            }
            if (aggs[i].arg2) {
                proj->u.project.exprs[c] = aggs[i].arg2;
                proj->schema->fields[c].name = em_arena_printf(a, "__b%d", i);
                proj->schema->fields[c].type = aggs[i].arg2->type;
                aggs[i].arg2 = em_expr_column(a, c++, aggs[i].arg2->type);
            }
            if (aggs[i].filter) {
                proj->u.project.exprs[c] = aggs[i].filter;
                proj->schema->fields[c].name = em_arena_printf(a, "__f%d", i);
                proj->schema->fields[c].type = em_type_make(EM_TYPE_BOOLEAN);
                aggs[i].filter = em_expr_column(a, c++, em_type_make(EM_TYPE_BOOLEAN));
            }
        }
        em_pop *x = exchange(pl, proj, nk, xkeys, nparts);
        *out = make_agg(pl, x, EM_AGG_MODE_COMPLETE, nk, refs, na, aggs, lp->schema);
        return 0;
    }

    em_pop *partial = make_agg(pl, child, EM_AGG_MODE_PARTIAL, nk, lp->u.agg.keys, na,
                               lp->u.agg.aggs, agg_schema(pl, lp, true));
    em_pop *x = exchange(pl, partial, nk, xkeys, nparts);
    *out = make_agg(pl, x, EM_AGG_MODE_FINAL, nk, refs, na, lp->u.agg.aggs, lp->schema);
    EM_UNUSED(err);
    return 0;
}

static em_pop *make_sort(planner *pl, em_pop *child, int nkeys, em_sort_key *keys, int64_t limit)
{
    em_pop *s = unary(pl, EM_POP_SORT, child, NULL);
    s->u.sort.nkeys = nkeys;
    s->u.sort.keys = keys;
    s->u.sort.limit = limit;
    return s;
}

/* A global sort (optionally keeping only the first `limit` rows). */
static em_pop *plan_sort(planner *pl, em_pop *child, int nkeys, em_sort_key *keys, int64_t limit)
{
    em_pop *local = make_sort(pl, child, nkeys, keys, limit);
    if (child->nparts <= 1) {
        local->nparts = 1;
        return local;
    }
    em_pop *x = exchange(pl, local, 0, NULL, 1);
    x->u.exchange.nmerge = nkeys;
    x->u.exchange.merge_keys = keys;
    return x;
}

static em_pop *make_limit(planner *pl, em_pop *child, int64_t limit, int64_t offset)
{
    em_pop *l = unary(pl, EM_POP_LIMIT, child, NULL);
    l->u.limit.limit = limit;
    l->u.limit.offset = offset;
    return l;
}


/* ---- joins ----------------------------------------------------------------- */

static double row_bytes(const em_schema *s)
{
    double w = 8;
    for (int i = 0; i < s->nfields; i++)
        w += s->fields[i].type.id == EM_TYPE_VARCHAR ? 24 : (double)em_type_width(s->fields[i].type);
    return w;
}

static double est_bytes(const em_lop *lp)
{
    double rows = lp->est_rows >= 0 ? lp->est_rows : 1e9;
    return rows * row_bytes(lp->schema);
}

/* Bytes of hash table a build row costs besides its columns: two 16-byte
 * slots (the table is at most half full), its chain link and its hash while
 * the table is built (op_hash_join.c). */
#define BUILD_ROW_OVERHEAD 44.0

/* What building a side costs, in bytes held. A hash join's work is per row
 * on both sides, but a build row costs several times a probe row (it is
 * hashed, inserted, kept, and gathered at random for the output), so the side
 * with fewer estimated rows is built; the per-row table overhead makes rows,
 * not column widths, decide between narrow sides, while a very wide side
 * still counts for the memory it would hold. */
static double build_cost(const em_lop *lp)
{
    return lp->est_rows * (row_bytes(lp->schema) + BUILD_ROW_OVERHEAD);
}

/* Whether building the left side is cheaper than building the right one:
 * from the optimizer's estimated rows when both sides have them, else from
 * the guessed bytes (the right side on a tie). */
static bool left_cheaper(const em_lop *l, const em_lop *r)
{
    if (l->est_rows >= 0 && r->est_rows >= 0) return build_cost(l) < build_cost(r);
    return est_bytes(l) < est_bytes(r);
}

typedef struct colset {
    int lo, hi;
} colset;
static void colset_note(void *ctx, int c)
{
    colset *s = ctx;
    if (c < s->lo) s->lo = c;
    if (c > s->hi) s->hi = c;
}
static colset cols_of(const em_expr *e)
{
    colset s = {1 << 30, -1};
    em_expr_visit_columns(e, colset_note, &s);
    return s;
}

static void flatten_and(em_arena *a, em_expr *e, em_expr ***items, int *n, int *cap)
{
    if (e->kind == EM_EXPR_AND) {
        for (int i = 0; i < e->nargs; i++) flatten_and(a, e->args[i], items, n, cap);
        return;
    }
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        em_expr **m = em_arena_alloc(a, sizeof(em_expr *) * (size_t)ncap);
        if (*n) memcpy(m, *items, sizeof(em_expr *) * (size_t)*n);
        *items = m;
        *cap = ncap;
    }
    (*items)[(*n)++] = e;
}

/* Append computed key columns to a side: [its columns..., keys that are not
 * plain columns]; key_cols receives each key's column. */
static em_pop *key_columns(planner *pl, em_pop *side, int nkeys, em_expr **keys, int *key_cols)
{
    int n = side->schema->nfields, extra = 0;
    for (int k = 0; k < nkeys; k++) extra += keys[k]->kind != EM_EXPR_COLUMN;
    if (extra == 0) {
        for (int k = 0; k < nkeys; k++) key_cols[k] = keys[k]->column;
        return side;
    }
    em_schema *s = em_lop_schema(pl->a, n + extra);
    em_pop *p = unary(pl, EM_POP_PROJECT, side, s);
    p->u.project.nexprs = n + extra;
    p->u.project.exprs = em_arena_alloc(pl->a, sizeof(em_expr *) * (size_t)(n + extra));
    for (int i = 0; i < n; i++) {
        s->fields[i] = side->schema->fields[i];
        p->u.project.exprs[i] = em_expr_column(pl->a, i, side->schema->fields[i].type);
    }
    int c = n;
    for (int k = 0; k < nkeys; k++) {
        if (keys[k]->kind == EM_EXPR_COLUMN) {
            key_cols[k] = keys[k]->column;
            continue;
        }
        s->fields[c].name = em_arena_printf(pl->a, "__jk%d", k);
        s->fields[c].type = keys[k]->type;
        s->fields[c].nullable = true;
        p->u.project.exprs[c] = keys[k];
        key_cols[k] = c++;
    }
    return p;
}

static int plan_join(planner *pl, const em_lop *lp, em_pop **out, em_error *err)
{
    em_arena *a = pl->a;
    em_pop *lpop, *rpop;
    EM_TRY(plan(pl, lp->children[0], &lpop, err));
    EM_TRY(plan(pl, lp->children[1], &rpop, err));
    int L = lpop->schema->nfields, R = rpop->schema->nfields;
    em_join_kind kind = lp->u.join.kind;

    /* Split the condition into equi-key pairs (left expr = right expr) and the rest. */
    em_expr **conj = NULL;
    int nconj = 0, cap = 0;
    if (lp->u.join.cond) flatten_and(a, lp->u.join.cond, &conj, &nconj, &cap);
    em_expr **lkeys = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nconj + 1));
    em_expr **rkeys = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nconj + 1));
    em_expr **rest = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nconj + 1));
    int nkeys = 0, nrest = 0;
    int *shift = em_arena_alloc(a, sizeof(int) * (size_t)(L + R + 1));
    for (int i = 0; i < L + R; i++) shift[i] = i - L;
    for (int i = 0; i < nconj; i++) {
        em_expr *e = conj[i];
        bool eq = e->kind == EM_EXPR_CALL && strcmp(e->func->name, "=") == 0 && e->nargs == 2;
        if (eq) {
            colset x = cols_of(e->args[0]), y = cols_of(e->args[1]);
            em_expr *lk = NULL, *rk = NULL;
            if (x.hi >= 0 && x.hi < L && y.hi >= 0 && y.lo >= L)
                lk = e->args[0], rk = e->args[1];
            else if (y.hi >= 0 && y.hi < L && x.hi >= 0 && x.lo >= L)
                lk = e->args[1], rk = e->args[0];
            if (lk && em_type_equal(lk->type, rk->type)) {
                lkeys[nkeys] = lk;
                rkeys[nkeys] = em_expr_copy(a, rk);
                em_expr_remap_columns(rkeys[nkeys], shift);
                nkeys++;
                continue;
            }
        }
        rest[nrest++] = e;
    }
    if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && nkeys != 1)
        return em_error_set(err, EM_EUNSUPPORTED,
                            "NOT IN with a correlated or multi-column subquery is not supported");

    int *lcols = em_arena_alloc(a, sizeof(int) * (size_t)(nkeys + 1));
    int *rcols = em_arena_alloc(a, sizeof(int) * (size_t)(nkeys + 1));
    lpop = key_columns(pl, lpop, nkeys, lkeys, lcols);
    rpop = key_columns(pl, rpop, nkeys, rkeys, rcols);
    int L2 = lpop->schema->nfields, R2 = rpop->schema->nfields;
    em_expr *residual = NULL;
    if (nrest > 0) {
        int *map = em_arena_alloc(a, sizeof(int) * (size_t)(L + R + 1));
        for (int i = 0; i < L; i++) map[i] = i;
        for (int i = 0; i < R; i++) map[L + i] = L2 + i;
        residual = nrest == 1 ? em_expr_copy(a, rest[0]) : NULL;
        if (!residual) {
            residual = em_expr_new(a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), nrest);
            for (int i = 0; i < nrest; i++) residual->args[i] = em_expr_copy(a, rest[i]);
        }
        em_expr_remap_columns(residual, map);
    }

    /* Strategy: broadcast a side when it is small (and not a side whose
     * unmatched rows must be kept, nor the left side of a semi or anti join,
     * whose rows are decided by every right row), else shuffle both sides on
     * the keys and build the cheaper one (left_cheaper: fewer estimated rows).
     * A shuffled join may build any side: a side whose unmatched rows are kept
     * emits them at finish, and a semi or anti join that builds its left side
     * marks the left rows each right row matches and emits them at finish;
     * each task sees all the rows of its keys on both sides. Every task holds
     * a broadcast build side whole, so one that would not fit in a task's
     * memory is shuffled instead (it would spill in every task). */
    const em_lop *lch = lp->children[0], *rch = lp->children[1];
    double lb = est_bytes(lch), rb = est_bytes(rch);
    int64_t thr = pl->conf->broadcast_threshold;
    if (pl->conf->task_memory > 0) thr = EM_MIN(thr, pl->conf->task_memory);
    bool lsmall = thr > 0 && lb <= (double)thr, rsmall = thr > 0 && rb <= (double)thr;
    bool build_right = !left_cheaper(lch, rch), broadcast = false;
    switch (kind) {
    case EM_JOIN_KIND_INNER:
        /* A side small enough to broadcast saves shuffling the other one. */
        if (nkeys > 0 && !(build_right ? rsmall : lsmall) && (build_right ? lsmall : rsmall))
            build_right = !build_right;
        broadcast = nkeys == 0 || (build_right ? rsmall : lsmall);
        break;
    case EM_JOIN_KIND_LEFT:
    case EM_JOIN_KIND_SEMI:
    case EM_JOIN_KIND_ANTI:
        broadcast = nkeys == 0 || rsmall;
        if (broadcast) build_right = true;
        break;
    case EM_JOIN_KIND_RIGHT:
        broadcast = nkeys == 0 || lsmall;
        if (broadcast) build_right = false;
        break;
    case EM_JOIN_KIND_FULL:
        break;
    case EM_JOIN_KIND_ANTI_NULL_AWARE:
        build_right = true;
        broadcast = true; /* every task must see the whole right side and its NULLs */
        break;
    }
    /* A shuffled join is a hash join even when its build side will not fit in
     * a task's memory: the build side reserves memory as it grows and spills
     * by hash partition when the pool refuses (hash_join_spill.c).
     * ember.sql.join.preferSortMergeJoin plans a sort-merge join instead: both
     * sides sorted on the keys, merged per partition. */
    bool merge = !broadcast && nkeys > 0 && kind != EM_JOIN_KIND_ANTI_NULL_AWARE &&
                 pl->conf->prefer_sort_merge;
    if (merge) build_right = true;
    em_pop *probe = build_right ? lpop : rpop, *build = build_right ? rpop : lpop;
    int *pkeys = build_right ? lcols : rcols, *bkeys = build_right ? rcols : lcols;
    em_pop *bx;
    int nparts;
    if (broadcast) {
        bx = exchange(pl, build, 0, NULL, 1);
        bx->u.exchange.broadcast = true;
        nparts = probe->nparts;
    } else if (nkeys == 0) { /* FULL without keys: everything in one task */
        probe = exchange(pl, probe, 0, NULL, 1);
        bx = exchange(pl, build, 0, NULL, 1);
        nparts = 1;
    } else if (merge) {
        nparts = pl->conf->shuffle_partitions;
        em_sort_key *pk = em_arena_calloc(a, sizeof(em_sort_key) * (size_t)nkeys);
        em_sort_key *bk = em_arena_calloc(a, sizeof(em_sort_key) * (size_t)nkeys);
        for (int k = 0; k < nkeys; k++) {
            pk[k].column = pkeys[k]; /* ASC, NULLs last */
            bk[k].column = bkeys[k];
        }
        probe = exchange(pl, make_sort(pl, probe, nkeys, pk, -1), nkeys, pkeys, nparts);
        probe->u.exchange.nmerge = nkeys;
        probe->u.exchange.merge_keys = pk;
        bx = exchange(pl, make_sort(pl, build, nkeys, bk, -1), nkeys, bkeys, nparts);
        bx->u.exchange.nmerge = nkeys;
        bx->u.exchange.merge_keys = bk;
    } else {
        nparts = pl->conf->shuffle_partitions;
        probe = exchange(pl, probe, nkeys, pkeys, nparts);
        bx = exchange(pl, build, nkeys, bkeys, nparts);
    }
    bool has_right = kind < EM_JOIN_KIND_SEMI;
    em_schema *js = em_lop_schema(a, has_right ? L2 + R2 : L2);
    for (int i = 0; i < L2; i++) js->fields[i] = lpop->schema->fields[i];
    for (int i = 0; has_right && i < R2; i++) js->fields[L2 + i] = rpop->schema->fields[i];
    em_pop *j = em_pop_new(a, EM_POP_HASH_JOIN, 2);
    j->children[0] = probe;
    j->children[1] = bx;
    j->schema = js;
    j->nparts = nparts;
    j->u.join.sort_merge = merge;
    em_join_spec *sp = &j->u.join.spec;
    sp->kind = kind;
    sp->build_right = build_right;
    sp->nkeys = nkeys;
    sp->left_keys = lcols;
    sp->right_keys = rcols;
    sp->residual = residual;
    sp->left_ncols = L2;
    sp->right_ncols = R2;
    em_type *lt = em_arena_alloc(a, sizeof(em_type) * (size_t)(L2 + 1));
    em_type *rt = em_arena_alloc(a, sizeof(em_type) * (size_t)(R2 + 1));
    for (int i = 0; i < L2; i++) lt[i] = lpop->schema->fields[i].type;
    for (int i = 0; i < R2; i++) rt[i] = rpop->schema->fields[i].type;
    sp->left_types = lt;
    sp->right_types = rt;
    if (L2 == L && R2 == R) {
        *out = j;
        return 0;
    }
    /* Drop the computed key columns again. */
    int n = has_right ? L + R : L;
    em_pop *p = unary(pl, EM_POP_PROJECT, j, lp->schema);
    p->u.project.nexprs = n;
    p->u.project.exprs = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(n + 1));
    for (int i = 0; i < L; i++) p->u.project.exprs[i] = em_expr_column(a, i, js->fields[i].type);
    for (int i = 0; has_right && i < R; i++)
        p->u.project.exprs[L + i] = em_expr_column(a, L2 + i, js->fields[L2 + i].type);
    *out = p;
    return 0;
}

/* ---- window functions ------------------------------------------------------ */

static int plan_window(planner *pl, const em_lop *lp, em_pop *child, em_pop **out, em_error *err)
{
    em_arena *a = pl->a;
    int nin = child->schema->nfields, np = lp->u.window.npartition, no = lp->u.window.norder;
    em_expr **all = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(np + no + 1));
    for (int i = 0; i < np; i++) all[i] = lp->u.window.partition[i];
    for (int i = 0; i < no; i++) all[np + i] = lp->u.window.order[i];
    int *cols = em_arena_alloc(a, sizeof(int) * (size_t)(np + no + 1));
    em_pop *in = key_columns(pl, child, np + no, all, cols);
    int nin2 = in->schema->nfields;
    em_pop *x = np > 0 ? exchange(pl, in, np, cols, pl->conf->shuffle_partitions)
                       : exchange(pl, in, 0, NULL, 1);
    if (in->nparts == 1 && np == 0) x = in; /* already a single partition */
    int nc = lp->u.window.ncalls;
    em_schema *s = em_lop_schema(a, nin2 + nc);
    for (int i = 0; i < nin2; i++) s->fields[i] = in->schema->fields[i];
    for (int i = 0; i < nc; i++) s->fields[nin2 + i] = lp->schema->fields[nin + i];
    em_pop *w = unary(pl, EM_POP_WINDOW, x, s);
    w->u.window.npartition = np;
    w->u.window.partition_cols = cols;
    w->u.window.norder = no;
    w->u.window.order = em_arena_alloc(a, sizeof(em_sort_key) * (size_t)(no + 1));
    for (int i = 0; i < no; i++) {
        w->u.window.order[i] = lp->u.window.order_dirs[i];
        w->u.window.order[i].column = cols[np + i];
    }
    w->u.window.ncalls = nc;
    w->u.window.calls = lp->u.window.calls;
    if (nin2 == nin) {
        *out = w;
        return 0;
    }
    em_pop *p = unary(pl, EM_POP_PROJECT, w, lp->schema);
    p->u.project.nexprs = nin + nc;
    p->u.project.exprs = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nin + nc));
    for (int i = 0; i < nin; i++) p->u.project.exprs[i] = em_expr_column(a, i, s->fields[i].type);
    for (int i = 0; i < nc; i++)
        p->u.project.exprs[nin + i] = em_expr_column(a, nin2 + i, s->fields[nin2 + i].type);
    *out = p;
    EM_UNUSED(err);
    return 0;
}

static int plan(planner *pl, const em_lop *lp, em_pop **out, em_error *err)
{
    em_arena *a = pl->a;
    em_pop *child = NULL;
    if (lp->kind == EM_LOP_JOIN) return plan_join(pl, lp, out, err);
    if (lp->kind != EM_LOP_UNION && lp->nchildren > 0 &&
        !(lp->kind == EM_LOP_LIMIT && lp->children[0]->kind == EM_LOP_SORT))
        EM_TRY(plan(pl, lp->children[0], &child, err));

    switch (lp->kind) {
    case EM_LOP_SCAN_FILE:
    case EM_LOP_SCAN_TABLE: {
        em_pop *p = em_pop_new(a, lp->kind == EM_LOP_SCAN_FILE ? EM_POP_SCAN_FILE : EM_POP_SCAN_TABLE,
                               0);
        p->schema = lp->schema;
        p->u.scan.desc = lp->u.scan.desc;
        p->u.scan.table = lp->u.scan.table;
        p->u.scan.ncols = lp->u.scan.ncols;
        p->u.scan.cols = lp->u.scan.cols;
        if (lp->u.scan.nfilters == 1)
            p->u.scan.filter = lp->u.scan.filters[0];
        else if (lp->u.scan.nfilters > 1) {
            em_expr *e =
                em_expr_new(a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), lp->u.scan.nfilters);
            memcpy(e->args, lp->u.scan.filters, sizeof(em_expr *) * (size_t)lp->u.scan.nfilters);
            p->u.scan.filter = e;
        }
        if (lp->kind == EM_LOP_SCAN_FILE) {
            /* Formats with statistics (Parquet) drop splits that the pushed
             * filters rule out; the pruned copy is this query's own. */
            em_scan_desc *pruned = NULL;
            EM_TRY(em_scan_desc_prune(lp->u.scan.desc, lp->u.scan.cols, lp->u.scan.ncols,
                                      lp->u.scan.nfilters, lp->u.scan.filters, &pruned, err));
            if (pruned && !pl->conf->own_scan) {
                em_scan_desc_destroy(pruned); /* nobody to own it: scan everything */
            } else if (pruned) {
                pl->conf->own_scan(pl->conf->own_ctx, pruned);
                p->u.scan.desc = pruned;
            }
            p->nparts = p->u.scan.desc->nsplits;
        } else {
            p->u.scan.table_name = lp->u.scan.table->name;
            p->u.scan.table_batches = lp->u.scan.table->data.count;
            int64_t nb = p->u.scan.table_batches;
            int64_t maxp = (int64_t)pl->conf->parallelism * 2;
            p->nparts = (int)(nb < maxp ? nb : maxp);
        }
        *out = p;
        return 0;
    }
    case EM_LOP_VALUES: {
        em_pop *p = em_pop_new(a, EM_POP_VALUES, 0);
        p->schema = lp->schema;
        p->u.values.nrows = lp->u.values.nrows;
        p->u.values.rows = lp->u.values.rows;
        p->nparts = 1;
        *out = p;
        return 0;
    }
    case EM_LOP_FILTER: {
        em_pop *p = unary(pl, EM_POP_FILTER, child, lp->schema);
        p->u.filter.pred = lp->u.filter.pred;
        *out = p;
        return 0;
    }
    case EM_LOP_PROJECT: {
        em_pop *p = unary(pl, EM_POP_PROJECT, child, lp->schema);
        p->u.project.nexprs = lp->u.project.nexprs;
        p->u.project.exprs = lp->u.project.exprs;
        *out = p;
        return 0;
    }
    case EM_LOP_AGGREGATE:
        return plan_aggregate(pl, lp, child, out, err);
    case EM_LOP_SORT:
        *out = plan_sort(pl, child, lp->u.sort.nkeys, lp->u.sort.keys, -1);
        return 0;
    case EM_LOP_LIMIT: {
        int64_t limit = lp->u.limit.limit, offset = lp->u.limit.offset;
        int64_t local = limit >= 0 ? limit + offset : -1;
        if (lp->children[0]->kind == EM_LOP_SORT) {
            const em_lop *s = lp->children[0];
            em_pop *in;
            EM_TRY(plan(pl, s->children[0], &in, err));
            em_pop *sorted = plan_sort(pl, in, s->u.sort.nkeys, s->u.sort.keys, local);
            *out = make_limit(pl, sorted, limit, offset);
            (*out)->nparts = 1;
            return 0;
        }
        if (child->nparts <= 1) {
            *out = make_limit(pl, child, limit, offset);
            return 0;
        }
        em_pop *x = exchange(pl, local >= 0 ? make_limit(pl, child, local, 0) : child, 0, NULL, 1);
        *out = make_limit(pl, x, limit, offset);
        return 0;
    }
    case EM_LOP_JOIN:
        return plan_join(pl, lp, out, err);
    case EM_LOP_WINDOW:
        return plan_window(pl, lp, child, out, err);
    case EM_LOP_UNNEST: {
        /* Streaming, row by row: no exchange, the input's partitions. */
        em_pop *p = unary(pl, EM_POP_UNNEST, child, lp->schema);
        p->u.unnest.spec = lp->u.unnest.spec;
        p->u.unnest.npass = lp->u.unnest.npass;
        p->u.unnest.pass = lp->u.unnest.pass;
        *out = p;
        return 0;
    }
    case EM_LOP_UNION: {
        em_pop *u = em_pop_new(a, EM_POP_UNION, lp->nchildren);
        u->schema = lp->schema;
        for (int i = 0; i < lp->nchildren; i++) {
            EM_TRY(plan(pl, lp->children[i], &u->children[i], err));
            u->nparts += u->children[i]->nparts;
        }
        *out = u;
        return 0;
    }
    }
    return em_error_set(err, EM_EINTERNAL, "no physical plan for %s", em_lop_kind_name(lp->kind));
}

int em_physical_plan(em_arena *a, const em_lop *logical, const em_plan_conf *conf, em_pop **out,
                     em_error *err)
{
    planner pl = {a, conf};
    return plan(&pl, logical, out, err);
}

em_pop *em_physical_single(em_arena *a, em_pop *plan)
{
    planner pl = {a, NULL};
    return exchange(&pl, plan, 0, NULL, 1);
}
