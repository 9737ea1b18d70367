/*
 * parquet_schema.c — the schema tree of a Parquet file and what ember makes
 * of it.
 *
 * The footer stores the schema flattened depth-first, each group followed by
 * its num_children children. Building the tree computes, per node, the maximum
 * definition level (optional and repeated ancestors, itself included) and
 * repetition level (repeated ancestors), and numbers the leaves: leaf k is the
 * k-th column chunk of every row group.
 *
 * Top-level fields become ember columns. A primitive, non-repeated field maps
 * to an ember type through its physical type and its logical (or legacy
 * converted) annotation; groups (STRUCT, LIST, MAP) and repeated fields have
 * no ember type yet and read as VARCHAR holding their JSON text.
 */
#include "format/parquet/parquet.h"

#include <string.h>

#define MAX_SCHEMA_DEPTH 64

typedef struct builder {
    const em__pq_file_meta *m;
    em__pq_schema *s;
    int next; /* next schema element to consume */
    const char *why;
} builder;

static const char *leaf_type(const em__pq_schema_elem *el, em__pq_conv *conv, em_type *type)
{
    const em__pq_logical *lt = &el->logical;
    int ct = el->converted;
    bool is_decimal = lt->kind == EM__PQ_LT_DECIMAL || ct == EM__PQ_CT_DECIMAL;
    int precision = lt->kind == EM__PQ_LT_DECIMAL ? lt->precision : el->precision;
    int scale = lt->kind == EM__PQ_LT_DECIMAL ? lt->scale : el->scale;
    if (is_decimal) {
        if (precision <= 0 || scale < 0 || scale > precision)
            return "DECIMAL annotation with an invalid precision or scale";
        if (precision > EM_DECIMAL_MAX_PRECISION)
            return "DECIMAL with a precision above 18 is not supported (ember's DECIMAL is "
                   "64-bit); cast it to DOUBLE or a narrower DECIMAL when writing the file";
        *type = em_type_decimal(precision, scale);
    }
    switch (el->type) {
    case EM__PQ_BOOLEAN:
        *conv = EM__PQ_CV_BOOL;
        *type = em_type_make(EM_TYPE_BOOLEAN);
        return NULL;
    case EM__PQ_INT32:
        if (is_decimal) {
            *conv = EM__PQ_CV_DEC32;
            return NULL;
        }
        if (lt->kind == EM__PQ_LT_DATE || ct == EM__PQ_CT_DATE) {
            *conv = EM__PQ_CV_DATE;
            *type = em_type_make(EM_TYPE_DATE);
            return NULL;
        }
        if (lt->kind == EM__PQ_LT_TIME || ct == EM__PQ_CT_TIME_MILLIS) {
            *conv = EM__PQ_CV_TIME_MILLIS;
            *type = em_type_make(EM_TYPE_VARCHAR);
            return NULL;
        }
        if ((lt->kind == EM__PQ_LT_INTEGER && !lt->is_signed && lt->bit_width >= 32) ||
            (lt->kind != EM__PQ_LT_INTEGER && ct == EM__PQ_CT_UINT_32)) {
            *conv = EM__PQ_CV_U32;
            *type = em_type_make(EM_TYPE_BIGINT);
            return NULL;
        }
        *conv = EM__PQ_CV_I32;
        *type = em_type_make(EM_TYPE_INTEGER);
        return NULL;
    case EM__PQ_INT64:
        if (is_decimal) {
            *conv = EM__PQ_CV_DEC64;
            return NULL;
        }
        if (lt->kind == EM__PQ_LT_TIMESTAMP || ct == EM__PQ_CT_TIMESTAMP_MILLIS ||
            ct == EM__PQ_CT_TIMESTAMP_MICROS) {
            int unit = lt->kind == EM__PQ_LT_TIMESTAMP    ? lt->unit
                       : ct == EM__PQ_CT_TIMESTAMP_MILLIS ? EM__PQ_MILLIS
                                                          : EM__PQ_MICROS;
            if (unit < 0 || unit > 2) return "TIMESTAMP without a known unit";
            *conv = unit == EM__PQ_MILLIS   ? EM__PQ_CV_TS_MILLIS
                    : unit == EM__PQ_MICROS ? EM__PQ_CV_TS_MICROS
                                            : EM__PQ_CV_TS_NANOS;
            *type = em_type_make(EM_TYPE_TIMESTAMP);
            return NULL;
        }
        if (lt->kind == EM__PQ_LT_TIME || ct == EM__PQ_CT_TIME_MICROS) {
            int unit = lt->kind == EM__PQ_LT_TIME ? lt->unit : EM__PQ_MICROS;
            if (unit != EM__PQ_MICROS && unit != EM__PQ_NANOS) return "TIME without a known unit";
            *conv = unit == EM__PQ_MICROS ? EM__PQ_CV_TIME_MICROS : EM__PQ_CV_TIME_NANOS;
            *type = em_type_make(EM_TYPE_VARCHAR);
            return NULL;
        }
        if ((lt->kind == EM__PQ_LT_INTEGER && !lt->is_signed) ||
            (lt->kind != EM__PQ_LT_INTEGER && ct == EM__PQ_CT_UINT_64)) {
            *conv = EM__PQ_CV_U64;
            *type = em_type_make(EM_TYPE_BIGINT);
            return NULL;
        }
        *conv = EM__PQ_CV_I64;
        *type = em_type_make(EM_TYPE_BIGINT);
        return NULL;
    case EM__PQ_INT96:
        *conv = EM__PQ_CV_INT96;
        *type = em_type_make(EM_TYPE_TIMESTAMP);
        return NULL;
    case EM__PQ_FLOAT:
        *conv = EM__PQ_CV_FLOAT;
        *type = em_type_make(EM_TYPE_DOUBLE);
        return NULL;
    case EM__PQ_DOUBLE:
        *conv = EM__PQ_CV_DOUBLE;
        *type = em_type_make(EM_TYPE_DOUBLE);
        return NULL;
    case EM__PQ_BYTE_ARRAY:
        if (is_decimal) {
            *conv = EM__PQ_CV_DECBYTES;
            return NULL;
        }
        *conv = EM__PQ_CV_STRING;
        *type = em_type_make(EM_TYPE_VARCHAR);
        return NULL;
    case EM__PQ_FLBA:
        if (el->type_length <= 0) return "FIXED_LEN_BYTE_ARRAY without a positive type_length";
        if (is_decimal) {
            *conv = EM__PQ_CV_DECBYTES;
            return NULL;
        }
        if (ct == EM__PQ_CT_INTERVAL) {
            if (el->type_length != 12) return "INTERVAL that is not 12 bytes long";
            *conv = EM__PQ_CV_INTERVAL;
            *type = em_type_make(EM_TYPE_INTERVAL);
            return NULL;
        }
        if (lt->kind == EM__PQ_LT_UUID && el->type_length == 16) {
            *conv = EM__PQ_CV_UUID;
            *type = em_type_make(EM_TYPE_VARCHAR);
            return NULL;
        }
        if (lt->kind == EM__PQ_LT_FLOAT16 && el->type_length == 2) {
            *conv = EM__PQ_CV_FLOAT16;
            *type = em_type_make(EM_TYPE_DOUBLE);
            return NULL;
        }
        *conv = EM__PQ_CV_STRING;
        *type = em_type_make(EM_TYPE_VARCHAR);
        return NULL;
    default:
        return "unknown physical type";
    }
}

static int build(builder *b, int parent, int depth)
{
    if (depth > MAX_SCHEMA_DEPTH) {
        b->why = "schema nested too deeply";
        return -1;
    }
    em__pq_schema *s = b->s;
    if (b->next >= b->m->nschema) {
        b->why = "schema has fewer elements than its num_children say";
        return -1;
    }
    int i = b->next++;
    em__pq_node *n = &s->nodes[i];
    const em__pq_schema_elem *el = &b->m->schema[i];
    n->el = el;
    n->parent = parent;
    n->leaf = -1;
    n->first_leaf = s->nleaves;
    if (parent >= 0) {
        if (el->repetition < EM__PQ_REQUIRED || el->repetition > EM__PQ_REPEATED) {
            b->why = "schema element without a valid repetition type";
            return -1;
        }
        n->def = s->nodes[parent].def + (el->repetition != EM__PQ_REQUIRED);
        n->rep = s->nodes[parent].rep + (el->repetition == EM__PQ_REPEATED);
    }
    if (el->num_children < 0 || el->num_children > b->m->nschema - b->next) {
        b->why = "schema element with an invalid num_children";
        return -1;
    }
    bool group = el->num_children > 0 || el->type < 0 || parent < 0;
    if (!group) {
        n->leaf = s->nleaves++;
        n->nleaves = 1;
        return 0;
    }
    n->nchildren = el->num_children;
    n->children = em_malloc(sizeof(int) * (size_t)(n->nchildren > 0 ? n->nchildren : 1));
    n->first_child = b->next;
    for (int c = 0; c < n->nchildren; c++) {
        n->children[c] = b->next;
        if (build(b, i, depth + 1) < 0) return -1;
    }
    n->nleaves = s->nleaves - n->first_leaf;
    return 0;
}

void em__pq_schema_release(em__pq_schema *s)
{
    for (int i = 0; i < s->nnodes; i++) em_free(s->nodes[i].children);
    em_free(s->nodes);
    em_free(s->leaf_node);
    for (int i = 0; i < s->nfields; i++) em_free(s->field_name[i]);
    em_free(s->field_node);
    em_free(s->field_name);
    em_free(s->field_type);
    em_free(s->field_nested);
    memset(s, 0, sizeof *s);
}

int em__pq_schema_build(const em__pq_file_meta *m, em__pq_schema *s, const char **why)
{
    memset(s, 0, sizeof *s);
    if (m->nschema < 1) {
        *why = "empty schema";
        return -1;
    }
    s->nnodes = m->nschema;
    s->nodes = em_calloc((size_t)m->nschema, sizeof *s->nodes);
    builder b = {.m = m, .s = s, .next = 0, .why = NULL};
    if (build(&b, -1, 0) < 0 || b.next != m->nschema) {
        *why = b.why ? b.why : "schema has more elements than its root holds";
        em__pq_schema_release(s);
        return -1;
    }
    s->leaf_node = em_malloc(sizeof(int) * (size_t)(s->nleaves > 0 ? s->nleaves : 1));
    for (int i = 0; i < s->nnodes; i++) {
        em__pq_node *n = &s->nodes[i];
        if (n->leaf < 0) continue;
        s->leaf_node[n->leaf] = i;
        if (n->def > 255 || n->rep > 255) {
            *why = "schema nested too deeply";
            em__pq_schema_release(s);
            return -1;
        }
        n->problem = leaf_type(n->el, &n->conv, &n->type);
        if (n->problem != NULL) {
            n->type = em_type_make(EM_TYPE_VARCHAR);
            n->conv = EM__PQ_CV_STRING;
        }
    }
    const em__pq_node *root = &s->nodes[0];
    s->nfields = root->nchildren;
    int nf = s->nfields > 0 ? s->nfields : 1;
    s->field_node = em_malloc(sizeof(int) * (size_t)nf);
    s->field_name = em_calloc((size_t)nf, sizeof(char *));
    s->field_type = em_malloc(sizeof(em_type) * (size_t)nf);
    s->field_nested = em_calloc((size_t)nf, sizeof(bool));
    for (int f = 0; f < s->nfields; f++) {
        int ni = root->children[f];
        const em__pq_node *n = &s->nodes[ni];
        s->field_node[f] = ni;
        s->field_name[f] = em_strdup(n->el->name);
        bool nested = n->leaf < 0 || n->el->repetition == EM__PQ_REPEATED;
        s->field_nested[f] = nested;
        s->field_type[f] = nested ? em_type_make(EM_TYPE_VARCHAR) : n->type;
    }
    return 0;
}

const char *em__pq_field_problem(const em__pq_schema *s, int field)
{
    const em__pq_node *n = &s->nodes[s->field_node[field]];
    if (n->leaf < 0 && n->nleaves == 0) return "a group without columns cannot be read";
    for (int l = n->first_leaf; l < n->first_leaf + n->nleaves; l++) {
        const char *p = s->nodes[s->leaf_node[l]].problem;
        if (p != NULL) return p;
    }
    return NULL;
}
