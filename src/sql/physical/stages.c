/*
 * stages.c — cutting a physical plan into a stage DAG at its exchanges, and
 * the EXPLAIN text of the result.
 *
 * Every EXCHANGE's input becomes a map stage whose output is a shuffle; the
 * exchange itself is replaced by a SHUFFLE_READ leaf in the consuming stage.
 * Stages are numbered in post-order, so a stage's parents always have smaller
 * ids and running stages in id order respects every dependency.
 */
#include "sql/physical/physical.h"

#include "sql/catalog/catalog.h"

#include <string.h>

typedef struct cutter {
    em_arena *a;
    int nstages, cap;
    em_stage *stages;
    int nshuffles;
} cutter;

typedef struct id_list {
    int n, cap;
    int *ids;
} id_list;

static void id_push(em_arena *a, id_list *l, int id)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 4;
        int *n = em_arena_alloc(a, sizeof(int) * (size_t)ncap);
        if (l->n) memcpy(n, l->ids, sizeof(int) * (size_t)l->n);
        l->ids = n;
        l->cap = ncap;
    }
    l->ids[l->n++] = id;
}

static int new_stage(cutter *c, em_pop *root, em_pop *exchange);

/* Replace exchanges below `p` by shuffle reads, creating their stages. */
static void cut(cutter *c, em_pop *p, id_list *parents)
{
    for (int i = 0; i < p->nchildren; i++) {
        em_pop *ch = p->children[i];
        if (ch->kind != EM_POP_EXCHANGE) {
            cut(c, ch, parents);
            continue;
        }
        int sid = new_stage(c, ch->children[0], ch);
        em_pop *rd = em_pop_new(c->a, EM_POP_SHUFFLE_READ, 0);
        rd->schema = ch->schema;
        rd->nparts = ch->nparts;
        rd->u.shuffle_read.shuffle_id = ch->u.exchange.shuffle_id;
        rd->u.shuffle_read.nmaps = ch->children[0]->nparts;
        rd->u.shuffle_read.nmerge = ch->u.exchange.nmerge;
        rd->u.shuffle_read.merge_keys = ch->u.exchange.merge_keys;
        rd->u.shuffle_read.broadcast = ch->u.exchange.broadcast;
        p->children[i] = rd;
        id_push(c->a, parents, sid);
    }
}

static int new_stage(cutter *c, em_pop *root, em_pop *exchange)
{
    id_list parents = {0};
    em_pop *top = root;
    if (root->kind == EM_POP_EXCHANGE) {
        /* An exchange directly above another: the inner one is its own stage. */
        em_pop holder = {.nchildren = 1, .children = &top};
        cut(c, &holder, &parents);
        root = top;
    } else {
        cut(c, root, &parents);
    }
    if (exchange) exchange->u.exchange.shuffle_id = c->nshuffles++;
    if (c->nstages == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 8;
        em_stage *n = em_arena_calloc(c->a, sizeof(em_stage) * (size_t)ncap);
        if (c->nstages) memcpy(n, c->stages, sizeof(em_stage) * (size_t)c->nstages);
        c->stages = n;
        c->cap = ncap;
    }
    em_stage *s = &c->stages[c->nstages];
    s->id = c->nstages;
    s->root = root;
    s->nparts = root->nparts;
    s->is_result = exchange == NULL;
    if (exchange) {
        s->shuffle_id = exchange->u.exchange.shuffle_id;
        s->out_kind = exchange->u.exchange.kind;
        s->out_nparts = exchange->nparts;
        s->out_nkeys = exchange->u.exchange.nkeys;
        s->out_keys = exchange->u.exchange.keys;
    }
    s->nparents = parents.n;
    s->parents = parents.ids;
    return c->nstages++;
}

static void number(em_pop *p, int *next)
{
    p->id = (*next)++;
    for (int i = 0; i < p->nchildren; i++) number(p->children[i], next);
}

int em_stage_dag_build(em_arena *a, em_pop *root, em_stage_dag *out, em_error *err)
{
    cutter c = {.a = a};
    new_stage(&c, root, NULL);
    memset(out, 0, sizeof *out);
    out->nstages = c.nstages;
    out->stages = c.stages;
    out->nspare_shuffles = c.nstages;
    out->nshuffles = c.nshuffles + c.nstages;
    for (int i = 0; i < c.nstages; i++) number(c.stages[i].root, &out->nnodes);
    EM_UNUSED(err);
    return 0;
}

/* ---- EXPLAIN ------------------------------------------------------------- */

static void format_pop(const em_pop *p, int depth, em_arena *a, const em_op_stats *st,
                       em_strbuf *out)
{
    for (int i = 0; i < depth; i++) em_strbuf_puts(out, "  ");
    em_strbuf_puts(out, em_pop_kind_name(p->kind));
    const em_schema *in = p->nchildren ? p->children[0]->schema : p->schema;
    const char **names = em_arena_alloc(a, sizeof(char *) * (size_t)(in->nfields + 1));
    for (int i = 0; i < in->nfields; i++) names[i] = in->fields[i].name;
    switch (p->kind) {
    case EM_POP_SCAN_FILE:
    case EM_POP_SCAN_TABLE: {
        if (p->kind == EM_POP_SCAN_FILE)
            em_strbuf_printf(out, " %s %s%s (%d splits)", p->u.scan.desc->format,
                             p->u.scan.desc->nfiles ? p->u.scan.desc->files[0] : "",
                             p->u.scan.desc->nfiles > 1 ? " ..." : "", p->u.scan.desc->nsplits);
        else
            em_strbuf_printf(out, " %s", p->u.scan.table_name);
        em_strbuf_puts(out, " [");
        for (int i = 0; i < p->schema->nfields; i++)
            em_strbuf_printf(out, "%s%s", i ? ", " : "", p->schema->fields[i].name);
        em_strbuf_puts(out, "]");
        if (p->u.scan.filter) {
            em_strbuf_puts(out, " filter: ");
            em_expr_format(p->u.scan.filter, names, out);
        }
        break;
    }
    case EM_POP_VALUES:
        em_strbuf_printf(out, " %d rows", p->u.values.nrows);
        break;
    case EM_POP_SHUFFLE_READ:
        em_strbuf_printf(out, " shuffle %d from %d maps%s%s", p->u.shuffle_read.shuffle_id,
                         p->u.shuffle_read.nmaps,
                         p->u.shuffle_read.nmerge ? ", merging sorted runs" : "",
                         p->u.shuffle_read.broadcast ? ", broadcast" : "");
        break;
    case EM_POP_HASH_JOIN: {
        const em_join_spec *j = &p->u.join.spec;
        const em_schema *l = j->build_right ? p->children[0]->schema : p->children[1]->schema;
        const em_schema *r = j->build_right ? p->children[1]->schema : p->children[0]->schema;
        if (p->u.join.sort_merge)
            em_strbuf_printf(out, " %s, sort-merge", em_join_kind_name(j->kind));
        else
            em_strbuf_printf(out, " %s, build %s", em_join_kind_name(j->kind),
                             j->build_right ? "right" : "left");
        for (int k = 0; k < j->nkeys; k++)
            em_strbuf_printf(out, "%s%s = %s", k ? " AND " : " on ",
                             l->fields[j->left_keys[k]].name, r->fields[j->right_keys[k]].name);
        if (j->residual) {
            const char **both = em_arena_alloc(a, sizeof(char *) * (size_t)(l->nfields + r->nfields + 1));
            for (int i = 0; i < l->nfields; i++) both[i] = l->fields[i].name;
            for (int i = 0; i < r->nfields; i++) both[l->nfields + i] = r->fields[i].name;
            em_strbuf_puts(out, j->nkeys ? " AND " : " on ");
            em_expr_format(j->residual, both, out);
        }
        break;
    }
    case EM_POP_WINDOW:
        em_strbuf_printf(out, " %d function%s, partition by %d column%s", p->u.window.ncalls,
                         p->u.window.ncalls == 1 ? "" : "s", p->u.window.npartition,
                         p->u.window.npartition == 1 ? "" : "s");
        break;
    case EM_POP_FILTER:
        em_strbuf_puts(out, " ");
        em_expr_format(p->u.filter.pred, names, out);
        break;
    case EM_POP_UNNEST:
        em_unnest_format(&p->u.unnest.spec, p->u.unnest.npass, p->u.unnest.pass, names, out);
        break;
    case EM_POP_PROJECT:
        em_strbuf_puts(out, " [");
        for (int i = 0; i < p->u.project.nexprs; i++) {
            if (i) em_strbuf_puts(out, ", ");
            em_expr_format(p->u.project.exprs[i], names, out);
        }
        em_strbuf_puts(out, "]");
        break;
    case EM_POP_HASH_AGG: {
        static const char *modes[] = {"complete", "partial", "final", "merge"};
        em_strbuf_printf(out, " (%s) keys: [", modes[p->u.agg.mode]);
        for (int i = 0; i < p->u.agg.nkeys; i++) {
            if (i) em_strbuf_puts(out, ", ");
            em_expr_format(p->u.agg.keys[i], names, out);
        }
        em_strbuf_puts(out, "] aggs: [");
        for (int i = 0; i < p->u.agg.naggs; i++) {
            const em_agg_call *c = &p->u.agg.aggs[i];
            em_strbuf_printf(out, "%s%s(%s", i ? ", " : "", em_agg_name(c->kind),
                             c->distinct ? "DISTINCT " : "");
            bool raw = p->u.agg.mode != EM_AGG_MODE_FINAL && p->u.agg.mode != EM_AGG_MODE_MERGE;
            if (c->arg && raw) {
                em_expr_format(c->arg, names, out);
                if (c->arg2) em_strbuf_puts(out, ", ");
                if (c->arg2) em_expr_format(c->arg2, names, out);
            } else
                em_strbuf_puts(out, c->arg ? "..." : "*");
            em_strbuf_puts(out, ")");
        }
        em_strbuf_puts(out, "]");
        break;
    }
    case EM_POP_SORT:
        em_strbuf_puts(out, " [");
        for (int i = 0; i < p->u.sort.nkeys; i++) {
            const em_sort_key *k = &p->u.sort.keys[i];
            em_strbuf_printf(out, "%s%s %s", i ? ", " : "", names[k->column],
                             k->desc ? "DESC" : "ASC");
        }
        em_strbuf_puts(out, "]");
        if (p->u.sort.limit >= 0) em_strbuf_printf(out, " top %lld", (long long)p->u.sort.limit);
        break;
    case EM_POP_LIMIT:
        if (p->u.limit.limit >= 0) em_strbuf_printf(out, " %lld", (long long)p->u.limit.limit);
        if (p->u.limit.offset) em_strbuf_printf(out, " offset %lld", (long long)p->u.limit.offset);
        break;
    default:
        break;
    }
    if (st) {
        const em_op_stats *x = &st[p->id];
        em_strbuf_printf(out, "  [rows=%lld, time=%.1f ms", (long long)x->rows_out,
                         (double)x->nanos / 1e6);
        if (x->mem_peak) em_strbuf_printf(out, ", memory=%lld KiB", (long long)(x->mem_peak >> 10));
        if (x->spilled) em_strbuf_printf(out, ", spilled=%lld KiB", (long long)(x->spilled >> 10));
        em_strbuf_putc(out, ']');
    }
    em_strbuf_putc(out, '\n');
    for (int i = 0; i < p->nchildren; i++) format_pop(p->children[i], depth + 1, a, st, out);
}

void em_stage_dag_format(const em_stage_dag *dag, const em_op_stats *st, em_strbuf *out)
{
    em_arena *a = em_arena_create(4096);
    for (int i = dag->nstages - 1; i >= 0; i--) {
        const em_stage *s = &dag->stages[i];
        em_strbuf_printf(out, "Stage %d (%d task%s) -> ", s->id, s->nparts,
                         s->nparts == 1 ? "" : "s");
        if (s->is_result)
            em_strbuf_puts(out, "result");
        else if (s->out_kind == EM_EXCHANGE_HASH) {
            em_strbuf_printf(out, "shuffle %d, hash(", s->shuffle_id);
            for (int k = 0; k < s->out_nkeys; k++)
                em_strbuf_printf(out, "%s%s", k ? ", " : "",
                                 s->root->schema->fields[s->out_keys[k]].name);
            em_strbuf_printf(out, ") into %d partitions", s->out_nparts);
        } else
            em_strbuf_printf(out, "shuffle %d, single partition", s->shuffle_id);
        if (s->nparents) {
            em_strbuf_puts(out, ", after stage");
            for (int k = 0; k < s->nparents; k++)
                em_strbuf_printf(out, "%s %d", k ? "," : "", s->parents[k]);
        }
        em_strbuf_putc(out, '\n');
        format_pop(s->root, 1, a, st, out);
    }
    em_arena_destroy(a);
}
