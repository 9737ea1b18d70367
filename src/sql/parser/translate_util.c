/*
 * translate_util.c — small helpers the expression and statement translators
 * share: error reporting with positions, node names and locations read
 * generically through the protobuf descriptors, string copies, numeric
 * literals and type names.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/parser/parser_internal.h"

int em__error_at(em__pctx *c, int code, int location, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_error_setv(c->err, code, fmt, ap);
    va_end(ap);
    if (c->err != NULL) c->err->sql_pos = location >= 0 ? location + 1 : 0;
    return code;
}

int em__unsupported(em__pctx *c, int location, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return em__error_at(c, EM_EUNSUPPORTED, location, "unsupported SQL: %s", what);
}

/* The message held by a Node's oneof, found through the descriptor so that
 * every node kind is handled without a 240-way switch. */
static const ProtobufCMessage *node_message(const PgQuery__Node *n)
{
    if (n == NULL || n->node_case == PG_QUERY__NODE__NODE__NOT_SET) return NULL;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &pg_query__node__descriptor, (unsigned)n->node_case);
    if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE) return NULL;
    const ProtobufCMessage *const *slot =
        (const ProtobufCMessage *const *)(const void *)((const char *)n + f->offset);
    return *slot;
}

int em__node_location(const PgQuery__Node *n)
{
    const ProtobufCMessage *m = node_message(n);
    if (m == NULL) return -1;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "location");
    int own = -1;
    if (f != NULL && f->type == PROTOBUF_C_TYPE_INT32)
        own = *(const int32_t *)(const void *)((const char *)m + f->offset);
    return own >= 0 ? own : em__subtree_location(m);
}

int em__subtree_location(const ProtobufCMessage *m)
{
    if (m == NULL) return -1;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    int best = -1;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type == PROTOBUF_C_TYPE_INT32 && f->label != PROTOBUF_C_LABEL_REPEATED &&
            strcmp(f->name, "location") == 0) {
            int v = *(const int32_t *)(const void *)(base + f->offset);
            if (v >= 0 && (best < 0 || v < best)) best = v;
            continue;
        }
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(const void *)(base + f->quantifier_offset);
            const ProtobufCMessage *const *items =
                *(const ProtobufCMessage *const *const *)(const void *)(base + f->offset);
            for (size_t k = 0; k < n; k++) {
                int v = em__subtree_location(items[k]);
                if (v >= 0 && (best < 0 || v < best)) best = v;
            }
        } else {
            /* A oneof member is only meaningful when it is the active case. */
            if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id)
                continue;
            const ProtobufCMessage *sub =
                *(const ProtobufCMessage *const *)(const void *)(base + f->offset);
            int v = em__subtree_location(sub);
            if (v >= 0 && (best < 0 || v < best)) best = v;
        }
    }
    return best;
}

int em__token_before(const em__pctx *c, int location, int kind)
{
    if (location < 0) return location;
    for (int i = c->ntokens - 1; i >= 0; i--)
        if (c->tokens[i].start <= location && c->tokens[i].kind == kind) return c->tokens[i].start;
    return location;
}

int em__func_name(em__pctx *c, PgQuery__Node **parts, size_t n, int location, const char **out)
{
    const char *name = n > 0 ? em__string_value(parts[n - 1]) : NULL;
    if (name == NULL || n > 2) return em__unsupported(c, location, "qualified function name");
    if (n == 2) {
        const char *schema = em__string_value(parts[0]);
        if (schema == NULL || strcmp(schema, "pg_catalog") != 0)
            return em__unsupported(c, location, "schema-qualified function name");
    }
    *out = em__lower(c, name);
    return 0;
}

/* Names users recognise for the node kinds they are likely to write. */
static const struct {
    PgQuery__Node__NodeCase kind;
    const char *name;
} node_names[] = {
    {PG_QUERY__NODE__NODE_PARAM_REF, "parameter reference ($n)"},
    {PG_QUERY__NODE__NODE_A_INDIRECTION, "subscript or field selection"},
    {PG_QUERY__NODE__NODE_A_INDICES, "array subscript"},
    {PG_QUERY__NODE__NODE_A_ARRAY_EXPR, "ARRAY constructor"},
    {PG_QUERY__NODE__NODE_ROW_EXPR, "row constructor"},
    {PG_QUERY__NODE__NODE_COLLATE_CLAUSE, "COLLATE"},
    {PG_QUERY__NODE__NODE_GROUPING_FUNC, "GROUPING()"},
    {PG_QUERY__NODE__NODE_XML_EXPR, "XML expression"},
    {PG_QUERY__NODE__NODE_XML_SERIALIZE, "XMLSERIALIZE"},
    {PG_QUERY__NODE__NODE_SET_TO_DEFAULT, "DEFAULT"},
    {PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF, "multiple assignment"},
    {PG_QUERY__NODE__NODE_RANGE_TABLE_SAMPLE, "TABLESAMPLE"},
    {PG_QUERY__NODE__NODE_RANGE_TABLE_FUNC, "XMLTABLE"},
    {PG_QUERY__NODE__NODE_INSERT_STMT, "INSERT"},
    {PG_QUERY__NODE__NODE_UPDATE_STMT, "UPDATE"},
    {PG_QUERY__NODE__NODE_DELETE_STMT, "DELETE"},
    {PG_QUERY__NODE__NODE_MERGE_STMT, "MERGE"},
    {PG_QUERY__NODE__NODE_TRANSACTION_STMT, "transaction control (BEGIN/COMMIT/ROLLBACK)"},
    {PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT, "SHOW"},
    {PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, "ALTER TABLE"},
    {PG_QUERY__NODE__NODE_RENAME_STMT, "ALTER ... RENAME"},
    {PG_QUERY__NODE__NODE_TRUNCATE_STMT, "TRUNCATE"},
    {PG_QUERY__NODE__NODE_INDEX_STMT, "CREATE INDEX"},
    {PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, "CREATE SCHEMA"},
    {PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT, "CREATE FUNCTION"},
    {PG_QUERY__NODE__NODE_CREATE_SEQ_STMT, "CREATE SEQUENCE"},
    {PG_QUERY__NODE__NODE_CREATEDB_STMT, "CREATE DATABASE"},
    {PG_QUERY__NODE__NODE_PREPARE_STMT, "PREPARE"},
    {PG_QUERY__NODE__NODE_EXECUTE_STMT, "EXECUTE"},
    {PG_QUERY__NODE__NODE_DEALLOCATE_STMT, "DEALLOCATE"},
    {PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT, "DECLARE CURSOR"},
    {PG_QUERY__NODE__NODE_FETCH_STMT, "FETCH"},
    {PG_QUERY__NODE__NODE_GRANT_STMT, "GRANT/REVOKE"},
    {PG_QUERY__NODE__NODE_VACUUM_STMT, "VACUUM/ANALYZE"},
    {PG_QUERY__NODE__NODE_DO_STMT, "DO"},
    {PG_QUERY__NODE__NODE_CALL_STMT, "CALL"},
    {PG_QUERY__NODE__NODE_LOCK_STMT, "LOCK"},
    {PG_QUERY__NODE__NODE_COMMENT_STMT, "COMMENT"},
    {PG_QUERY__NODE__NODE_LISTEN_STMT, "LISTEN"},
    {PG_QUERY__NODE__NODE_NOTIFY_STMT, "NOTIFY"},
    {PG_QUERY__NODE__NODE_DISCARD_STMT, "DISCARD"},
    {PG_QUERY__NODE__NODE_CHECK_POINT_STMT, "CHECKPOINT"},
    {PG_QUERY__NODE__NODE_LOAD_STMT, "LOAD"},
};

const char *em__node_name(const PgQuery__Node *n)
{
    if (n == NULL) return "empty node";
    for (size_t i = 0; i < EM_ARRAY_LEN(node_names); i++)
        if (node_names[i].kind == n->node_case) return node_names[i].name;
    const ProtobufCMessage *m = node_message(n);
    if (m != NULL) return m->descriptor->short_name;
    return "unknown node";
}

em_ast *em__ast_new(em__pctx *c, em_ast_kind kind, int location)
{
    em_ast *a = em_arena_calloc(c->arena, sizeof(*a));
    a->kind = kind;
    a->location = location;
    return a;
}

const char *em__str(em__pctx *c, const char *s)
{
    if (s == NULL || s[0] == '\0') return NULL;
    return em_arena_strdup(c->arena, s);
}

const char *em__lower(em__pctx *c, const char *s)
{
    if (s == NULL) return NULL;
    char *d = em_arena_strdup(c->arena, s);
    for (char *p = d; *p; p++) *p = (char)tolower((unsigned char)*p);
    return d;
}

const char *em__string_value(const PgQuery__Node *n)
{
    if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_STRING || n->string == NULL) return NULL;
    return n->string->sval;
}

int em__string_list(em__pctx *c, PgQuery__Node **items, size_t n, int location, const char ***out,
                    int *count)
{
    *out = NULL;
    *count = 0;
    if (n == 0) return 0;
    const char **names = em_arena_alloc(c->arena, n * sizeof(*names));
    for (size_t i = 0; i < n; i++) {
        const char *s = em__string_value(items[i]);
        if (s == NULL)
            return em__unsupported(c, location, "%s in a name list", em__node_name(items[i]));
        names[i] = em_arena_strdup(c->arena, s);
    }
    *out = names;
    *count = (int)n;
    return 0;
}

/* Numeric literals: the lexer hands over every literal that does not fit an
 * int32 as text (PostgreSQL's "Float" node), including large integers. Plain
 * digit strings become BIGINT when they fit int64; decimal-point forms become
 * DECIMAL(p,s) when their digits fit 18; the rest (exponents, huge values)
 * become DOUBLE. */
void em__numeric_value(em__pctx *c, const char *text, em_value *out)
{
    const char *p = text;
    bool neg = false;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    bool has_point = strchr(p, '.') != NULL;
    bool has_exp = strpbrk(p, "eE") != NULL;
    if (!has_point && !has_exp) {
        errno = 0;
        char *end;
        long long v = strtoll(text, &end, 10);
        if (errno == 0 && *end == '\0') {
            if (v >= INT32_MIN && v <= INT32_MAX)
                *out = em_value_int((int32_t)v);
            else
                *out = em_value_bigint((int64_t)v);
            return;
        }
    } else if (!has_exp) {
        /* Count significant digits: leading zeros of the integer part do not
           count, every digit after the point does (1.50 is DECIMAL(3,2)). */
        const char *q = p;
        while (*q == '0') q++;
        int int_digits = 0, scale = 0;
        int64_t unscaled = 0;
        bool ok = true, after = false;
        for (; *q; q++) {
            if (*q == '.') {
                after = true;
                continue;
            }
            if (!isdigit((unsigned char)*q)) {
                ok = false;
                break;
            }
            if (after)
                scale++;
            else
                int_digits++;
            if (int_digits + scale > EM_DECIMAL_MAX_PRECISION) {
                ok = false;
                break;
            }
            unscaled = unscaled * 10 + (*q - '0');
        }
        if (ok) {
            int precision = EM_MAX(int_digits + scale, 1);
            *out = em_value_decimal(neg ? -unscaled : unscaled, precision, scale);
            return;
        }
    }
    *out = em_value_double(strtod(text, NULL));
    EM_UNUSED(c);
}

bool em__typename_is_interval(const PgQuery__TypeName *tn)
{
    if (tn == NULL || tn->n_names == 0) return false;
    const char *last = em__string_value(tn->names[tn->n_names - 1]);
    return last != NULL && strcmp(last, "interval") == 0;
}

/* PostgreSQL's internal names for the SQL spellings (INTEGER arrives as
 * pg_catalog.int4); used only for messages. */
static const char *display_base(const char *name)
{
    static const char *const map[][2] = {
        {"int2", "smallint"},
        {"int4", "integer"},
        {"int8", "bigint"},
        {"float4", "real"},
        {"float8", "double precision"},
        {"bool", "boolean"},
        {"bpchar", "char"},
        {"timestamptz", "timestamp with time zone"},
        {"timetz", "time with time zone"},
    };
    for (size_t i = 0; i < EM_ARRAY_LEN(map); i++)
        if (strcmp(map[i][0], name) == 0) return map[i][1];
    return name;
}

int em__translate_type(em__pctx *c, const PgQuery__TypeName *tn, em_type *out, const char **display)
{
    int loc = tn->location;
    if (tn->setof) return em__unsupported(c, loc, "SETOF type");
    if (tn->pct_type) return em__unsupported(c, loc, "%%TYPE reference");
    if (tn->n_array_bounds > 0) return em__unsupported(c, loc, "array type");
    if (tn->n_names == 0 || tn->n_names > 2) return em__unsupported(c, loc, "qualified type name");
    const char *base = em__string_value(tn->names[tn->n_names - 1]);
    if (base == NULL) return em__unsupported(c, loc, "type name");
    if (tn->n_names == 2) {
        const char *schema = em__string_value(tn->names[0]);
        if (schema == NULL || strcmp(schema, "pg_catalog") != 0)
            return em__unsupported(c, loc, "schema-qualified type name");
    }
    char name[160];
    int len = snprintf(name, sizeof(name), "%s", display_base(base));
    for (size_t i = 0; i < tn->n_typmods; i++) {
        const PgQuery__Node *m = tn->typmods[i];
        if (m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
            m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
            return em__unsupported(c, loc, "type modifier that is not an integer");
        len += snprintf(name + len, sizeof(name) - (size_t)EM_MIN(len, (int)sizeof(name)), "%s%d",
                        i == 0 ? "(" : ",", m->a_const->ival->ival);
        if (len >= (int)sizeof(name)) return em__unsupported(c, loc, "type name");
    }
    if (tn->n_typmods > 0 && len + 1 < (int)sizeof(name)) {
        name[len++] = ')';
        name[len] = '\0';
    }
    int rc = em_type_parse(name, out, c->err);
    if (rc < 0) {
        if (c->err != NULL) c->err->sql_pos = loc >= 0 ? loc + 1 : 0;
        return rc;
    }
    *display = em_arena_strdup(c->arena, name);
    return 0;
}
