/*
 * join_order.c — ordering clusters of inner joins.
 *
 * FROM a, b, c WHERE ... binds as cross joins whose conditions predicate
 * pushdown has moved into them; the order the query was written in can be the
 * worst one. A cluster of adjacent inner joins is flattened into its relations
 * and conditions, then rebuilt greedily as a left-deep tree: start from the
 * smallest relation (by the estimates scans and filters carry), then
 * repeatedly add the relation connected to the tree by a condition that keeps
 * the estimated result smallest, falling back to a cross join only when
 * nothing is connected. Conditions attach to the first join where all their
 * relations are present. A projection restores the original column order.
 */
#include "sql/optimizer/optimizer.h"

#include <string.h>

#define MAX_RELS 64

typedef struct cluster {
    int nrels;
    em_lop *rels[MAX_RELS];
    int start[MAX_RELS]; /* first global column of each relation */
    int ncols;
    int nconds, cap;
    em_expr **conds;   /* over global columns */
    uint64_t *refs;    /* relations each condition uses */
    bool overflow;
} cluster;

typedef struct shift_ctx {
    int *map;
} shift_ctx;

static em_expr *with_offset(em_arena *a, const em_expr *e, int ncols, int offset)
{
    int *map = em_arena_alloc(a, sizeof(int) * (size_t)(ncols + 1));
    for (int i = 0; i < ncols; i++) map[i] = i + offset;
    em_expr *c = em_expr_copy(a, e);
    em_expr_remap_columns(c, map);
    return c;
}

static void add_cond(em_arena *a, cluster *c, em_expr *e)
{
    if (e->kind == EM_EXPR_AND) {
        for (int i = 0; i < e->nargs; i++) add_cond(a, c, e->args[i]);
        return;
    }
    if (c->nconds == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 16;
        em_expr **n = em_arena_alloc(a, sizeof(em_expr *) * (size_t)ncap);
        if (c->nconds) memcpy(n, c->conds, sizeof(em_expr *) * (size_t)c->nconds);
        c->conds = n;
        c->cap = ncap;
    }
    c->conds[c->nconds++] = e;
}

static bool is_inner(const em_lop *p)
{
    return p->kind == EM_LOP_JOIN && p->u.join.kind == EM_JOIN_KIND_INNER;
}

/* Flatten the inner joins under p, whose output starts at global column `offset`. */
static void flatten(em_arena *a, cluster *c, em_lop *p, int offset)
{
    if (!is_inner(p)) {
        if (c->nrels == MAX_RELS) {
            c->overflow = true;
            return;
        }
        c->rels[c->nrels] = p;
        c->start[c->nrels] = offset;
        c->nrels++;
        c->ncols = offset + p->schema->nfields;
        return;
    }
    int L = p->children[0]->schema->nfields;
    flatten(a, c, p->children[0], offset);
    flatten(a, c, p->children[1], offset + L);
    if (p->u.join.cond)
        add_cond(a, c, with_offset(a, p->u.join.cond, p->schema->nfields, offset));
}

typedef struct rel_refs {
    const cluster *c;
    uint64_t mask;
} rel_refs;

static void note_rel(void *ctx, int col)
{
    rel_refs *r = ctx;
    for (int i = r->c->nrels - 1; i >= 0; i--)
        if (col >= r->c->start[i]) {
            r->mask |= 1ULL << i;
            return;
        }
}

static double est(const em_lop *p)
{
    return p->est_rows >= 0 ? p->est_rows : 1e6;
}

static em_lop *rebuild(em_arena *a, cluster *c, const em_lop *orig)
{
    c->refs = em_arena_alloc(a, sizeof(uint64_t) * (size_t)(c->nconds + 1));
    for (int i = 0; i < c->nconds; i++) {
        rel_refs r = {c, 0};
        em_expr_visit_columns(c->conds[i], note_rel, &r);
        c->refs[i] = r.mask;
    }
    bool *used = em_arena_calloc(a, sizeof(bool) * (size_t)(c->nconds + 1));
    int order[MAX_RELS];
    uint64_t in = 0;
    int first = 0;
    for (int i = 1; i < c->nrels; i++)
        if (est(c->rels[i]) < est(c->rels[first])) first = i;
    order[0] = first;
    in = 1ULL << first;
    double cur = est(c->rels[first]);
    for (int k = 1; k < c->nrels; k++) {
        int best = -1;
        double best_est = 0;
        for (int r = 0; r < c->nrels; r++) {
            if (in & (1ULL << r)) continue;
            uint64_t with = in | (1ULL << r);
            bool connected = false;
            for (int i = 0; i < c->nconds && !connected; i++)
                connected = (c->refs[i] & (1ULL << r)) && (c->refs[i] & in) &&
                            (c->refs[i] & ~with) == 0;
            double e = connected ? EM_MAX(cur, est(c->rels[r])) : cur * est(c->rels[r]) * 1e6;
            if (best < 0 || e < best_est) best = r, best_est = e;
        }
        order[k] = best;
        in |= 1ULL << best;
        cur = EM_MIN(best_est, 1e18);
    }

    /* Build left-deep; pos[g] = where global column g sits in the tree so far. */
    int *pos = em_arena_alloc(a, sizeof(int) * (size_t)(c->ncols + 1));
    for (int g = 0; g < c->ncols; g++) pos[g] = -1;
    em_lop *tree = c->rels[order[0]];
    int width = 0;
    in = 0;
    for (int k = 0; k < c->nrels; k++) {
        int r = order[k];
        em_lop *rel = c->rels[r];
        for (int i = 0; i < rel->schema->nfields; i++) pos[c->start[r] + i] = width + i;
        width += rel->schema->nfields;
        in |= 1ULL << r;
        if (k == 0) continue;
        em_expr *conds[256];
        int n = 0;
        for (int i = 0; i < c->nconds; i++) {
            if (used[i] || (c->refs[i] & ~in) != 0 || n == 256) continue;
            used[i] = true;
            em_expr *e = em_expr_copy(a, c->conds[i]);
            em_expr_remap_columns(e, pos);
            conds[n++] = e;
        }
        em_lop *j = em_lop_new(a, EM_LOP_JOIN, 2);
        j->children[0] = tree;
        j->children[1] = rel;
        j->u.join.kind = EM_JOIN_KIND_INNER;
        if (n == 1)
            j->u.join.cond = conds[0];
        else if (n > 1) {
            j->u.join.cond = em_expr_new(a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), n);
            memcpy(j->u.join.cond->args, conds, sizeof(em_expr *) * (size_t)n);
        }
        j->schema = em_lop_schema(a, width);
        int w = 0;
        for (int i = 0; i < tree->schema->nfields; i++) j->schema->fields[w++] = tree->schema->fields[i];
        for (int i = 0; i < rel->schema->nfields; i++) j->schema->fields[w++] = rel->schema->fields[i];
        j->est_rows = n ? EM_MAX(est(tree), est(rel)) : est(tree) * est(rel);
        tree = j;
    }
    /* Conditions that use no relation at all (constants) go on top. */
    for (int i = 0; i < c->nconds; i++) {
        if (used[i]) continue;
        em_lop *f = em_lop_new(a, EM_LOP_FILTER, 1);
        f->children[0] = tree;
        f->schema = tree->schema;
        f->u.filter.pred = em_expr_copy(a, c->conds[i]);
        em_expr_remap_columns(f->u.filter.pred, pos);
        f->est_rows = tree->est_rows;
        tree = f;
    }
    /* Back to the original column order. */
    em_lop *p = em_lop_new(a, EM_LOP_PROJECT, 1);
    p->children[0] = tree;
    p->schema = orig->schema;
    p->u.project.nexprs = c->ncols;
    p->u.project.exprs = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(c->ncols + 1));
    for (int g = 0; g < c->ncols; g++)
        p->u.project.exprs[g] = em_expr_column(a, pos[g], orig->schema->fields[g].type);
    p->est_rows = tree->est_rows;
    return p;
}

em_lop *em_optimize_join_order(em_arena *a, em_lop *p)
{
    if (!is_inner(p)) {
        for (int i = 0; i < p->nchildren; i++)
            p->children[i] = em_optimize_join_order(a, p->children[i]);
        return p;
    }
    cluster *c = em_arena_calloc(a, sizeof(cluster));
    flatten(a, c, p, 0);
    if (c->overflow) return p;
    for (int i = 0; i < c->nrels; i++) c->rels[i] = em_optimize_join_order(a, c->rels[i]);
    if (c->nrels <= 2) {
        /* Nothing to order; the relations below may have changed. */
        em_lop *l = p->children[0], *r = p->children[1];
        if (!is_inner(l) && !is_inner(r)) {
            p->children[0] = c->rels[0];
            p->children[1] = c->rels[1];
        }
        return p;
    }
    return rebuild(a, c, p);
}
