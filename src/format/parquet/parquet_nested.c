/*
 * parquet_nested.c — LIST, STRUCT and MAP columns, read as JSON text.
 *
 * ember has no nested types yet, so a top-level group field (or a repeated
 * field) becomes a VARCHAR holding the value's compact JSON: lists as
 * [1,2,3], structs as {"a":1,"b":"x"}, maps as {"key":value} (keys as JSON
 * strings), NULL members as null. A NULL top-level value is SQL NULL.
 *
 * Each leaf column under the field is decoded whole for the row group into
 * repetition levels, definition levels and its non-null values; records are
 * then reassembled by walking the schema (Dremel's record assembly): a node
 * is NULL when its first leaf's definition level is below the node's own, a
 * list is empty when it is below the repeated node's, and a list goes on while
 * the next entry's repetition level equals the repeated node's.
 *
 * LISTs follow the backward-compatibility rules of LogicalTypes.md: the
 * repeated child of a LIST group is the element itself when it is a
 * primitive, a group of several fields, or named "array" or "<list>_tuple";
 * otherwise its single child is the element (the standard 3-level form).
 */
#include "format/parquet/parquet.h"

#include <stdio.h>
#include <string.h>

/* Entries of one leaf of one row group held in memory at most. */
#define MAX_ENTRIES (1 << 26)

typedef struct leafbuf {
    const em__pq_node *node;
    uint8_t *rep, *def;
    int64_t n, cap;
    int64_t pos; /* next entry */
    em_vector *vals;
    int64_t vpos; /* next value */
} leafbuf;

struct em__pq_nested {
    const em__pq_file *f;
    const em__pq_schema *s;
    int field_node;
    int first_leaf, nleaves;
    leafbuf *leaves;
    em__pq_where where;
    em_strbuf sb;
    em_strbuf key;
    bool bad;
};

void em__pq_nested_close(em__pq_nested *n)
{
    if (n == NULL) return;
    for (int i = 0; n->leaves != NULL && i < n->nleaves; i++) {
        em_free(n->leaves[i].rep);
        em_free(n->leaves[i].def);
        em_vector_unref(n->leaves[i].vals);
    }
    em_free(n->leaves);
    em_strbuf_release(&n->sb);
    em_strbuf_release(&n->key);
    em_free(n);
}

static int load_leaf(em__pq_nested *n, int row_group, int leaf, leafbuf *lb, em_error *err)
{
    const em__pq_node *node = &n->s->nodes[n->s->leaf_node[leaf]];
    em__pq_where w = n->where;
    w.column = node->el->name;
    int rc;
    em__pq_colreader *c = em__pq_col_open(n->f, row_group, leaf, &w, err, &rc);
    if (c == NULL) return rc;
    lb->node = node;
    lb->vals = em_vector_create(node->type, 1024);
    /* The whole chunk is held at once: its entry count is bounded by what the
     * footer says it holds, and by a sanity limit. */
    int64_t limit = n->f->meta.row_groups[row_group].columns[leaf].meta.num_values;
    if (limit < 0) limit = 0;
    for (;;) {
        if (lb->n > limit) {
            rc = em__pq_where_error(&w, err, EM_EFORMAT,
                                    "column chunk holds more values than its metadata says (%lld)",
                                    (long long)limit);
            break;
        }
        if (lb->n >= MAX_ENTRIES) {
            rc = em__pq_where_error(&w, err, EM_EUNSUPPORTED,
                                    "nested column with more than %d values in one row group",
                                    MAX_ENTRIES);
            break;
        }
        /* One entry past the limit is asked for, to notice a chunk holding more. */
        int64_t want = EM_MIN((int64_t)65536, limit + 1 - lb->n);
        if (lb->n + want > lb->cap) {
            lb->cap = lb->cap ? lb->cap * 2 : 65536;
            while (lb->cap < lb->n + want) lb->cap *= 2;
            lb->rep = em_realloc(lb->rep, (size_t)lb->cap);
            lb->def = em_realloc(lb->def, (size_t)lb->cap);
        }
        int64_t got;
        rc = em__pq_col_read_levels(c, want, lb->rep + lb->n, lb->def + lb->n, lb->vals, &got, err);
        if (rc < 0) break;
        lb->n += got;
        if (got < want) break;
    }
    em__pq_col_close(c);
    return rc;
}

int em__pq_nested_open(const em__pq_file *f, int row_group, int field, const em__pq_where *where,
                       em__pq_nested **out, em_error *err)
{
    *out = NULL;
    const em__pq_schema *s = &f->schema;
    em__pq_nested *n = em_calloc(1, sizeof *n);
    n->f = f;
    n->s = s;
    n->where = *where;
    n->field_node = s->field_node[field];
    const em__pq_node *fn = &s->nodes[n->field_node];
    n->first_leaf = fn->first_leaf;
    n->nleaves = fn->nleaves;
    em_strbuf_init(&n->sb);
    em_strbuf_init(&n->key);
    const char *problem = em__pq_field_problem(s, field);
    if (problem != NULL) {
        int rc = em__pq_where_error(where, err, EM_EUNSUPPORTED, "%s", problem);
        em__pq_nested_close(n);
        return rc;
    }
    n->leaves = em_calloc((size_t)n->nleaves, sizeof *n->leaves);
    for (int i = 0; i < n->nleaves; i++) {
        int rc = load_leaf(n, row_group, n->first_leaf + i, &n->leaves[i], err);
        if (rc < 0) {
            em__pq_nested_close(n);
            return rc;
        }
    }
    *out = n;
    return 0;
}

/* ---- record assembly ------------------------------------------------------------- */

static leafbuf *first_leaf(em__pq_nested *n, const em__pq_node *node)
{
    return &n->leaves[node->first_leaf - n->first_leaf];
}

static bool at_end(em__pq_nested *n, const leafbuf *lb)
{
    if (lb->pos < lb->n) return false;
    n->bad = true;
    return true;
}

static int cur_def(em__pq_nested *n, const em__pq_node *node)
{
    leafbuf *lb = first_leaf(n, node);
    return at_end(n, lb) ? -1 : lb->def[lb->pos];
}

/* Every leaf under node moves past one entry (a NULL or empty node). */
static void skip_node(em__pq_nested *n, const em__pq_node *node)
{
    for (int l = node->first_leaf; l < node->first_leaf + node->nleaves; l++) {
        leafbuf *lb = &n->leaves[l - n->first_leaf];
        if (at_end(n, lb)) return;
        if (lb->def[lb->pos] == lb->node->def) lb->vpos++;
        lb->pos++;
    }
}

static void emit_leaf(em__pq_nested *n, const em__pq_node *node, em_strbuf *out)
{
    leafbuf *lb = first_leaf(n, node);
    if (at_end(n, lb)) return;
    if (lb->def[lb->pos] == node->def) {
        if (lb->vpos >= lb->vals->length) {
            n->bad = true;
            return;
        }
        em_vector_append_json(lb->vals, lb->vpos++, out);
    } else {
        em_strbuf_puts(out, "null");
    }
    lb->pos++;
}

static bool is_list(const em__pq_node *node)
{
    return node->el->converted == EM__PQ_CT_LIST || node->el->logical.kind == EM__PQ_LT_LIST;
}

static bool is_map(const em__pq_node *node)
{
    return node->el->converted == EM__PQ_CT_MAP || node->el->converted == EM__PQ_CT_MAP_KEY_VALUE ||
           node->el->logical.kind == EM__PQ_LT_MAP;
}

static void emit_node(em__pq_nested *n, const em__pq_node *node, em_strbuf *out, int depth);

/* A group's members as a JSON object. */
static void emit_struct(em__pq_nested *n, const em__pq_node *node, em_strbuf *out, int depth)
{
    em_strbuf_putc(out, '{');
    for (int c = 0; c < node->nchildren && !n->bad; c++) {
        const em__pq_node *ch = &n->s->nodes[node->children[c]];
        if (c) em_strbuf_putc(out, ',');
        em_json_append_string(out, ch->el->name, strlen(ch->el->name));
        em_strbuf_putc(out, ':');
        emit_node(n, ch, out, depth + 1);
    }
    em_strbuf_putc(out, '}');
}

/* One element of repeated node r, defined (def >= r->def). */
static void emit_self(em__pq_nested *n, const em__pq_node *r, em_strbuf *out, int depth)
{
    if (r->leaf >= 0)
        emit_leaf(n, r, out);
    else
        emit_struct(n, r, out, depth);
}

enum { ELEM_SELF, ELEM_CHILD, ELEM_MAP };

/* The entries of repeated node r for one parent value: [e1,e2,...] or a map. */
static void emit_repeated(em__pq_nested *n, const em__pq_node *r, int mode, em_strbuf *out,
                          int depth)
{
    bool map = mode == ELEM_MAP;
    int d = cur_def(n, r);
    if (n->bad) return;
    if (d < r->def) {
        em_strbuf_puts(out, map ? "{}" : "[]");
        skip_node(n, r);
        return;
    }
    em_strbuf_putc(out, map ? '{' : '[');
    leafbuf *lb = first_leaf(n, r);
    for (bool first = true; !n->bad; first = false) {
        if (!first) em_strbuf_putc(out, ',');
        int64_t before = lb->pos;
        if (mode == ELEM_SELF) {
            emit_self(n, r, out, depth);
        } else if (mode == ELEM_CHILD) {
            emit_node(n, &n->s->nodes[r->children[0]], out, depth + 1);
        } else {
            /* key_value: the key (as a JSON string) and the optional value. */
            const em__pq_node *k = &n->s->nodes[r->children[0]];
            em_strbuf_clear(&n->key);
            emit_node(n, k, &n->key, depth + 1);
            const char *kt = n->key.data ? n->key.data : "null";
            if (kt[0] == '"')
                em_strbuf_puts(out, kt);
            else
                em_json_append_string(out, kt, strlen(kt));
            em_strbuf_putc(out, ':');
            if (r->nchildren > 1)
                emit_node(n, &n->s->nodes[r->children[1]], out, depth + 1);
            else
                em_strbuf_puts(out, "null");
        }
        /* Every element consumes at least one entry; anything else is corrupt. */
        if (lb->pos == before) n->bad = true;
        if (lb->pos >= lb->n || lb->rep[lb->pos] != r->rep) break;
    }
    em_strbuf_putc(out, map ? '}' : ']');
}

static void emit_node(em__pq_nested *n, const em__pq_node *node, em_strbuf *out, int depth)
{
    if (n->bad || depth > 100) {
        n->bad = true;
        return;
    }
    if (node->el->repetition == EM__PQ_REPEATED) {
        emit_repeated(n, node, ELEM_SELF, out, depth);
        return;
    }
    if (node->leaf < 0 && node->nleaves == 0) {
        n->bad = true;
        return;
    }
    if (node->el->repetition == EM__PQ_OPTIONAL && cur_def(n, node) < node->def) {
        em_strbuf_puts(out, "null");
        skip_node(n, node);
        return;
    }
    if (node->leaf >= 0) {
        emit_leaf(n, node, out);
        return;
    }
    if ((is_list(node) || is_map(node)) && node->nchildren == 1) {
        const em__pq_node *r = &n->s->nodes[node->children[0]];
        if (r->el->repetition == EM__PQ_REPEATED) {
            if (is_map(node) && r->leaf < 0 && r->nchildren >= 1) {
                emit_repeated(n, r, ELEM_MAP, out, depth + 1);
                return;
            }
            if (is_list(node)) {
                char tuple[512];
                snprintf(tuple, sizeof tuple, "%s_tuple", node->el->name);
                bool self = r->leaf >= 0 || r->nchildren != 1 ||
                            strcmp(r->el->name, "array") == 0 || strcmp(r->el->name, tuple) == 0;
                emit_repeated(n, r, self ? ELEM_SELF : ELEM_CHILD, out, depth + 1);
                return;
            }
        }
    }
    emit_struct(n, node, out, depth);
}

int em__pq_nested_read(em__pq_nested *n, em_vector *v, int64_t rows, em_error *err)
{
    const em__pq_node *fn = &n->s->nodes[n->field_node];
    em_vector_reserve(v, v->length + rows);
    if (v->chars == NULL) em_vector_reserve_chars(v, 1);
    for (int64_t r = 0; r < rows; r++) {
        for (int l = 0; l < n->nleaves; l++) {
            leafbuf *lb = &n->leaves[l];
            if (lb->pos >= lb->n || lb->rep[lb->pos] != 0)
                return em__pq_where_error(&n->where, err, EM_EFORMAT,
                                          "nested column's levels do not match the row count");
        }
        if (fn->el->repetition == EM__PQ_OPTIONAL && cur_def(n, fn) < fn->def) {
            skip_node(n, fn);
            em_vector_append_null(v);
            continue;
        }
        em_strbuf_clear(&n->sb);
        emit_node(n, fn, &n->sb, 0);
        if (n->bad)
            return em__pq_where_error(&n->where, err, EM_EFORMAT,
                                      "nested column's levels are inconsistent");
        if ((int64_t)n->sb.len > INT32_MAX - v->chars_len)
            return em__pq_where_error(&n->where, err, EM_EUNSUPPORTED,
                                      "nested values of more than 2 GiB in one batch");
        em_vector_append_str(v, n->sb.data ? n->sb.data : "", (int32_t)n->sb.len);
    }
    return 0;
}
