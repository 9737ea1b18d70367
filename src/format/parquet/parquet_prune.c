/*
 * parquet_prune.c — skipping row groups (and whole files) that cannot hold a
 * row the scan's pushed-down filters accept.
 *
 * Simple conjuncts are recognized: column <op> constant for = <> < <= > >=
 * (either side; a widening cast of the column is fine), column IS [NOT] NULL
 * and column IN (constants). A row group is skipped when a conjunct is false
 * for every row, judged from its min/max/null_count statistics; a file is
 * skipped when a conjunct on a partition column is false for its directory
 * value. The result is a copy of the scan description whose splits leave out
 * the skipped row groups (a row group belongs to the split holding its first
 * byte, so narrowing a split to start at a kept row group drops the ones
 * before it). The filters still run on every row that is read.
 */
#include "format/parquet/parquet.h"

#include "exec/expr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_NULL, OP_NOTNULL, OP_IN };

typedef struct pred {
    int col; /* column of desc->schema */
    int op;
    int nv;
    const em_value *v;        /* the constant (the plan's), or NULL */
    const em_expr *const *in; /* OP_IN: the list's constant expressions */
} pred;

typedef struct pred_list {
    pred *items;
    int n, cap;
} pred_list;

static bool is_const(const em_expr *e)
{
    return e->kind == EM_EXPR_CONST;
}

/* The desc column under e when e is a column or a widening cast of one. */
static int column_of(const em_expr *e, const int *cols, int ncols)
{
    if (e->kind == EM_EXPR_CAST && !e->try_cast && e->nargs == 1) {
        const em_expr *in = e->args[0];
        em_type from = in->type, to = e->type;
        bool ok = false;
        switch (from.id) {
        case EM_TYPE_INTEGER:
            ok = to.id == EM_TYPE_BIGINT || to.id == EM_TYPE_DOUBLE || to.id == EM_TYPE_DECIMAL;
            break;
        case EM_TYPE_BIGINT:
            ok = to.id == EM_TYPE_DOUBLE || to.id == EM_TYPE_DECIMAL;
            break;
        case EM_TYPE_DECIMAL:
            ok = to.id == EM_TYPE_DOUBLE || (to.id == EM_TYPE_DECIMAL && to.scale >= from.scale);
            break;
        case EM_TYPE_DATE:
            ok = to.id == EM_TYPE_TIMESTAMP;
            break;
        default:
            break;
        }
        if (!ok) return -1;
        e = in;
    }
    if (e->kind != EM_EXPR_COLUMN || e->column < 0 || e->column >= ncols) return -1;
    return cols[e->column];
}

/* Whether values of a and b compare meaningfully with em_value_compare. */
static bool comparable(em_type a, em_type b)
{
    if (a.id == b.id) return true;
    if (em_type_is_numeric(a) && em_type_is_numeric(b)) return true;
    return (a.id == EM_TYPE_DATE && b.id == EM_TYPE_TIMESTAMP) ||
           (a.id == EM_TYPE_TIMESTAMP && b.id == EM_TYPE_DATE);
}

static void add(pred_list *l, pred p)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = em_realloc(l->items, sizeof *l->items * (size_t)l->cap);
    }
    l->items[l->n++] = p;
}

static void collect(const em_expr *e, const int *cols, int ncols, const em_schema *s, pred_list *l)
{
    if (e->kind == EM_EXPR_AND) {
        for (int i = 0; i < e->nargs; i++) collect(e->args[i], cols, ncols, s, l);
        return;
    }
    if (e->kind == EM_EXPR_IS_NULL && e->nargs == 1) {
        int c = column_of(e->args[0], cols, ncols);
        if (c >= 0) add(l, (pred){c, e->negated ? OP_NOTNULL : OP_NULL, 0, NULL, NULL});
        return;
    }
    if (e->kind == EM_EXPR_IN_LIST && !e->negated && e->nargs >= 2) {
        int c = column_of(e->args[0], cols, ncols);
        if (c < 0) return;
        for (int i = 1; i < e->nargs; i++)
            if (!is_const(e->args[i]) || !comparable(s->fields[c].type, e->args[i]->value.type))
                return;
        add(l, (pred){c, OP_IN, e->nargs - 1, NULL, (const em_expr *const *)(e->args + 1)});
        return;
    }
    if (e->kind != EM_EXPR_CALL || e->nargs != 2 || e->func == NULL) return;
    static const char *const names[] = {"=", "<>", "<", "<=", ">", ">="};
    static const int flip[] = {OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE};
    int op = -1;
    for (int i = 0; i < 6; i++)
        if (strcmp(e->func->name, names[i]) == 0) op = i;
    if (op < 0) return;
    const em_expr *a = e->args[0], *b = e->args[1];
    if (is_const(a) && !is_const(b)) {
        const em_expr *t = a;
        a = b;
        b = t;
        op = flip[op];
    }
    if (!is_const(b)) return;
    int c = column_of(a, cols, ncols);
    if (c < 0 || !comparable(s->fields[c].type, b->value.type)) return;
    add(l, (pred){c, op, 1, &b->value, NULL});
}

static const em_value *in_value(const pred *p, int i)
{
    return p->op == OP_IN ? &p->in[i]->value : p->v;
}

/* What is known about a column in a row group (or a file, for partitions). */
typedef struct colstat {
    bool minmax;
    em_value min, max;
    int64_t nulls; /* -1 unknown */
    int64_t rows;
} colstat;

static bool is_nan(const em_value *v)
{
    return v->type.id == EM_TYPE_DOUBLE && isnan(v->v.f64);
}

/* True when no row can satisfy the predicate. */
static bool refutes(const pred *p, const colstat *st)
{
    bool all_null = st->nulls >= 0 && st->nulls == st->rows;
    if (p->op == OP_NULL) return st->nulls == 0;
    if (p->op == OP_NOTNULL) return all_null;
    if (all_null && st->rows > 0) return true;
    for (int i = 0; i < p->nv; i++)
        if (in_value(p, i)->is_null) {
            /* x = NULL is never true; IN with a NULL member may still match others. */
            if (p->op != OP_IN) return true;
        }
    if (!st->minmax || is_nan(&st->min) || is_nan(&st->max)) return false;
    const em_value *v = in_value(p, 0);
    if (p->op != OP_IN && is_nan(v)) return false;
    int lo = p->op == OP_IN ? 0 : em_value_compare(v, &st->min);
    int hi = p->op == OP_IN ? 0 : em_value_compare(v, &st->max);
    switch (p->op) {
    case OP_EQ:
        return lo < 0 || hi > 0;
    case OP_NE:
        return lo == 0 && hi == 0 && st->nulls >= 0;
    case OP_LT:
        return lo <= 0; /* v <= min: no x < v */
    case OP_LE:
        return lo < 0;
    case OP_GT:
        return hi >= 0;
    case OP_GE:
        return hi > 0;
    case OP_IN:
        for (int i = 0; i < p->nv; i++) {
            const em_value *x = in_value(p, i);
            if (x->is_null) continue;
            if (is_nan(x)) return false;
            if (em_value_compare(x, &st->min) >= 0 && em_value_compare(x, &st->max) <= 0)
                return false;
        }
        return true;
    default:
        return false;
    }
}

/* ---- statistics as values ---------------------------------------------------------- */

static bool stat_value(const em__pq_node *node, const em__pq_bytes *b, em_arena *a, em_value *out)
{
    const uint8_t *p = b->p;
    int32_t n = b->n;
    em_type t = node->type;
    int32_t i32;
    int64_t i64;
    switch (node->conv) {
    case EM__PQ_CV_BOOL:
        if (n < 1) return false;
        *out = em_value_bool(p[0] != 0);
        return true;
    case EM__PQ_CV_I32:
    case EM__PQ_CV_DATE:
    case EM__PQ_CV_U32:
    case EM__PQ_CV_DEC32:
        if (n != 4) return false;
        memcpy(&i32, p, 4);
        if (node->conv == EM__PQ_CV_I32)
            *out = em_value_int(i32);
        else if (node->conv == EM__PQ_CV_DATE)
            *out = em_value_date(i32);
        else if (node->conv == EM__PQ_CV_U32)
            *out = em_value_bigint((int64_t)(uint32_t)i32);
        else
            *out = em_value_decimal(i32, t.precision, t.scale);
        return true;
    case EM__PQ_CV_I64:
    case EM__PQ_CV_U64:
    case EM__PQ_CV_DEC64:
    case EM__PQ_CV_TS_MILLIS:
    case EM__PQ_CV_TS_MICROS:
    case EM__PQ_CV_TS_NANOS:
        if (n != 8) return false;
        memcpy(&i64, p, 8);
        if (node->conv == EM__PQ_CV_I64)
            *out = em_value_bigint(i64);
        else if (node->conv == EM__PQ_CV_U64) {
            if (i64 < 0) return false;
            *out = em_value_bigint(i64);
        } else if (node->conv == EM__PQ_CV_DEC64)
            *out = em_value_decimal(i64, t.precision, t.scale);
        else if (node->conv == EM__PQ_CV_TS_MILLIS) {
            int64_t us;
            if (__builtin_mul_overflow(i64, (int64_t)1000, &us)) return false;
            *out = em_value_timestamp(us);
        } else if (node->conv == EM__PQ_CV_TS_MICROS)
            *out = em_value_timestamp(i64);
        else
            *out = em_value_timestamp(i64 / 1000 - (i64 % 1000 < 0));
        return true;
    case EM__PQ_CV_FLOAT: {
        if (n != 4) return false;
        float f;
        memcpy(&f, p, 4);
        *out = em_value_double(f);
        return true;
    }
    case EM__PQ_CV_DOUBLE: {
        if (n != 8) return false;
        double d;
        memcpy(&d, p, 8);
        *out = em_value_double(d);
        return true;
    }
    case EM__PQ_CV_DECBYTES: {
        if (n > 8 || n < 1) return false;
        uint64_t v = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
        for (int32_t k = 0; k < n; k++) v = v << 8 | p[k];
        *out = em_value_decimal((int64_t)v, t.precision, t.scale);
        return true;
    }
    case EM__PQ_CV_STRING:
        *out = em_value_varchar(em_arena_strndup(a, (const char *)p, (size_t)n), n);
        return true;
    default:
        return false;
    }
}

bool em__pq_stats_minmax(const em__pq_file *f, int row_group, int leaf, em_arena *a, em_value *min,
                         em_value *max)
{
    const em__pq_column_chunk *cc = &f->meta.row_groups[row_group].columns[leaf];
    if (!cc->has_meta || !cc->meta.has_stats) return false;
    const em__pq_node *node = &f->schema.nodes[f->schema.leaf_node[leaf]];
    if (node->problem != NULL) return false;
    const em__pq_stats *s = &cc->meta.stats;
    const em__pq_bytes *lo = &s->min_value, *hi = &s->max_value;
    if (!lo->set || !hi->set) {
        /* The legacy fields sort signed, which is right only for signed numbers. */
        bool signed_ok = node->el->type == EM__PQ_INT32 || node->el->type == EM__PQ_INT64 ||
                         node->el->type == EM__PQ_FLOAT || node->el->type == EM__PQ_DOUBLE ||
                         node->el->type == EM__PQ_BOOLEAN;
        if (!signed_ok || node->conv == EM__PQ_CV_U32 || node->conv == EM__PQ_CV_U64 ||
            !s->min.set || !s->max.set)
            return false;
        lo = &s->min;
        hi = &s->max;
    }
    return stat_value(node, lo, a, min) && stat_value(node, hi, a, max);
}

static void leaf_stat(const em__pq_file *f, int g, int field, em_arena *a, colstat *st)
{
    const em__pq_schema *s = &f->schema;
    memset(st, 0, sizeof *st);
    st->nulls = -1;
    st->rows = f->meta.row_groups[g].num_rows;
    if (s->field_nested[field]) return;
    int leaf = s->nodes[s->field_node[field]].leaf;
    const em__pq_column_chunk *cc = &f->meta.row_groups[g].columns[leaf];
    if (cc->has_meta && cc->meta.has_stats) st->nulls = cc->meta.stats.null_count;
    st->minmax = em__pq_stats_minmax(f, g, leaf, a, &st->min, &st->max);
}

/* ---- pruning ------------------------------------------------------------------------ */

typedef struct rgpos {
    int64_t start;
    bool keep;
} rgpos;

static int cmp_rg(const void *x, const void *y)
{
    int64_t a = ((const rgpos *)x)->start, b = ((const rgpos *)y)->start;
    return a < b ? -1 : a > b;
}

/* Splits of `file` in d, narrowed to the kept row groups, appended to out. */
static void narrow(const em_scan_desc *d, int file, const rgpos *rg, int nrg, em_scan_desc *out)
{
    for (int s = 0; s < d->nsplits; s++) {
        const em_split *sp = &d->splits[s];
        if (sp->file != file) continue;
        int first = -1, last = -1;
        bool all = true;
        for (int g = 0; g < nrg; g++) {
            if (rg[g].start < sp->start || rg[g].start >= sp->end) continue;
            if (first < 0) first = g;
            last = g;
            all = all && rg[g].keep;
        }
        if (first < 0 || all) {
            em__add_split(out, file, sp->start, sp->end);
            continue;
        }
        for (int g = first; g <= last; g++) {
            if (!rg[g].keep) continue;
            int e = g;
            while (e + 1 <= last && rg[e + 1].keep) e++;
            int64_t end = e + 1 <= last ? rg[e + 1].start : sp->end;
            em__add_split(out, file, rg[g].start, end);
            g = e;
        }
    }
}

int em__pq_prune(const em_scan_desc *desc, const int *cols, int ncols, int nfilters,
                 struct em_expr *const *filters, em_scan_desc **out, em_error *err)
{
    *out = NULL;
    if (desc->schema == NULL || nfilters <= 0) return 0;
    pred_list l = {0};
    for (int i = 0; i < nfilters; i++)
        if (filters[i]) collect(filters[i], cols, ncols, desc->schema, &l);
    if (l.n == 0) return 0;
    int nfile = desc->schema->nfields - em__pq_hive_columns(desc);
    em_scan_desc *nd = em_scan_desc_copy(desc);
    em_free(nd->splits);
    nd->splits = NULL;
    nd->nsplits = 0;
    em_arena *a = em_arena_create(4096);
    bool pruned = false;
    int rc = 0;
    for (int fi = 0; fi < desc->nfiles && rc == 0; fi++) {
        bool has_split = false;
        for (int s = 0; s < desc->nsplits; s++) has_split = has_split || desc->splits[s].file == fi;
        if (!has_split) continue;
        /* Directory values first: they can drop the file unopened. */
        bool drop = false;
        for (int k = 0; k < l.n && !drop; k++) {
            const pred *p = &l.items[k];
            if (p->col < nfile) continue;
            const em_field *fd = &desc->schema->fields[p->col];
            em_value v = em__pq_hive_value(a, desc->files[fi], fd->name, fd->type);
            colstat st = {.minmax = !v.is_null, .min = v, .max = v, .nulls = v.is_null, .rows = 1};
            drop = refutes(p, &st);
        }
        if (drop) {
            pruned = true;
            continue;
        }
        em__pq_file f;
        rc = em__pq_file_open(&f, desc->files[fi], err);
        if (rc < 0) break;
        int nrg = f.meta.nrow_groups;
        rgpos *rg = em_malloc(sizeof *rg * (size_t)(nrg > 0 ? nrg : 1));
        /* Map the predicates' columns to this file's fields. */
        for (int g = 0; g < nrg; g++) {
            rg[g].start = em__pq_rg_start(&f.meta.row_groups[g]);
            rg[g].keep = true;
            for (int k = 0; k < l.n && rg[g].keep; k++) {
                const pred *p = &l.items[k];
                if (p->col >= nfile) continue;
                int field = em__pq_file_field(&f, desc->schema->fields[p->col].name);
                if (field < 0) continue;
                colstat st;
                leaf_stat(&f, g, field, a, &st);
                if (refutes(p, &st)) rg[g].keep = false;
            }
            pruned = pruned || !rg[g].keep;
        }
        qsort(rg, (size_t)nrg, sizeof *rg, cmp_rg);
        narrow(desc, fi, rg, nrg, nd);
        em_free(rg);
        em__pq_file_close(&f);
    }
    em_arena_destroy(a);
    em_free(l.items);
    if (rc < 0 || !pruned) {
        em_scan_desc_destroy(nd);
        return rc;
    }
    if (nd->nsplits == 0) em__add_split(nd, 0, 0, 0); /* an empty scan still has a task */
    *out = nd;
    return 0;
}
