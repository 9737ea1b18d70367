/*
 * plan_serde.c — encoding stage fragments and task descriptions as protobuf
 * (src/net/proto/plan.proto) and rebuilding them on the receiving side.
 *
 * Encoding builds the protobuf-c message structs in a scratch arena that points
 * into the plan's own memory (nothing is copied), packs them, and drops the
 * arena. Only the fields that a node's or expression's kind uses are written,
 * and they are written in field order, so that decoding and encoding again
 * reproduces the bytes exactly.
 *
 * Decoding first walks the raw wire format to bound the nesting depth (the
 * protobuf-c unpacker and the tree builders below recurse, and a crafted
 * message could otherwise exhaust the stack), then unpacks with protobuf-c and
 * rebuilds the tree, checking every enum value, child count, column index and
 * required field on the way. File scan descriptions created while decoding are
 * remembered so that a failure half-way destroys them.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "net/plan_serde.h"
#include "plan.pb-c.h"

/* Deepest message nesting accepted (and produced). Each plan level and each
 * expression level is one message level; typical plans use a few dozen. */
#define MAX_NESTING 1000

/* ---- enum tables: C value -> wire value ------------------------------- */

static const int type_ids[EM_TYPE_COUNT_] = {
    [EM_TYPE_NULL] = EMBERPB__TYPE_ID__TYPE_NULL,
    [EM_TYPE_BOOLEAN] = EMBERPB__TYPE_ID__TYPE_BOOLEAN,
    [EM_TYPE_INTEGER] = EMBERPB__TYPE_ID__TYPE_INTEGER,
    [EM_TYPE_BIGINT] = EMBERPB__TYPE_ID__TYPE_BIGINT,
    [EM_TYPE_DOUBLE] = EMBERPB__TYPE_ID__TYPE_DOUBLE,
    [EM_TYPE_DECIMAL] = EMBERPB__TYPE_ID__TYPE_DECIMAL,
    [EM_TYPE_VARCHAR] = EMBERPB__TYPE_ID__TYPE_VARCHAR,
    [EM_TYPE_DATE] = EMBERPB__TYPE_ID__TYPE_DATE,
    [EM_TYPE_TIMESTAMP] = EMBERPB__TYPE_ID__TYPE_TIMESTAMP,
    [EM_TYPE_INTERVAL] = EMBERPB__TYPE_ID__TYPE_INTERVAL,
};

static const int expr_kinds[] = {
    [EM_EXPR_COLUMN] = EMBERPB__EXPR_KIND__EXPR_COLUMN,
    [EM_EXPR_CONST] = EMBERPB__EXPR_KIND__EXPR_CONST,
    [EM_EXPR_CALL] = EMBERPB__EXPR_KIND__EXPR_CALL,
    [EM_EXPR_CAST] = EMBERPB__EXPR_KIND__EXPR_CAST,
    [EM_EXPR_CASE] = EMBERPB__EXPR_KIND__EXPR_CASE,
    [EM_EXPR_AND] = EMBERPB__EXPR_KIND__EXPR_AND,
    [EM_EXPR_OR] = EMBERPB__EXPR_KIND__EXPR_OR,
    [EM_EXPR_NOT] = EMBERPB__EXPR_KIND__EXPR_NOT,
    [EM_EXPR_IS_NULL] = EMBERPB__EXPR_KIND__EXPR_IS_NULL,
    [EM_EXPR_IN_LIST] = EMBERPB__EXPR_KIND__EXPR_IN_LIST,
    [EM_EXPR_LIKE] = EMBERPB__EXPR_KIND__EXPR_LIKE,
    [EM_EXPR_COALESCE] = EMBERPB__EXPR_KIND__EXPR_COALESCE,
};

static const int agg_kinds[] = {
    [EM_AGG_COUNT_STAR] = EMBERPB__AGG_KIND__AGG_COUNT_STAR,
    [EM_AGG_COUNT] = EMBERPB__AGG_KIND__AGG_COUNT,
    [EM_AGG_SUM] = EMBERPB__AGG_KIND__AGG_SUM,
    [EM_AGG_AVG] = EMBERPB__AGG_KIND__AGG_AVG,
    [EM_AGG_MIN] = EMBERPB__AGG_KIND__AGG_MIN,
    [EM_AGG_MAX] = EMBERPB__AGG_KIND__AGG_MAX,
    [EM_AGG_STDDEV_SAMP] = EMBERPB__AGG_KIND__AGG_STDDEV_SAMP,
    [EM_AGG_STDDEV_POP] = EMBERPB__AGG_KIND__AGG_STDDEV_POP,
    [EM_AGG_VAR_SAMP] = EMBERPB__AGG_KIND__AGG_VAR_SAMP,
    [EM_AGG_VAR_POP] = EMBERPB__AGG_KIND__AGG_VAR_POP,
    [EM_AGG_APPROX_COUNT_DISTINCT] = EMBERPB__AGG_KIND__AGG_APPROX_COUNT_DISTINCT,
    [EM_AGG_PERCENTILE_CONT] = EMBERPB__AGG_KIND__AGG_PERCENTILE_CONT,
    [EM_AGG_PERCENTILE_DISC] = EMBERPB__AGG_KIND__AGG_PERCENTILE_DISC,
    [EM_AGG_CORR] = EMBERPB__AGG_KIND__AGG_CORR,
    [EM_AGG_COVAR_POP] = EMBERPB__AGG_KIND__AGG_COVAR_POP,
    [EM_AGG_COVAR_SAMP] = EMBERPB__AGG_KIND__AGG_COVAR_SAMP,
};

static const int agg_modes[] = {
    [EM_AGG_MODE_COMPLETE] = EMBERPB__AGG_MODE__AGG_MODE_COMPLETE,
    [EM_AGG_MODE_PARTIAL] = EMBERPB__AGG_MODE__AGG_MODE_PARTIAL,
    [EM_AGG_MODE_FINAL] = EMBERPB__AGG_MODE__AGG_MODE_FINAL,
    [EM_AGG_MODE_MERGE] = EMBERPB__AGG_MODE__AGG_MODE_MERGE,
};

static const int pop_kinds[] = {
    [EM_POP_SCAN_FILE] = EMBERPB__POP_KIND__POP_SCAN_FILE,
    [EM_POP_SCAN_TABLE] = EMBERPB__POP_KIND__POP_SCAN_TABLE,
    [EM_POP_VALUES] = EMBERPB__POP_KIND__POP_VALUES,
    [EM_POP_SHUFFLE_READ] = EMBERPB__POP_KIND__POP_SHUFFLE_READ,
    [EM_POP_FILTER] = EMBERPB__POP_KIND__POP_FILTER,
    [EM_POP_PROJECT] = EMBERPB__POP_KIND__POP_PROJECT,
    [EM_POP_HASH_AGG] = EMBERPB__POP_KIND__POP_HASH_AGG,
    [EM_POP_SORT] = EMBERPB__POP_KIND__POP_SORT,
    [EM_POP_LIMIT] = EMBERPB__POP_KIND__POP_LIMIT,
    [EM_POP_UNION] = EMBERPB__POP_KIND__POP_UNION,
    [EM_POP_EXCHANGE] = EMBERPB__POP_KIND__POP_EXCHANGE,
    [EM_POP_HASH_JOIN] = EMBERPB__POP_KIND__POP_HASH_JOIN,
    [EM_POP_WINDOW] = EMBERPB__POP_KIND__POP_WINDOW,
    [EM_POP_UNNEST] = EMBERPB__POP_KIND__POP_UNNEST,
};

static const int unnest_kinds[] = {
    [EM_UNNEST_SPLIT] = EMBERPB__UNNEST_KIND__UNNEST_SPLIT,
    [EM_UNNEST_STRING_TO_ARRAY] = EMBERPB__UNNEST_KIND__UNNEST_STRING_TO_ARRAY,
    [EM_UNNEST_REGEXP] = EMBERPB__UNNEST_KIND__UNNEST_REGEXP,
};

static const int exchange_kinds[] = {
    [EM_EXCHANGE_HASH] = EMBERPB__EXCHANGE_KIND__EXCHANGE_HASH,
    [EM_EXCHANGE_SINGLE] = EMBERPB__EXCHANGE_KIND__EXCHANGE_SINGLE,
};

/* The body a node of each kind carries (UNION carries none). */
static const int pop_bodies[] = {
    [EM_POP_SCAN_FILE] = EMBERPB__PLAN_NODE__BODY_SCAN,
    [EM_POP_SCAN_TABLE] = EMBERPB__PLAN_NODE__BODY_SCAN,
    [EM_POP_VALUES] = EMBERPB__PLAN_NODE__BODY_VALUES,
    [EM_POP_SHUFFLE_READ] = EMBERPB__PLAN_NODE__BODY_SHUFFLE_READ,
    [EM_POP_FILTER] = EMBERPB__PLAN_NODE__BODY_FILTER,
    [EM_POP_PROJECT] = EMBERPB__PLAN_NODE__BODY_PROJECT,
    [EM_POP_HASH_AGG] = EMBERPB__PLAN_NODE__BODY_AGG,
    [EM_POP_SORT] = EMBERPB__PLAN_NODE__BODY_SORT,
    [EM_POP_LIMIT] = EMBERPB__PLAN_NODE__BODY_LIMIT,
    [EM_POP_UNION] = EMBERPB__PLAN_NODE__BODY__NOT_SET,
    [EM_POP_EXCHANGE] = EMBERPB__PLAN_NODE__BODY_EXCHANGE,
    [EM_POP_HASH_JOIN] = EMBERPB__PLAN_NODE__BODY_JOIN,
    [EM_POP_WINDOW] = EMBERPB__PLAN_NODE__BODY_WINDOW,
    [EM_POP_UNNEST] = EMBERPB__PLAN_NODE__BODY_UNNEST,
};

static const int join_kinds[] = {
    [EM_JOIN_KIND_INNER] = EMBERPB__JOIN_KIND__JOIN_INNER,
    [EM_JOIN_KIND_LEFT] = EMBERPB__JOIN_KIND__JOIN_LEFT,
    [EM_JOIN_KIND_RIGHT] = EMBERPB__JOIN_KIND__JOIN_RIGHT,
    [EM_JOIN_KIND_FULL] = EMBERPB__JOIN_KIND__JOIN_FULL,
    [EM_JOIN_KIND_SEMI] = EMBERPB__JOIN_KIND__JOIN_SEMI,
    [EM_JOIN_KIND_ANTI] = EMBERPB__JOIN_KIND__JOIN_ANTI,
    [EM_JOIN_KIND_ANTI_NULL_AWARE] = EMBERPB__JOIN_KIND__JOIN_ANTI_NULL_AWARE,
};

static const int window_kinds[] = {
    [EM_WINDOW_ROW_NUMBER] = EMBERPB__WINDOW_KIND__WINDOW_ROW_NUMBER,
    [EM_WINDOW_RANK] = EMBERPB__WINDOW_KIND__WINDOW_RANK,
    [EM_WINDOW_DENSE_RANK] = EMBERPB__WINDOW_KIND__WINDOW_DENSE_RANK,
    [EM_WINDOW_PERCENT_RANK] = EMBERPB__WINDOW_KIND__WINDOW_PERCENT_RANK,
    [EM_WINDOW_CUME_DIST] = EMBERPB__WINDOW_KIND__WINDOW_CUME_DIST,
    [EM_WINDOW_NTILE] = EMBERPB__WINDOW_KIND__WINDOW_NTILE,
    [EM_WINDOW_LAG] = EMBERPB__WINDOW_KIND__WINDOW_LAG,
    [EM_WINDOW_LEAD] = EMBERPB__WINDOW_KIND__WINDOW_LEAD,
    [EM_WINDOW_FIRST_VALUE] = EMBERPB__WINDOW_KIND__WINDOW_FIRST_VALUE,
    [EM_WINDOW_LAST_VALUE] = EMBERPB__WINDOW_KIND__WINDOW_LAST_VALUE,
    [EM_WINDOW_NTH_VALUE] = EMBERPB__WINDOW_KIND__WINDOW_NTH_VALUE,
    [EM_WINDOW_AGG] = EMBERPB__WINDOW_KIND__WINDOW_AGG,
};

static const int frame_bounds[] = {
    [EM_BOUND_UNBOUNDED_PRECEDING] = EMBERPB__FRAME_BOUND__BOUND_UNBOUNDED_PRECEDING,
    [EM_BOUND_PRECEDING] = EMBERPB__FRAME_BOUND__BOUND_PRECEDING,
    [EM_BOUND_CURRENT_ROW] = EMBERPB__FRAME_BOUND__BOUND_CURRENT_ROW,
    [EM_BOUND_FOLLOWING] = EMBERPB__FRAME_BOUND__BOUND_FOLLOWING,
    [EM_BOUND_UNBOUNDED_FOLLOWING] = EMBERPB__FRAME_BOUND__BOUND_UNBOUNDED_FOLLOWING,
};

/* Wire value of a C enum value, or -1 when the C value is out of range. */
static int enum_to_pb(const int *table, size_t n, int value)
{
    return value >= 0 && (size_t)value < n ? table[value] : -1;
}

/* C value of a wire value, or -1 when the wire value is unknown. */
static int enum_from_pb(const int *table, size_t n, int wire)
{
    for (size_t i = 0; i < n; i++)
        if (table[i] == wire) return (int)i;
    return -1;
}

#define TO_PB(table, v) enum_to_pb((table), EM_ARRAY_LEN(table), (int)(v))
#define FROM_PB(table, v) enum_from_pb((table), EM_ARRAY_LEN(table), (int)(v))

/* ---- wire-level nesting check ------------------------------------------ */

static bool read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t byte = p[(*pos)++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* True when `p` parses as a sequence of well-formed fields and no embedded
 * message (as the descriptor knows them) nests deeper than MAX_NESTING. Fields
 * the descriptor does not know are skipped, not descended into. */
static bool wire_nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len,
                            int depth)
{
    if (depth > MAX_NESTING) return false;
    size_t pos = 0;
    while (pos < len) {
        uint64_t key, v;
        if (!read_varint(p, len, &pos, &key)) return false;
        switch (key & 7) {
        case 0:
            if (!read_varint(p, len, &pos, &v)) return false;
            break;
        case 1:
            if (len - pos < 8) return false;
            pos += 8;
            break;
        case 5:
            if (len - pos < 4) return false;
            pos += 4;
            break;
        case 2: {
            if (!read_varint(p, len, &pos, &v) || v > len - pos) return false;
            uint64_t tag = key >> 3;
            const ProtobufCFieldDescriptor *f =
                tag <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(desc, (unsigned)tag)
                                  : NULL;
            if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                !wire_nesting_ok(f->descriptor, p + pos, (size_t)v, depth + 1))
                return false;
            pos += (size_t)v;
            break;
        }
        default:
            return false; /* groups and invalid wire types */
        }
    }
    return true;
}

static const char *pop_name(em_pop_kind k)
{
    static const char *const names[] = {
        [EM_POP_SCAN_FILE] = "SCAN_FILE", [EM_POP_SCAN_TABLE] = "SCAN_TABLE",
        [EM_POP_VALUES] = "VALUES",       [EM_POP_SHUFFLE_READ] = "SHUFFLE_READ",
        [EM_POP_FILTER] = "FILTER",       [EM_POP_PROJECT] = "PROJECT",
        [EM_POP_HASH_AGG] = "HASH_AGG",   [EM_POP_SORT] = "SORT",
        [EM_POP_LIMIT] = "LIMIT",         [EM_POP_UNION] = "UNION",
        [EM_POP_EXCHANGE] = "EXCHANGE",   [EM_POP_HASH_JOIN] = "HASH_JOIN",
        [EM_POP_WINDOW] = "WINDOW",       [EM_POP_UNNEST] = "UNNEST",
    };
    return (size_t)k < EM_ARRAY_LEN(names) ? names[k] : "?";
}

/* ---- encoding ---------------------------------------------------------- */

typedef struct enc {
    em_arena *a; /* scratch: the message structs */
    em_error *err;
    const char *what;
} enc;

static int enc_fail(enc *c, const char *fmt, ...) EM_PRINTF(2, 3);
static int enc_fail(enc *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return em_error_set(c->err, EM_EINVAL, "cannot serialize %s: %s", c->what, msg);
}

/* A message struct in the scratch arena, initialized from its INIT value. */
static void *pb_dup(em_arena *a, const void *init, size_t size)
{
    void *p = em_arena_alloc(a, size);
    memcpy(p, init, size);
    return p;
}
#define PB_NEW(c, T, INIT) ((T *)pb_dup((c)->a, &(T)INIT, sizeof(T)))
#define PB_ARRAY(c, T, n) ((T *)em_arena_calloc((c)->a, sizeof(T) * ((n) > 0 ? (size_t)(n) : 1)))

/* Bytes pointing at a C string (protobuf-c only reads them while packing). */
static ProtobufCBinaryData bin_str(const char *s)
{
    ProtobufCBinaryData b = {0, NULL};
    if (s != NULL) {
        b.len = strlen(s);
        b.data = (uint8_t *)s;
    }
    return b;
}

static int enc_type(enc *c, em_type t, Emberpb__Type **out)
{
    int id = TO_PB(type_ids, t.id);
    if (id < 0) return enc_fail(c, "invalid type id %d", t.id);
    Emberpb__Type *m = PB_NEW(c, Emberpb__Type, EMBERPB__TYPE__INIT);
    m->id = (Emberpb__TypeId)id;
    m->precision = t.precision;
    m->scale = t.scale;
    *out = m;
    return 0;
}

static int enc_value(enc *c, const em_value *v, Emberpb__Value **out)
{
    Emberpb__Value *m = PB_NEW(c, Emberpb__Value, EMBERPB__VALUE__INIT);
    EM_TRY(enc_type(c, v->type, &m->type));
    m->is_null = v->is_null;
    if (!v->is_null) {
        switch ((em_type_id)v->type.id) {
        case EM_TYPE_BOOLEAN:
            m->v_case = EMBERPB__VALUE__V_B;
            m->b = v->v.b;
            break;
        case EM_TYPE_INTEGER:
        case EM_TYPE_DATE:
            m->v_case = EMBERPB__VALUE__V_I32;
            m->i32 = v->v.i32;
            break;
        case EM_TYPE_BIGINT:
        case EM_TYPE_DECIMAL:
        case EM_TYPE_TIMESTAMP:
            m->v_case = EMBERPB__VALUE__V_I64;
            m->i64 = v->v.i64;
            break;
        case EM_TYPE_DOUBLE:
            m->v_case = EMBERPB__VALUE__V_F64;
            m->f64 = v->v.f64;
            break;
        case EM_TYPE_VARCHAR: {
            if (v->v.str.len < 0 || (v->v.str.len > 0 && v->v.str.ptr == NULL))
                return enc_fail(c, "invalid string constant");
            /* An empty string still needs a valid pointer for the packer. */
            static const uint8_t empty[1];
            m->v_case = EMBERPB__VALUE__V_STR;
            m->str.len = (size_t)v->v.str.len;
            m->str.data = v->v.str.len > 0 ? (uint8_t *)v->v.str.ptr : (uint8_t *)empty;
            break;
        }
        case EM_TYPE_INTERVAL: {
            Emberpb__Interval *iv = PB_NEW(c, Emberpb__Interval, EMBERPB__INTERVAL__INIT);
            iv->months = v->v.iv.months;
            iv->days = v->v.iv.days;
            iv->micros = v->v.iv.micros;
            m->v_case = EMBERPB__VALUE__V_IV;
            m->iv = iv;
            break;
        }
        case EM_TYPE_NULL:
            return enc_fail(c, "non-NULL value of type NULL");
        case EM_TYPE_COUNT_:
            break;
        }
    }
    *out = m;
    return 0;
}

static int enc_schema(enc *c, const em_schema *s, Emberpb__Schema **out)
{
    if (s == NULL) return enc_fail(c, "missing schema");
    Emberpb__Schema *m = PB_NEW(c, Emberpb__Schema, EMBERPB__SCHEMA__INIT);
    m->n_fields = (size_t)s->nfields;
    m->fields = PB_ARRAY(c, Emberpb__Field *, s->nfields);
    for (int i = 0; i < s->nfields; i++) {
        Emberpb__Field *f = PB_NEW(c, Emberpb__Field, EMBERPB__FIELD__INIT);
        f->name = bin_str(s->fields[i].name);
        EM_TRY(enc_type(c, s->fields[i].type, &f->type));
        f->nullable = s->fields[i].nullable;
        m->fields[i] = f;
    }
    *out = m;
    return 0;
}

static int enc_expr(enc *c, const em_expr *e, Emberpb__Expr **out)
{
    if (e == NULL) return enc_fail(c, "missing expression");
    int kind = TO_PB(expr_kinds, e->kind);
    if (kind < 0) return enc_fail(c, "invalid expression kind %d", (int)e->kind);
    if (e->nargs < 0 || (e->nargs > 0 && e->args == NULL))
        return enc_fail(c, "expression with %d missing arguments", e->nargs);

    Emberpb__Expr *m = PB_NEW(c, Emberpb__Expr, EMBERPB__EXPR__INIT);
    m->kind = (Emberpb__ExprKind)kind;
    EM_TRY(enc_type(c, e->type, &m->type));
    switch (e->kind) {
    case EM_EXPR_COLUMN:
        m->column = e->column;
        break;
    case EM_EXPR_CONST:
        EM_TRY(enc_value(c, &e->value, &m->value));
        break;
    case EM_EXPR_CALL:
        if (e->func == NULL || e->func->name == NULL)
            return enc_fail(c, "function call without a resolved function");
        m->func_name = (char *)e->func->name;
        /* The receiver resolves the name over the arguments' bound types,
         * which the binder made equal to the chosen overload's. */
        m->n_func_arg_types = (size_t)e->nargs;
        m->func_arg_types = PB_ARRAY(c, Emberpb__Type *, e->nargs);
        for (int i = 0; i < e->nargs; i++) {
            if (e->args[i] == NULL) return enc_fail(c, "missing function argument");
            EM_TRY(enc_type(c, e->args[i]->type, &m->func_arg_types[i]));
        }
        break;
    default:
        break;
    }
    m->n_args = (size_t)e->nargs;
    m->args = PB_ARRAY(c, Emberpb__Expr *, e->nargs);
    for (int i = 0; i < e->nargs; i++) EM_TRY(enc_expr(c, e->args[i], &m->args[i]));
    m->negated = e->negated;
    m->case_insensitive = e->case_insensitive;
    m->try_cast = e->try_cast;
    m->escape = (unsigned char)e->escape;
    *out = m;
    return 0;
}

static int enc_exprs(enc *c, int n, em_expr *const *exprs, size_t *n_out, Emberpb__Expr ***out)
{
    if (n < 0 || (n > 0 && exprs == NULL)) return enc_fail(c, "missing expression list");
    *n_out = (size_t)n;
    *out = PB_ARRAY(c, Emberpb__Expr *, n);
    for (int i = 0; i < n; i++) EM_TRY(enc_expr(c, exprs[i], &(*out)[i]));
    return 0;
}

static int enc_sort_keys(enc *c, int n, const em_sort_key *keys, size_t *n_out,
                         Emberpb__SortKey ***out)
{
    if (n < 0 || (n > 0 && keys == NULL)) return enc_fail(c, "missing sort keys");
    *n_out = (size_t)n;
    *out = PB_ARRAY(c, Emberpb__SortKey *, n);
    for (int i = 0; i < n; i++) {
        Emberpb__SortKey *k = PB_NEW(c, Emberpb__SortKey, EMBERPB__SORT_KEY__INIT);
        k->column = keys[i].column;
        k->desc = keys[i].desc;
        k->nulls_first = keys[i].nulls_first;
        (*out)[i] = k;
    }
    return 0;
}

static int enc_ints(enc *c, int n, const int *v, size_t *n_out, int32_t **out)
{
    if (n < 0 || (n > 0 && v == NULL)) return enc_fail(c, "missing column list");
    *n_out = (size_t)n;
    *out = PB_ARRAY(c, int32_t, n);
    for (int i = 0; i < n; i++) (*out)[i] = v[i];
    return 0;
}

static int enc_scan_desc(enc *c, const em_scan_desc *d, Emberpb__ScanDesc **out)
{
    if (d == NULL) return enc_fail(c, "file scan without a scan description");
    if (d->format == NULL) return enc_fail(c, "scan description without a format");
    if (d->schema == NULL) return enc_fail(c, "scan description is not bound (no schema)");
    if (d->nfiles < 0 || d->noptions < 0 || d->nsplits < 0)
        return enc_fail(c, "scan description with negative counts");
    Emberpb__ScanDesc *m = PB_NEW(c, Emberpb__ScanDesc, EMBERPB__SCAN_DESC__INIT);
    m->format = bin_str(d->format);
    m->n_files = (size_t)d->nfiles;
    m->files = PB_ARRAY(c, ProtobufCBinaryData, d->nfiles);
    for (int i = 0; i < d->nfiles; i++) {
        if (d->files[i] == NULL) return enc_fail(c, "scan description with a NULL file");
        m->files[i] = bin_str(d->files[i]);
    }
    m->n_options = (size_t)d->noptions;
    m->options = PB_ARRAY(c, Emberpb__KeyValue *, d->noptions);
    for (int i = 0; i < d->noptions; i++) {
        if (d->options[i].key == NULL || d->options[i].value == NULL)
            return enc_fail(c, "scan description with a NULL option");
        Emberpb__KeyValue *kv = PB_NEW(c, Emberpb__KeyValue, EMBERPB__KEY_VALUE__INIT);
        kv->key = bin_str(d->options[i].key);
        kv->value = bin_str(d->options[i].value);
        m->options[i] = kv;
    }
    EM_TRY(enc_schema(c, d->schema, &m->schema));
    m->n_splits = (size_t)d->nsplits;
    m->splits = PB_ARRAY(c, Emberpb__Split *, d->nsplits);
    for (int i = 0; i < d->nsplits; i++) {
        Emberpb__Split *s = PB_NEW(c, Emberpb__Split, EMBERPB__SPLIT__INIT);
        s->file = d->splits[i].file;
        s->start = d->splits[i].start;
        s->end = d->splits[i].end;
        m->splits[i] = s;
    }
    *out = m;
    return 0;
}

static int enc_agg_call(enc *c, const em_agg_call *a, Emberpb__AggCall **out)
{
    int kind = TO_PB(agg_kinds, a->kind);
    if (kind < 0) return enc_fail(c, "invalid aggregate kind %d", (int)a->kind);
    Emberpb__AggCall *m = PB_NEW(c, Emberpb__AggCall, EMBERPB__AGG_CALL__INIT);
    m->kind = (Emberpb__AggKind)kind;
    if (a->arg != NULL) EM_TRY(enc_expr(c, a->arg, &m->arg));
    if (a->arg2 != NULL) EM_TRY(enc_expr(c, a->arg2, &m->arg2));
    m->distinct = a->distinct;
    if (a->filter != NULL) EM_TRY(enc_expr(c, a->filter, &m->filter));
    EM_TRY(enc_type(c, a->type, &m->type));
    m->fraction = a->fraction;
    m->desc = a->desc;
    *out = m;
    return 0;
}

static int enc_types(enc *c, int n, const em_type *types, size_t *n_out, Emberpb__Type ***out)
{
    if (n < 0 || (n > 0 && types == NULL)) return enc_fail(c, "missing type list");
    *n_out = (size_t)n;
    *out = PB_ARRAY(c, Emberpb__Type *, n);
    for (int i = 0; i < n; i++) EM_TRY(enc_type(c, types[i], &(*out)[i]));
    return 0;
}

static int enc_join(enc *c, const em_join_spec *s, Emberpb__HashJoinNode **out)
{
    int kind = TO_PB(join_kinds, s->kind);
    if (kind < 0) return enc_fail(c, "invalid join kind %d", (int)s->kind);
    Emberpb__HashJoinNode *m = PB_NEW(c, Emberpb__HashJoinNode, EMBERPB__HASH_JOIN_NODE__INIT);
    m->kind = (Emberpb__JoinKind)kind;
    m->build_right = s->build_right;
    EM_TRY(enc_ints(c, s->nkeys, s->left_keys, &m->n_left_keys, &m->left_keys));
    EM_TRY(enc_ints(c, s->nkeys, s->right_keys, &m->n_right_keys, &m->right_keys));
    if (s->residual != NULL) EM_TRY(enc_expr(c, s->residual, &m->residual));
    EM_TRY(enc_types(c, s->left_ncols, s->left_types, &m->n_left_types, &m->left_types));
    EM_TRY(enc_types(c, s->right_ncols, s->right_types, &m->n_right_types, &m->right_types));
    *out = m;
    return 0;
}

/* PRECEDING and FOLLOWING bounds carry an offset; the others none. */
static bool bound_has_offset(em_frame_bound b)
{
    return b == EM_BOUND_PRECEDING || b == EM_BOUND_FOLLOWING;
}

static int enc_window_call(enc *c, const em_window_call *w, Emberpb__WindowCall **out)
{
    int kind = TO_PB(window_kinds, w->kind);
    if (kind < 0) return enc_fail(c, "invalid window function kind %d", (int)w->kind);
    Emberpb__WindowCall *m = PB_NEW(c, Emberpb__WindowCall, EMBERPB__WINDOW_CALL__INIT);
    m->kind = (Emberpb__WindowKind)kind;
    if (w->kind == EM_WINDOW_AGG) {
        int agg = TO_PB(agg_kinds, w->agg);
        if (agg < 0) return enc_fail(c, "invalid aggregate kind %d", (int)w->agg);
        m->agg = (Emberpb__AggKind)agg;
    }
    m->distinct = w->distinct;
    if (w->arg != NULL) EM_TRY(enc_expr(c, w->arg, &m->arg));
    m->offset = w->offset;
    if (w->deflt != NULL) EM_TRY(enc_expr(c, w->deflt, &m->deflt));
    Emberpb__WindowFrame *f = PB_NEW(c, Emberpb__WindowFrame, EMBERPB__WINDOW_FRAME__INIT);
    int start = TO_PB(frame_bounds, w->frame.start), end = TO_PB(frame_bounds, w->frame.end);
    if (start < 0 || end < 0)
        return enc_fail(c, "invalid frame bounds %d, %d", (int)w->frame.start, (int)w->frame.end);
    f->rows = w->frame.rows;
    f->start = (Emberpb__FrameBound)start;
    f->end = (Emberpb__FrameBound)end;
    if (bound_has_offset(w->frame.start))
        EM_TRY(enc_value(c, &w->frame.start_offset, &f->start_offset));
    if (bound_has_offset(w->frame.end)) EM_TRY(enc_value(c, &w->frame.end_offset, &f->end_offset));
    m->frame = f;
    EM_TRY(enc_type(c, w->type, &m->type));
    *out = m;
    return 0;
}

static int enc_window(enc *c, const em_pop *p, Emberpb__WindowNode **out)
{
    Emberpb__WindowNode *w = PB_NEW(c, Emberpb__WindowNode, EMBERPB__WINDOW_NODE__INIT);
    EM_TRY(enc_ints(c, p->u.window.npartition, p->u.window.partition_cols, &w->n_partition_cols,
                    &w->partition_cols));
    EM_TRY(enc_sort_keys(c, p->u.window.norder, p->u.window.order, &w->n_order, &w->order));
    int n = p->u.window.ncalls;
    if (n < 0 || (n > 0 && p->u.window.calls == NULL))
        return enc_fail(c, "window node with missing functions");
    w->n_calls = (size_t)n;
    w->calls = PB_ARRAY(c, Emberpb__WindowCall *, n);
    for (int i = 0; i < n; i++) EM_TRY(enc_window_call(c, &p->u.window.calls[i], &w->calls[i]));
    *out = w;
    return 0;
}

static int enc_unnest(enc *c, const em_pop *p, Emberpb__UnnestNode **out)
{
    const em_unnest_spec *s = &p->u.unnest.spec;
    int kind = TO_PB(unnest_kinds, s->kind);
    if (kind < 0) return enc_fail(c, "invalid unnest kind %d", (int)s->kind);
    Emberpb__UnnestNode *m = PB_NEW(c, Emberpb__UnnestNode, EMBERPB__UNNEST_NODE__INIT);
    m->kind = (Emberpb__UnnestKind)kind;
    EM_TRY(enc_expr(c, s->str, &m->str));
    EM_TRY(enc_expr(c, s->sep, &m->sep));
    if (s->extra != NULL) EM_TRY(enc_expr(c, s->extra, &m->extra));
    EM_TRY(enc_ints(c, p->u.unnest.npass, p->u.unnest.pass, &m->n_pass, &m->pass));
    *out = m;
    return 0;
}

static int enc_node(enc *c, const em_pop *p, Emberpb__PlanNode **out)
{
    if (p == NULL) return enc_fail(c, "missing plan node");
    int kind = TO_PB(pop_kinds, p->kind);
    if (kind < 0) return enc_fail(c, "invalid plan node kind %d", (int)p->kind);
    if (p->nchildren < 0 || (p->nchildren > 0 && p->children == NULL))
        return enc_fail(c, "%s node with missing children", pop_name(p->kind));

    Emberpb__PlanNode *m = PB_NEW(c, Emberpb__PlanNode, EMBERPB__PLAN_NODE__INIT);
    m->kind = (Emberpb__PopKind)kind;
    EM_TRY(enc_schema(c, p->schema, &m->schema));
    m->nparts = p->nparts;
    m->n_children = (size_t)p->nchildren;
    m->children = PB_ARRAY(c, Emberpb__PlanNode *, p->nchildren);
    for (int i = 0; i < p->nchildren; i++) EM_TRY(enc_node(c, p->children[i], &m->children[i]));

    m->body_case = (Emberpb__PlanNode__BodyCase)pop_bodies[p->kind];
    switch (p->kind) {
    case EM_POP_SCAN_FILE:
    case EM_POP_SCAN_TABLE: {
        Emberpb__ScanNode *s = PB_NEW(c, Emberpb__ScanNode, EMBERPB__SCAN_NODE__INIT);
        EM_TRY(enc_ints(c, p->u.scan.ncols, p->u.scan.cols, &s->n_cols, &s->cols));
        if (p->u.scan.filter != NULL) EM_TRY(enc_expr(c, p->u.scan.filter, &s->filter));
        if (p->kind == EM_POP_SCAN_FILE) {
            EM_TRY(enc_scan_desc(c, p->u.scan.desc, &s->desc));
        } else if (p->u.scan.table_name == NULL || p->u.scan.table_name[0] == '\0') {
            /* Executors find the table by name: without one it cannot travel. */
            return enc_fail(c, "table scan without a table name");
        }
        s->table_name = bin_str(p->u.scan.table_name);
        s->table_batches = p->u.scan.table_batches;
        m->scan = s;
        break;
    }
    case EM_POP_VALUES: {
        Emberpb__ValuesNode *v = PB_NEW(c, Emberpb__ValuesNode, EMBERPB__VALUES_NODE__INIT);
        int nrows = p->u.values.nrows;
        if (nrows < 0 || (nrows > 0 && p->u.values.rows == NULL))
            return enc_fail(c, "VALUES node with missing rows");
        v->n_rows = (size_t)nrows;
        v->rows = PB_ARRAY(c, Emberpb__Row *, nrows);
        for (int r = 0; r < nrows; r++) {
            Emberpb__Row *row = PB_NEW(c, Emberpb__Row, EMBERPB__ROW__INIT);
            /* A row has one expression per output column. */
            EM_TRY(enc_exprs(c, p->schema->nfields, p->u.values.rows[r], &row->n_values,
                             &row->values));
            v->rows[r] = row;
        }
        m->values = v;
        break;
    }
    case EM_POP_SHUFFLE_READ: {
        Emberpb__ShuffleReadNode *s =
            PB_NEW(c, Emberpb__ShuffleReadNode, EMBERPB__SHUFFLE_READ_NODE__INIT);
        s->shuffle_id = p->u.shuffle_read.shuffle_id;
        s->nmaps = p->u.shuffle_read.nmaps;
        EM_TRY(enc_sort_keys(c, p->u.shuffle_read.nmerge, p->u.shuffle_read.merge_keys,
                             &s->n_merge_keys, &s->merge_keys));
        s->broadcast = p->u.shuffle_read.broadcast;
        m->shuffle_read = s;
        break;
    }
    case EM_POP_FILTER: {
        Emberpb__FilterNode *f = PB_NEW(c, Emberpb__FilterNode, EMBERPB__FILTER_NODE__INIT);
        EM_TRY(enc_expr(c, p->u.filter.pred, &f->pred));
        m->filter = f;
        break;
    }
    case EM_POP_PROJECT: {
        Emberpb__ProjectNode *pr = PB_NEW(c, Emberpb__ProjectNode, EMBERPB__PROJECT_NODE__INIT);
        EM_TRY(enc_exprs(c, p->u.project.nexprs, p->u.project.exprs, &pr->n_exprs, &pr->exprs));
        m->project = pr;
        break;
    }
    case EM_POP_HASH_AGG: {
        Emberpb__HashAggNode *g = PB_NEW(c, Emberpb__HashAggNode, EMBERPB__HASH_AGG_NODE__INIT);
        int mode = TO_PB(agg_modes, p->u.agg.mode);
        if (mode < 0) return enc_fail(c, "invalid aggregation mode %d", (int)p->u.agg.mode);
        g->mode = (Emberpb__AggMode)mode;
        EM_TRY(enc_exprs(c, p->u.agg.nkeys, p->u.agg.keys, &g->n_keys, &g->keys));
        if (p->u.agg.naggs < 0 || (p->u.agg.naggs > 0 && p->u.agg.aggs == NULL))
            return enc_fail(c, "aggregation with missing aggregate calls");
        g->n_aggs = (size_t)p->u.agg.naggs;
        g->aggs = PB_ARRAY(c, Emberpb__AggCall *, p->u.agg.naggs);
        for (int i = 0; i < p->u.agg.naggs; i++)
            EM_TRY(enc_agg_call(c, &p->u.agg.aggs[i], &g->aggs[i]));
        m->agg = g;
        break;
    }
    case EM_POP_SORT: {
        Emberpb__SortNode *s = PB_NEW(c, Emberpb__SortNode, EMBERPB__SORT_NODE__INIT);
        EM_TRY(enc_sort_keys(c, p->u.sort.nkeys, p->u.sort.keys, &s->n_keys, &s->keys));
        s->limit = p->u.sort.limit;
        m->sort = s;
        break;
    }
    case EM_POP_LIMIT: {
        Emberpb__LimitNode *l = PB_NEW(c, Emberpb__LimitNode, EMBERPB__LIMIT_NODE__INIT);
        l->limit = p->u.limit.limit;
        l->offset = p->u.limit.offset;
        m->limit = l;
        break;
    }
    case EM_POP_UNION:
        break;
    case EM_POP_HASH_JOIN:
        EM_TRY(enc_join(c, &p->u.join.spec, &m->join));
        m->join->sort_merge = p->u.join.sort_merge;
        break;
    case EM_POP_WINDOW:
        EM_TRY(enc_window(c, p, &m->window));
        break;
    case EM_POP_UNNEST:
        EM_TRY(enc_unnest(c, p, &m->unnest));
        break;
    case EM_POP_EXCHANGE: {
        Emberpb__ExchangeNode *x = PB_NEW(c, Emberpb__ExchangeNode, EMBERPB__EXCHANGE_NODE__INIT);
        int xk = TO_PB(exchange_kinds, p->u.exchange.kind);
        if (xk < 0) return enc_fail(c, "invalid exchange kind %d", (int)p->u.exchange.kind);
        x->kind = (Emberpb__ExchangeKind)xk;
        EM_TRY(enc_ints(c, p->u.exchange.nkeys, p->u.exchange.keys, &x->n_keys, &x->keys));
        EM_TRY(enc_sort_keys(c, p->u.exchange.nmerge, p->u.exchange.merge_keys, &x->n_merge_keys,
                             &x->merge_keys));
        x->shuffle_id = p->u.exchange.shuffle_id;
        x->broadcast = p->u.exchange.broadcast;
        m->exchange = x;
        break;
    }
    }
    *out = m;
    return 0;
}

static int enc_stage(enc *c, const em_stage *s, Emberpb__Stage **out)
{
    if (s == NULL) return enc_fail(c, "missing stage");
    int out_kind = TO_PB(exchange_kinds, s->out_kind);
    if (out_kind < 0) return enc_fail(c, "invalid output exchange kind %d", (int)s->out_kind);
    Emberpb__Stage *m = PB_NEW(c, Emberpb__Stage, EMBERPB__STAGE__INIT);
    m->id = s->id;
    EM_TRY(enc_node(c, s->root, &m->root));
    m->nparts = s->nparts;
    m->is_result = s->is_result;
    m->shuffle_id = s->shuffle_id;
    m->out_kind = (Emberpb__ExchangeKind)out_kind;
    m->out_nparts = s->out_nparts;
    EM_TRY(enc_ints(c, s->out_nkeys, s->out_keys, &m->n_out_keys, &m->out_keys));
    EM_TRY(enc_ints(c, s->nparents, s->parents, &m->n_parents, &m->parents));
    *out = m;
    return 0;
}

/* Pack a message into an em_malloc'd buffer, refusing one that the decoder
 * would reject as too deeply nested. */
static int enc_pack(enc *c, const ProtobufCMessage *m, uint8_t **buf, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *b = em_malloc(n > 0 ? n : 1);
    size_t written = protobuf_c_message_pack(m, b);
    if (written != n) {
        em_free(b);
        return em_error_set(c->err, EM_EINTERNAL, "cannot serialize %s: packed %zu of %zu bytes",
                            c->what, written, n);
    }
    if (!wire_nesting_ok(m->descriptor, b, n, 0)) {
        em_free(b);
        return em_error_set(c->err, EM_EUNSUPPORTED,
                            "cannot serialize %s: it nests deeper than %d levels", c->what,
                            MAX_NESTING);
    }
    *buf = b;
    *len = n;
    return 0;
}

int em_task_desc_serialize(const em_task_desc *t, uint8_t **buf, size_t *len, em_error *err)
{
    enc c = {em_arena_create(16384), err, "task description"};
    int rc = 0;
    Emberpb__TaskDescription m = EMBERPB__TASK_DESCRIPTION__INIT;
    if (t == NULL || t->stage == NULL) {
        rc = enc_fail(&c, "no stage");
        goto done;
    }
    if (t->stage_id != t->stage->id) {
        rc = enc_fail(&c, "stage id %d does not match the stage (%d)", t->stage_id, t->stage->id);
        goto done;
    }
    m.stage_id = t->stage_id;
    if ((rc = enc_stage(&c, t->stage, &m.stage)) < 0) goto done;
    m.partition = t->partition;
    m.attempt = t->attempt;
    m.protocol_version = EM_PLAN_PROTOCOL_VERSION;
    rc = enc_pack(&c, &m.base, buf, len);
done:
    em_arena_destroy(c.a);
    return rc;
}

int em_stage_dag_serialize(const em_stage_dag *dag, uint8_t **buf, size_t *len, em_error *err)
{
    enc c = {em_arena_create(16384), err, "stage DAG"};
    int rc = 0;
    Emberpb__StageDag m = EMBERPB__STAGE_DAG__INIT;
    if (dag == NULL || dag->nstages < 0 || (dag->nstages > 0 && dag->stages == NULL)) {
        rc = enc_fail(&c, "missing stages");
        goto done;
    }
    m.n_stages = (size_t)dag->nstages;
    m.stages = PB_ARRAY(&c, Emberpb__Stage *, dag->nstages);
    for (int i = 0; i < dag->nstages; i++)
        if ((rc = enc_stage(&c, &dag->stages[i], &m.stages[i])) < 0) goto done;
    m.nshuffles = dag->nshuffles;
    m.protocol_version = EM_PLAN_PROTOCOL_VERSION;
    rc = enc_pack(&c, &m.base, buf, len);
done:
    em_arena_destroy(c.a);
    return rc;
}

int em_expr_serialize(const em_expr *e, uint8_t **buf, size_t *len, em_error *err)
{
    enc c = {em_arena_create(4096), err, "expression"};
    Emberpb__Expr *m = NULL;
    int rc = enc_expr(&c, e, &m);
    if (rc == 0) rc = enc_pack(&c, &m->base, buf, len);
    em_arena_destroy(c.a);
    return rc;
}

/* ---- decoding ---------------------------------------------------------- */

typedef struct dec {
    em_arena *a; /* the rebuilt tree */
    em_error *err;
    const char *what;
    em_table_lookup_fn lookup;
    void *lookup_ctx;
    /* Scan descriptions created so far: destroyed if decoding fails. */
    em_scan_desc **descs;
    int ndescs;
    int descs_cap;
} dec;

static int bad(dec *d, const char *fmt, ...) EM_PRINTF(2, 3);
static int bad(dec *d, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return em_error_set(d->err, EM_EINVAL, "malformed %s: %s", d->what, msg);
}

/* Counts on the wire are size_t; the engine's are int. */
static int count_ok(dec *d, size_t n, const char *what)
{
    if (n > INT_MAX) return bad(d, "too many %s", what);
    return 0;
}

/* A NUL-terminated copy of wire bytes that are meant as a C string. */
static int bytes_str(dec *d, ProtobufCBinaryData b, const char *what, bool heap, char **out)
{
    if (b.len > 0 && memchr(b.data, '\0', b.len) != NULL)
        return bad(d, "%s contains a NUL byte", what);
    if (heap) {
        *out = em_strndup(b.len > 0 ? (const char *)b.data : "", b.len);
    } else {
        *out = em_arena_strndup(d->a, b.len > 0 ? (const char *)b.data : "", b.len);
    }
    return 0;
}

static int dec_type(dec *d, const Emberpb__Type *m, em_type *out)
{
    if (m == NULL) return bad(d, "missing type");
    int id = FROM_PB(type_ids, m->id);
    if (id < 0) return bad(d, "unknown type id %d", (int)m->id);
    if (m->precision > 255 || m->scale > 255)
        return bad(d, "type precision/scale %u/%u out of range", m->precision, m->scale);
    /* Kernels index powers of ten by the scale; the declared-overload form
     * DECIMAL(0,s) is legal, so precision and scale are only bounded. */
    if (id == EM_TYPE_DECIMAL &&
        (m->precision > EM_DECIMAL_MAX_PRECISION || m->scale > EM_DECIMAL_MAX_PRECISION))
        return bad(d, "invalid DECIMAL(%u,%u)", m->precision, m->scale);
    out->id = (uint8_t)id;
    out->precision = (uint8_t)m->precision;
    out->scale = (uint8_t)m->scale;
    return 0;
}

static int dec_value(dec *d, const Emberpb__Value *m, em_value *out)
{
    if (m == NULL) return bad(d, "constant without a value");
    em_value v;
    memset(&v, 0, sizeof(v));
    EM_TRY(dec_type(d, m->type, &v.type));
    v.is_null = m->is_null;
    Emberpb__Value__VCase want = EMBERPB__VALUE__V__NOT_SET;
    if (!v.is_null) {
        switch ((em_type_id)v.type.id) {
        case EM_TYPE_BOOLEAN:
            want = EMBERPB__VALUE__V_B;
            break;
        case EM_TYPE_INTEGER:
        case EM_TYPE_DATE:
            want = EMBERPB__VALUE__V_I32;
            break;
        case EM_TYPE_BIGINT:
        case EM_TYPE_DECIMAL:
        case EM_TYPE_TIMESTAMP:
            want = EMBERPB__VALUE__V_I64;
            break;
        case EM_TYPE_DOUBLE:
            want = EMBERPB__VALUE__V_F64;
            break;
        case EM_TYPE_VARCHAR:
            want = EMBERPB__VALUE__V_STR;
            break;
        case EM_TYPE_INTERVAL:
            want = EMBERPB__VALUE__V_IV;
            break;
        case EM_TYPE_NULL:
            return bad(d, "non-NULL value of type NULL");
        case EM_TYPE_COUNT_:
            break;
        }
    }
    if (m->v_case != want) return bad(d, "value does not match its type");
    switch (m->v_case) {
    case EMBERPB__VALUE__V_B:
        v.v.b = m->b != 0;
        break;
    case EMBERPB__VALUE__V_I32:
        v.v.i32 = m->i32;
        break;
    case EMBERPB__VALUE__V_I64:
        v.v.i64 = m->i64;
        break;
    case EMBERPB__VALUE__V_F64:
        v.v.f64 = m->f64;
        break;
    case EMBERPB__VALUE__V_STR:
        if (m->str.len > INT32_MAX) return bad(d, "string constant too long");
        /* Strings may hold any byte: copy by length, NUL-terminated for convenience. */
        v.v.str.ptr =
            em_arena_strndup(d->a, m->str.len > 0 ? (const char *)m->str.data : "", m->str.len);
        v.v.str.len = (int32_t)m->str.len;
        break;
    case EMBERPB__VALUE__V_IV:
        if (m->iv == NULL) return bad(d, "INTERVAL constant without its fields");
        v.v.iv.months = m->iv->months;
        v.v.iv.days = m->iv->days;
        v.v.iv.micros = m->iv->micros;
        break;
    default:
        break;
    }
    *out = v;
    return 0;
}

/* An arena schema (the rebuilt plan's) or a heap one (owned by a scan description). */
static int dec_schema(dec *d, const Emberpb__Schema *m, bool heap, em_schema **out)
{
    if (m == NULL) return bad(d, "missing schema");
    EM_TRY(count_ok(d, m->n_fields, "schema fields"));
    int n = (int)m->n_fields;
    em_schema *s;
    if (heap) {
        s = em_schema_create(n);
    } else {
        s = em_arena_calloc(d->a, sizeof(*s));
        s->nfields = n;
        s->fields = em_arena_calloc(d->a, sizeof(em_field) * (size_t)(n > 0 ? n : 1));
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const Emberpb__Field *f = m->fields[i];
        if (f == NULL) {
            rc = bad(d, "missing schema field");
            break;
        }
        rc = dec_type(d, f->type, &s->fields[i].type);
        if (rc == 0) rc = bytes_str(d, f->name, "column name", heap, &s->fields[i].name);
        s->fields[i].nullable = f->nullable;
    }
    if (rc < 0) {
        if (heap) em_schema_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Column index check: `ncols` is the input width, negative when unchecked. */
static int col_ok(dec *d, int64_t col, int ncols, const char *what)
{
    if (col < 0 || (ncols >= 0 && col >= ncols))
        return bad(d, "%s column %lld out of range (input has %d columns)", what, (long long)col,
                   ncols);
    return 0;
}

static int dec_expr(dec *d, const Emberpb__Expr *m, int ncols, em_expr **out);

static int dec_call(dec *d, const Emberpb__Expr *m, const em_func **out)
{
    if (m->func_name == NULL || m->func_name[0] == '\0')
        return bad(d, "function call without a function name");
    if (m->n_func_arg_types != m->n_args)
        return bad(d, "function '%s' with %zu argument types for %zu arguments", m->func_name,
                   m->n_func_arg_types, m->n_args);
    int n = (int)m->n_args;
    em_type *types = em_malloc(sizeof(em_type) * 2 * (size_t)(n > 0 ? n : 1));
    em_type *cast_to = types + (n > 0 ? n : 1);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = dec_type(d, m->func_arg_types[i], &types[i]);
    if (rc == 0) {
        em_type ret;
        rc = em_func_resolve(m->func_name, n, types, out, cast_to, &ret, d->err);
        if (rc < 0) em_error_prefix(d->err, "%s: function '%s'", d->what, m->func_name);
    }
    em_free(types);
    return rc;
}

/* Allowed argument counts per expression kind. */
static int expr_arity_ok(dec *d, em_expr_kind kind, size_t n)
{
    bool ok = true;
    switch (kind) {
    case EM_EXPR_COLUMN:
    case EM_EXPR_CONST:
        ok = n == 0;
        break;
    case EM_EXPR_CALL:
        ok = true;
        break;
    case EM_EXPR_CAST:
    case EM_EXPR_NOT:
    case EM_EXPR_IS_NULL:
        ok = n == 1;
        break;
    case EM_EXPR_CASE:
        ok = n >= 3 && n % 2 == 1;
        break;
    case EM_EXPR_AND:
    case EM_EXPR_OR:
    case EM_EXPR_COALESCE:
        ok = n >= 1;
        break;
    case EM_EXPR_IN_LIST:
        ok = n >= 2;
        break;
    case EM_EXPR_LIKE:
        ok = n == 2;
        break;
    }
    if (!ok) return bad(d, "expression kind %d with %zu arguments", (int)kind, n);
    return count_ok(d, n, "expression arguments");
}

static int dec_expr(dec *d, const Emberpb__Expr *m, int ncols, em_expr **out)
{
    if (m == NULL) return bad(d, "missing expression");
    int kind = FROM_PB(expr_kinds, m->kind);
    if (kind < 0) return bad(d, "unknown expression kind %d", (int)m->kind);
    EM_TRY(expr_arity_ok(d, (em_expr_kind)kind, m->n_args));
    em_type type;
    EM_TRY(dec_type(d, m->type, &type));
    if (m->escape > 255) return bad(d, "LIKE escape %u is not a byte", m->escape);

    int nargs = (int)m->n_args;
    em_expr *e = em_expr_new(d->a, (em_expr_kind)kind, type, nargs);
    e->kind = (em_expr_kind)kind;
    e->type = type;
    e->nargs = nargs;
    if (nargs > 0 && e->args == NULL)
        e->args = em_arena_calloc(d->a, sizeof(em_expr *) * (size_t)nargs);
    for (int i = 0; i < nargs; i++) EM_TRY(dec_expr(d, m->args[i], ncols, &e->args[i]));

    switch ((em_expr_kind)kind) {
    case EM_EXPR_COLUMN:
        EM_TRY(col_ok(d, m->column, ncols, "expression"));
        e->column = m->column;
        break;
    case EM_EXPR_CONST:
        EM_TRY(dec_value(d, m->value, &e->value));
        break;
    case EM_EXPR_CALL:
        EM_TRY(dec_call(d, m, &e->func));
        break;
    default:
        break;
    }
    e->negated = m->negated;
    e->case_insensitive = m->case_insensitive;
    e->try_cast = m->try_cast;
    e->escape = (char)(unsigned char)m->escape;
    *out = e;
    return 0;
}

static int dec_exprs(dec *d, size_t n, Emberpb__Expr *const *m, int ncols, int *n_out,
                     em_expr ***out)
{
    EM_TRY(count_ok(d, n, "expressions"));
    em_expr **v = n > 0 ? em_arena_calloc(d->a, sizeof(em_expr *) * n) : NULL;
    for (size_t i = 0; i < n; i++) EM_TRY(dec_expr(d, m[i], ncols, &v[i]));
    *n_out = (int)n;
    *out = v;
    return 0;
}

static int dec_sort_keys(dec *d, size_t n, Emberpb__SortKey *const *m, int ncols, int *n_out,
                         em_sort_key **out)
{
    EM_TRY(count_ok(d, n, "sort keys"));
    em_sort_key *k = n > 0 ? em_arena_calloc(d->a, sizeof(em_sort_key) * n) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (m[i] == NULL) return bad(d, "missing sort key");
        EM_TRY(col_ok(d, m[i]->column, ncols, "sort key"));
        k[i].column = m[i]->column;
        k[i].desc = m[i]->desc;
        k[i].nulls_first = m[i]->nulls_first;
    }
    *n_out = (int)n;
    *out = k;
    return 0;
}

static int dec_cols(dec *d, size_t n, const int32_t *m, int ncols, const char *what, int *n_out,
                    int **out)
{
    EM_TRY(count_ok(d, n, what));
    int *v = n > 0 ? em_arena_calloc(d->a, sizeof(int) * n) : NULL;
    for (size_t i = 0; i < n; i++) {
        EM_TRY(col_ok(d, m[i], ncols, what));
        v[i] = m[i];
    }
    *n_out = (int)n;
    *out = v;
    return 0;
}

static void remember_desc(dec *d, em_scan_desc *desc)
{
    if (d->ndescs == d->descs_cap) {
        d->descs_cap = d->descs_cap > 0 ? d->descs_cap * 2 : 4;
        d->descs = em_realloc(d->descs, sizeof(*d->descs) * (size_t)d->descs_cap);
    }
    d->descs[d->ndescs++] = desc;
}

static int dec_scan_desc(dec *d, const Emberpb__ScanDesc *m, em_scan_desc **out)
{
    if (m == NULL) return bad(d, "file scan without a scan description");
    EM_TRY(count_ok(d, m->n_files, "files"));
    EM_TRY(count_ok(d, m->n_options, "options"));
    EM_TRY(count_ok(d, m->n_splits, "splits"));
    char *format = NULL;
    EM_TRY(bytes_str(d, m->format, "format name", false, &format));
    if (format[0] == '\0') return bad(d, "scan description without a format");
    if (em_format_lookup(format) == NULL) return bad(d, "unknown file format '%s'", format);

    em_scan_desc *desc = em_scan_desc_create(format);
    if (desc == NULL) return bad(d, "unknown file format '%s'", format);
    /* From here on the description is destroyed with the others on failure. */
    remember_desc(d, desc);

    /* Files are set as they were expanded on the driver: expanding a pattern
     * again here could see a different directory. */
    int nfiles = (int)m->n_files;
    if (nfiles > 0) {
        desc->files = em_calloc((size_t)nfiles, sizeof(char *));
        for (int i = 0; i < nfiles; i++) {
            if (m->files[i].len == 0) return bad(d, "empty file name");
            EM_TRY(bytes_str(d, m->files[i], "file name", true, &desc->files[i]));
            desc->nfiles = i + 1;
        }
    }
    for (size_t i = 0; i < m->n_options; i++) {
        const Emberpb__KeyValue *kv = m->options[i];
        if (kv == NULL) return bad(d, "missing scan option");
        char *key = NULL, *value = NULL;
        EM_TRY(bytes_str(d, kv->key, "option name", false, &key));
        EM_TRY(bytes_str(d, kv->value, "option value", false, &value));
        if (key[0] == '\0') return bad(d, "empty option name");
        em_scan_desc_set_option(desc, key, value);
    }
    em_schema *schema;
    EM_TRY(dec_schema(d, m->schema, true, &schema));
    em_schema_destroy(desc->schema); /* normally NULL after create */
    desc->schema = schema;
    int nsplits = (int)m->n_splits;
    if (nsplits > 0) {
        desc->splits = em_calloc((size_t)nsplits, sizeof(em_split));
        desc->nsplits = nsplits;
        for (int i = 0; i < nsplits; i++) {
            const Emberpb__Split *s = m->splits[i];
            if (s == NULL) return bad(d, "missing split");
            if (s->file < 0 || s->file >= nfiles)
                return bad(d, "split of file %d (the scan has %d files)", s->file, nfiles);
            if (s->start < 0 || s->end < s->start)
                return bad(d, "split range [%lld, %lld)", (long long)s->start, (long long)s->end);
            desc->splits[i].file = s->file;
            desc->splits[i].start = s->start;
            desc->splits[i].end = s->end;
        }
    }
    *out = desc;
    return 0;
}

static int dec_scan(dec *d, const Emberpb__ScanNode *m, em_pop *p)
{
    if (p->kind == EM_POP_SCAN_FILE) {
        EM_TRY(dec_scan_desc(d, m->desc, &p->u.scan.desc));
        if (m->table_name.len > 0) {
            char *name = NULL;
            EM_TRY(bytes_str(d, m->table_name, "table name", false, &name));
            p->u.scan.table_name = name;
        }
    } else {
        if (m->desc != NULL) return bad(d, "table scan with a file scan description");
        if (m->table_name.len == 0) return bad(d, "table scan without a table name");
        char *name = NULL;
        EM_TRY(bytes_str(d, m->table_name, "table name", false, &name));
        p->u.scan.table_name = name;
        p->u.scan.table = d->lookup != NULL ? d->lookup(d->lookup_ctx, name) : NULL;
        if (p->u.scan.table == NULL)
            return em_error_set(d->err, EM_ENOENT, "table '%s' not found", name);
    }
    if (m->table_batches < 0) return bad(d, "negative table batch count");
    p->u.scan.table_batches = m->table_batches;
    /* Columns index the source: the file's schema, or the table's (opaque here). */
    int source_cols = p->kind == EM_POP_SCAN_FILE ? p->u.scan.desc->schema->nfields : -1;
    EM_TRY(dec_cols(d, m->n_cols, m->cols, source_cols, "scan", &p->u.scan.ncols, &p->u.scan.cols));
    if (m->filter != NULL) EM_TRY(dec_expr(d, m->filter, p->schema->nfields, &p->u.scan.filter));
    return 0;
}

static int dec_agg(dec *d, const Emberpb__HashAggNode *m, int ncols, em_pop *p)
{
    int mode = FROM_PB(agg_modes, m->mode);
    if (mode < 0) return bad(d, "unknown aggregation mode %d", (int)m->mode);
    p->u.agg.mode = (em_agg_mode)mode;
    EM_TRY(dec_exprs(d, m->n_keys, m->keys, ncols, &p->u.agg.nkeys, &p->u.agg.keys));
    EM_TRY(count_ok(d, m->n_aggs, "aggregates"));
    int naggs = (int)m->n_aggs;
    em_agg_call *aggs =
        naggs > 0 ? em_arena_calloc(d->a, sizeof(em_agg_call) * (size_t)naggs) : NULL;
    /* A FINAL aggregation reads partial states, but its calls keep the
     * arguments they had over the raw rows: those are not columns of its input. */
    int arg_cols = mode == EM_AGG_MODE_FINAL || mode == EM_AGG_MODE_MERGE ? -1 : ncols;
    for (int i = 0; i < naggs; i++) {
        const Emberpb__AggCall *c = m->aggs[i];
        if (c == NULL) return bad(d, "missing aggregate call");
        int kind = FROM_PB(agg_kinds, c->kind);
        if (kind < 0) return bad(d, "unknown aggregate kind %d", (int)c->kind);
        aggs[i].kind = (em_agg_kind)kind;
        if ((kind == EM_AGG_COUNT_STAR) != (c->arg == NULL))
            return bad(d, "aggregate %d %s an argument", i,
                       kind == EM_AGG_COUNT_STAR ? "count(*) with" : "without");
        if (c->arg != NULL) EM_TRY(dec_expr(d, c->arg, arg_cols, &aggs[i].arg));
        bool pair = kind == EM_AGG_CORR || kind == EM_AGG_COVAR_POP || kind == EM_AGG_COVAR_SAMP;
        if (pair != (c->arg2 != NULL))
            return bad(d, "aggregate %d %s a second argument", i, pair ? "without" : "with");
        if (c->arg2 != NULL) EM_TRY(dec_expr(d, c->arg2, arg_cols, &aggs[i].arg2));
        aggs[i].distinct = c->distinct;
        if (c->filter != NULL) EM_TRY(dec_expr(d, c->filter, arg_cols, &aggs[i].filter));
        EM_TRY(dec_type(d, c->type, &aggs[i].type));
        if (!(c->fraction >= 0 && c->fraction <= 1)) /* also rejects NaN */
            return bad(d, "aggregate %d with fraction %g outside [0, 1]", i, c->fraction);
        aggs[i].fraction = c->fraction;
        aggs[i].desc = c->desc;
    }
    p->u.agg.naggs = naggs;
    p->u.agg.aggs = aggs;
    if (mode != EM_AGG_MODE_PARTIAL && mode != EM_AGG_MODE_MERGE &&
        p->schema->nfields != p->u.agg.nkeys + naggs)
        return bad(d, "HASH_AGG with %d keys and %d aggregates has %d output columns",
                   p->u.agg.nkeys, naggs, p->schema->nfields);
    return 0;
}

static int dec_types(dec *d, size_t n, Emberpb__Type *const *m, em_type **out)
{
    EM_TRY(count_ok(d, n, "types"));
    em_type *t = em_arena_calloc(d->a, sizeof(em_type) * (n > 0 ? n : 1));
    for (size_t i = 0; i < n; i++) EM_TRY(dec_type(d, m[i], &t[i]));
    *out = t;
    return 0;
}

/* The join's side types must be its inputs' column types. */
static int join_side_ok(dec *d, const char *side, size_t ntypes, const em_type *types,
                        const em_schema *input)
{
    if (ntypes != (size_t)input->nfields)
        return bad(d, "join with %zu %s types for an input of %d columns", ntypes, side,
                   input->nfields);
    for (int i = 0; i < input->nfields; i++)
        if (!em_type_equal(types[i], input->fields[i].type))
            return bad(d, "join %s type %d does not match its input", side, i);
    return 0;
}

static int dec_join(dec *d, const Emberpb__HashJoinNode *m, em_pop *p)
{
    int kind = FROM_PB(join_kinds, m->kind);
    if (kind < 0) return bad(d, "unknown join kind %d", (int)m->kind);
    em_join_spec *s = &p->u.join.spec;
    s->kind = (em_join_kind)kind;
    s->build_right = m->build_right;
    bool semi = kind == EM_JOIN_KIND_SEMI || kind == EM_JOIN_KIND_ANTI ||
                kind == EM_JOIN_KIND_ANTI_NULL_AWARE;
    /* SEMI and ANTI may build either side; NOT IN needs the whole right side. */
    if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && !s->build_right)
        return bad(d, "null-aware anti join that builds the left side");
    /* children: [probe side, build side] */
    const em_schema *ls = p->children[s->build_right ? 0 : 1]->schema;
    const em_schema *rs = p->children[s->build_right ? 1 : 0]->schema;
    int L = ls->nfields, R = rs->nfields;
    if (m->n_left_keys != m->n_right_keys)
        return bad(d, "join with %zu left keys and %zu right keys", m->n_left_keys,
                   m->n_right_keys);
    int *lk, *rk, nkeys;
    EM_TRY(dec_cols(d, m->n_left_keys, m->left_keys, L, "left join key", &nkeys, &lk));
    EM_TRY(dec_cols(d, m->n_right_keys, m->right_keys, R, "right join key", &nkeys, &rk));
    if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && nkeys != 1)
        return bad(d, "null-aware anti join with %d keys", nkeys);
    em_type *lt, *rt;
    EM_TRY(dec_types(d, m->n_left_types, m->left_types, &lt));
    EM_TRY(dec_types(d, m->n_right_types, m->right_types, &rt));
    EM_TRY(join_side_ok(d, "left", m->n_left_types, lt, ls));
    EM_TRY(join_side_ok(d, "right", m->n_right_types, rt, rs));
    for (int k = 0; k < nkeys; k++)
        if (!em_type_equal(lt[lk[k]], rt[rk[k]]))
            return bad(d, "join key %d compares columns of different types", k);
    s->nkeys = nkeys;
    s->left_keys = lk;
    s->right_keys = rk;
    s->left_ncols = L;
    s->left_types = lt;
    s->right_ncols = R;
    s->right_types = rt;
    s->residual = NULL;
    if (m->residual != NULL) {
        em_expr *res;
        EM_TRY(dec_expr(d, m->residual, L + R, &res));
        s->residual = res;
    }
    int width = semi ? L : L + R;
    if (p->schema->nfields != width)
        return bad(d, "HASH_JOIN node with %d columns over inputs of %d and %d", p->schema->nfields,
                   L, R);
    return 0;
}

static int dec_frame_offset(dec *d, em_frame_bound b, const Emberpb__Value *m, const char *which,
                            em_value *out)
{
    memset(out, 0, sizeof(*out));
    if (bound_has_offset(b) != (m != NULL))
        return bad(d, "window frame %s %s an offset", which,
                   bound_has_offset(b) ? "without" : "with");
    if (m == NULL) return 0;
    EM_TRY(dec_value(d, m, out));
    if (out->is_null) return bad(d, "window frame %s with a NULL offset", which);
    return 0;
}

static int dec_window_call(dec *d, const Emberpb__WindowCall *m, int ncols, em_window_call *c)
{
    if (m == NULL) return bad(d, "missing window function");
    memset(c, 0, sizeof(*c));
    int kind = FROM_PB(window_kinds, m->kind);
    if (kind < 0) return bad(d, "unknown window function kind %d", (int)m->kind);
    c->kind = (em_window_kind)kind;
    if (kind == EM_WINDOW_AGG) {
        int agg = FROM_PB(agg_kinds, m->agg);
        if (agg < 0) return bad(d, "unknown aggregate kind %d", (int)m->agg);
        c->agg = (em_agg_kind)agg;
        if ((agg == EM_AGG_COUNT_STAR) != (m->arg == NULL))
            return bad(d, "window aggregate %s an argument",
                       agg == EM_AGG_COUNT_STAR ? "count(*) with" : "without");
    } else if (m->agg != 0) {
        return bad(d, "window function kind %d with an aggregate", kind);
    }
    bool value_fn = kind == EM_WINDOW_LAG || kind == EM_WINDOW_LEAD ||
                    kind == EM_WINDOW_FIRST_VALUE || kind == EM_WINDOW_LAST_VALUE ||
                    kind == EM_WINDOW_NTH_VALUE;
    if (value_fn && m->arg == NULL)
        return bad(d, "window function kind %d without an argument", kind);
    if (m->deflt != NULL && kind != EM_WINDOW_LAG && kind != EM_WINDOW_LEAD)
        return bad(d, "window function kind %d with a default value", kind);
    /* The operator divides by the bucket count and counts rows to the n-th. */
    if ((kind == EM_WINDOW_NTILE || kind == EM_WINDOW_NTH_VALUE) && m->offset <= 0)
        return bad(d, "window function kind %d with offset %lld", kind, (long long)m->offset);
    c->distinct = m->distinct;
    c->offset = m->offset;
    if (m->arg != NULL) {
        em_expr *arg;
        EM_TRY(dec_expr(d, m->arg, ncols, &arg));
        c->arg = arg;
    }
    if (m->deflt != NULL) {
        em_expr *deflt;
        EM_TRY(dec_expr(d, m->deflt, ncols, &deflt));
        c->deflt = deflt;
    }
    const Emberpb__WindowFrame *f = m->frame;
    if (f == NULL) return bad(d, "window function without a frame");
    int start = FROM_PB(frame_bounds, f->start), end = FROM_PB(frame_bounds, f->end);
    if (start < 0 || end < 0)
        return bad(d, "unknown window frame bounds %d, %d", (int)f->start, (int)f->end);
    c->frame.rows = f->rows;
    c->frame.start = (em_frame_bound)start;
    c->frame.end = (em_frame_bound)end;
    EM_TRY(dec_frame_offset(d, c->frame.start, f->start_offset, "start", &c->frame.start_offset));
    EM_TRY(dec_frame_offset(d, c->frame.end, f->end_offset, "end", &c->frame.end_offset));
    return dec_type(d, m->type, &c->type);
}

static int dec_window(dec *d, const Emberpb__WindowNode *m, int ncols, em_pop *p)
{
    EM_TRY(dec_cols(d, m->n_partition_cols, m->partition_cols, ncols, "window partition",
                    &p->u.window.npartition, &p->u.window.partition_cols));
    EM_TRY(dec_sort_keys(d, m->n_order, m->order, ncols, &p->u.window.norder, &p->u.window.order));
    EM_TRY(count_ok(d, m->n_calls, "window functions"));
    int n = (int)m->n_calls;
    em_window_call *calls =
        n > 0 ? em_arena_calloc(d->a, sizeof(em_window_call) * (size_t)n) : NULL;
    for (int i = 0; i < n; i++) EM_TRY(dec_window_call(d, m->calls[i], ncols, &calls[i]));
    p->u.window.ncalls = n;
    p->u.window.calls = calls;
    if (p->schema->nfields != ncols + n)
        return bad(d, "WINDOW node with %d columns over an input of %d and %d functions",
                   p->schema->nfields, ncols, n);
    return 0;
}

static int dec_unnest(dec *d, const Emberpb__UnnestNode *m, int ncols, em_pop *p)
{
    int kind = FROM_PB(unnest_kinds, m->kind);
    if (kind < 0) return bad(d, "unknown unnest kind %d", (int)m->kind);
    em_unnest_spec *s = &p->u.unnest.spec;
    s->kind = (em_unnest_kind)kind;
    if (m->str == NULL || m->sep == NULL) return bad(d, "UNNEST node without its string");
    em_expr *str, *sep, *extra = NULL;
    EM_TRY(dec_expr(d, m->str, ncols, &str));
    EM_TRY(dec_expr(d, m->sep, ncols, &sep));
    if (m->extra != NULL) EM_TRY(dec_expr(d, m->extra, ncols, &extra));
    if (str->type.id != EM_TYPE_VARCHAR || sep->type.id != EM_TYPE_VARCHAR ||
        (extra != NULL && extra->type.id != EM_TYPE_VARCHAR))
        return bad(d, "UNNEST node over a value that is not VARCHAR");
    s->str = str;
    s->sep = sep;
    s->extra = extra;
    EM_TRY(dec_cols(d, m->n_pass, m->pass, ncols, "unnest column", &p->u.unnest.npass,
                    &p->u.unnest.pass));
    if (p->schema->nfields != p->u.unnest.npass + 1 ||
        p->schema->fields[p->u.unnest.npass].type.id != EM_TYPE_VARCHAR)
        return bad(d, "UNNEST node with %d columns for %d passed through", p->schema->nfields,
                   p->u.unnest.npass);
    return 0;
}

static int dec_node(dec *d, const Emberpb__PlanNode *m, em_pop **out)
{
    if (m == NULL) return bad(d, "missing plan node");
    int k = FROM_PB(pop_kinds, m->kind);
    if (k < 0) return bad(d, "unknown plan node kind %d", (int)m->kind);
    em_pop_kind kind = (em_pop_kind)k;
    const char *name = pop_name(kind);

    size_t nch = m->n_children;
    bool leaf = kind == EM_POP_SCAN_FILE || kind == EM_POP_SCAN_TABLE || kind == EM_POP_VALUES ||
                kind == EM_POP_SHUFFLE_READ;
    size_t want = leaf ? 0 : kind == EM_POP_HASH_JOIN ? 2 : 1;
    if (kind == EM_POP_UNION ? nch < 1 : nch != want)
        return bad(d, "%s node with %zu children", name, nch);
    EM_TRY(count_ok(d, nch, "children"));
    if ((int)m->body_case != pop_bodies[kind])
        return bad(d, "%s node without its %s fields", name, name);
    if (m->nparts < 0) return bad(d, "%s node with %d partitions", name, m->nparts);

    em_pop *p = em_pop_new(d->a, kind, (int)nch);
    p->kind = kind;
    p->nchildren = (int)nch;
    if (nch > 0 && p->children == NULL) p->children = em_arena_calloc(d->a, sizeof(em_pop *) * nch);
    for (size_t i = 0; i < nch; i++) EM_TRY(dec_node(d, m->children[i], &p->children[i]));
    EM_TRY(dec_schema(d, m->schema, false, &p->schema));
    p->nparts = m->nparts;

    int width = p->schema->nfields;
    int in = nch > 0 ? p->children[0]->schema->nfields : 0; /* input width */
    /* Nodes that pass rows through keep their input's layout. */
    bool same_width = kind == EM_POP_FILTER || kind == EM_POP_SORT || kind == EM_POP_LIMIT ||
                      kind == EM_POP_EXCHANGE || kind == EM_POP_UNION;
    for (size_t i = 0; same_width && i < nch; i++)
        if (p->children[i]->schema->nfields != width)
            return bad(d, "%s node with %d columns over an input of %d", name, width,
                       p->children[i]->schema->nfields);

    switch (kind) {
    case EM_POP_SCAN_FILE:
    case EM_POP_SCAN_TABLE:
        EM_TRY(dec_scan(d, m->scan, p));
        break;
    case EM_POP_VALUES: {
        const Emberpb__ValuesNode *v = m->values;
        EM_TRY(count_ok(d, v->n_rows, "rows"));
        p->u.values.nrows = (int)v->n_rows;
        p->u.values.rows =
            v->n_rows > 0 ? em_arena_calloc(d->a, sizeof(em_expr **) * v->n_rows) : NULL;
        for (size_t r = 0; r < v->n_rows; r++) {
            const Emberpb__Row *row = v->rows[r];
            if (row == NULL) return bad(d, "missing VALUES row");
            if (row->n_values != (size_t)width)
                return bad(d, "VALUES row of %zu values for %d columns", row->n_values, width);
            int n;
            /* Literal rows have no input: any column reference is out of range. */
            EM_TRY(dec_exprs(d, row->n_values, row->values, 0, &n, &p->u.values.rows[r]));
        }
        break;
    }
    case EM_POP_SHUFFLE_READ: {
        const Emberpb__ShuffleReadNode *s = m->shuffle_read;
        if (s->shuffle_id < 0 || s->nmaps < 0)
            return bad(d, "shuffle read of shuffle %d with %d maps", s->shuffle_id, s->nmaps);
        p->u.shuffle_read.shuffle_id = s->shuffle_id;
        p->u.shuffle_read.nmaps = s->nmaps;
        EM_TRY(dec_sort_keys(d, s->n_merge_keys, s->merge_keys, width, &p->u.shuffle_read.nmerge,
                             &p->u.shuffle_read.merge_keys));
        p->u.shuffle_read.broadcast = s->broadcast;
        break;
    }
    case EM_POP_FILTER: {
        if (m->filter->pred == NULL) return bad(d, "FILTER node without a predicate");
        EM_TRY(dec_expr(d, m->filter->pred, in, &p->u.filter.pred));
        break;
    }
    case EM_POP_PROJECT: {
        const Emberpb__ProjectNode *pr = m->project;
        if (pr->n_exprs != (size_t)width)
            return bad(d, "PROJECT node of %zu expressions for %d columns", pr->n_exprs, width);
        EM_TRY(dec_exprs(d, pr->n_exprs, pr->exprs, in, &p->u.project.nexprs, &p->u.project.exprs));
        break;
    }
    case EM_POP_HASH_AGG:
        EM_TRY(dec_agg(d, m->agg, in, p));
        break;
    case EM_POP_SORT: {
        const Emberpb__SortNode *s = m->sort;
        if (s->limit < -1) return bad(d, "SORT node with limit %lld", (long long)s->limit);
        EM_TRY(dec_sort_keys(d, s->n_keys, s->keys, in, &p->u.sort.nkeys, &p->u.sort.keys));
        p->u.sort.limit = s->limit;
        break;
    }
    case EM_POP_LIMIT: {
        const Emberpb__LimitNode *l = m->limit;
        if (l->limit < -1 || l->offset < 0)
            return bad(d, "LIMIT %lld OFFSET %lld", (long long)l->limit, (long long)l->offset);
        p->u.limit.limit = l->limit;
        p->u.limit.offset = l->offset;
        break;
    }
    case EM_POP_UNION:
        break;
    case EM_POP_HASH_JOIN:
        EM_TRY(dec_join(d, m->join, p));
        p->u.join.sort_merge = m->join->sort_merge;
        break;
    case EM_POP_WINDOW:
        EM_TRY(dec_window(d, m->window, in, p));
        break;
    case EM_POP_UNNEST:
        EM_TRY(dec_unnest(d, m->unnest, in, p));
        break;
    case EM_POP_EXCHANGE: {
        const Emberpb__ExchangeNode *x = m->exchange;
        int xk = FROM_PB(exchange_kinds, x->kind);
        if (xk < 0) return bad(d, "unknown exchange kind %d", (int)x->kind);
        if (x->shuffle_id < -1) return bad(d, "exchange with shuffle id %d", x->shuffle_id);
        p->u.exchange.kind = (em_exchange_kind)xk;
        EM_TRY(dec_cols(d, x->n_keys, x->keys, in, "exchange key", &p->u.exchange.nkeys,
                        &p->u.exchange.keys));
        EM_TRY(dec_sort_keys(d, x->n_merge_keys, x->merge_keys, in, &p->u.exchange.nmerge,
                             &p->u.exchange.merge_keys));
        p->u.exchange.shuffle_id = x->shuffle_id;
        p->u.exchange.broadcast = x->broadcast;
        break;
    }
    }
    *out = p;
    return 0;
}

static int dec_stage(dec *d, const Emberpb__Stage *m, em_stage *s)
{
    if (m == NULL) return bad(d, "missing stage");
    memset(s, 0, sizeof(*s));
    if (m->id < 0 || m->nparts < 0 || m->out_nparts < 0 || m->shuffle_id < -1)
        return bad(d, "stage %d with %d tasks, %d output partitions, shuffle %d", m->id, m->nparts,
                   m->out_nparts, m->shuffle_id);
    if (!m->is_result && m->out_nparts < 1)
        return bad(d, "stage %d shuffles into no partitions", m->id);
    int out_kind = FROM_PB(exchange_kinds, m->out_kind);
    if (out_kind < 0) return bad(d, "unknown exchange kind %d", (int)m->out_kind);
    if (m->root == NULL) return bad(d, "stage %d without a plan", m->id);
    s->id = m->id;
    EM_TRY(dec_node(d, m->root, &s->root));
    s->nparts = m->nparts;
    s->is_result = m->is_result;
    s->shuffle_id = m->shuffle_id;
    s->out_kind = (em_exchange_kind)out_kind;
    s->out_nparts = m->out_nparts;
    EM_TRY(dec_cols(d, m->n_out_keys, m->out_keys, s->root->schema->nfields, "output key",
                    &s->out_nkeys, &s->out_keys));
    EM_TRY(dec_cols(d, m->n_parents, m->parents, -1, "parent stage", &s->nparents, &s->parents));
    return 0;
}

/* Common prologue: bound the nesting, then unpack. */
static int dec_unpack(dec *d, const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                      size_t len, ProtobufCMessage **out)
{
    if (buf == NULL && len > 0) return bad(d, "no buffer");
    static const uint8_t empty[1];
    if (len == 0) buf = empty;
    if (!wire_nesting_ok(desc, buf, len, 0))
        return bad(d, "invalid protobuf encoding or nesting deeper than %d", MAX_NESTING);
    *out = protobuf_c_message_unpack(desc, NULL, len, buf);
    if (*out == NULL) return bad(d, "invalid protobuf encoding");
    return 0;
}

/* Epilogue: on failure destroy every scan description made so far. */
static int dec_finish(dec *d, ProtobufCMessage *m, int rc)
{
    if (m != NULL) protobuf_c_message_free_unpacked(m, NULL);
    if (rc < 0)
        for (int i = 0; i < d->ndescs; i++) em_scan_desc_destroy(d->descs[i]);
    em_free(d->descs);
    return rc;
}

static int version_ok(dec *d, uint32_t v)
{
    if (v != EM_PLAN_PROTOCOL_VERSION)
        return bad(d, "protocol version %u (this build speaks %d)", v, EM_PLAN_PROTOCOL_VERSION);
    return 0;
}

int em_task_desc_deserialize(const uint8_t *buf, size_t len, em_arena *arena,
                             em_table_lookup_fn lookup, void *lookup_ctx, em_task_desc *out,
                             em_stage **stage_out, em_error *err)
{
    dec d = {arena, err, "task description", lookup, lookup_ctx, NULL, 0, 0};
    ProtobufCMessage *msg = NULL;
    int rc = dec_unpack(&d, &emberpb__task_description__descriptor, buf, len, &msg);
    if (rc < 0) return dec_finish(&d, msg, rc);
    const Emberpb__TaskDescription *m = (const Emberpb__TaskDescription *)msg;
    if ((rc = version_ok(&d, m->protocol_version)) < 0) return dec_finish(&d, msg, rc);
    if (m->stage == NULL) return dec_finish(&d, msg, bad(&d, "no stage"));
    em_stage *s = em_arena_calloc(arena, sizeof(*s));
    if ((rc = dec_stage(&d, m->stage, s)) < 0) return dec_finish(&d, msg, rc);
    if (m->stage_id != s->id)
        rc = bad(&d, "stage id %d does not match the stage (%d)", m->stage_id, s->id);
    else if (m->partition < 0 || m->partition >= s->nparts)
        rc = bad(&d, "partition %d of a stage with %d tasks", m->partition, s->nparts);
    else if (m->attempt < 0)
        rc = bad(&d, "attempt %d", m->attempt);
    if (rc < 0) return dec_finish(&d, msg, rc);
    out->stage_id = m->stage_id;
    out->partition = m->partition;
    out->attempt = m->attempt;
    out->stage = s;
    *stage_out = s;
    return dec_finish(&d, msg, 0);
}

int em_stage_dag_deserialize(const uint8_t *buf, size_t len, em_arena *arena,
                             em_table_lookup_fn lookup, void *lookup_ctx, em_stage_dag *out,
                             em_error *err)
{
    dec d = {arena, err, "stage DAG", lookup, lookup_ctx, NULL, 0, 0};
    ProtobufCMessage *msg = NULL;
    int rc = dec_unpack(&d, &emberpb__stage_dag__descriptor, buf, len, &msg);
    if (rc < 0) return dec_finish(&d, msg, rc);
    const Emberpb__StageDag *m = (const Emberpb__StageDag *)msg;
    if ((rc = version_ok(&d, m->protocol_version)) < 0) return dec_finish(&d, msg, rc);
    if ((rc = count_ok(&d, m->n_stages, "stages")) < 0) return dec_finish(&d, msg, rc);
    if (m->nshuffles < 0) return dec_finish(&d, msg, bad(&d, "%d shuffles", m->nshuffles));
    int n = (int)m->n_stages;
    em_stage *stages = em_arena_calloc(arena, sizeof(em_stage) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n && rc == 0; i++) {
        rc = dec_stage(&d, m->stages[i], &stages[i]);
        for (int j = 0; rc == 0 && j < stages[i].nparents; j++)
            if (stages[i].parents[j] >= n)
                rc = bad(&d, "stage %d has parent %d of %d stages", stages[i].id,
                         stages[i].parents[j], n);
    }
    if (rc < 0) return dec_finish(&d, msg, rc);
    out->nstages = n;
    out->stages = stages;
    out->nshuffles = m->nshuffles;
    return dec_finish(&d, msg, 0);
}

int em_expr_deserialize(const uint8_t *buf, size_t len, em_arena *arena, int ncols, em_expr **out,
                        em_error *err)
{
    dec d = {arena, err, "expression", NULL, NULL, NULL, 0, 0};
    ProtobufCMessage *msg = NULL;
    int rc = dec_unpack(&d, &emberpb__expr__descriptor, buf, len, &msg);
    if (rc == 0) rc = dec_expr(&d, (const Emberpb__Expr *)msg, ncols < 0 ? -1 : ncols, out);
    return dec_finish(&d, msg, rc);
}

/* ---- releasing rebuilt trees ------------------------------------------- */

static void release_node(em_pop *p)
{
    if (p == NULL) return;
    if (p->kind == EM_POP_SCAN_FILE && p->u.scan.desc != NULL) {
        em_scan_desc_destroy(p->u.scan.desc);
        p->u.scan.desc = NULL;
    }
    for (int i = 0; i < p->nchildren; i++) release_node(p->children[i]);
}

void em_plan_serde_release(em_stage *stage)
{
    if (stage != NULL) release_node(stage->root);
}

void em_plan_serde_release_dag(em_stage_dag *dag)
{
    if (dag == NULL) return;
    for (int i = 0; i < dag->nstages; i++) em_plan_serde_release(&dag->stages[i]);
}
