/*
 * join_order.c — ordering clusters of inner joins by estimated cost.
 *
 * FROM a, b, c WHERE ... binds as cross joins whose conditions predicate
 * pushdown has moved into them; the order the query was written in can be the
 * worst one. A cluster of adjacent inner joins is flattened into its relations
 * and conditions, and rebuilt as the tree whose intermediate results are
 * smallest in sum (the "C_out" cost), by the estimates of cardinality.c.
 *
 * Column equalities (a.x = b.y, same type) are gathered into equivalence
 * classes: a.x = b.y AND b.y = c.z lets a join a with c directly, and the
 * class, not the conditions as written, says which pairs of subtrees can be
 * hash-joined. Joining subtrees S1 and S2 yields |S1| |S2| / prod over the
 * classes linking them of max(ndv in S1, ndv in S2), where a subtree's ndv for
 * a class is the smallest among its members. When several classes link S1 and
 * S2 and on each side a single relation carries all of them, they are one
 * composite key (a lineitem's (partkey, suppkey) against partsupp's), and that
 * relation's joint distinct count replaces the product, which would assume the
 * columns independent and underestimate badly. Other conditions multiply by
 * their selectivity where they first apply.
 *
 * Up to DP_RELS relations, every split of every connected subset is tried
 * (dynamic programming over subsets, bushy trees included); above that, pairs
 * are merged greedily, smallest result first. Only pairs linked by a hash-join
 * key are considered while that can still join everything, then pairs linked
 * by any condition, and cross products last, so a cross product appears only
 * where the query has no condition to avoid it. Within a join the larger input
 * goes left: the physical planner builds the hash table on the smaller side.
 *
 * Conditions attach to the first join where all their relations are present;
 * a join that links subtrees only through a class gets one derived equality
 * of it. A projection restores the original column order.
 */
#include "sql/optimizer/optimizer.h"

#include <string.h>

#include "sql/optimizer/stats.h"

#define MAX_RELS 64
#define DP_RELS 12

typedef struct jclass {
    int nm;
    int *col;      /* global columns of its members */
    uint64_t rels; /* relations with a member */
    int rep;       /* an equality condition of the class (a template for derived ones) */
} jclass;

typedef struct cluster {
    em_arena *a;
    em__card *card;
    int nrels;
    em_lop *rels[MAX_RELS];
    int start[MAX_RELS]; /* first global column of each relation */
    double rows[MAX_RELS];
    int ncols;
    int nconds, cap;
    em_expr **conds;       /* over global columns */
    uint64_t *refs;        /* relations each condition uses */
    int *cls;              /* class of a column equality condition, or -1 */
    double *sel;           /* selectivity of the other conditions */
    uint64_t *eq_l, *eq_r; /* a hash-join key: relations of each side of an '=' (else 0) */
    int nclasses;
    jclass *classes;
    int *equal; /* union-find over global columns: equal in the tree built so far */
    bool overflow;
} cluster;

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
    if (p->u.join.cond) add_cond(a, c, with_offset(a, p->u.join.cond, p->schema->nfields, offset));
}

static int rel_of(const cluster *c, int col)
{
    for (int i = c->nrels - 1; i >= 0; i--)
        if (col >= c->start[i]) return i;
    return 0;
}

typedef struct rel_refs {
    const cluster *c;
    uint64_t mask;
} rel_refs;

static void note_rel(void *ctx, int col)
{
    rel_refs *r = ctx;
    r->mask |= 1ULL << rel_of(r->c, col);
}

static uint64_t refs_of(const cluster *c, const em_expr *e)
{
    rel_refs r = {c, 0};
    em_expr_visit_columns(e, note_rel, &r);
    return r.mask;
}

static double global_ndv(void *ctx, int col)
{
    cluster *c = ctx;
    int r = rel_of(c, col);
    return em__card_ndv(c->card, c->rels[r], col - c->start[r]);
}

static bool is_eq(const em_expr *e)
{
    return e->kind == EM_EXPR_CALL && e->nargs == 2 && strcmp(e->func->name, "=") == 0;
}

/* ---- equivalence classes --------------------------------------------------- */

static int find(int *parent, int x)
{
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
}

static void build_classes(cluster *c)
{
    em_arena *a = c->a;
    int *parent = em_arena_alloc(a, sizeof(int) * (size_t)(c->ncols + 1));
    for (int g = 0; g < c->ncols; g++) parent[g] = g;
    bool *in = em_arena_calloc(a, sizeof(bool) * (size_t)(c->ncols + 1));
    for (int i = 0; i < c->nconds; i++) {
        const em_expr *e = c->conds[i];
        c->cls[i] = -1;
        if (!is_eq(e) || e->args[0]->kind != EM_EXPR_COLUMN || e->args[1]->kind != EM_EXPR_COLUMN)
            continue;
        int x = e->args[0]->column, y = e->args[1]->column;
        if (rel_of(c, x) == rel_of(c, y) || !em_type_equal(e->args[0]->type, e->args[1]->type))
            continue;
        c->cls[i] = 0; /* numbered below */
        in[x] = in[y] = true;
        parent[find(parent, x)] = find(parent, y);
    }
    int *id = em_arena_alloc(a, sizeof(int) * (size_t)(c->ncols + 1));
    c->nclasses = 0;
    for (int g = 0; g < c->ncols; g++) id[g] = -1;
    for (int g = 0; g < c->ncols; g++)
        if (in[g] && id[find(parent, g)] < 0) id[find(parent, g)] = c->nclasses++;
    c->classes = em_arena_calloc(a, sizeof(jclass) * (size_t)(c->nclasses + 1));
    for (int g = 0; g < c->ncols; g++) {
        if (!in[g]) continue;
        jclass *k = &c->classes[id[find(parent, g)]];
        if (k->nm == 0) k->col = em_arena_alloc(a, sizeof(int) * (size_t)c->ncols);
        k->col[k->nm++] = g;
        k->rels |= 1ULL << rel_of(c, g);
    }
    for (int i = 0; i < c->nconds; i++) {
        if (c->cls[i] < 0) continue;
        c->cls[i] = id[find(parent, c->conds[i]->args[0]->column)];
        c->classes[c->cls[i]].rep = i;
    }
}

/* ---- estimates --------------------------------------------------------------- */

/* The smallest distinct count among a class's members in relations s, capped by rows. */
static double class_ndv(cluster *c, const jclass *k, uint64_t s, double rows)
{
    double m = rows;
    for (int i = 0; i < k->nm; i++) {
        int r = rel_of(c, k->col[i]);
        if (s & (1ULL << r)) m = EM_MIN(m, global_ndv(c, k->col[i]));
    }
    return EM_MAX(m, 1.0);
}

/* The one relation of s with a member in every class of `linked`, or -1. */
static int carrier(const cluster *c, const int *linked, int n, uint64_t s)
{
    for (int r = 0; r < c->nrels; r++) {
        if (!(s & (1ULL << r))) continue;
        bool all = true;
        for (int i = 0; i < n && all; i++) all = (c->classes[linked[i]].rels >> r) & 1;
        if (all) return r;
    }
    return -1;
}

/* Joint distinct count of relation r's members of the classes `linked`. */
static double joint_ndv(cluster *c, int r, const int *linked, int n)
{
    int cols[MAX_RELS];
    int m = 0;
    for (int i = 0; i < n && m < MAX_RELS; i++) {
        const jclass *k = &c->classes[linked[i]];
        for (int j = 0; j < k->nm; j++)
            if (rel_of(c, k->col[j]) == r) {
                cols[m++] = k->col[j] - c->start[r];
                break;
            }
    }
    return em__card_ndv_multi(c->card, c->rels[r], cols, m);
}

/* Rows of joining subtrees s1 (n1 rows) and s2 (n2 rows). */
static double join_card(cluster *c, uint64_t s1, double n1, uint64_t s2, double n2)
{
    double card = n1 * n2;
    int linked[64];
    int nl = 0;
    for (int k = 0; k < c->nclasses && nl < 64; k++)
        if ((c->classes[k].rels & s1) && (c->classes[k].rels & s2)) linked[nl++] = k;
    if (nl > 0) {
        double div = 1;
        for (int i = 0; i < nl; i++) {
            const jclass *k = &c->classes[linked[i]];
            div *= EM_MAX(class_ndv(c, k, s1, n1), class_ndv(c, k, s2, n2));
        }
        int r1 = nl > 1 ? carrier(c, linked, nl, s1) : -1;
        int r2 = nl > 1 ? carrier(c, linked, nl, s2) : -1;
        if (r1 >= 0 && r2 >= 0) {
            double j1 = EM_MIN(n1, joint_ndv(c, r1, linked, nl));
            double j2 = EM_MIN(n2, joint_ndv(c, r2, linked, nl));
            div = EM_MAX(j1, j2);
        }
        card /= div;
    }
    uint64_t s = s1 | s2;
    for (int i = 0; i < c->nconds; i++) {
        uint64_t r = c->refs[i];
        if (c->cls[i] >= 0 || (r & ~s) != 0 || (r & ~s1) == 0 || (r & ~s2) == 0) continue;
        card *= c->sel[i];
    }
    /* At least a row; far past any real size (or NaN from inf / inf): a bound that keeps sums
     * finite. */
    return card >= 1 ? EM_MIN(card, 1e30) : card < 1 ? 1.0 : 1e30;
}

/* How s1 and s2 are linked: 2 by a hash-join key, 1 by another condition, 0 not. */
static int linkage(const cluster *c, uint64_t s1, uint64_t s2)
{
    for (int k = 0; k < c->nclasses; k++)
        if ((c->classes[k].rels & s1) && (c->classes[k].rels & s2)) return 2;
    int best = 0;
    uint64_t s = s1 | s2;
    for (int i = 0; i < c->nconds; i++) {
        uint64_t r = c->refs[i];
        if ((r & ~s) != 0 || !(r & s1) || !(r & s2)) continue;
        if (c->eq_l[i] && (((c->eq_l[i] & ~s1) == 0 && (c->eq_r[i] & ~s2) == 0) ||
                           ((c->eq_l[i] & ~s2) == 0 && (c->eq_r[i] & ~s1) == 0)))
            return 2;
        best = 1;
    }
    return best;
}

/* ---- plans ----------------------------------------------------------------------- */

typedef struct jnode {
    uint64_t mask;
    double card, cost;
    int left, right; /* node indexes; -1 for a relation */
    int rel;
} jnode;

typedef struct plan {
    int n, cap;
    jnode *nodes;
} plan;

static int add_node(em_arena *a, plan *pl, jnode n)
{
    if (pl->n == pl->cap) {
        int ncap = pl->cap ? pl->cap * 2 : 32;
        jnode *m = em_arena_alloc(a, sizeof(jnode) * (size_t)ncap);
        if (pl->n) memcpy(m, pl->nodes, sizeof(jnode) * (size_t)pl->n);
        pl->nodes = m;
        pl->cap = ncap;
    }
    pl->nodes[pl->n] = n;
    return pl->n++;
}

static int link_allowed(int link, int level)
{
    return level == 0 ? link == 2 : level == 1 ? link >= 1 : 1;
}

/* Cost of joining a and b into a result of `card` rows. */
static double step_cost(int link, double ca, double cb, double card)
{
    /* Without a hash key every pair is compared. */
    return card + (link < 2 ? ca * cb : 0);
}

/* Dynamic programming over the subsets of up to DP_RELS relations. */
static int order_dp(cluster *c, plan *pl)
{
    int n = c->nrels;
    uint32_t full = (1u << n) - 1;
    size_t ns = (size_t)full + 1;
    double *cost = em_arena_alloc(c->a, sizeof(double) * ns);
    double *card = em_arena_alloc(c->a, sizeof(double) * ns);
    uint32_t *left = em_arena_alloc(c->a, sizeof(uint32_t) * ns);
    bool *valid = em_arena_alloc(c->a, sizeof(bool) * ns);
    for (int level = 0; level < 3; level++) {
        memset(valid, 0, sizeof(bool) * ns);
        for (int r = 0; r < n; r++) {
            valid[1u << r] = true;
            cost[1u << r] = 0;
            card[1u << r] = c->rows[r];
        }
        for (uint32_t s = 1; s <= full; s++) {
            if ((s & (s - 1)) == 0) continue;
            uint32_t low = s & -s;
            for (uint32_t s1 = (s - 1) & s; s1 > 0; s1 = (s1 - 1) & s) {
                if (!(s1 & low)) continue;
                uint32_t s2 = s ^ s1;
                if (!valid[s1] || !valid[s2]) continue;
                int link = linkage(c, s1, s2);
                if (!link_allowed(link, level)) continue;
                if (!valid[s]) card[s] = join_card(c, s1, card[s1], s2, card[s2]);
                double k = cost[s1] + cost[s2] + step_cost(link, card[s1], card[s2], card[s]);
                if (!valid[s] || k < cost[s]) {
                    valid[s] = true;
                    cost[s] = k;
                    left[s] = s1;
                }
            }
        }
        if (valid[full]) break;
    }
    /* Nodes for the chosen tree. */
    int *stack = em_arena_alloc(c->a, sizeof(int) * (size_t)(2 * n + 2));
    int top = 0;
    int root = add_node(c->a, pl, (jnode){full, card[full], cost[full], -1, -1, -1});
    stack[top++] = root;
    while (top > 0) {
        int id = stack[--top];
        uint32_t s = (uint32_t)pl->nodes[id].mask;
        if ((s & (s - 1)) == 0) {
            pl->nodes[id].rel = __builtin_ctz(s);
            continue;
        }
        uint32_t s1 = left[s], s2 = s ^ s1;
        int a = add_node(c->a, pl, (jnode){s1, card[s1], cost[s1], -1, -1, -1});
        int b = add_node(c->a, pl, (jnode){s2, card[s2], cost[s2], -1, -1, -1});
        pl->nodes[id].left = a;
        pl->nodes[id].right = b;
        stack[top++] = a;
        stack[top++] = b;
    }
    return root;
}

/* Greedy: merge the linked pair with the smallest result until one tree is left. */
static int order_greedy(cluster *c, plan *pl)
{
    int n = c->nrels;
    int *live = em_arena_alloc(c->a, sizeof(int) * (size_t)n);
    for (int r = 0; r < n; r++)
        live[r] = add_node(c->a, pl, (jnode){1ULL << r, c->rows[r], 0, -1, -1, r});
    int nlive = n;
    while (nlive > 1) {
        int bi = -1, bj = -1;
        double best = 0, best_card = 0;
        for (int level = 0; level < 3 && bi < 0; level++) {
            for (int i = 0; i < nlive; i++)
                for (int j = i + 1; j < nlive; j++) {
                    const jnode *x = &pl->nodes[live[i]], *y = &pl->nodes[live[j]];
                    int link = linkage(c, x->mask, y->mask);
                    if (!link_allowed(link, level)) continue;
                    double card = join_card(c, x->mask, x->card, y->mask, y->card);
                    double k = step_cost(link, x->card, y->card, card);
                    if (bi < 0 || k < best) bi = i, bj = j, best = k, best_card = card;
                }
        }
        const jnode *x = &pl->nodes[live[bi]], *y = &pl->nodes[live[bj]];
        jnode m = {x->mask | y->mask, best_card, x->cost + y->cost + best, live[bi], live[bj], -1};
        live[bi] = add_node(c->a, pl, m);
        live[bj] = live[--nlive];
    }
    return live[0];
}

/* ---- building the tree --------------------------------------------------------- */

typedef struct built {
    em_lop *lop;
    int nrels;
    int *order; /* relations in output order */
} built;

static em_expr *and_of(em_arena *a, em_expr **items, int n)
{
    if (n == 0) return NULL;
    if (n == 1) return items[0];
    em_expr *e = em_expr_new(a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), n);
    memcpy(e->args, items, sizeof(em_expr *) * (size_t)n);
    return e;
}

/* pos[g] = output position of global column g in a subtree (or -1). */
static int *positions(cluster *c, const built *b)
{
    int *pos = em_arena_alloc(c->a, sizeof(int) * (size_t)(c->ncols + 1));
    for (int g = 0; g < c->ncols; g++) pos[g] = -1;
    int w = 0;
    for (int i = 0; i < b->nrels; i++) {
        int r = b->order[i];
        for (int k = 0; k < c->rels[r]->schema->nfields; k++) pos[c->start[r] + k] = w++;
    }
    return pos;
}

static built build(cluster *c, const plan *pl, int id, bool *used)
{
    const jnode *nd = &pl->nodes[id];
    built out = {0};
    if (nd->left < 0) {
        out.lop = c->rels[nd->rel];
        out.nrels = 1;
        out.order = em_arena_alloc(c->a, sizeof(int));
        out.order[0] = nd->rel;
        return out;
    }
    int li = nd->left, ri = nd->right;
    /* The larger input probes; the smaller is built into the hash table. */
    if (pl->nodes[li].card < pl->nodes[ri].card) {
        int t = li;
        li = ri;
        ri = t;
    }
    built l = build(c, pl, li, used), r = build(c, pl, ri, used);
    uint64_t ls = pl->nodes[li].mask, rs = pl->nodes[ri].mask, s = ls | rs;
    out.nrels = l.nrels + r.nrels;
    out.order = em_arena_alloc(c->a, sizeof(int) * (size_t)out.nrels);
    memcpy(out.order, l.order, sizeof(int) * (size_t)l.nrels);
    memcpy(out.order + l.nrels, r.order, sizeof(int) * (size_t)r.nrels);
    int *pos = positions(c, &out);

    /* Each class's members present here must end up equal: conditions as
     * written join the groups already equal (one whose sides are equal
     * already is implied, and dropped), derived equalities the rest. */
    em_expr **conds = em_arena_alloc(c->a, sizeof(em_expr *) * (size_t)(c->nconds + c->ncols + 1));
    int n = 0;
    for (int i = 0; i < c->nconds; i++) {
        if (used[i] || c->refs[i] == 0 || (c->refs[i] & ~s) != 0) continue;
        used[i] = true;
        if (c->cls[i] >= 0) {
            int x = find(c->equal, c->conds[i]->args[0]->column);
            int y = find(c->equal, c->conds[i]->args[1]->column);
            if (x == y) continue;
            c->equal[x] = y;
        }
        em_expr *e = em_expr_copy(c->a, c->conds[i]);
        em_expr_remap_columns(e, pos);
        conds[n++] = e;
    }
    for (int k = 0; k < c->nclasses; k++) {
        const jclass *cl = &c->classes[k];
        if (!(cl->rels & ls) || !(cl->rels & rs)) continue;
        int al = -1, ar = -1; /* anchors: a member on each side */
        for (int i = 0; i < cl->nm; i++) {
            uint64_t bit = 1ULL << rel_of(c, cl->col[i]);
            if ((bit & ls) && al < 0) al = cl->col[i];
            if ((bit & rs) && ar < 0) ar = cl->col[i];
        }
        for (int i = 0; i < cl->nm; i++) {
            int g = cl->col[i];
            uint64_t bit = 1ULL << rel_of(c, g);
            if (!(bit & s) || find(c->equal, g) == find(c->equal, al)) continue;
            /* Pair with the other side's anchor, so that the equality is a hash key. */
            int other = (bit & ls) ? ar : al;
            if (find(c->equal, g) == find(c->equal, other)) other = (bit & ls) ? al : ar;
            c->equal[find(c->equal, g)] = find(c->equal, other);
            em_expr *e = em_expr_copy(c->a, c->conds[cl->rep]);
            e->args[0]->column = pos[g];
            e->args[1]->column = pos[other];
            conds[n++] = e;
        }
    }
    em_lop *j = em_lop_new(c->a, EM_LOP_JOIN, 2);
    j->children[0] = l.lop;
    j->children[1] = r.lop;
    j->u.join.kind = EM_JOIN_KIND_INNER;
    j->u.join.cond = and_of(c->a, conds, n);
    int lw = l.lop->schema->nfields, rw = r.lop->schema->nfields;
    j->schema = em_lop_schema(c->a, lw + rw);
    for (int i = 0; i < lw; i++) j->schema->fields[i] = l.lop->schema->fields[i];
    for (int i = 0; i < rw; i++) j->schema->fields[lw + i] = r.lop->schema->fields[i];
    j->est_rows = nd->card;
    em__card_set_rows(c->card, j, nd->card);
    out.lop = j;
    return out;
}

/* Rows of relation r: its estimate, filtered by the conditions on it alone. */
static void rel_rows(cluster *c, int r)
{
    c->rows[r] = em__card_rows(c->card, c->rels[r]);
    for (int i = 0; i < c->nconds; i++)
        if (c->cls[i] < 0 && c->refs[i] == 1ULL << r)
            c->rows[r] = EM_MAX(1.0, c->rows[r] * c->sel[i]);
}

static void prepare(cluster *c)
{
    em_arena *a = c->a;
    int nc = c->nconds + 1;
    c->refs = em_arena_alloc(a, sizeof(uint64_t) * (size_t)nc);
    c->cls = em_arena_alloc(a, sizeof(int) * (size_t)nc);
    c->sel = em_arena_alloc(a, sizeof(double) * (size_t)nc);
    c->eq_l = em_arena_calloc(a, sizeof(uint64_t) * (size_t)nc);
    c->eq_r = em_arena_calloc(a, sizeof(uint64_t) * (size_t)nc);
    for (int i = 0; i < c->nconds; i++) c->refs[i] = refs_of(c, c->conds[i]);
    build_classes(c);
    for (int i = 0; i < c->nconds; i++) {
        const em_expr *e = c->conds[i];
        c->sel[i] = em__card_selectivity(e, global_ndv, c);
        if (is_eq(e) && em_type_equal(e->args[0]->type, e->args[1]->type)) {
            uint64_t x = refs_of(c, e->args[0]), y = refs_of(c, e->args[1]);
            if (x && y && !(x & y)) c->eq_l[i] = x, c->eq_r[i] = y;
        }
    }
    for (int r = 0; r < c->nrels; r++) rel_rows(c, r);
}

static int order(cluster *c, plan *pl)
{
    return c->nrels <= DP_RELS ? order_dp(c, pl) : order_greedy(c, pl);
}

static em_lop *rebuild(cluster *c, const em_lop *orig)
{
    em_arena *a = c->a;
    plan pl = {0};
    int root = order(c, &pl);
    bool *used = em_arena_calloc(a, sizeof(bool) * (size_t)(c->nconds + 1));
    c->equal = em_arena_alloc(a, sizeof(int) * (size_t)(c->ncols + 1));
    for (int g = 0; g < c->ncols; g++) c->equal[g] = g;
    built b = build(c, &pl, root, used);
    em_lop *tree = b.lop;
    int *pos = positions(c, &b);
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

/* ---- semi and anti joins above a cluster ------------------------------------------
 *
 * WHERE [NOT] EXISTS / IN binds as semi and anti joins above the whole FROM
 * clause. One whose condition uses a single relation of the cluster below can
 * be applied to that relation alone, before the inner joins: TPC-H Q18's
 * "o_orderkey IN (a few hundred orders)" then cuts orders to a few rows before
 * they meet lineitem. Whether it should is a matter of cost: applied below, it
 * reads the relation and shrinks everything after; applied on top, it reads
 * the cluster's result (Q21's EXISTS keeps nearly every row: on top it reads
 * the few joined rows instead of all of lineitem). */

static bool is_semi(const em_lop *p)
{
    return p->kind == EM_LOP_JOIN &&
           (p->u.join.kind == EM_JOIN_KIND_SEMI || p->u.join.kind == EM_JOIN_KIND_ANTI ||
            p->u.join.kind == EM_JOIN_KIND_ANTI_NULL_AWARE);
}

typedef struct semi_refs {
    const cluster *c;
    uint64_t mask;
} semi_refs;

static void note_semi(void *ctx, int col)
{
    semi_refs *s = ctx;
    if (col < s->c->ncols) s->mask |= 1ULL << rel_of(s->c, col);
}

/* The semi join s (whose left input has the cluster's columns) applied to
 * relation r alone. */
static em_lop *semi_on(cluster *c, const em_lop *s, int r)
{
    const em_lop *rel = c->rels[r];
    int R = s->children[1]->schema->nfields, nf = rel->schema->nfields;
    int *map = em_arena_alloc(c->a, sizeof(int) * (size_t)(c->ncols + R + 1));
    for (int g = 0; g < c->ncols; g++) map[g] = g - c->start[r];
    for (int i = 0; i < R; i++) map[c->ncols + i] = nf + i;
    em_lop *j = em_lop_new(c->a, EM_LOP_JOIN, 2);
    j->children[0] = c->rels[r];
    j->children[1] = s->children[1];
    j->u.join.kind = s->u.join.kind;
    j->u.join.cond = em_expr_copy(c->a, s->u.join.cond);
    em_expr_remap_columns(j->u.join.cond, map);
    j->schema = rel->schema;
    return j;
}

static em_lop *with_semis(em_arena *a, em__card *card, em_lop **chain, int k, em_lop *q)
{
    cluster *c = em_arena_calloc(a, sizeof(cluster));
    c->a = a;
    c->card = card;
    flatten(a, c, q, 0);
    if (c->overflow) {
        chain[k - 1]->children[0] = em_optimize_join_order(a, card, q);
        return chain[0];
    }
    for (int i = 0; i < c->nrels; i++) c->rels[i] = em_optimize_join_order(a, card, c->rels[i]);
    prepare(c);
    plan pl = {0};
    int root = order(c, &pl);
    double cost = pl.nodes[root].cost, rows = pl.nodes[root].card;
    bool pushed[16] = {0};
    for (int i = k - 1; i >= 0; i--) {
        semi_refs sr = {c, 0};
        if (chain[i]->u.join.cond) em_expr_visit_columns(chain[i]->u.join.cond, note_semi, &sr);
        if (sr.mask == 0 || (sr.mask & (sr.mask - 1)) != 0) continue;
        int r = __builtin_ctzll(sr.mask);
        em_lop *old = c->rels[r];
        double old_rows = c->rows[r];
        c->rels[r] = semi_on(c, chain[i], r);
        rel_rows(c, r);
        plan p2 = {0};
        int root2 = order(c, &p2);
        /* Each way, the semi join reads its input once. */
        if (p2.nodes[root2].cost + old_rows < cost + rows) {
            pushed[i] = true;
            cost = p2.nodes[root2].cost;
            rows = p2.nodes[root2].card;
        } else {
            c->rels[r] = old;
            c->rows[r] = old_rows;
        }
    }
    em_lop *tree = rebuild(c, q);
    for (int i = k - 1; i >= 0; i--) {
        if (pushed[i]) continue;
        chain[i]->children[0] = tree;
        tree = chain[i];
    }
    return tree;
}

em_lop *em_optimize_join_order(em_arena *a, em__card *card, em_lop *p)
{
    if (is_semi(p)) {
        em_lop *chain[16];
        int k = 0;
        em_lop *q = p;
        while (is_semi(q) && k < 16) {
            chain[k++] = q;
            q = q->children[0];
        }
        if (is_inner(q)) {
            for (int i = 0; i < k; i++)
                chain[i]->children[1] = em_optimize_join_order(a, card, chain[i]->children[1]);
            return with_semis(a, card, chain, k, q);
        }
    }
    if (!is_inner(p)) {
        for (int i = 0; i < p->nchildren; i++)
            p->children[i] = em_optimize_join_order(a, card, p->children[i]);
        return p;
    }
    cluster *c = em_arena_calloc(a, sizeof(cluster));
    c->a = a;
    c->card = card;
    flatten(a, c, p, 0);
    if (c->overflow) return p;
    for (int i = 0; i < c->nrels; i++) c->rels[i] = em_optimize_join_order(a, card, c->rels[i]);
    if (c->nrels <= 2) {
        /* Nothing to order; the relations below may have changed. */
        em_lop *l = p->children[0], *r = p->children[1];
        if (!is_inner(l) && !is_inner(r)) {
            p->children[0] = c->rels[0];
            p->children[1] = c->rels[1];
        }
        return p;
    }
    prepare(c);
    return rebuild(c, p);
}
