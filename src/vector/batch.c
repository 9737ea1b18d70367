/*
 * batch.c — schemas (named, typed fields), batches of equally long column
 * vectors, and growable lists of batches.
 */
#include <string.h>

#include "vector/vector.h"

/* ---- schema ------------------------------------------------------------- */

em_schema *em_schema_create(int nfields)
{
    em_schema *s = em_calloc(1, sizeof(*s));
    s->nfields = nfields;
    s->fields = em_calloc((size_t)(nfields > 0 ? nfields : 1), sizeof(em_field));
    return s;
}

em_schema *em_schema_copy(const em_schema *s)
{
    em_schema *c = em_schema_create(s->nfields);
    for (int i = 0; i < s->nfields; i++) {
        c->fields[i] = s->fields[i];
        c->fields[i].name = s->fields[i].name ? em_strdup(s->fields[i].name) : NULL;
    }
    return c;
}

void em_schema_destroy(em_schema *s)
{
    if (s == NULL) return;
    for (int i = 0; i < s->nfields; i++) em_free(s->fields[i].name);
    em_free(s->fields);
    em_free(s);
}

int em_schema_find(const em_schema *s, const char *name)
{
    for (int i = 0; i < s->nfields; i++)
        if (s->fields[i].name != NULL && em_str_ieq(s->fields[i].name, name)) return i;
    return -1;
}

/* ---- batch -------------------------------------------------------------- */

em_batch *em_batch_create(int ncols)
{
    em_batch *b = em_calloc(1, sizeof(*b));
    b->ncols = ncols;
    b->cols = em_calloc((size_t)(ncols > 0 ? ncols : 1), sizeof(em_vector *));
    return b;
}

em_batch *em_batch_create_for(const em_schema *s, int64_t capacity)
{
    em_batch *b = em_batch_create(s->nfields);
    for (int i = 0; i < s->nfields; i++) b->cols[i] = em_vector_create(s->fields[i].type, capacity);
    return b;
}

void em_batch_destroy(em_batch *b)
{
    if (b == NULL) return;
    for (int i = 0; i < b->ncols; i++) em_vector_unref(b->cols[i]);
    em_free(b->cols);
    em_free(b);
}

void em_batch_set_col(em_batch *b, int i, em_vector *v)
{
    em_vector_unref(b->cols[i]);
    b->cols[i] = v;
    /* All columns have the same length, so any of them gives the row count. */
    if (v != NULL) b->nrows = v->length;
}

em_batch *em_batch_gather(const em_batch *b, const int32_t *sel, int64_t n)
{
    em_batch *r = em_batch_create(b->ncols);
    for (int i = 0; i < b->ncols; i++) r->cols[i] = em_vector_gather(b->cols[i], sel, n);
    r->nrows = n;
    return r;
}

em_batch *em_batch_slice(const em_batch *b, int64_t offset, int64_t n)
{
    em_batch *r = em_batch_create(b->ncols);
    for (int i = 0; i < b->ncols; i++) r->cols[i] = em_vector_slice(b->cols[i], offset, n);
    r->nrows = n;
    return r;
}

em_batch *em_batch_ref_copy(const em_batch *b)
{
    em_batch *r = em_batch_create(b->ncols);
    for (int i = 0; i < b->ncols; i++) r->cols[i] = b->cols[i] ? em_vector_ref(b->cols[i]) : NULL;
    r->nrows = b->nrows;
    return r;
}

int64_t em_batch_bytes(const em_batch *b)
{
    int64_t total = 0;
    for (int i = 0; i < b->ncols; i++) {
        const em_vector *v = b->cols[i];
        if (v == NULL) continue;
        int64_t slots = v->capacity + (v->type.id == EM_TYPE_VARCHAR ? 1 : 0);
        total += slots * (int64_t)em_type_width(v->type) + v->chars_cap;
        if (v->validity != NULL) total += (v->capacity + 7) / 8;
    }
    return total;
}

/* ---- batch list --------------------------------------------------------- */

void em_batch_list_init(em_batch_list *l)
{
    l->items = NULL;
    l->count = 0;
    l->cap = 0;
    l->rows = 0;
}

void em_batch_list_release(em_batch_list *l)
{
    for (int64_t i = 0; i < l->count; i++) em_batch_destroy(l->items[i]);
    em_free(l->items);
    em_batch_list_init(l);
}

static void list_reserve(em_batch_list *l, int64_t n)
{
    if (n <= l->cap) return;
    int64_t cap = l->cap > 0 ? l->cap * 2 : 8;
    while (cap < n) cap *= 2;
    l->items = em_realloc(l->items, (size_t)cap * sizeof(em_batch *));
    l->cap = cap;
}

void em_batch_list_push(em_batch_list *l, em_batch *b)
{
    list_reserve(l, l->count + 1);
    l->items[l->count++] = b;
    l->rows += b->nrows;
}

void em_batch_list_move(em_batch_list *dst, em_batch_list *src)
{
    if (src->count == 0) return;
    list_reserve(dst, dst->count + src->count);
    memcpy(dst->items + dst->count, src->items, (size_t)src->count * sizeof(em_batch *));
    dst->count += src->count;
    dst->rows += src->rows;
    em_free(src->items);
    em_batch_list_init(src);
}
