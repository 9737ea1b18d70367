/*
 * agg_registry.c — the aggregate functions the binder recognises, their
 * result types and the partial-state columns exchanged between the PARTIAL
 * and FINAL phases of a distributed aggregation.
 *
 * Exact inputs stay exact: sum of integers is BIGINT (overflow is an error,
 * not a wrap), sum of DECIMAL(p,s) is DECIMAL(18,s), and avg over exact types
 * carries an exact int64 sum and a count that are divided only at the end.
 *
 * The statistics (stddev, variance) are DOUBLE whatever the numeric input, as
 * in DuckDB; their state is Welford's (count, mean, sum of squared deviations).
 * corr, covar_pop and covar_samp take two arguments, cast to DOUBLE by the
 * binder; their state (agg_covar.c) is the count, both means, and the sums of
 * squared and cross deviations from the means.
 * approx_count_distinct is a HyperLogLog sketch (hll.c) carried as bytes.
 * Percentiles are holistic: PERCENTILE_CONT interpolates (DOUBLE for numbers,
 * TIMESTAMP for dates and timestamps, like PostgreSQL and DuckDB), while
 * PERCENTILE_DISC returns one of the values, of the argument's type.
 */
#include <stdio.h>
#include <strings.h>

#include "exec/expr_int.h"

static const struct {
    const char *name;
    em_agg_kind kind;
    em_agg_form form;
} aggs[] = {
    {"count", EM_AGG_COUNT, EM_AGG_FORM_PLAIN},
    {"sum", EM_AGG_SUM, EM_AGG_FORM_PLAIN},
    {"avg", EM_AGG_AVG, EM_AGG_FORM_PLAIN},
    {"mean", EM_AGG_AVG, EM_AGG_FORM_PLAIN},
    {"min", EM_AGG_MIN, EM_AGG_FORM_PLAIN},
    {"max", EM_AGG_MAX, EM_AGG_FORM_PLAIN},
    {"stddev", EM_AGG_STDDEV_SAMP, EM_AGG_FORM_PLAIN},
    {"stddev_samp", EM_AGG_STDDEV_SAMP, EM_AGG_FORM_PLAIN},
    {"stddev_pop", EM_AGG_STDDEV_POP, EM_AGG_FORM_PLAIN},
    {"variance", EM_AGG_VAR_SAMP, EM_AGG_FORM_PLAIN},
    {"var_samp", EM_AGG_VAR_SAMP, EM_AGG_FORM_PLAIN},
    {"var_pop", EM_AGG_VAR_POP, EM_AGG_FORM_PLAIN},
    {"approx_count_distinct", EM_AGG_APPROX_COUNT_DISTINCT, EM_AGG_FORM_PLAIN},
    {"median", EM_AGG_PERCENTILE_CONT, EM_AGG_FORM_PLAIN},
    {"percentile_cont", EM_AGG_PERCENTILE_CONT, EM_AGG_FORM_WITHIN_GROUP},
    {"percentile_disc", EM_AGG_PERCENTILE_DISC, EM_AGG_FORM_WITHIN_GROUP},
    {"quantile_cont", EM_AGG_PERCENTILE_CONT, EM_AGG_FORM_FRACTION},
    {"quantile_disc", EM_AGG_PERCENTILE_DISC, EM_AGG_FORM_FRACTION},
    {"quantile", EM_AGG_PERCENTILE_DISC, EM_AGG_FORM_FRACTION},
    {"corr", EM_AGG_CORR, EM_AGG_FORM_PAIR},
    {"covar_pop", EM_AGG_COVAR_POP, EM_AGG_FORM_PAIR},
    {"covar_samp", EM_AGG_COVAR_SAMP, EM_AGG_FORM_PAIR},
};

bool em_agg_exists(const char *name)
{
    for (size_t i = 0; i < EM_ARRAY_LEN(aggs); i++)
        if (strcasecmp(aggs[i].name, name) == 0) return true;
    return false;
}

em_agg_form em_agg_form_of(const char *name)
{
    for (size_t i = 0; i < EM_ARRAY_LEN(aggs); i++)
        if (strcasecmp(aggs[i].name, name) == 0) return aggs[i].form;
    return EM_AGG_FORM_PLAIN;
}

bool em_agg_is_holistic(em_agg_kind k)
{
    return k == EM_AGG_PERCENTILE_CONT || k == EM_AGG_PERCENTILE_DISC;
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
    case EM_AGG_STDDEV_SAMP:
        return "stddev_samp";
    case EM_AGG_STDDEV_POP:
        return "stddev_pop";
    case EM_AGG_VAR_SAMP:
        return "var_samp";
    case EM_AGG_VAR_POP:
        return "var_pop";
    case EM_AGG_APPROX_COUNT_DISTINCT:
        return "approx_count_distinct";
    case EM_AGG_PERCENTILE_CONT:
        return "percentile_cont";
    case EM_AGG_PERCENTILE_DISC:
        return "percentile_disc";
    case EM_AGG_CORR:
        return "corr";
    case EM_AGG_COVAR_POP:
        return "covar_pop";
    case EM_AGG_COVAR_SAMP:
        return "covar_samp";
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
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP:
    case EM_AGG_CORR: /* each argument is checked alone */
    case EM_AGG_COVAR_POP:
    case EM_AGG_COVAR_SAMP:
        if (!em_type_is_numeric(arg) && arg.id != EM_TYPE_NULL) {
            char cands[160];
            snprintf(cands, sizeof(cands), "%s(INTEGER), %s(BIGINT), %s(DECIMAL), %s(DOUBLE)", name,
                     name, name, name);
            return no_match(name, arg, cands, err);
        }
        *ret = em_type_make(EM_TYPE_DOUBLE);
        break;
    case EM_AGG_APPROX_COUNT_DISTINCT:
        *ret = em_type_make(EM_TYPE_BIGINT);
        break;
    case EM_AGG_PERCENTILE_CONT:
        if (arg.id == EM_TYPE_DATE || arg.id == EM_TYPE_TIMESTAMP) {
            *ret = em_type_make(EM_TYPE_TIMESTAMP);
        } else if (em_type_is_numeric(arg) || arg.id == EM_TYPE_NULL) {
            *ret = em_type_make(EM_TYPE_DOUBLE);
        } else {
            return no_match(name, arg,
                            "a number (INTEGER, BIGINT, DECIMAL, DOUBLE), DATE or TIMESTAMP", err);
        }
        break;
    case EM_AGG_PERCENTILE_DISC:
        if (!em_type_is_numeric(arg) && arg.id != EM_TYPE_DATE && arg.id != EM_TYPE_TIMESTAMP &&
            arg.id != EM_TYPE_NULL)
            return no_match(name, arg,
                            "a number (INTEGER, BIGINT, DECIMAL, DOUBLE), DATE or TIMESTAMP", err);
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
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP:
        /* Welford's state: count, mean, sum of squared deviations. */
        out[0] = em_type_make(EM_TYPE_BIGINT);
        out[1] = em_type_make(EM_TYPE_DOUBLE);
        out[2] = em_type_make(EM_TYPE_DOUBLE);
        return 3;
    case EM_AGG_APPROX_COUNT_DISTINCT:
        out[0] = em_type_make(EM_TYPE_VARCHAR); /* the sketch's bytes */
        return 1;
    case EM_AGG_CORR:
    case EM_AGG_COVAR_POP:
    case EM_AGG_COVAR_SAMP: {
        /* count, mean of y, mean of x, co-moment; corr adds both sums of squares. */
        int n = c->kind == EM_AGG_CORR ? 6 : 4;
        out[0] = em_type_make(EM_TYPE_BIGINT);
        for (int i = 1; i < n; i++) out[i] = em_type_make(EM_TYPE_DOUBLE);
        return n;
    }
    case EM_AGG_PERCENTILE_CONT:
    case EM_AGG_PERCENTILE_DISC:
        return 0; /* holistic: no partial phase */
    }
    out[0] = c->type;
    return 1;
}
