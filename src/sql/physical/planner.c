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
                                  "Window"};
    return k <= EM_POP_WINDOW ? names[k] : "?";
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
        em_type st[2];
        n += em_agg_state_types(&lp->u.agg.aggs[i], st);
    }
    em_schema *s = em_lop_schema(pl->a, n);
    for (int i = 0; i < nk; i++) s->fields[i] = lp->schema->fields[i];
    int c = nk;
    for (int i = 0; i < lp->u.agg.naggs; i++) {
        em_type st[2];
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
    for (int i = 0; i < na; i++) distinct |= lp->u.agg.aggs[i].distinct;
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
            ncols += (lp->u.agg.aggs[i].arg != NULL) + (lp->u.agg.aggs[i].filter != NULL);
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

static int plan(planner *pl, const em_lop *lp, em_pop **out, em_error *err)
{
    em_arena *a = pl->a;
    em_pop *child = NULL;
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
            p->nparts = lp->u.scan.desc->nsplits;
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
