/*
 * logical.c — construction and EXPLAIN text of logical plans.
 */
#include "sql/logical/logical.h"

#include "sql/catalog/catalog.h"

#include <string.h>

em_lop *em_lop_new(em_arena *a, em_lop_kind kind, int nchildren)
{
    em_lop *p = em_arena_calloc(a, sizeof(em_lop));
    p->kind = kind;
    p->nchildren = nchildren;
    p->children = em_arena_calloc(a, sizeof(em_lop *) * (size_t)(nchildren ? nchildren : 1));
    p->est_rows = -1;
    return p;
}

em_schema *em_lop_schema(em_arena *a, int nfields)
{
    em_schema *s = em_arena_calloc(a, sizeof(em_schema));
    s->nfields = nfields;
    s->fields = em_arena_calloc(a, sizeof(em_field) * (size_t)(nfields ? nfields : 1));
    return s;
}

const char *em_lop_kind_name(em_lop_kind k)
{
    static const char *names[] = {"Scan", "TableScan", "Values", "Filter", "Project", "Aggregate",
                                  "Sort", "Limit",     "Union",  "Join",   "Window",  "Unnest"};
    return k <= EM_LOP_UNNEST ? names[k] : "?";
}

const char *em_join_kind_name(em_join_kind k)
{
    static const char *names[] = {"inner", "left", "right", "full", "semi", "anti", "anti (null-aware)"};
    return k <= EM_JOIN_KIND_ANTI_NULL_AWARE ? names[k] : "?";
}

static const char **child_names(const em_lop *p, em_arena *a)
{
    const em_schema *s = p->nchildren ? p->children[0]->schema : p->schema;
    int n = s->nfields;
    if (p->kind == EM_LOP_JOIN) n += p->children[1]->schema->nfields;
    const char **names = em_arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < s->nfields; i++) names[i] = s->fields[i].name;
    if (p->kind == EM_LOP_JOIN) {
        const em_schema *r = p->children[1]->schema;
        for (int i = 0; i < r->nfields; i++) names[s->nfields + i] = r->fields[i].name;
    }
    return names;
}

static void format_node(const em_lop *p, int depth, em_arena *a, em_strbuf *out)
{
    for (int i = 0; i < depth; i++) em_strbuf_puts(out, "  ");
    em_strbuf_puts(out, em_lop_kind_name(p->kind));
    const char *const *in = child_names(p, a);
    switch (p->kind) {
    case EM_LOP_SCAN_FILE:
    case EM_LOP_SCAN_TABLE: {
        if (p->kind == EM_LOP_SCAN_FILE)
            em_strbuf_printf(out, " %s %s%s", p->u.scan.desc->format,
                             p->u.scan.desc->nfiles ? p->u.scan.desc->files[0] : "",
                             p->u.scan.desc->nfiles > 1 ? " ..." : "");
        else
            em_strbuf_printf(out, " %s", p->u.scan.table->name);
        em_strbuf_puts(out, " [");
        for (int i = 0; i < p->schema->nfields; i++)
            em_strbuf_printf(out, "%s%s", i ? ", " : "", p->schema->fields[i].name);
        em_strbuf_puts(out, "]");
        const char **own = em_arena_alloc(a, sizeof(char *) * (size_t)(p->schema->nfields + 1));
        for (int i = 0; i < p->schema->nfields; i++) own[i] = p->schema->fields[i].name;
        for (int i = 0; i < p->u.scan.nfilters; i++) {
            em_strbuf_puts(out, i ? " AND " : " filter: ");
            em_expr_format(p->u.scan.filters[i], own, out);
        }
        break;
    }
    case EM_LOP_VALUES:
        em_strbuf_printf(out, " %d rows", p->u.values.nrows);
        break;
    case EM_LOP_FILTER:
        em_strbuf_puts(out, " ");
        em_expr_format(p->u.filter.pred, in, out);
        break;
    case EM_LOP_PROJECT:
        em_strbuf_puts(out, " [");
        for (int i = 0; i < p->u.project.nexprs; i++) {
            if (i) em_strbuf_puts(out, ", ");
            em_expr_format(p->u.project.exprs[i], in, out);
            const char *n = p->schema->fields[i].name;
            if (p->u.project.exprs[i]->kind != EM_EXPR_COLUMN ||
                strcmp(in[p->u.project.exprs[i]->column], n) != 0)
                em_strbuf_printf(out, " AS %s", n);
        }
        em_strbuf_puts(out, "]");
        break;
    case EM_LOP_AGGREGATE:
        em_strbuf_puts(out, " keys: [");
        for (int i = 0; i < p->u.agg.nkeys; i++) {
            if (i) em_strbuf_puts(out, ", ");
            em_expr_format(p->u.agg.keys[i], in, out);
        }
        em_strbuf_puts(out, "] aggs: [");
        for (int i = 0; i < p->u.agg.naggs; i++) {
            const em_agg_call *c = &p->u.agg.aggs[i];
            em_strbuf_printf(out, "%s%s(%s", i ? ", " : "", em_agg_name(c->kind),
                             c->distinct ? "DISTINCT " : "");
            if (c->arg)
                em_expr_format(c->arg, in, out);
            else
                em_strbuf_puts(out, "*");
            if (c->arg2) {
                em_strbuf_puts(out, ", ");
                em_expr_format(c->arg2, in, out);
            }
            em_strbuf_puts(out, ")");
            if (c->filter) {
                em_strbuf_puts(out, " FILTER (");
                em_expr_format(c->filter, in, out);
                em_strbuf_puts(out, ")");
            }
        }
        em_strbuf_puts(out, "]");
        break;
    case EM_LOP_SORT:
        em_strbuf_puts(out, " [");
        for (int i = 0; i < p->u.sort.nkeys; i++) {
            const em_sort_key *k = &p->u.sort.keys[i];
            em_strbuf_printf(out, "%s%s %s NULLS %s", i ? ", " : "", in[k->column],
                             k->desc ? "DESC" : "ASC", k->nulls_first ? "FIRST" : "LAST");
        }
        em_strbuf_puts(out, "]");
        break;
    case EM_LOP_LIMIT:
        if (p->u.limit.limit >= 0) em_strbuf_printf(out, " %lld", (long long)p->u.limit.limit);
        if (p->u.limit.offset > 0)
            em_strbuf_printf(out, " offset %lld", (long long)p->u.limit.offset);
        break;
    case EM_LOP_UNION:
        em_strbuf_puts(out, " ALL");
        break;
    case EM_LOP_JOIN:
        em_strbuf_printf(out, " %s", em_join_kind_name(p->u.join.kind));
        if (p->u.join.cond) {
            em_strbuf_puts(out, " on ");
            em_expr_format(p->u.join.cond, in, out);
        }
        break;
    case EM_LOP_UNNEST:
        em_unnest_format(&p->u.unnest.spec, p->u.unnest.npass, p->u.unnest.pass, in, out);
        break;
    case EM_LOP_WINDOW:
        em_strbuf_printf(out, " %d function%s", p->u.window.ncalls,
                         p->u.window.ncalls == 1 ? "" : "s");
        if (p->u.window.npartition) {
            em_strbuf_puts(out, " partition by [");
            for (int i = 0; i < p->u.window.npartition; i++) {
                if (i) em_strbuf_puts(out, ", ");
                em_expr_format(p->u.window.partition[i], in, out);
            }
            em_strbuf_puts(out, "]");
        }
        break;
    }
    em_strbuf_putc(out, '\n');
    for (int i = 0; i < p->nchildren; i++) format_node(p->children[i], depth + 1, a, out);
}

void em_lop_format(const em_lop *p, em_strbuf *out)
{
    em_arena *a = em_arena_create(4096);
    format_node(p, 0, a, out);
    em_arena_destroy(a);
}
