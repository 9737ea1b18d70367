/*
 * types.c — SQL type descriptors: names, widths, parsing of SQL type names
 * and the common supertype rules used by comparisons, CASE and UNION.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vector/vector.h"

bool em_type_equal(em_type a, em_type b)
{
    if (a.id != b.id) return false;
    if (a.id == EM_TYPE_DECIMAL) return a.precision == b.precision && a.scale == b.scale;
    return true;
}

size_t em_type_width(em_type t)
{
    switch ((em_type_id)t.id) {
    case EM_TYPE_NULL:
        return 0;
    case EM_TYPE_BOOLEAN:
        return 1;
    case EM_TYPE_INTEGER:
        return 4;
    case EM_TYPE_BIGINT:
        return 8;
    case EM_TYPE_DOUBLE:
        return 8;
    case EM_TYPE_DECIMAL:
        return 8;
    case EM_TYPE_VARCHAR:
        return 4;
    case EM_TYPE_DATE:
        return 4;
    case EM_TYPE_TIMESTAMP:
        return 8;
    case EM_TYPE_INTERVAL:
        return sizeof(em_interval);
    case EM_TYPE_COUNT_:
        break;
    }
    return 0;
}

bool em_type_is_numeric(em_type t)
{
    return t.id == EM_TYPE_INTEGER || t.id == EM_TYPE_BIGINT || t.id == EM_TYPE_DOUBLE ||
           t.id == EM_TYPE_DECIMAL;
}

bool em_type_is_integral(em_type t)
{
    return t.id == EM_TYPE_INTEGER || t.id == EM_TYPE_BIGINT;
}

const char *em_type_name(em_type t, char *buf, size_t cap)
{
    const char *name = "UNKNOWN";
    switch ((em_type_id)t.id) {
    case EM_TYPE_NULL:
        name = "NULL";
        break;
    case EM_TYPE_BOOLEAN:
        name = "BOOLEAN";
        break;
    case EM_TYPE_INTEGER:
        name = "INTEGER";
        break;
    case EM_TYPE_BIGINT:
        name = "BIGINT";
        break;
    case EM_TYPE_DOUBLE:
        name = "DOUBLE";
        break;
    case EM_TYPE_DECIMAL:
        snprintf(buf, cap, "DECIMAL(%d,%d)", t.precision, t.scale);
        return buf;
    case EM_TYPE_VARCHAR:
        name = "VARCHAR";
        break;
    case EM_TYPE_DATE:
        name = "DATE";
        break;
    case EM_TYPE_TIMESTAMP:
        name = "TIMESTAMP";
        break;
    case EM_TYPE_INTERVAL:
        name = "INTERVAL";
        break;
    case EM_TYPE_COUNT_:
        break;
    }
    snprintf(buf, cap, "%s", name);
    return buf;
}

/* ---- parsing ------------------------------------------------------------ */

/* Lower-case `name` into buf, collapsing runs of blanks to one space and
 * dropping blanks next to parentheses and commas, so that
 * "Decimal ( 10 , 2 )" becomes "decimal(10,2)". */
static bool normalize(const char *name, char *buf, size_t cap)
{
    size_t n = 0;
    bool pending_space = false;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isspace(c)) {
            pending_space = n > 0;
            continue;
        }
        bool punct = c == '(' || c == ')' || c == ',';
        if (pending_space && !punct && buf[n - 1] != '(' && buf[n - 1] != ',') {
            if (n + 1 >= cap) return false;
            buf[n++] = ' ';
        }
        pending_space = false;
        if (n + 1 >= cap) return false;
        buf[n++] = (char)tolower(c);
    }
    buf[n] = '\0';
    return true;
}

/* Parse "(a)" or "(a,b)" at p into args; returns the number of arguments or
 * -1 when malformed. */
static int parse_args(const char *p, long args[2])
{
    if (*p != '(') return -1;
    p++;
    int count = 0;
    for (;;) {
        if (!isdigit((unsigned char)*p) || count == 2) return -1;
        char *end;
        args[count++] = strtol(p, &end, 10);
        if (args[count - 1] > 1000) return -1;
        p = end;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ')' && p[1] == '\0') return count;
        return -1;
    }
}

static bool name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0) return true;
    return false;
}

int em_type_parse(const char *name, em_type *out, em_error *err)
{
    char buf[128];
    if (name == NULL || !normalize(name, buf, sizeof(buf)) || buf[0] == '\0')
        return em_error_set(err, EM_ETYPE, "invalid type name '%s'", name ? name : "");

    /* Split the base name from an optional argument list. */
    char *paren = strchr(buf, '(');
    long args[2] = {0, 0};
    int nargs = 0;
    if (paren != NULL) {
        nargs = parse_args(paren, args);
        if (nargs < 0) return em_error_set(err, EM_ETYPE, "invalid type name '%s'", name);
        *paren = '\0';
    }

    static const char *const ints[] = {"int",     "integer", "int4",  "int32",  "smallint", "int2",
                                       "tinyint", "int1",    "short", "signed", NULL};
    static const char *const bigints[] = {"bigint", "int8", "long", "int64", NULL};
    static const char *const doubles[] = {"double", "float8",           "float",   "real",
                                          "float4", "double precision", "float64", NULL};
    static const char *const decimals[] = {"decimal", "numeric", "dec", NULL};
    static const char *const varchars[] = {"varchar", "text",      "string",
                                           "char",    "character", "character varying",
                                           "bpchar",  "nvarchar",  NULL};
    static const char *const bools[] = {"bool", "boolean", "logical", NULL};
    static const char *const timestamps[] = {"timestamp", "datetime", "timestamp without time zone",
                                             NULL};
    static const char *const unsupported[] = {"time",
                                              "blob",
                                              "bytea",
                                              "binary",
                                              "varbinary",
                                              "uuid",
                                              "json",
                                              "hugeint",
                                              "timestamptz",
                                              "timestamp with time zone",
                                              "time with time zone",
                                              "uinteger",
                                              "ubigint",
                                              "list",
                                              "struct",
                                              "map",
                                              NULL};

    /* Only DECIMAL and the character types take arguments. */
    if (nargs > 0 && !name_in(buf, decimals) && !name_in(buf, varchars))
        return em_error_set(err, EM_ETYPE, "type '%s' does not take arguments", buf);

    if (name_in(buf, ints)) {
        *out = em_type_make(EM_TYPE_INTEGER);
    } else if (name_in(buf, bigints)) {
        *out = em_type_make(EM_TYPE_BIGINT);
    } else if (name_in(buf, doubles)) {
        *out = em_type_make(EM_TYPE_DOUBLE);
    } else if (name_in(buf, decimals)) {
        /* DuckDB's default when no precision is given. */
        long p = 18, s = 3;
        if (nargs >= 1) {
            p = args[0];
            s = nargs == 2 ? args[1] : 0;
        }
        if (p < 1) return em_error_set(err, EM_ETYPE, "DECIMAL precision must be at least 1");
        if (p > EM_DECIMAL_MAX_PRECISION)
            return em_error_set(err, EM_EUNSUPPORTED,
                                "DECIMAL precision %ld is not supported (the maximum is %d)", p,
                                EM_DECIMAL_MAX_PRECISION);
        if (s > p)
            return em_error_set(err, EM_ETYPE,
                                "DECIMAL scale %ld must not exceed its precision %ld", s, p);
        *out = em_type_decimal((int)p, (int)s);
    } else if (name_in(buf, varchars)) {
        if (nargs > 1) return em_error_set(err, EM_ETYPE, "invalid type name '%s'", name);
        *out = em_type_make(EM_TYPE_VARCHAR);
    } else if (name_in(buf, bools)) {
        *out = em_type_make(EM_TYPE_BOOLEAN);
    } else if (strcmp(buf, "date") == 0) {
        *out = em_type_make(EM_TYPE_DATE);
    } else if (name_in(buf, timestamps)) {
        *out = em_type_make(EM_TYPE_TIMESTAMP);
    } else if (strcmp(buf, "interval") == 0) {
        *out = em_type_make(EM_TYPE_INTERVAL);
    } else if (name_in(buf, unsupported)) {
        return em_error_set(err, EM_EUNSUPPORTED, "type '%s' is not supported", buf);
    } else {
        return em_error_set(err, EM_ETYPE, "unknown type name '%s'", name);
    }
    return 0;
}

/* ---- common supertype --------------------------------------------------- */

/* Decimal digits needed left of the point for every value of an integral type. */
static int integral_digits(em_type t)
{
    return t.id == EM_TYPE_INTEGER ? 10 : 19;
}

/* The smallest DECIMAL holding both operands' integer and fraction digits;
 * DOUBLE when that would need more than 18 digits. */
static em_type decimal_union(int int_digits_a, int scale_a, int int_digits_b, int scale_b)
{
    int scale = EM_MAX(scale_a, scale_b);
    int digits = EM_MAX(int_digits_a, int_digits_b);
    if (digits + scale > EM_DECIMAL_MAX_PRECISION) return em_type_make(EM_TYPE_DOUBLE);
    return em_type_decimal(digits + scale, scale);
}

bool em_type_common(em_type a, em_type b, em_type *out)
{
    if (em_type_equal(a, b)) {
        *out = a;
        return true;
    }
    if (a.id == EM_TYPE_NULL) {
        *out = b;
        return true;
    }
    if (b.id == EM_TYPE_NULL) {
        *out = a;
        return true;
    }
    if (em_type_is_numeric(a) && em_type_is_numeric(b)) {
        if (a.id == EM_TYPE_DOUBLE || b.id == EM_TYPE_DOUBLE) {
            *out = em_type_make(EM_TYPE_DOUBLE);
        } else if (em_type_is_integral(a) && em_type_is_integral(b)) {
            *out = em_type_make(EM_TYPE_BIGINT); /* they differ, so one is BIGINT */
        } else if (a.id == EM_TYPE_DECIMAL && b.id == EM_TYPE_DECIMAL) {
            *out = decimal_union(a.precision - a.scale, a.scale, b.precision - b.scale, b.scale);
        } else {
            em_type d = a.id == EM_TYPE_DECIMAL ? a : b;
            em_type i = a.id == EM_TYPE_DECIMAL ? b : a;
            *out = decimal_union(d.precision - d.scale, d.scale, integral_digits(i), 0);
        }
        return true;
    }
    if ((a.id == EM_TYPE_DATE && b.id == EM_TYPE_TIMESTAMP) ||
        (a.id == EM_TYPE_TIMESTAMP && b.id == EM_TYPE_DATE)) {
        *out = em_type_make(EM_TYPE_TIMESTAMP);
        return true;
    }
    return false;
}
