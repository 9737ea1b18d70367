/*
 * agg_registry.c — the aggregate functions the binder recognises, their
 * result types and the partial-state columns exchanged between the PARTIAL
 * and FINAL phases of a distributed aggregation.
 *
 * Exact inputs stay exact: sum of integers is BIGINT (overflow is an error,
 * not a wrap), sum of DECIMAL(p,s) is DECIMAL(18,s), and avg over exact types
 * carries an exact int64 sum and a count that are divided only at the end.
 */
#include <strings.h>

#include "exec/expr_int.h"

static const struct {
    const char *name;
    em_agg_kind kind;
} aggs[] = {
    {"count", EM_AGG_COUNT}, {"sum", EM_AGG_SUM}, {"avg", EM_AGG_AVG},
    {"mean", EM_AGG_AVG},    {"min", EM_AGG_MIN}, {"max", EM_AGG_MAX},
};

bool em_agg_exists(const char *name)
{
    for (size_t i = 0; i < EM_ARRAY_LEN(aggs); i++)
        if (strcasecmp(aggs[i].name, name) == 0) return true;
    return false;
}

const char *em_agg_name(em_agg_kind k)
{
    switch (k) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
        return "count";
    case EM_AGG_SUM:
        return "sum";
    case EM_AGG_AVG:
        return "avg";
    case EM_AGG_MIN:
        return "min";
    case EM_AGG_MAX:
        return "max";
    }
    return "?";
}

static int no_match(const char *name, em_type arg, const char *candidates, em_error *err)
{
    char buf[48];
    return em_error_set(err, EM_EBIND, "no function matches %s(%s); candidates: %s", name,
                        em_type_name(arg, buf, sizeof(buf)), candidates);
}

int em_agg_resolve(const char *name, bool star, em_type arg, em_agg_kind *kind, em_type *ret,
                   em_error *err)
{
    int found = -1;
    for (size_t i = 0; i < EM_ARRAY_LEN(aggs) && found < 0; i++)
        if (strcasecmp(aggs[i].name, name) == 0) found = (int)i;
    if (found < 0) return em_error_set(err, EM_ENOENT, "function %s does not exist", name);
    em_agg_kind k = aggs[found].kind;
    if (star) {
        if (k != EM_AGG_COUNT)
            return em_error_set(err, EM_EBIND, "%s(*) is not valid; only count(*) is", name);
        *kind = EM_AGG_COUNT_STAR;
        *ret = em_type_make(EM_TYPE_BIGINT);
        return 0;
    }
    switch (k) {
    case EM_AGG_COUNT:
        *ret = em_type_make(EM_TYPE_BIGINT);
        break;
    case EM_AGG_SUM:
        switch ((em_type_id)arg.id) {
        case EM_TYPE_NULL: /* sum(NULL) is a NULL BIGINT */
        case EM_TYPE_INTEGER:
        case EM_TYPE_BIGINT:
            *ret = em_type_make(EM_TYPE_BIGINT);
            break;
        case EM_TYPE_DECIMAL:
            *ret = em_type_decimal(EM_DECIMAL_MAX_PRECISION, arg.scale);
            break;
        case EM_TYPE_DOUBLE:
            *ret = em_type_make(EM_TYPE_DOUBLE);
            break;
        default:
            return no_match(name, arg, "sum(INTEGER), sum(BIGINT), sum(DECIMAL), sum(DOUBLE)", err);
        }
        break;
    case EM_AGG_AVG:
        if (!em_type_is_numeric(arg) && arg.id != EM_TYPE_NULL)
            return no_match(name, arg, "avg(INTEGER), avg(BIGINT), avg(DECIMAL), avg(DOUBLE)", err);
        *ret = em_type_make(EM_TYPE_DOUBLE);
        break;
    case EM_AGG_MIN:
    case EM_AGG_MAX:
        *ret = arg;
        break;
    case EM_AGG_COUNT_STAR:
        break;
    }
    *kind = k;
    return 0;
}

int em_agg_state_types(const em_agg_call *c, em_type *out)
{
    em_type arg = c->arg ? c->arg->type : em_type_make(EM_TYPE_NULL);
    switch (c->kind) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
        out[0] = em_type_make(EM_TYPE_BIGINT);
        return 1;
    case EM_AGG_SUM:
        out[0] = c->type;
        return 1;
    case EM_AGG_AVG:
        switch ((em_type_id)arg.id) {
        case EM_TYPE_INTEGER:
        case EM_TYPE_BIGINT:
            out[0] = em_type_make(EM_TYPE_BIGINT);
            break;
        case EM_TYPE_DECIMAL:
            out[0] = em_type_decimal(EM_DECIMAL_MAX_PRECISION, arg.scale);
            break;
        default:
            out[0] = em_type_make(EM_TYPE_DOUBLE);
            break;
        }
        out[1] = em_type_make(EM_TYPE_BIGINT);
        return 2;
    case EM_AGG_MIN:
    case EM_AGG_MAX:
        out[0] = c->type;
        return 1;
    }
    out[0] = c->type;
    return 1;
}
