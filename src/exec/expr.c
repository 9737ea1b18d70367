/*
 * expr.c — bound expression trees: construction from an arena, deep copy,
 * structural equality, column visiting and remapping, and the SQL-like text
 * form EXPLAIN prints. Evaluation lives in expr_eval.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "exec/expr_int.h"

/* ---- construction ---------------------------------------------------------- */

em_expr *em_expr_new(em_arena *a, em_expr_kind kind, em_type type, int nargs)
{
    em_expr *e = em_arena_calloc(a, sizeof(*e));
    e->kind = kind;
    e->type = type;
    e->column = -1;
    e->value = em_value_null(type);
    e->nargs = nargs;
    if (nargs > 0) e->args = em_arena_calloc(a, sizeof(em_expr *) * (size_t)nargs);
    return e;
}

em_expr *em_expr_column(em_arena *a, int column, em_type type)
{
    em_expr *e = em_expr_new(a, EM_EXPR_COLUMN, type, 0);
    e->column = column;
    return e;
}

em_expr *em_expr_const(em_arena *a, em_value v)
{
    em_expr *e = em_expr_new(a, EM_EXPR_CONST, v.type, 0);
    e->value = em_value_copy(a, v);
    return e;
}

em_expr *em_expr_cast(em_arena *a, em_expr *arg, em_type to)
{
    if (em_type_equal(arg->type, to)) return arg;
    /* A NULL literal simply becomes a NULL of the wanted type. */
    if (arg->kind == EM_EXPR_CONST && arg->value.is_null)
        return em_expr_const(a, em_value_null(to));
    em_expr *e = em_expr_new(a, EM_EXPR_CAST, to, 1);
    e->args[0] = arg;
    return e;
}

em_expr *em_expr_copy(em_arena *a, const em_expr *e)
{
    if (e == NULL) return NULL;
    em_expr *c = em_arena_alloc(a, sizeof(*c));
    *c = *e;
    c->value = em_value_copy(a, e->value);
    if (e->nargs > 0) {
        c->args = em_arena_alloc(a, sizeof(em_expr *) * (size_t)e->nargs);
        for (int i = 0; i < e->nargs; i++) c->args[i] = em_expr_copy(a, e->args[i]);
    } else {
        c->args = NULL;
    }
    return c;
}

bool em_expr_is_const(const em_expr *e)
{
    return e != NULL && e->kind == EM_EXPR_CONST;
}

bool em_expr_is_foldable(const em_expr *e)
{
    if (e->kind == EM_EXPR_COLUMN) return false;
    if (e->kind == EM_EXPR_CALL && e->func != NULL && e->func->volatile_) return false;
    for (int i = 0; i < e->nargs; i++)
        if (!em_expr_is_foldable(e->args[i])) return false;
    return true;
}

static bool value_equal(const em_value *a, const em_value *b)
{
    if (!em_type_equal(a->type, b->type)) return false;
    if (a->is_null || b->is_null) return a->is_null == b->is_null;
    if (a->type.id == EM_TYPE_NULL) return true;
    return em_value_compare(a, b) == 0;
}

bool em_expr_equal(const em_expr *a, const em_expr *b)
{
    if (a == b) return true;
    if (a == NULL || b == NULL) return false;
    if (a->kind != b->kind || !em_type_equal(a->type, b->type) || a->nargs != b->nargs)
        return false;
    switch (a->kind) {
    case EM_EXPR_COLUMN:
        if (a->column != b->column) return false;
        break;
    case EM_EXPR_CONST:
        if (!value_equal(&a->value, &b->value)) return false;
        break;
    case EM_EXPR_CALL:
        if (a->func != b->func) return false;
        break;
    case EM_EXPR_CAST:
        if (a->try_cast != b->try_cast) return false;
        break;
    case EM_EXPR_IS_NULL:
    case EM_EXPR_IN_LIST:
        if (a->negated != b->negated) return false;
        break;
    case EM_EXPR_LIKE:
        if (a->negated != b->negated || a->case_insensitive != b->case_insensitive ||
            a->escape != b->escape)
            return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < a->nargs; i++)
        if (!em_expr_equal(a->args[i], b->args[i])) return false;
    return true;
}

void em_expr_visit_columns(const em_expr *e, em_expr_col_fn fn, void *ctx)
{
    if (e->kind == EM_EXPR_COLUMN) fn(ctx, e->column);
    for (int i = 0; i < e->nargs; i++) em_expr_visit_columns(e->args[i], fn, ctx);
}

void em_expr_remap_columns(em_expr *e, const int *map)
{
    if (e->kind == EM_EXPR_COLUMN) {
        int to = map[e->column];
        /* A negative target means the caller dropped a column that is still used. */
        if (to < 0) __builtin_trap();
        e->column = to;
    }
    for (int i = 0; i < e->nargs; i++) em_expr_remap_columns(e->args[i], map);
}

/* ---- formatting -------------------------------------------------------------- */

static void format_quoted(em_strbuf *out, const char *p, int32_t len)
{
    em_strbuf_putc(out, '\'');
    for (int32_t i = 0; i < len; i++) {
        if (p[i] == '\'') em_strbuf_putc(out, '\'');
        em_strbuf_putc(out, p[i]);
    }
    em_strbuf_putc(out, '\'');
}

static void format_value(const em_value *v, em_strbuf *out)
{
    if (v->is_null || v->type.id == EM_TYPE_NULL) {
        em_strbuf_puts(out, "NULL");
        return;
    }
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_VARCHAR:
        format_quoted(out, v->v.str.ptr, v->v.str.len);
        return;
    case EM_TYPE_DATE:
    case EM_TYPE_TIMESTAMP:
    case EM_TYPE_INTERVAL: {
        em_strbuf tmp;
        em_strbuf_init(&tmp);
        em_value_format(v, &tmp);
        em_strbuf_puts(out, v->type.id == EM_TYPE_DATE        ? "DATE "
                            : v->type.id == EM_TYPE_TIMESTAMP ? "TIMESTAMP "
                                                              : "INTERVAL ");
        format_quoted(out, tmp.data ? tmp.data : "", (int32_t)tmp.len);
        em_strbuf_release(&tmp);
        return;
    }
    default:
        em_value_format(v, out);
        return;
    }
}

/* Operators print infix; everything else as name(args). */
static bool is_operator_name(const char *name)
{
    return name[0] != '\0' && !isalpha((unsigned char)name[0]) && name[0] != '_';
}

static void format_list(const em_expr *e, int from, const char *const *names, em_strbuf *out)
{
    for (int i = from; i < e->nargs; i++) {
        if (i > from) em_strbuf_puts(out, ", ");
        em_expr_format(e->args[i], names, out);
    }
}

static void format_call(const em_expr *e, const char *const *names, em_strbuf *out)
{
    const char *name = e->func && e->func->name ? e->func->name : "?";
    if (e->nargs == 2 && is_operator_name(name)) {
        em_strbuf_putc(out, '(');
        em_expr_format(e->args[0], names, out);
        em_strbuf_printf(out, " %s ", name);
        em_expr_format(e->args[1], names, out);
        em_strbuf_putc(out, ')');
        return;
    }
    if (e->nargs == 1 && strcmp(name, "neg") == 0) {
        em_strbuf_puts(out, "(- ");
        em_expr_format(e->args[0], names, out);
        em_strbuf_putc(out, ')');
        return;
    }
    if (e->nargs == 2 &&
        (strcmp(name, "is_distinct") == 0 || strcmp(name, "is_not_distinct") == 0)) {
        em_strbuf_putc(out, '(');
        em_expr_format(e->args[0], names, out);
        em_strbuf_puts(out, name[3] == 'n' ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
        em_expr_format(e->args[1], names, out);
        em_strbuf_putc(out, ')');
        return;
    }
    em_strbuf_printf(out, "%s(", name);
    format_list(e, 0, names, out);
    em_strbuf_putc(out, ')');
}

void em_expr_format(const em_expr *e, const char *const *names, em_strbuf *out)
{
    char tn[48];
    if (e == NULL) {
        em_strbuf_puts(out, "?");
        return;
    }
    switch (e->kind) {
    case EM_EXPR_COLUMN:
        if (names != NULL && e->column >= 0 && names[e->column] != NULL)
            em_strbuf_puts(out, names[e->column]);
        else
            em_strbuf_printf(out, "#%d", e->column);
        return;
    case EM_EXPR_CONST:
        format_value(&e->value, out);
        return;
    case EM_EXPR_CALL:
        format_call(e, names, out);
        return;
    case EM_EXPR_CAST:
        em_strbuf_puts(out, e->try_cast ? "TRY_CAST(" : "CAST(");
        em_expr_format(e->args[0], names, out);
        em_strbuf_printf(out, " AS %s)", em_type_name(e->type, tn, sizeof(tn)));
        return;
    case EM_EXPR_CASE:
        em_strbuf_puts(out, "CASE");
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            em_strbuf_puts(out, " WHEN ");
            em_expr_format(e->args[i], names, out);
            em_strbuf_puts(out, " THEN ");
            em_expr_format(e->args[i + 1], names, out);
        }
        if (e->nargs % 2 == 1) {
            em_strbuf_puts(out, " ELSE ");
            em_expr_format(e->args[e->nargs - 1], names, out);
        }
        em_strbuf_puts(out, " END");
        return;
    case EM_EXPR_AND:
    case EM_EXPR_OR:
        em_strbuf_putc(out, '(');
        for (int i = 0; i < e->nargs; i++) {
            if (i > 0) em_strbuf_puts(out, e->kind == EM_EXPR_AND ? " AND " : " OR ");
            em_expr_format(e->args[i], names, out);
        }
        em_strbuf_putc(out, ')');
        return;
    case EM_EXPR_NOT:
        em_strbuf_puts(out, "(NOT ");
        em_expr_format(e->args[0], names, out);
        em_strbuf_putc(out, ')');
        return;
    case EM_EXPR_IS_NULL:
        em_strbuf_putc(out, '(');
        em_expr_format(e->args[0], names, out);
        em_strbuf_puts(out, e->negated ? " IS NOT NULL)" : " IS NULL)");
        return;
    case EM_EXPR_IN_LIST:
        em_strbuf_putc(out, '(');
        em_expr_format(e->args[0], names, out);
        em_strbuf_puts(out, e->negated ? " NOT IN (" : " IN (");
        format_list(e, 1, names, out);
        em_strbuf_puts(out, "))");
        return;
    case EM_EXPR_LIKE:
        em_strbuf_putc(out, '(');
        em_expr_format(e->args[0], names, out);
        em_strbuf_printf(out, " %s%s ", e->negated ? "NOT " : "",
                         e->case_insensitive ? "ILIKE" : "LIKE");
        em_expr_format(e->args[1], names, out);
        if (e->escape != 0) {
            char esc = e->escape;
            em_strbuf_puts(out, " ESCAPE ");
            format_quoted(out, &esc, 1);
        }
        em_strbuf_putc(out, ')');
        return;
    case EM_EXPR_COALESCE:
        em_strbuf_puts(out, "COALESCE(");
        format_list(e, 0, names, out);
        em_strbuf_putc(out, ')');
        return;
    }
    em_strbuf_puts(out, "?");
}
