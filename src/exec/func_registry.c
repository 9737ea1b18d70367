/*
 * func_registry.c — the scalar function registry: overload resolution with
 * implicit casts, the list of names, and lookups the evaluator needs.
 *
 * Each func_*.c file contributes a static table of overloads. Resolution
 * scores every overload of the name by the casts it would need and picks the
 * cheapest (ties go to the one registered first). Implicit casts are numeric
 * widening INTEGER -> BIGINT -> DECIMAL -> DOUBLE, DATE -> TIMESTAMP, a NULL
 * literal to anything, a VARCHAR (in practice a string literal) to TIMESTAMP
 * or DATE for named functions (not operators) so that year('2024-01-02')
 * works, and, only for || and concat(), any type to VARCHAR. INTEGER converts to DECIMAL(10,0) and
 * BIGINT to DECIMAL(18,0); operators that need equal scales get one common DECIMAL.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exec/expr_int.h"

static const em__func_table *const tables[] = {
    &em__funcs_arith, &em__funcs_compare, &em__funcs_string, &em__funcs_date, &em__funcs_math,
};

int em__func_flags(const em_func *f)
{
    uintptr_t p = (uintptr_t)f;
    for (size_t t = 0; t < EM_ARRAY_LEN(tables); t++) {
        uintptr_t base = (uintptr_t)tables[t]->defs;
        uintptr_t end = base + sizeof(em__func_def) * (size_t)tables[t]->count;
        if (p >= base && p < end) return ((const em__func_def *)f)->flags;
    }
    return 0;
}

bool em_func_exists(const char *name)
{
    for (size_t t = 0; t < EM_ARRAY_LEN(tables); t++)
        for (int i = 0; i < tables[t]->count; i++)
            if (strcasecmp(tables[t]->defs[i].f.name, name) == 0) return true;
    return false;
}

/* ---- names ------------------------------------------------------------------ */

static const char **all_names;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* Internal names the binder produces itself; not worth suggesting to users. */
static bool is_public_name(const char *name)
{
    if (name[0] < 'a' || name[0] > 'z') return false; /* operators */
    return strcmp(name, "neg") != 0 && strcmp(name, "is_distinct") != 0 &&
           strcmp(name, "is_not_distinct") != 0;
}

static void build_names(void)
{
    int total = 0;
    for (size_t t = 0; t < EM_ARRAY_LEN(tables); t++) total += tables[t]->count;
    /* Allocated once for the life of the process. */
    all_names = em_calloc((size_t)total + 1, sizeof(char *));
    int n = 0;
    for (size_t t = 0; t < EM_ARRAY_LEN(tables); t++) {
        for (int i = 0; i < tables[t]->count; i++) {
            const char *name = tables[t]->defs[i].f.name;
            if (!is_public_name(name)) continue;
            bool seen = false;
            for (int k = 0; k < n && !seen; k++) seen = strcmp(all_names[k], name) == 0;
            if (!seen) all_names[n++] = name;
        }
    }
    all_names[n] = NULL;
}

const char *const *em_func_names(void)
{
    pthread_once(&names_once, build_names);
    return all_names;
}

/* ---- resolution ---------------------------------------------------------------- */

static int numeric_rank(em_type_id id)
{
    switch (id) {
    case EM_TYPE_INTEGER:
        return 0;
    case EM_TYPE_BIGINT:
        return 1;
    case EM_TYPE_DECIMAL:
        return 2;
    case EM_TYPE_DOUBLE:
        return 3;
    default:
        return -1;
    }
}

/* Cost of converting an argument of type `from` to a parameter of type `to`;
 * -1 when there is no implicit conversion. */
static int conv_cost(em_type from, em_type to, int flags, bool is_operator)
{
    if (from.id == to.id) return 0;
    if (from.id == EM_TYPE_NULL) return 1;
    int rf = numeric_rank((em_type_id)from.id), rt = numeric_rank((em_type_id)to.id);
    if (rf >= 0 && rt >= 0) return rf < rt ? 2 * (rt - rf) : -1;
    if (from.id == EM_TYPE_DATE && to.id == EM_TYPE_TIMESTAMP) return 2;
    /* Only named functions: `amount + name` must not parse name as a date. */
    if (from.id == EM_TYPE_VARCHAR && to.id == EM_TYPE_TIMESTAMP && !is_operator) return 20;
    if (from.id == EM_TYPE_VARCHAR && to.id == EM_TYPE_DATE && !is_operator) return 21;
    if (to.id == EM_TYPE_VARCHAR && (flags & EM__FN_ANY_VARCHAR)) return 30;
    return -1;
}

static em_type param_type(const em_func *f, int i)
{
    return f->nargs < 0 ? f->arg_types[0] : f->arg_types[i];
}

/* The DECIMAL an argument becomes when the parameter is DECIMAL. */
static em_type as_decimal(em_type t)
{
    switch ((em_type_id)t.id) {
    case EM_TYPE_DECIMAL:
        return t;
    case EM_TYPE_INTEGER:
        return em_type_decimal(10, 0);
    default:
        return em_type_decimal(18, 0); /* BIGINT, NULL */
    }
}

static void format_param_list(const em_func *f, em_strbuf *sb)
{
    char buf[48];
    em_strbuf_printf(sb, "%s(", f->name);
    int n = f->nargs < 0 ? 1 : f->nargs;
    for (int i = 0; i < n; i++) {
        if (i > 0) em_strbuf_puts(sb, ", ");
        em_type t = f->arg_types[i];
        em_strbuf_puts(sb, t.id == EM_TYPE_DECIMAL ? "DECIMAL" : em_type_name(t, buf, sizeof(buf)));
    }
    if (f->nargs < 0) em_strbuf_puts(sb, ", ...");
    em_strbuf_putc(sb, ')');
}

static int no_match(const char *name, int nargs, const em_type *arg_types, em_error *err)
{
    char buf[48];
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_printf(&sb, "no function matches %s(", name);
    for (int i = 0; i < nargs; i++) {
        if (i > 0) em_strbuf_puts(&sb, ", ");
        em_strbuf_puts(&sb, em_type_name(arg_types[i], buf, sizeof(buf)));
    }
    em_strbuf_puts(&sb, "); candidates: ");
    bool first = true;
    for (size_t t = 0; t < EM_ARRAY_LEN(tables); t++) {
        for (int i = 0; i < tables[t]->count; i++) {
            const em_func *f = &tables[t]->defs[i].f;
            if (strcasecmp(f->name, name) != 0) continue;
            if (!first) em_strbuf_puts(&sb, ", ");
            first = false;
            format_param_list(f, &sb);
        }
    }
    int rc = em_error_set(err, EM_EBIND, "%s", sb.data);
    em_strbuf_release(&sb);
    return rc;
}

int em_func_resolve(const char *name, int nargs, const em_type *arg_types, const em_func **out,
                    em_type *cast_to, em_type *ret, em_error *err)
{
    const em__func_def *best = NULL;
    int best_cost = 0;
    bool known = false;
    for (size_t t = 0; t < EM_ARRAY_LEN(tables); t++) {
        for (int i = 0; i < tables[t]->count; i++) {
            const em__func_def *d = &tables[t]->defs[i];
            if (strcasecmp(d->f.name, name) != 0) continue;
            known = true;
            if (d->f.nargs >= 0 ? d->f.nargs != nargs : nargs < 1) continue;
            int cost = 0;
            bool op = !is_public_name(d->f.name); /* operators and their internal names */
            for (int a = 0; a < nargs && cost >= 0; a++) {
                int c = conv_cost(arg_types[a], param_type(&d->f, a), d->flags, op);
                cost = c < 0 ? -1 : cost + c;
            }
            if (cost < 0) continue;
            if (best == NULL || cost < best_cost) {
                best = d;
                best_cost = cost;
            }
        }
    }
    if (!known) return em_error_set(err, EM_ENOENT, "function %s does not exist", name);
    if (best == NULL) return no_match(name, nargs, arg_types, err);

    const em_func *f = &best->f;
    for (int a = 0; a < nargs; a++) {
        em_type p = param_type(f, a);
        cast_to[a] = p.id == EM_TYPE_DECIMAL ? as_decimal(arg_types[a]) : p;
    }
    if ((best->flags & EM__FN_DEC_UNIFY) != 0) {
        /* One DECIMAL for all: the largest scale and the most integer digits. */
        int scale = -1, digits = 0;
        for (int a = 0; a < nargs; a++) {
            if (param_type(f, a).id != EM_TYPE_DECIMAL || arg_types[a].id == EM_TYPE_NULL) continue;
            em_type d = cast_to[a];
            scale = EM_MAX(scale, d.scale);
            digits = EM_MAX(digits, d.precision - d.scale);
        }
        if (scale >= 0) {
            em_type common =
                em_type_decimal(EM_MIN(EM_DECIMAL_MAX_PRECISION, digits + scale), scale);
            if (common.precision < 1) common.precision = 1;
            for (int a = 0; a < nargs; a++)
                if (param_type(f, a).id == EM_TYPE_DECIMAL) cast_to[a] = common;
        }
    }
    switch (best->ret_rule) {
    case EM__RET_ARG0:
        *ret = cast_to[0];
        break;
    case EM__RET_DEC_ADD: {
        em_type x = cast_to[0], y = cast_to[1];
        int scale = EM_MAX(x.scale, y.scale);
        int digits = EM_MAX(x.precision - x.scale, y.precision - y.scale);
        *ret = em_type_decimal(EM_MIN(EM_DECIMAL_MAX_PRECISION, digits + scale + 1), scale);
        break;
    }
    case EM__RET_DEC_MUL: {
        em_type x = cast_to[0], y = cast_to[1];
        int scale = x.scale + y.scale;
        /* More digits than 18: keep the integer digits and give up scale (down to
         * 6), as Spark does past its 38; the kernel rounds the product. */
        int prec = x.precision + y.precision;
        if (prec > EM_DECIMAL_MAX_PRECISION) {
            int keep = EM_MAX(EM_DECIMAL_MAX_PRECISION - (prec - scale), EM_MIN(scale, 6));
            if (keep < scale) scale = keep;
        }
        if (scale > EM_DECIMAL_MAX_PRECISION) {
            char b1[48], b2[48];
            return em_error_set(err, EM_ETYPE,
                                "DECIMAL scale too large: %s * %s needs scale %d (the maximum "
                                "is %d); cast an operand to DOUBLE",
                                em_type_name(x, b1, sizeof(b1)), em_type_name(y, b2, sizeof(b2)),
                                scale, EM_DECIMAL_MAX_PRECISION);
        }
        *ret = em_type_decimal(EM_MIN(EM_DECIMAL_MAX_PRECISION, x.precision + y.precision), scale);
        break;
    }
    case EM__RET_DEC_INT: {
        em_type x = cast_to[0];
        if (x.scale == 0)
            *ret = x;
        else
            *ret = em_type_decimal(EM_MIN(EM_DECIMAL_MAX_PRECISION, x.precision - x.scale + 1), 0);
        break;
    }
    default:
        *ret = f->ret;
        break;
    }
    *out = f;
    return 0;
}
